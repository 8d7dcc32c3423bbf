"""The benchmark harness (bench/) cannot rot: a smoke run with tiny counts, and its arithmetic.

No figure here is a threshold: speed targets live in the benchmark's own report.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import report
from bench.__main__ import parse_args
from bench.load import Talker, percentile
from tests.helpers.paths import ROOT


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


@pytest.mark.parametrize("url", ["http://10.0.0.5:5005", "http://example.com", "http://192.168.1.2:80"])
def test_the_load_generator_refuses_anything_but_loopback(url):
    with pytest.raises(ValueError, match="only sends traffic to loopback"):
        Talker(url, [["hi"]])


def test_bad_options_are_refused_with_the_reason(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--levels", "1,ten"])
    assert "--levels must be comma-separated whole numbers" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(["--total", "0"])
    assert "--total must be at least 1" in capsys.readouterr().err


def _figures(median, p95, rss, tput10, errors10=0, ready=5.0, training=60.0):
    return {
        "sequential": {"median_ms": median, "p95_ms": p95, "p99_ms": p95},
        "levels": [
            {"concurrency": 10, "messages_per_second": tput10, "median_ms": median, "p95_ms": p95}
            | {"errors": errors10, "empty_replies": 0}
        ],
        "memory": {"rasa_after_load_mb": rss},
        "ready_s": ready,
        "training": {"seconds": training},
    }


def test_targets_are_ratios_to_the_reference_and_say_what_does_not_hold():
    result = {
        "settings": {"levels": [10], "total_messages": 5000},
        "bots": {
            "ours": _figures(median=10.0, p95=40.0, rss=500.0, tput10=90.0, errors10=1, ready=12.0),
            "reference": _figures(median=34.0, p95=47.0, rss=1100.0, tput10=30.0),
        },
        "script_edit_retrains": False,
    }
    rows = {row["figure"]: row for row in report.table_rows(result)}
    assert rows["time per message, median (1 conversation)"]["ratio"] == 0.29
    assert rows["msg/s at 10 conversations"]["ratio"] == 3.0
    holds = {t["target"]: t["holds"] for t in report.targets(result)}
    assert holds["median time per message ≤ 0.6× reference"] is True
    assert holds["p95 time per message ≤ 0.6× reference"] is False  # 40 / 47 = 0.85
    assert holds["Rasa server memory ≤ 0.7× reference (after the load)"] is True
    assert holds["throughput at 10 conversations ≥ 1.5× reference, zero errors"] is False  # one error
    assert holds["ready ≤ 10 s after start"] is False
    assert holds["full training ≤ 3 min"] is True
    assert holds["a script's wording or link change needs no retraining"] is True
    assert "DOES NOT HOLD" in report.render_targets(report.targets(result))


@pytest.mark.e2e
def test_a_smoke_run_against_the_current_model_writes_the_table_json_and_plot(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "| figure | ours | reference | ours / reference |" in result.stdout

    data = json.loads((tmp_path / "benchmark.json").read_text())
    ours = data["bots"]["ours"]
    assert data["bots"]["reference"] is None  # the smoke run never trains the reference
    for key in ("median_ms", "p95_ms", "p99_ms"):
        assert ours["sequential"][key] > 0
    assert [level["concurrency"] for level in ours["levels"]] == [1, 2]
    for level in ours["levels"]:
        assert level["messages_per_second"] > 0
        # every message of the bench conversations gets an answer from this assistant
        assert level["errors"] == 0 and level["empty_replies"] == 0, level
    assert ours["messages_sent"] == 30
    assert ours["ready_s"] > 0 and ours["first_reply_s"] >= ours["ready_s"]
    for name in ("rasa", "actions"):
        assert ours["memory"][f"{name}_after_warmup_mb"] > 0
        assert ours["memory"][f"{name}_after_load_mb"] > 0
    assert all(row["ratio"] is None for row in data["table"])  # no reference, no ratios
    assert {t["target"] for t in data["targets"]} >= {"ready ≤ 10 s after start", "full training ≤ 3 min"}
    assert (tmp_path / "benchmark.md").read_text().startswith("Benchmark ")
    assert (tmp_path / "benchmark.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_live_benchmark_counts_lost_and_duplicated_pushes_per_page():
    from bench.live import _latencies

    sent = {"a": 10.0, "b": 11.0}
    pages = [[("a", 10.1), ("b", 11.2)], [("a", 10.3), ("a", 10.4)]]  # page 2: "a" twice, "b" never
    figures = _latencies(sent, pages)
    assert (figures["pairs"], figures["lost"], figures["duplicated"]) == (4, 1, 1)
    assert figures["max_ms"] == pytest.approx(300.0) and figures["p50_ms"] == pytest.approx(200.0)
