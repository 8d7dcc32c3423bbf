"""Benchmark of the live desk: how fast, and how surely, a client's message reaches every agent page.

One assistant (both servers, on free loopback ports, a throw-away state
folder); ``--pages`` agent-page sockets on the namespace ``/agents``, each with
its own ticket, as the page connects (``desk/live.py``); ``--conversations``
client conversations at once over REST, each handed over ("I want to talk to
a human") and then sending ``--messages`` messages into its hand-over, all at
the same time. Each page records when each ``client_message`` arrives; the
push latency is from just before the client's message is sent to its arrival
on a page (one clock: everything runs in this process), so it includes Rasa's
handling of the message; the push alone is also shown, from the time the
server took the message (the event's ``time``) to its arrival. Printed: p50,
p95 and max, and how many (message, page) pairs were lost or came twice;
likewise for ``handover_new`` (from sending "I want to talk to a human").

Run alone: ``.venv/bin/python -m bench.live [--pages 50] [--conversations 200]``,
or as a section of ``python -m bench``. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from launcher import model as model_mod
from launcher.servers import Assistant
from settings.launch import LaunchSettings

ASK = "I want to talk to a human"
AGENT_NAMES = [f"bench{n}" for n in range(5)]  # the pages share these agents, as colleagues' tabs would
LETTERS = str.maketrans("0123456789", "ghijklmnop")
SETTLE_SECONDS = 5.0  # after the last message, how long pages may still receive before counting


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Page:
    """One agent page's socket: what arrived, when."""

    def __init__(self, url: str, ticket: str) -> None:
        import socketio

        self.url, self.ticket = url, ticket
        self.client = socketio.AsyncClient(reconnection=False)
        self.messages: List[Tuple[str, float]] = []  # (text, arrival)
        self.after_funnel: List[float] = []  # ms from the server's taking the message (its "time") to arrival
        self.new: List[Tuple[str, float]] = []  # (conversation id, arrival)
        self.client.on("client_message", self._message, namespace="/agents")
        self.client.on("handover_new", self._new, namespace="/agents")

    def _message(self, data: Dict[str, Any]) -> None:
        self.messages.append((data.get("text") or "", time.monotonic()))
        with contextlib.suppress(TypeError, ValueError):
            self.after_funnel.append((time.time() - datetime.fromisoformat(data["time"]).timestamp()) * 1000)

    def _new(self, data: Dict[str, Any]) -> None:
        self.new.append(((data.get("handover") or {}).get("conversation_id") or "", time.monotonic()))

    async def connect(self) -> None:
        await self.client.connect(
            self.url,
            transports=["websocket"],
            socketio_path="/socket.io",
            namespaces=["/agents"],
            auth={"ticket": self.ticket},
            wait_timeout=30,
        )


async def _json(session: Any, method: str, url: str, **kwargs: Any) -> Tuple[int, Any]:
    async with session.request(method, url, **kwargs) as response:
        return response.status, await response.json(content_type=None)


async def _conversation(session: Any, url: str, index: int, messages: int, sent: Dict[str, float]) -> int:
    """One client: a conversation, a hand-over, then its messages; the number of refusals."""
    status, answer = await _json(session, "POST", f"{url}/webhooks/rest/conversations")
    if status != 201:
        return messages + 1
    token = answer["conversation_id"]
    errors = 0
    sent["new:" + token.split(".", 1)[0]] = time.monotonic()
    status, _ = await _json(session, "POST", f"{url}/webhooks/rest/webhook", json={"sender": token, "message": ASK})
    errors += status != 200
    for _ in range(messages):
        tag = uuid.uuid4().hex[:8].translate(LETTERS)  # no digits: nothing the privacy masking would change
        text = f"bench message {tag} of client {index}"
        sent[text] = time.monotonic()
        status, _ = await _json(
            session, "POST", f"{url}/webhooks/rest/webhook", json={"sender": token, "message": text}
        )
        errors += status != 200
    return errors


def _latencies(sent: Dict[str, float], arrived: List[List[Tuple[str, float]]]) -> Dict[str, Any]:
    """Latency (ms) of every (item, page) pair, and the pairs lost or received twice."""
    latencies: List[float] = []
    lost = duplicated = 0
    for items in arrived:
        counts = Counter(key for key, _ in items)
        first: Dict[str, float] = {}
        for key, at in items:
            first.setdefault(key, at)
        for key, at_sent in sent.items():
            if key not in first:
                lost += 1
            else:
                latencies.append((first[key] - at_sent) * 1000)
        duplicated += sum(n - 1 for key, n in counts.items() if key in sent and n > 1)
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else None  # noqa: E731
    return {
        "pairs": len(sent) * len(arrived),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": pick(0.95),
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "lost": lost,
        "duplicated": duplicated,
    }


async def _measure(url: str, tokens: Dict[str, str], pages: int, conversations: int, messages: int) -> Dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        open_pages = []
        for n in range(pages):
            name = AGENT_NAMES[n % len(AGENT_NAMES)]
            headers = {"Authorization": f"Bearer {tokens[name]}"}
            status, answer = await _json(session, "GET", f"{url}/agent/api/socket-ticket", headers=headers)
            if status != 200:
                raise SystemExit(f"error: no socket ticket for {name}: {status} {answer}")
            page = Page(url, answer["ticket"])
            await page.connect()
            open_pages.append(page)
        sent: Dict[str, float] = {}
        started = time.monotonic()
        errors = await asyncio.gather(*(_conversation(session, url, i, messages, sent) for i in range(conversations)))
        took = time.monotonic() - started
        await asyncio.sleep(SETTLE_SECONDS)
        for page in open_pages:
            await page.client.disconnect()
    message_sent = {k: v for k, v in sent.items() if not k.startswith("new:")}
    new_sent = {k[4:]: v for k, v in sent.items() if k.startswith("new:")}
    return {
        "pages": pages,
        "conversations": conversations,
        "messages_per_conversation": messages,
        "seconds_sending": round(took, 1),
        "client_errors": sum(errors),
        "client_message": _latencies(message_sent, [p.messages for p in open_pages]),
        "handover_new": _latencies(new_sent, [p.new for p in open_pages]),
        "after_funnel_ms": _spread([ms for p in open_pages for ms in p.after_funnel]),
    }


def _spread(values: List[float]) -> Dict[str, Optional[float]]:
    values = sorted(values)
    if not values:
        return {"p50": None, "p95": None, "max": None}
    return {
        "p50": round(statistics.median(values), 1),
        "p95": round(values[min(len(values) - 1, int(0.95 * len(values)))], 1),
        "max": round(values[-1], 1),
    }


def run(pages: int = 50, conversations: int = 200, messages: int = 3, log_dir: Optional[Path] = None) -> Dict[str, Any]:
    model = model_mod.current_model()
    if model is None:
        raise SystemExit("error: no current model of this assistant: run `make setup` first")
    tokens = {name: f"{name}-token-{uuid.uuid4().hex}" for name in AGENT_NAMES}
    with tempfile.TemporaryDirectory(prefix="bench-live-") as folder:
        state = Path(folder)
        settings = LaunchSettings(
            rasa_port=free_port(),
            action_port=free_port(),
            state_dir=state,
            handover_db_url=f"sqlite:///{state / 'handovers.db'}",
            env={"ASSISTANT_AGENT_TOKENS": " ".join(f"{n}:{t}" for n, t in tokens.items())},
        )
        assistant = Assistant(settings, model, log_dir=log_dir or state)
        try:
            assistant.start()
            assistant.wait_until_ready()
            result = asyncio.run(_measure(settings.rasa_url, tokens, pages, conversations, messages))
        finally:
            assistant.stop()
    print(
        f"Live desk: {pages} agent pages on one replica, {conversations} conversations at once, "
        f"{messages} messages each into their hand-overs ({result['seconds_sending']} s sending, "
        f"{result['client_errors']} client errors):"
    )
    for event in ("handover_new", "client_message"):
        r = result[event]
        print(
            f"  {event:<15} push latency p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms; "
            f"of {r['pairs']:,} (event, page) pairs {r['lost']} lost, {r['duplicated']} duplicated"
        )
    f = result["after_funnel_ms"]
    print(
        f"  client_message from the server taking it (its delivery funnel) to a page: "
        f"p50 {f['p50']} ms, p95 {f['p95']} ms, max {f['max']} ms"
    )
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=50, help="agent pages connected")
    parser.add_argument("--conversations", type=int, default=200, help="client conversations at once")
    parser.add_argument("--messages", type=int, default=3, help="messages each conversation sends into its hand-over")
    args = parser.parse_args(argv)
    for name in ("pages", "conversations", "messages"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    run(args.pages, args.conversations, args.messages)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
