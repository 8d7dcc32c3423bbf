"""The load generator: conversations over Rasa's REST channel, on loopback only.

Every loop here is bounded twice, by a message count and by a deadline, so a
slow or dead server ends a phase instead of hanging the benchmark.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence
from urllib.parse import urlparse

import aiohttp

REQUEST_TIMEOUT = 30.0  # seconds one message may take before it counts as an error
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass
class PhaseResult:
    """What one phase measured: every message's latency and what went wrong."""

    concurrency: int
    latencies: List[float] = field(default_factory=list)  # seconds, successful replies only
    errors: int = 0  # HTTP status other than 200, a timeout, a refused connection
    empty: int = 0  # 200 with no bot message at all
    seconds: float = 0.0  # wall time of the phase
    error_examples: List[str] = field(default_factory=list)

    def add(self, other: PhaseResult) -> None:
        """Take in another slice of the same phase (same concurrency)."""
        self.latencies.extend(other.latencies)
        self.errors += other.errors
        self.empty += other.empty
        self.seconds += other.seconds
        self.error_examples.extend(other.error_examples)

    @property
    def sent(self) -> int:
        return len(self.latencies) + self.errors + self.empty

    @property
    def throughput(self) -> float:
        """Messages per second that got a non-empty reply."""
        return len(self.latencies) / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> Dict[str, object]:
        return {
            "concurrency": self.concurrency,
            "messages": self.sent,
            "replied": len(self.latencies),
            "errors": self.errors,
            "empty_replies": self.empty,
            "seconds": round(self.seconds, 3),
            "messages_per_second": round(self.throughput, 2),
            "median_ms": ms(percentile(self.latencies, 50)),
            "p95_ms": ms(percentile(self.latencies, 95)),
            "p99_ms": ms(percentile(self.latencies, 99)),
            "error_examples": self.error_examples[:5],
        }


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """The q-th percentile by the nearest-rank method (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def ms(seconds: Optional[float]) -> Optional[float]:
    return None if seconds is None else round(seconds * 1000, 2)


def check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    if host not in LOOPBACK_HOSTS and not host.startswith("127."):
        raise ValueError(f"the benchmark only sends traffic to loopback, not to {host!r}")


class Talker:
    """Sends messages to one bot's REST webhook and times each reply."""

    def __init__(
        self, base_url: str, conversations: Sequence[Sequence[str]], run_id: str = "", issued_ids: bool = False
    ) -> None:
        check_loopback(base_url)
        # With issued_ids, each conversation first asks the server for its id (not timed),
        # as a real client of this assistant does; otherwise the sender is made up here.
        self.issue_url = f"{base_url}/webhooks/rest/conversations" if issued_ids else None
        if not conversations or not all(conversations):
            raise ValueError("at least one non-empty conversation script is needed")
        self.url = f"{base_url}/webhooks/rest/webhook"
        self.conversations = [list(c) for c in conversations]
        self.run_id = run_id or uuid.uuid4().hex[:8]
        self._numbers = itertools.count()

    async def say(self, session: aiohttp.ClientSession, sender: str, text: str, result: PhaseResult) -> None:
        started = time.perf_counter()
        try:
            async with session.post(self.url, json={"sender": sender, "message": text}) as response:
                body = await response.json(content_type=None) if response.status == 200 else None
                elapsed = time.perf_counter() - started
                if response.status != 200:
                    result.errors += 1
                    result.error_examples.append(f"HTTP {response.status} for {text!r}")
                elif not body:
                    result.empty += 1
                else:
                    result.latencies.append(elapsed)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as e:
            result.errors += 1
            result.error_examples.append(f"{type(e).__name__} for {text!r}: {e}")

    async def new_sender(self, session: aiohttp.ClientSession, number: int) -> Optional[str]:
        if self.issue_url is None:
            return f"bench-{self.run_id}-{number}"
        try:
            async with session.post(self.issue_url) as response:
                if response.status != 201:
                    return None
                return (await response.json())["conversation_id"]
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError):
            return None

    async def run(self, concurrency: int, messages: int, max_seconds: float) -> PhaseResult:
        """``concurrency`` conversations at once, each its messages one after the other.

        Stops after ``messages`` messages or ``max_seconds``, whichever comes first.
        """
        result = PhaseResult(concurrency=concurrency)
        budget = itertools.count()  # shared message counter across workers
        deadline = time.monotonic() + max_seconds
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
        connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)

        async def worker(session: aiohttp.ClientSession) -> None:
            while True:
                number = next(self._numbers)
                script = self.conversations[number % len(self.conversations)]
                sender = await self.new_sender(session, number)
                if sender is None:
                    result.errors += 1
                    result.error_examples.append("no conversation id from the server")
                    return
                for text in script:
                    if next(budget) >= messages or time.monotonic() > deadline:
                        return
                    await self.say(session, sender, text, result)

        started = time.perf_counter()
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started
        return result


def run_phase(talker: Talker, concurrency: int, messages: int, max_seconds: float) -> PhaseResult:
    return asyncio.run(talker.run(concurrency, messages, max_seconds))
