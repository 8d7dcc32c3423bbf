"""What the running assistant does by itself: tell a client who waited too long what happens
next, and deliver hand-overs to an external help desk that is down, across a restart, once."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from handover import webhook
from handover.store import HandOverStore
from tests.helpers.agents import agent_env, call
from tests.helpers.conversations import new_conversation, plain_id
from tests.helpers.conversations import say as say_in
from tests.helpers.servers import free_port, local_settings, running_assistant

pytestmark = pytest.mark.e2e

SECRET = "desk-secret-" + uuid.uuid4().hex
WAIT_LIMIT = 3


class Desk(ThreadingHTTPServer):
    """A help desk on loopback that records what it receives."""

    def __init__(self, port):
        self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N802, N805 - http.server's names
                body = handler.rfile.read(int(handler.headers["Content-Length"]))
                self.received.append((dict(handler.headers), body))
                handler.send_response(202)
                handler.end_headers()

            def log_message(handler, *args):  # noqa: N805
                pass

        super().__init__(("127.0.0.1", port), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def wait_for(check, timeout=30.0, every=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    return check()


def test_a_long_wait_is_told_to_the_client_and_the_desk_gets_the_hand_over_once_it_is_up(tmp_path):
    desk_port = free_port()
    env = agent_env(
        HANDOVER_WAIT_LIMIT_SECONDS=str(WAIT_LIMIT),
        HANDOVER_WEBHOOK_URL=f"http://127.0.0.1:{desk_port}/hooks/assistant",
        HANDOVER_WEBHOOK_SECRET=SECRET,
        HANDOVER_WEBHOOK_RETRY_SECONDS="0.5",
    )
    settings = local_settings(tmp_path / "state", env=env)
    store = HandOverStore(settings.handover_db_url)
    try:
        with running_assistant(settings, tmp_path / "logs") as assistant:
            token = new_conversation(settings.rasa_url)
            sender = plain_id(token)
            say_in(settings.rasa_url, token, "my freelancer asked me to pay him outside the platform")
            say_in(settings.rasa_url, token, "a human please")
            record = store.open_for(sender)
            assert record.priority == "high"

            # nobody claims it: after the wait limit the client is told about the e-mail follow-up
            noted = wait_for(lambda: store.get(record.id).client_notified_at, timeout=WAIT_LIMIT + 20)
            assert noted, "the client was never told what happens next"
            record = store.get(record.id)
            assert record.follow_up == "email" and record.status == "waiting"
            assert store.events(record.id)[-1].kind == "timeout_notice"

            # the desk is down meanwhile: the delivery is retried, not lost
            failed = wait_for(lambda: (store.outbox.items(record.id) or [None])[0].attempts >= 2)
            assert failed
            [item] = store.outbox.items(record.id)
            assert item.delivered_at is None and "could not reach the help desk" in item.last_error
            assistant.stop()

        # the conversation shows the notice, once
        with running_assistant(settings, tmp_path / "logs2") as assistant:
            desk = Desk(desk_port)
            try:
                delivered = wait_for(lambda: store.outbox.items(record.id)[0].delivered_at, timeout=30)
                assert delivered, "the hand-over was not delivered after the desk came back"
                time.sleep(2)  # a few more passes of the worker: no second delivery
                assert len(desk.received) == 1
                headers, body = desk.received[0]
                assert webhook.verify(SECRET, headers[webhook.SIGNATURE_HEADER], body)
                payload = json.loads(body)
                assert payload["conversation"]["id"] == sender
                assert payload["handover"]["priority"] == "high"
                assert payload["concern"] == ["off_platform_payment"]
                assert payload["kb_reference"]["title"] == "Client Contract Issues Best Practices"
                assert [line["text"] for line in payload["conversation"]["transcript"] if line["from"] == "client"] == [
                    "my freelancer asked me to pay him outside the platform",
                    "a human please",
                ]
            finally:
                desk.shutdown()
                desk.server_close()

            token = {"Authorization": f"Bearer {env['ASSISTANT_AGENT_TOKENS'].split()[0].split(':', 1)[1]}"}
            status, detail, _ = call(f"{settings.rasa_url}/agent/api/handovers/{record.id}", headers=token)
            assert status == 200
            # the wait-limit notice (the hand-over message itself may promise the e-mail, if nobody joins soon)
            notices = [line for line in detail["transcript"] if "no agent could join" in (line["text"] or "")]
            assert len(notices) == 1 and f"reference #{record.id}" in notices[0]["text"]
            assert detail["follow_up"] == "email"
    finally:
        store.dispose()
