"""Slowing down wrong agent tokens: per client address, and per agent named.

A wrong token at ``/agent/login`` or in an ``Authorization: Bearer`` header is
a failure of the caller's address and of the agent it claimed to be (the
log-in form's optional ``agent`` field; a bare token names nobody, so those
failures count toward one desk-wide pool, ``ANY_AGENT``). After
``max_failures`` within ``window`` seconds, the address is refused with 429
and ``Retry-After`` for ``base_block`` seconds, doubling with each further
failure while they continue (up to ``max_block``); it starts afresh once a
whole window passes with no failure.

The per-agent limit must not lock the real agent out: when an agent (or the
pool) is over its limit, only addresses that failed themselves recently are
refused; an address with no failure of its own (the agent at a fresh address)
is still checked, and a right token works. An attacker spread over many
addresses thus gets one guess per address per window instead of five.

Each failure is logged with the address and the agent claimed, never the
token. Kept in memory, per replica (with N replicas behind a balancer an
address gets up to N times the failures); the map is bounded.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable, Deque, Optional

from sanic.exceptions import SanicException
from sanic.request import Request

logger = logging.getLogger(__name__)

ANY_AGENT = "*"  # the pool of failures that name no agent
MAX_TRACKED = 10_000  # addresses and agents remembered at most (the oldest go first)


class TooManyAttempts(SanicException):
    """429 with Retry-After: too many wrong tokens from this address (or for this agent)."""

    status_code = 429
    quiet = True

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed log-ins: try again in {retry_after} s")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass
class _Record:
    failures: Deque[float] = field(default_factory=deque)
    level: int = 0  # how many blocks in a row; each doubles the next
    blocked_until: float = 0.0


class LoginLimiter:
    def __init__(
        self,
        max_failures: int = 5,
        window: float = 300.0,
        base_block: float = 60.0,
        max_block: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.base_block = base_block
        self.max_block = max_block
        self.clock = clock
        self._addresses: OrderedDict[str, _Record] = OrderedDict()
        self._agents: OrderedDict[str, _Record] = OrderedDict()

    def retry_after(self, address: str, agent: str = ANY_AGENT) -> Optional[int]:
        """Seconds ``address`` must wait before trying a token (for ``agent``), or None to go ahead."""
        now = self.clock()
        mine = self._fresh(self._addresses, address, now)
        if mine is not None and mine.blocked_until > now:
            return math.ceil(mine.blocked_until - now)
        theirs = self._fresh(self._agents, agent, now)
        if theirs is not None and theirs.blocked_until > now and mine is not None and mine.failures:
            return math.ceil(theirs.blocked_until - now)  # only for addresses that failed themselves
        return None

    def check(self, address: str, agent: str = ANY_AGENT) -> None:
        """Raise ``TooManyAttempts`` when ``address`` must wait."""
        wait = self.retry_after(address, agent)
        if wait is not None:
            logger.warning("an agent token from %s refused for %d s: too many failed log-ins", address, wait)
            raise TooManyAttempts(wait)

    def failed(self, address: str, agent: str = ANY_AGENT, where: str = "log-in") -> None:
        now = self.clock()
        for book, key in ((self._addresses, address), (self._agents, agent)):
            self._fail(book, key, now)
        logger.warning(
            "agent %s with a wrong token from %s (agent %s)",
            where,
            address or "an unknown address",
            "not named" if agent == ANY_AGENT else repr(agent),
        )

    def succeeded(self, address: str) -> None:
        """A right token: the address's own failures are forgotten (an agent's pool stays)."""
        self._addresses.pop(address, None)

    def _fresh(self, book: OrderedDict[str, _Record], key: str, now: float) -> Optional[_Record]:
        record = book.get(key)
        if record is None:
            return None
        while record.failures and record.failures[0] <= now - self.window:
            record.failures.popleft()
        if not record.failures and record.blocked_until <= now:
            del book[key]  # a whole window without a failure: start afresh
            return None
        return record

    def _fail(self, book: OrderedDict[str, _Record], key: str, now: float) -> None:
        record = self._fresh(book, key, now) or _Record()
        book[key] = record
        book.move_to_end(key)
        while len(book) > MAX_TRACKED:
            book.popitem(last=False)
        record.failures.append(now)
        if len(record.failures) >= self.max_failures:
            block = min(self.max_block, self.base_block * 2**record.level)
            record.level += 1
            record.blocked_until = now + block


def address_of(request: Request) -> str:
    """The caller's address: the proxy's ``Forwarded`` one when Sanic is told to trust it, else the peer's."""
    try:
        forwarded = request.remote_addr
    except AttributeError:  # a request outside an app (tests): no proxy to trust
        forwarded = ""
    return forwarded or request.ip or ""
