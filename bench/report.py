"""The benchmark's outputs: the side-by-side table, the targets, the plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

# (key in a bot's figures, label, unit, "lower" or "higher" is better)
ROWS: List[Tuple[str, str, str, str]] = [
    ("sequential.median_ms", "time per message, median (1 conversation)", "ms", "lower"),
    ("sequential.p95_ms", "time per message, p95", "ms", "lower"),
    ("sequential.p99_ms", "time per message, p99", "ms", "lower"),
]
LEVEL_ROWS = [
    ("messages_per_second", "msg/s at {c} conversations", "msg/s", "higher"),
    ("median_ms", "latency median at {c}", "ms", "lower"),
    ("p95_ms", "latency p95 at {c}", "ms", "lower"),
    ("errors", "errors at {c}", "", "lower"),
    ("empty_replies", "empty replies at {c}", "", "lower"),
]
TAIL_ROWS = [
    ("ready_s", "start to ready (health answers)", "s", "lower"),
    ("first_reply_s", "start to first reply", "s", "lower"),
    ("memory.rasa_after_warmup_mb", "Rasa server RSS after warm-up", "MB", "lower"),
    ("memory.rasa_after_load_mb", "Rasa server RSS after {n} messages", "MB", "lower"),
    ("memory.actions_after_warmup_mb", "action server RSS after warm-up", "MB", "lower"),
    ("memory.actions_after_load_mb", "action server RSS after {n} messages", "MB", "lower"),
    ("training.seconds", "full training time", "s", "lower"),
]


def lookup(figures: Optional[Dict[str, Any]], dotted: str) -> Any:
    value: Any = figures
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def level(figures: Optional[Dict[str, Any]], concurrency: int) -> Optional[Dict[str, Any]]:
    for entry in (figures or {}).get("levels", []):
        if entry["concurrency"] == concurrency:
            return entry
    return None


def ratio(ours: Any, reference: Any) -> Optional[float]:
    if isinstance(ours, int | float) and isinstance(reference, int | float) and reference:
        return round(ours / reference, 2)
    return None


def table_rows(result: Dict[str, Any]) -> List[Dict[str, Any]]:
    ours, ref = result["bots"].get("ours"), result["bots"].get("reference")
    n = result["settings"]["total_messages"]
    rows = []
    for key, label, unit, better in ROWS:
        rows.append(_row(label, unit, better, lookup(ours, key), lookup(ref, key)))
    for c in result["settings"]["levels"]:
        for key, label, unit, better in LEVEL_ROWS:
            rows.append(_row(label.format(c=c), unit, better, lookup(level(ours, c), key), lookup(level(ref, c), key)))
    for key, label, unit, better in TAIL_ROWS:
        rows.append(_row(label.format(n=n), unit, better, lookup(ours, key), lookup(ref, key)))
    return rows


def _row(label: str, unit: str, better: str, ours: Any, ref: Any) -> Dict[str, Any]:
    return {"figure": label, "unit": unit, "better": better, "ours": ours, "reference": ref, "ratio": ratio(ours, ref)}


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    return str(value)


def _with_unit(value: Any, unit: str) -> str:
    return _fmt(value) + (f" {unit}" if unit and value is not None else "")


def render_table(result: Dict[str, Any]) -> str:
    """A Markdown table (it reads as well in a terminal as in the README)."""
    lines = [
        "| figure | ours | reference | ours / reference |",
        "| --- | ---: | ---: | ---: |",
    ]
    for row in result["table"]:
        ratio_text = "n/a" if row["ratio"] is None else f"{row['ratio']:.2f}×"
        ours, ref = _with_unit(row["ours"], row["unit"]), _with_unit(row["reference"], row["unit"])
        lines.append(f"| {row['figure']} | {ours} | {ref} | {ratio_text} |")
    return "\n".join(lines)


def targets(result: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The issue's targets, each with the figure seen and whether it holds."""
    ours, ref = result["bots"].get("ours"), result["bots"].get("reference")
    ten_ours, ten_ref = level(ours, 10), level(ref, 10)
    checks = [
        ("median time per message ≤ 0.6× reference", "ratio", "sequential.median_ms", 0.6, "le"),
        ("p95 time per message ≤ 0.6× reference", "ratio", "sequential.p95_ms", 0.6, "le"),
        ("Rasa server memory ≤ 0.7× reference (after the load)", "ratio", "memory.rasa_after_load_mb", 0.7, "le"),
    ]
    out = []
    for label, _kind, key, limit, _op in checks:
        value = ratio(lookup(ours, key), lookup(ref, key))
        out.append(_target(label, value, None if value is None else value <= limit, "×"))
    tput = ratio(lookup(ten_ours, "messages_per_second"), lookup(ten_ref, "messages_per_second"))
    errors = lookup(ten_ours, "errors")
    empty = lookup(ten_ours, "empty_replies")
    holds = None if tput is None or errors is None else (tput >= 1.5 and errors == 0 and not empty)
    out.append(_target("throughput at 10 conversations ≥ 1.5× reference, zero errors", tput, holds, "×"))
    ready = lookup(ours, "ready_s")
    out.append(_target("ready ≤ 10 s after start", ready, None if ready is None else ready <= 10, " s"))
    train = lookup(ours, "training.seconds")
    out.append(_target("full training ≤ 3 min", train, None if train is None else train <= 180, " s"))
    retrain = result.get("script_edit_retrains")
    out.append(
        _target(
            "a script's wording or link change needs no retraining",
            "retrains" if retrain else "no retraining",
            None if retrain is None else not retrain,
            "",
        )
    )
    return out


def _target(label: str, value: Any, holds: Optional[bool], unit: str) -> Dict[str, Any]:
    return {"target": label, "value": value, "unit": unit, "holds": holds}


def render_targets(checks: List[Dict[str, Any]]) -> str:
    lines = []
    for check in checks:
        mark = {True: "holds", False: "DOES NOT HOLD", None: "not measured"}[check["holds"]]
        value = "n/a" if check["value"] is None else f"{_fmt(check['value'])}{check['unit']}"
        lines.append(f"- {check['target']}: {value} — {mark}")
    return "\n".join(lines)


def plot(result: Dict[str, Any], path: Path) -> Path:
    """Latency (median and p95) and throughput against concurrency, both bots."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.2))
    styles = {
        "ours": ("tab:blue", "this assistant (with its action server)"),
        "reference": ("tab:gray", "stock rasa init"),
    }
    for name, figures in result["bots"].items():
        if not figures or not figures.get("levels"):
            continue
        color, label = styles.get(name, ("tab:red", name))
        levels = [e for e in figures["levels"] if e["median_ms"] is not None]
        xs = [e["concurrency"] for e in levels]
        left.plot(xs, [e["median_ms"] for e in levels], "o-", color=color, label=f"{label}, median")
        left.plot(xs, [e["p95_ms"] for e in levels], "s--", color=color, alpha=0.6, label=f"{label}, p95")
        right.plot(xs, [e["messages_per_second"] for e in levels], "o-", color=color, label=label)
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xlabel("concurrent conversations")
        axis.set_xticks(result["settings"]["levels"])
        axis.set_xticklabels([str(c) for c in result["settings"]["levels"]])
        axis.grid(True, alpha=0.3)
    left.set_ylabel("time per message (ms)")
    left.set_title("Latency against concurrency")
    left.legend(fontsize=7)
    right.set_ylabel("messages per second")
    right.set_title("Throughput against concurrency")
    right.legend(fontsize=7)
    fig.suptitle(
        f"REST channel, loopback; {result['machine']['summary']}; {result['finished_at'][:16]} UTC", fontsize=9
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
