"""Delivery of hand-overs to an external help desk (desk/webhook.py) against a desk on loopback."""

from __future__ import annotations

import json
import time

import aiohttp
import pytest
from aiohttp import web

from handover import webhook
from handover.records import HandOver
from handover.store import HandOverStore
from settings.desk import DeskSettings
from tests.helpers.servers import free_port

SECRET = "desk-shared-secret-0123456789"


class FakeDesk:
    """A help desk that answers with the given statuses in turn, then 200."""

    def __init__(self, statuses=()):
        self.statuses = list(statuses)
        self.received = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append((dict(request.headers), body))
        status = self.statuses.pop(0) if self.statuses else 200
        return web.json_response({"ok": status < 300}, status=status)


@pytest.fixture
async def desk_server():
    servers = []

    async def start(desk):
        app = web.Application()
        app.router.add_post("/hooks/assistant", desk.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        servers.append(runner)
        return f"http://127.0.0.1:{port}/hooks/assistant"

    yield start
    for runner in servers:
        await runner.cleanup()


@pytest.fixture
def store(tmp_path):
    store = HandOverStore(f"sqlite:///{tmp_path / 'handovers.db'}")
    yield store
    store.dispose()


def handover(store, cid="conv-out-1"):
    record = HandOver(
        conversation_id=cid,
        reason="client_asked_for_person",
        transcript=[{"from": "client", "text": "my freelancer vanished, a human please", "time": None}],
        intent="report_freelancer_concern",
        confidence=0.93,
        concern="unresponsive,hours_billing",
        contract_type="hourly",
        macro_id="cs_client_toolkit",
        script_sent="pause_script_specific_concern",
        link_sent="https://support.upwork.com/hc/en-us/articles/211062218",
        kb_title="Client Contract Issues Best Practices",
        kb_section="Client Contract Issues Best Practices",
        priority="normal",
    )
    stored, _ = store.create_or_get_open(record, webhook.handover_payload)
    return stored


def settings_for(url):
    return DeskSettings(webhook_url=url, webhook_secret=SECRET, retry_base_seconds=0.05, retry_cap_seconds=0.2)


def test_a_signature_verifies_only_for_its_body_secret_and_time():
    body = b'{"a": 1}'
    header = webhook.sign(SECRET, body)
    assert webhook.verify(SECRET, header, body)
    assert not webhook.verify(SECRET, header, b'{"a": 2}')
    assert not webhook.verify("another-secret-0123456789", header, body)
    stale = webhook.sign(SECRET, body, timestamp=int(time.time()) - 3600)
    assert not webhook.verify(SECRET, stale, body)
    assert not webhook.verify(SECRET, "garbage", body)


def test_back_off_doubles_and_is_capped():
    settings = DeskSettings(retry_base_seconds=5, retry_cap_seconds=900)
    delays = [webhook.retry_delay(settings, n) for n in range(12)]
    assert 4 <= delays[0] <= 6 and 8 <= delays[1] <= 12 and 16 <= delays[2] <= 24
    assert max(delays) <= 900 * 1.2


async def test_a_hand_over_reaches_the_desk_signed_with_what_the_agent_needs(store, desk_server):
    desk = FakeDesk()
    url = await desk_server(desk)
    stored = handover(store)
    async with aiohttp.ClientSession() as session:
        assert await webhook.deliver_due(store, settings_for(url), session) == 1
    headers, body = desk.received[0]
    assert webhook.verify(SECRET, headers[webhook.SIGNATURE_HEADER], body)
    payload = json.loads(body)
    assert headers[webhook.DELIVERY_HEADER] == payload["delivery_id"]
    assert payload["event"] == "handover.created"
    assert payload["handover"]["id"] == stored.id and payload["handover"]["priority"] == "normal"
    assert payload["conversation"] == {"id": "conv-out-1", "transcript": stored.transcript}
    assert payload["intent"] == {"name": "report_freelancer_concern", "confidence": 0.93}
    assert payload["concern"] == ["unresponsive", "hours_billing"]
    assert payload["macro_sent"]["script"] == "pause_script_specific_concern"
    assert payload["kb_reference"]["title"] == "Client Contract Issues Best Practices"


async def test_a_desk_that_is_down_gets_the_hand_over_once_it_is_back(store, desk_server, caplog):
    stored = handover(store)
    dead = f"http://127.0.0.1:{free_port()}/hooks/assistant"  # nothing listens there
    async with aiohttp.ClientSession() as session:
        assert await webhook.deliver_due(store, settings_for(dead), session) == 0
        [item] = store.outbox.items(stored.id)
        assert item.attempts == 1 and item.delivered_at is None
        assert "could not reach the help desk at 127.0.0.1" in item.last_error
        assert "next try in" in caplog.text

        desk = FakeDesk(statuses=[503, 500])  # back, but failing twice more
        url = await desk_server(desk)
        delivered = 0
        deadline = time.monotonic() + 10
        while not delivered and time.monotonic() < deadline:
            delivered = await webhook.deliver_due(store, settings_for(url), session)
        assert delivered == 1
        # nothing left to send: later passes deliver nothing again
        time.sleep(0.3)
        assert await webhook.deliver_due(store, settings_for(url), session) == 0
    delivery_ids = {json.loads(body)["delivery_id"] for _, body in desk.received}
    assert len(desk.received) == 3 and len(delivery_ids) == 1  # the same delivery each time
    [item] = store.outbox.items(stored.id)
    assert item.delivered_at is not None and item.attempts == 4


async def test_without_a_webhook_nothing_is_queued_or_sent(store, monkeypatch):
    monkeypatch.setenv("HANDOVER_WEBHOOK_URL", "https://desk.example.com/hook")
    assert webhook.enabled()
    monkeypatch.delenv("HANDOVER_WEBHOOK_URL")
    assert not webhook.enabled()
    stored = handover(store)  # queued while a desk was configured, then the desk was turned off
    async with aiohttp.ClientSession() as session:
        assert await webhook.deliver_due(store, DeskSettings(), session) == 0
    [item] = store.outbox.items(stored.id)
    assert item.attempts == 0 and item.delivered_at is None  # kept, for when a desk is configured again
