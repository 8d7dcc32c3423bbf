"""Benchmark of insights: the figures of 30 days over 100,000 seeded conversations, on SQLite and
PostgreSQL (printed, never a timed test), and what ``GET /metrics`` adds to a message.

Run alone: ``.venv/bin/python -m bench.insights [--conversations N] [--postgres URL]``.
The first answer also catches the copies of hand-overs and ratings up (``insights/sync.py``);
it is printed apart from the answers after it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional

from bench.insights_data import seed
from handover.schema import Database
from insights import figures, metrics
from insights.period import Period

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def time_insights(db: Database, conversations: int, repeats: int = 5) -> Dict[str, float]:
    now = datetime.now(timezone.utc)
    started = time.perf_counter()
    seed(db, conversations, 40, now)
    seeded = time.perf_counter() - started
    period = Period((now - timedelta(days=29)).date(), now.date())
    times: List[float] = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        result = figures.insights(db, period, now, timedelta(hours=24))
        times.append(time.perf_counter() - started)
    return {"seed_s": seeded, "first_s": times[0], "median_s": statistics.median(times[1:]),
            "max_s": max(times[1:]), "in_period": result["totals"]["conversations"]}  # fmt: skip


def time_metrics(samples: int = 20000) -> Dict[str, float]:
    """The per-message cost of the metrics (a timer and a counter) and of one scrape."""
    plain, counted = [], []
    for _ in range(samples):
        started = time.perf_counter()
        plain.append(time.perf_counter() - started)
        started = time.perf_counter()
        timer = metrics.Timer("bench")
        timer.done(answered=True)
        metrics.count_events([{"event": "user", "parse_data": {"intent": {"name": "greet"}}}])
        counted.append(time.perf_counter() - started)
    started = time.perf_counter()
    size = len(metrics.exposition())
    return {"p50_us": (statistics.median(counted) - statistics.median(plain)) * 1e6,
            "scrape_ms": (time.perf_counter() - started) * 1000, "scrape_bytes": size}  # fmt: skip


def postgres_database(admin_url: str):
    import uuid

    import sqlalchemy as sa

    name = f"bench_insights_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", future=True, connect_args={"connect_timeout": 3})
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url.render_as_string(hide_password=False), drop


def run(conversations: int = 100_000, postgres: Optional[str] = DEFAULT_POSTGRES) -> Dict[str, Dict[str, float]]:
    results: Dict[str, Dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'handovers.db'}")
        results["sqlite"] = time_insights(db, conversations)
        db.dispose()
    if postgres:
        try:
            url, drop = postgres_database(postgres)
        except Exception as e:  # noqa: BLE001 - no PostgreSQL here: say so and go on
            print(f"insights on PostgreSQL: skipped ({type(e).__name__}: {e})")
        else:
            db = Database(url)
            try:
                results["postgresql"] = time_insights(db, conversations)
            finally:
                db.dispose()
                drop()
    results["metrics"] = time_metrics()
    print(f"Insights of 30 days over {conversations:,} seeded conversations (40 days seeded):")
    for store in ("sqlite", "postgresql"):
        if store in results:
            r = results[store]
            print(f"  {store:<10} first answer {r['first_s']:.2f} s (catches the copies up), then median "
                  f"{r['median_s']:.2f} s, max {r['max_s']:.2f} s; {int(r['in_period']):,} in the period; "
                  f"seeding took {r['seed_s']:.1f} s")  # fmt: skip
    m = results["metrics"]
    print(f"  /metrics: {m['p50_us']:.1f} µs added to a message's p50 (timer and counters); "
          f"one scrape {m['scrape_ms']:.1f} ms, {int(m['scrape_bytes']):,} bytes")  # fmt: skip
    return results


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.insights", description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="an admin URL to make a throw-away database")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    run(args.conversations, None if args.no_postgres else args.postgres)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
