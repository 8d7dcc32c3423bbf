"""Load and faults on a running assistant: many conversations at once, the action
server down and back, the database down and back."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

import pytest

from handover.store import HandOverStore
from tests.helpers.conversations import new_conversation, plain_id, post_json, say
from tests.helpers.servers import local_settings, running_assistant
from tests.helpers.services import TcpProxy, throwaway_postgres_database
from tests.helpers.socketio_client import ChatClient

pytestmark = pytest.mark.e2e

OPERATOR_TOKEN = "rel-operator-" + uuid.uuid4().hex
FIGURES: dict = {}
CONVERSATIONS = 50
MESSAGES = 20
# Clear messages that never hand over, so every one of them must get a reply.
SAFE_MESSAGES = [
    "hi",
    "what if my freelancer stops answering",
    "how do i pause a contract",
    "hello there",
    "what happens if the freelancer stops responding",
    "how to pause my contract",
    "what if my freelancer doesn't do the work",
    "how can I pause an hourly contract?",
    "good morning",
    "what if the freelancer doesn't reply to my messages",
    "where is the pause button",
    "what can i do if a freelancer ghosts me",
    "how do i put a contract on hold",
    "hey there",
    "what if the freelancer disappears in the middle of the project",
    "can i put my contract on hold",
    "what if my freelancer goes silent",
    "how do I suspend a contract temporarily",
    "hi there",
    "what happens if my contractor just vanishes after i pay",
    "how to temporarily stop billing on an hourly contract",
]
HANDOVER_TEXT = "passed this conversation to our support team"  # every variant of the hand-over message
WHAT_IF_START = "If at any point you have any concerns"


def operator_get(settings, path):
    return post_json(f"{settings.rasa_url}{path}", headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"})


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return local_settings(tmp_path_factory.mktemp("state"), operator_token=OPERATOR_TOKEN)


async def test_50_conversations_of_20_messages_at_once_keep_order_and_lose_nothing(assistant, settings, log_dir):
    import aiohttp

    url = f"{settings.rasa_url}/webhooks/rest/webhook"
    tokens = [new_conversation(settings.rasa_url) for _ in range(CONVERSATIONS)]
    sent = {
        token: [SAFE_MESSAGES[(i + k) % len(SAFE_MESSAGES)] for k in range(MESSAGES)] for i, token in enumerate(tokens)
    }
    latencies: list = []
    problems: list = []

    async def client(session, token):
        for text in sent[token]:
            started = time.monotonic()
            async with session.post(url, json={"sender": token, "message": text}) as response:
                body = await response.json(content_type=None)
                latencies.append(time.monotonic() - started)
                if response.status != 200 or not body or not all(r.get("text") or r.get("buttons") for r in body):
                    problems.append(f"{text!r}: {response.status} {body!r:.200}")

    started = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=900)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=CONVERSATIONS)) as session:
        await asyncio.gather(*(client(session, token) for token in tokens))
    seconds = time.monotonic() - started

    total = CONVERSATIONS * MESSAGES
    FIGURES.update(
        {
            "load": f"{CONVERSATIONS} conversations x {MESSAGES} messages at once over REST",
            "load messages answered": f"{total - len(problems)}/{total}",
            "load seconds": round(seconds, 1),
            "load messages per second": round(total / seconds, 1),
            "load reply time median / p95 / max (s)": " / ".join(
                f"{v:.2f}"
                for v in (statistics.median(latencies), statistics.quantiles(latencies, n=20)[-1], max(latencies))
            ),
        }
    )
    assert not problems, f"{len(problems)} bad replies, e.g. {problems[:5]}"

    # In the tracker store: each conversation whole, in order, nothing twice, a reply after each message.
    broken = []
    for token in tokens:
        status, tracker = operator_get(settings, f"/conversations/{plain_id(token)}/tracker")
        assert status == 200
        events = tracker["events"]
        users = [e for e in events if e["event"] == "user"]
        if [e["text"] for e in users] != sent[token]:
            broken.append(f"{plain_id(token)}: order or count differs")
        if len({e["message_id"] for e in users}) != len(users):
            broken.append(f"{plain_id(token)}: a message stored twice")
        kinds = [e["event"] for e in events if e["event"] in ("user", "bot")]
        unanswered = sum(1 for a, b in zip(kinds, kinds[1:] + ["end"], strict=False) if a == "user" and b != "bot")
        if unanswered:
            broken.append(f"{plain_id(token)}: {unanswered} messages without a bot event after them")
    FIGURES["load conversations whole and in order in the tracker store"] = (
        f"{CONVERSATIONS - len(broken)}/{CONVERSATIONS}"
    )
    assert not broken, broken[:5]
    log = (log_dir / "rasa.log").read_text(errors="replace")
    lock_trouble = [
        line
        for line in log.splitlines()
        if "lock" in line.lower() and ("error" in line.lower() or "warn" in line.lower())
    ]
    assert not lock_trouble, lock_trouble[:3]


def test_action_server_down_calm_reply_and_hand_over_then_back_without_restarting_rasa(assistant, settings):
    rasa_pid = assistant.processes["rasa"].pid
    assistant.stop_server("actions")
    try:
        conversation = new_conversation(settings.rasa_url)
        replies = say(settings.rasa_url, conversation, "my freelancer stopped answering and keeps logging hours")
        texts = " ".join(r.get("text", "") for r in replies)
        assert "can't fetch that answer right now" in texts
        assert any(b["payload"] == "/request_human" for r in replies for b in r.get("buttons", []))
        replies = say(settings.rasa_url, conversation, "/request_human")  # the button
        assert HANDOVER_TEXT in replies[0]["text"]
        store = HandOverStore(settings.handover_db_url)
        record = store.open_for(plain_id(conversation))
        store.dispose()
        assert record is not None and record.status == "waiting"
        assert record.transcript[0]["text"] == "my freelancer stopped answering and keeps logging hours"
        status, tracker = operator_get(settings, f"/conversations/{plain_id(conversation)}/tracker")
        assert tracker["paused"] is True
        FIGURES["action server down"] = "calm reply with the offer of a person; hand-over stored from the Rasa server"
    finally:
        assistant.start_server("actions")
        assistant.wait_until_ready()
    assert assistant.processes["rasa"].pid == rasa_pid
    replies = say(settings.rasa_url, new_conversation(settings.rasa_url), "what if my freelancer ghosts me?")
    assert replies[0]["text"].startswith(WHAT_IF_START)
    FIGURES["action server back"] = "normal replies, Rasa not restarted"


async def refusal_over_socketio(rasa_url: str, text: str) -> dict:
    async with ChatClient(rasa_url) as chat:
        await chat.say(text)
        kind, data = await chat.next_event()
        assert kind == "rejected", data
        return data


def test_database_down_is_a_clear_error_then_service_recovers(tmp_path):
    import sqlalchemy as sa

    with throwaway_postgres_database() as db_url:
        target = sa.engine.make_url(db_url)
        proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432)
        proxy.start()
        tracker_url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = local_settings(tmp_path / "state", tracker_db_url=tracker_url, operator_token=OPERATOR_TOKEN)
        try:
            with running_assistant(settings, tmp_path / "logs"):
                conversation = new_conversation(settings.rasa_url)
                say(settings.rasa_url, conversation, "hi")

                proxy.stop()  # the database is gone
                url = f"{settings.rasa_url}/webhooks/rest/webhook"
                outcomes = [
                    post_json(url, {"sender": conversation, "message": "what if my freelancer ghosts me?"})
                    for _ in range(3)
                ]
                for status, body in outcomes:
                    assert status == 503, body
                    assert "conversation store is unavailable" in body["error"] and body["incident"]
                # socket.io goes through the same funnel: the same refusal, with its incident id
                refused = asyncio.run(refusal_over_socketio(settings.rasa_url, "what if my freelancer ghosts me?"))
                assert refused["status"] == 503 and "conversation store is unavailable" in refused["error"]
                log = (tmp_path / "logs" / "rasa.log").read_text(errors="replace")
                assert "the conversation store failed" in log
                for incident in [body["incident"] for _, body in outcomes] + [refused["incident"]]:
                    assert f"incident {incident}: a backing service is down" in log
                assert "Falling back to use the 'InMemoryTrackerStore'" not in log

                proxy.start()  # the database is back
                deadline = time.monotonic() + 30
                while True:
                    status, replies = post_json(
                        url, {"sender": conversation, "message": "what if my freelancer ghosts me?"}
                    )
                    if status == 200 or time.monotonic() > deadline:
                        break
                    time.sleep(1)
                assert status == 200 and replies[0]["text"].startswith(WHAT_IF_START)
                # nothing was forgotten and the refused messages left no trace
                status, tracker = operator_get(settings, f"/conversations/{plain_id(conversation)}/tracker")
                users = [e["text"] for e in tracker["events"] if e["event"] == "user"]
                assert users == ["hi", "what if my freelancer ghosts me?"]
                FIGURES["database down"] = "503 with an incident id and a log line, no in-memory fallback"
                FIGURES["database back"] = "served again, history intact, no restart"
        finally:
            proxy.stop()
