"""Side-by-side benchmark: this assistant against the stock `rasa init` bot.

Run it with `make bench` (or `python -m launcher bench [options]`). It trains
what is missing (the reference once, cached), starts each bot on free loopback
ports, and measures both the same way over the REST channel:

1. start to ready, and start to the first reply;
2. a warm-up, then resident memory of each server;
3. time per message, one conversation at a time (median, p95, p99);
4. messages per second and latency at 1, 10 and 50 concurrent conversations,
   with errors and empty replies counted;
5. more conversations at 10 at a time until the total reaches 5,000 messages,
   then resident memory again.

Each bot starts alone; then both stay up and take slices of each timed phase
in turn (see ``measure``), so that both meet the same load of a shared machine.

It prints a table with each of our figures as a ratio to the reference's, and
writes bench/results/benchmark.json, benchmark.md and benchmark.png.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any, Dict, List, Optional

from bench import insights as insights_bench
from bench import live as live_bench
from bench import report
from bench import review as review_bench
from bench.bots import OurBot, ReferenceBot, rss_mb
from bench.load import PhaseResult, Talker, run_phase
from bench.training import ROOT, Training, our_training, reference_training
from launcher import model as model_mod

DEFAULT_OUT = ROOT / "bench" / "results"


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the JSON, table and plot")
    parser.add_argument("--sequential", type=int, default=300, help="messages timed one conversation at a time")
    parser.add_argument("--per-level", type=int, default=600, help="messages at each concurrency level")
    parser.add_argument("--levels", default="1,10,50", help="concurrency levels, comma-separated")
    parser.add_argument("--total", type=int, default=5000, help="messages per bot before memory is read again")
    parser.add_argument("--warmup", type=int, default=20, help="messages sent before the first memory reading")
    parser.add_argument("--phase-seconds", type=float, default=180.0, help="time limit of each phase and bot")
    parser.add_argument(
        "--rounds", type=int, default=10, help="slices of each timed phase, the bots taking turns (see measure)"
    )
    parser.add_argument("--ready-timeout", type=float, default=300.0, help="time limit for a server to start")
    parser.add_argument("--no-reference", action="store_true", help="measure this assistant only (no ratios)")
    parser.add_argument("--no-training", action="store_true", help="no training time (use the model there is)")
    parser.add_argument("--retrain", action="store_true", help="measure both training times again, not from cache")
    parser.add_argument("--smoke", action="store_true", help="tiny counts, this assistant only, no training")
    parser.add_argument("--skip-review", action="store_true", help="no review-tab figures (bench/review.py)")
    parser.add_argument("--skip-insights", action="store_true", help="no insights benchmark (bench/insights.py)")
    parser.add_argument("--skip-live", action="store_true", help="no live-desk benchmark (bench/live.py)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.no_reference = args.no_training = True
        args.sequential, args.per_level, args.levels = 5, 4, "1,2"
        args.total, args.warmup, args.phase_seconds, args.rounds = 30, 2, 30.0, 2
    try:
        args.levels = sorted({int(x) for x in args.levels.split(",") if x.strip()})
    except ValueError:
        parser.error(f"--levels must be comma-separated whole numbers, not {args.levels!r}")
    for name in ("sequential", "per_level", "total", "warmup", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not args.levels or args.levels[0] < 1 or args.levels[-1] > 200:
        parser.error("--levels must be between 1 and 200 conversations")
    return args


def machine() -> Dict[str, Any]:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = None
    try:
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory_gb = round(kb / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        pass
    cores = os.cpu_count()
    return {
        "cores": cores,
        "memory_gb": memory_gb,
        "cpu": cpu,
        "python": platform.python_version(),
        "rasa": metadata.version("rasa"),
        "rasa_sdk": metadata.version("rasa-sdk"),
        "summary": f"{cores} cores, {memory_gb} GB, {cpu}, Rasa {metadata.version('rasa')}",
        "load_average_before": list(os.getloadavg()),
    }


def script_edit_retrains() -> bool:
    """Does changing a script's wording or link change the model's fingerprint?"""
    with tempfile.TemporaryDirectory() as tmp:
        root = model_mod.copy_inputs(Path(tmp), ROOT)
        before = model_mod.fingerprint(root)
        library = root / "toolkit" / "client_toolkit.yml"
        library.write_text(library.read_text().replace("click here", "click this link") + "\n# edited\n")
        return model_mod.fingerprint(root) != before


def memory(pids: Dict[str, int]) -> Dict[str, Optional[float]]:
    return {name: rss_mb(pid) for name, pid in pids.items()}


class Run:
    """One bot under test: its talker, what it was sent and what was measured."""

    def __init__(self, bot, training: Optional[Training]) -> None:
        self.bot = bot
        self.training = training
        self.talker = Talker(bot.url, bot.conversations, issued_ids=bot.issues_conversation_ids)
        self.sent = 0
        self.figures: Dict[str, Any] = {"levels": [], "memory": {}, "soak": None}

    def start(self, args: argparse.Namespace) -> None:
        """Start the bot alone (nothing else under load) and time it to ready and to a first reply."""
        print(f"==> {self.bot.name}: starting", flush=True)
        started = time.monotonic()
        self.bot.start()
        self.bot.wait_until_ready(args.ready_timeout)
        ready = time.monotonic() - started
        first = self.phase(1, 1, args.ready_timeout)
        first_reply = time.monotonic() - started
        if first.errors or first.empty:
            raise RuntimeError(f"{self.bot.name}: the first message got no reply: {first.summary()}")
        print(f"    ready {ready:.1f} s, first reply {first_reply:.1f} s after start", flush=True)
        self.figures.update(ready_s=round(ready, 2), first_reply_s=round(first_reply, 2))

    def phase(self, concurrency: int, messages: int, max_seconds: float) -> PhaseResult:
        result = run_phase(self.talker, concurrency, messages, max_seconds)
        self.sent += result.sent
        return result

    def read_memory(self, when: str) -> None:
        for name, value in memory(self.bot.pids()).items():
            self.figures["memory"][f"{name}_{when}_mb"] = value

    def result(self) -> Dict[str, Any]:
        return {
            **self.figures,
            "messages_sent": self.sent,
            "training": self.training.to_dict() if self.training else None,
        }


def measure(runs: List[Run], args: argparse.Namespace) -> None:
    """Start each bot alone, then load them in turns.

    Both servers stay up; while one is under load the other idles. Each timed
    phase is cut into ``--rounds`` slices and the bots take the slices in turn
    (ours, reference, reference, ours, ...), so both meet the same moments of a
    shared machine's load and the ratios do not drift with it. A phase's
    figures are those of all its slices together.
    """
    for run in runs:
        run.start(args)
    for run in runs:
        run.phase(1, args.warmup, args.phase_seconds)
        run.read_memory("after_warmup")

    def in_turns(concurrency: int, messages: int, rounds: int) -> Dict[str, PhaseResult]:
        results = {run.bot.name: PhaseResult(concurrency=concurrency) for run in runs}
        rounds = max(1, min(rounds, messages))
        for number in range(rounds):
            share = messages // rounds + (1 if number < messages % rounds else 0)
            for run in runs if number % 2 == 0 else list(reversed(runs)):
                results[run.bot.name].add(run.phase(concurrency, share, args.phase_seconds / rounds))
        for run in runs:
            print(f"    {run.bot.name:>9}, {concurrency:>3} at once: {_line(results[run.bot.name])}", flush=True)
        return results

    print("    one conversation at a time:", flush=True)
    for name, result in in_turns(1, args.sequential, args.rounds).items():
        next(r for r in runs if r.bot.name == name).figures["sequential"] = result.summary()
    for concurrency in args.levels:
        # Fewer, longer slices with many conversations, so that filling up and
        # draining each slice stays a small part of it.
        rounds = max(1, min(args.rounds, args.per_level // (4 * concurrency)))
        for name, result in in_turns(concurrency, args.per_level, rounds).items():
            next(r for r in runs if r.bot.name == name).figures["levels"].append(result.summary())

    for run in runs:
        if run.sent < args.total:
            phase = run.phase(min(10, args.levels[-1]), args.total - run.sent, max(args.phase_seconds, 600.0))
            run.figures["soak"] = phase.summary()
            print(f"    {run.bot.name:>9}, on to {run.sent} messages: {_line(phase)}", flush=True)
        run.read_memory("after_load")


def _line(phase: PhaseResult) -> str:
    s = phase.summary()
    return (
        f"{s['messages']} messages, {s['messages_per_second']} msg/s, median {s['median_ms']} ms, "
        f"p95 {s['p95_ms']} ms, errors {s['errors']}, empty {s['empty_replies']}"
    )


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    out: Path = args.out
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(timezone.utc)
    result: Dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "settings": {
            "sequential": args.sequential,
            "per_level": args.per_level,
            "levels": args.levels,
            "total_messages": args.total,
            "warmup": args.warmup,
            "phase_seconds": args.phase_seconds,
            "channel": "REST, loopback",
        },
        "bots": {},
    }
    ours_training = None if args.no_training else our_training(logs / "ours-training.log", retrain=args.retrain)
    ref_training = None
    if not args.no_reference:
        ref_training = reference_training(logs / "reference-training.log", retrain=args.retrain)
    for training, name in ((ours_training, "ours"), (ref_training, "reference")):
        if training:
            origin = f"cached, measured {training.measured_at}" if training.cached else "measured now"
            print(f"==> {name}: full training {training.seconds:.1f} s ({origin})", flush=True)
    result["script_edit_retrains"] = script_edit_retrains()
    result["review"] = None if args.skip_review else review_bench.run(500 if args.smoke else 10_000, out)

    model = Path(ours_training.model) if ours_training else model_mod.current_model()
    if model is None:
        raise SystemExit("error: no current model of this assistant: run `make setup` first")
    with tempfile.TemporaryDirectory(prefix="bench-state-") as state:
        runs = [Run(OurBot(model, Path(state), logs), ours_training)]
        if ref_training:
            project = Path(ref_training.model).parent.parent
            runs.append(Run(ReferenceBot(project, Path(ref_training.model), logs), ref_training))
        try:
            measure(runs, args)
        finally:
            for run in runs:
                run.bot.stop()
    result["bots"] = {"ours": runs[0].result(), "reference": runs[1].result() if len(runs) > 1 else None}

    result["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    result["machine"]["load_average_after"] = list(os.getloadavg())
    result["table"] = report.table_rows(result)
    result["targets"] = report.targets(result)
    table = report.render_table(result)
    target_text = report.render_targets(result["targets"])
    header = (
        f"Benchmark {result['finished_at'][:16]} UTC on {result['machine']['summary']}\n"
        f"command: {result['command']}\n"
        f"load average before/after: {_loads(result['machine'])}\n"
    )
    notes = []
    for name, figures in result["bots"].items():
        training = (figures or {}).get("training")
        if training and training.get("cached"):
            notes.append(f"{name}: training time from the cache, measured {training['measured_at']}")
    text = header + "\n" + table + "\n\nTargets:\n" + target_text + "\n" + "".join(f"\nnote: {n}" for n in notes)
    print("\n" + text, flush=True)
    (out / "benchmark.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (out / "benchmark.md").write_text(text + "\n")
    png = report.plot(result, out / "benchmark.png")
    print(f"\n==> wrote {out / 'benchmark.json'}, {out / 'benchmark.md'} and {png}")
    if not args.skip_insights:
        insights_bench.run(1000 if args.smoke else 100_000)
    if not args.skip_live:  # 50 agent pages and 200 conversations, paced then all at once; a smoke run 5 and 20
        load = live_bench.Load(5, 20, ramp=1.0, pause=(0.2, 0.5)) if args.smoke else live_bench.Load()
        for each in (load, load.burst()):
            live_bench.run(each, log_dir=logs)
    return 0


def _loads(info: Dict[str, Any]) -> str:
    before = "/".join(f"{x:.2f}" for x in info["load_average_before"])
    after = "/".join(f"{x:.2f}" for x in info.get("load_average_after", []))
    return f"{before} → {after}"


if __name__ == "__main__":
    sys.exit(main())
