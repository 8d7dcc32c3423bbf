"""Insights on a running assistant: summary rows as clients talk, ratings over REST and
socket.io, the figures and CSV behind the Insights page, and GET /metrics."""

from __future__ import annotations

import asyncio
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

from handover.schema import client_ratings
from insights.keeper import SummaryKeeper
from tests.helpers.agents import AGENTS, agent_env, call
from tests.helpers.conversations import new_conversation, plain_id, say
from tests.helpers.servers import local_settings, running_assistant
from tests.helpers.socketio_client import ChatClient

pytestmark = pytest.mark.e2e

OPERATOR = "operator-token-" + uuid.uuid4().hex
METRICS = "metrics-token-" + uuid.uuid4().hex
CONCERN = "the freelancer I hired has gone silent for days"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("insights-state")
    settings = local_settings(state, operator_token=OPERATOR, env=agent_env(METRICS_TOKEN=METRICS))
    with running_assistant(settings, tmp_path_factory.mktemp("insights-logs")) as running:
        yield running.settings


def rated_rows(store):
    with store.engine.connect() as conn:
        return conn.execute(sa.select(client_ratings.c.step, client_ratings.c.helpful, client_ratings.c.comment)).all()


def rate(server, body):
    return call(f"{server.rasa_url}/webhooks/rest/rating", "POST", body)[:2]


def test_a_rest_answer_is_counted_and_can_be_rated_once_and_changed(server, store, alice):
    token = new_conversation(server.rasa_url)
    replies = say(server.rasa_url, token, CONCERN)
    marked = [r for r in replies if "rate" in r]
    assert len(marked) == 1 and "click here" in marked[0]["text"], replies  # the script, not the offer after it
    facts = SummaryKeeper(store).get(plain_id(token))
    assert facts is not None and facts.messages == 1 and facts.answers == 1
    assert facts.macros == {"toolkit_specific_concern": {"scripts": 1, "links": 1}}

    step = marked[0]["rate"]["step"]
    status, answer = rate(server, {"sender": token, "step": step, "helpful": True})
    assert status == 201 and answer["rating"]["helpful"] is True, answer
    status, answer = rate(server, {"sender": token, "step": step, "helpful": False, "comment": "mail me: a@b.example"})
    assert status == 201, answer
    assert rated_rows(store) == [(step.split(".")[0], False, "mail me: [email]")]

    totals = alice("GET", "/insights?period=7d")["totals"]
    assert totals["conversations"] == 1 and totals["outcomes"]["in_progress"] == 1
    assert totals["csat"]["bot_only"] == {"score": 0.0, "ratings": 1, "helpful": 0, "response_rate": 1.0}


def test_ratings_that_cannot_be_taken_get_a_clear_4xx_and_nothing_is_written(server, store):
    token, other = new_conversation(server.rasa_url), new_conversation(server.rasa_url)
    step = [r for r in say(server.rasa_url, token, CONCERN) if "rate" in r][0]["rate"]["step"]
    before = rated_rows(store)
    forged = plain_id(token) + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    cases = [
        ({"sender": forged, "step": step, "helpful": True}, 403, "not a conversation token"),
        ({"sender": other, "step": step, "helpful": True}, 403, "not a step this server offered"),
        ({"sender": token, "step": "answer:1.AAAAAAAAAAAAAAAAAAAAAA", "helpful": True}, 403, "not a step"),
        ({"sender": token, "step": step, "helpful": "yes"}, 400, "'helpful' must be true"),
        ({"sender": token, "step": step, "helpful": True, "comment": "x" * 501}, 400, "at most 500"),
        ({"sender": token, "step": step, "helpful": True, "comment": 5}, 400, "'comment' must be text"),
        (["not", "an", "object"], 400, "a rating is a JSON object"),
    ]
    for body, status, words in cases:
        got, answer = rate(server, body)
        assert got == status and words in answer["error"], (body, got, answer)
    got, answer = call(f"{server.rasa_url}/webhooks/rest/rating", "POST", raw=b"{not json")[:2]
    assert got == 400 and "not valid JSON" in answer["error"]
    assert rated_rows(store) == before


def test_the_widget_shape_marks_answers_and_a_resolution_and_takes_ratings_over_socketio(server, store, alice):
    async def chat():
        async with ChatClient(server.rasa_url) as client:
            saved: asyncio.Queue = asyncio.Queue()
            client.client.on("rating_saved", saved.put_nowait)
            await client.say(CONCERN)
            answer = await client.until(lambda m: "rate" in m)
            await client.emit("client_rating", {"session_id": client.token, "step": answer["rate"]["step"],
                                                "helpful": True})  # fmt: skip
            first = await asyncio.wait_for(saved.get(), 20)
            await client.say("can I talk to a real person")
            await client.until(lambda m: m.get("handover"))
            handover = next(h for h in alice("GET", "/handovers")["handovers"]
                            if h["conversation_id"] == plain_id(client.token))  # fmt: skip
            alice("POST", f"/handovers/{handover['id']}/claim")
            alice("POST", f"/handovers/{handover['id']}/resolve", {"outcome": "resumed"})
            ended = await client.until(lambda m: m.get("handover_ended"))
            await client.emit("client_rating", {"session_id": client.token, "step": ended["rate"]["step"],
                                                "helpful": False, "comment": "too slow"})  # fmt: skip
            second = await asyncio.wait_for(saved.get(), 20)
            await client.emit("client_rating", {"session_id": client.token, "step": "resolution:1", "helpful": True})
            kind, rejected = await client.next_event()
            while kind != "rejected":
                kind, rejected = await client.next_event()
            return first, second, rejected, handover["id"]

    first, second, rejected, handover_id = asyncio.run(chat())
    assert first["kind"] == "answer" and first["helpful"] is True
    assert second == {**second, "kind": "resolution", "helpful": False, "handover_id": handover_id}
    assert rejected["status"] == 403 and "not a step" in rejected["error"]


def test_the_insights_api_refuses_bad_periods_and_csv_parameters(server, alice):
    base = f"{server.rasa_url}/agent/api"
    token = AGENTS["alice"]
    bad = [
        ("/insights?period=fortnight", "unknown period"),
        ("/insights?from=2026-11-20&to=2026-11-01", "before 'from'"),
        ("/insights?from=2000-01-01&to=2026-11-01", "at most 366"),
        ("/insights?group=hour", "day or week"),
        ("/insights?fields=csat", "for the CSV"),
        ("/insights.csv?fields=csat,nonsense", "unknown column 'nonsense'"),
        ("/insights.csv?fields=", "'fields' is empty"),
        ("/insights.csv?period=1y", "unknown period"),
    ]
    for path, words in bad:
        status, answer, _ = call(base + path, token=token)
        assert status == 400 and words in answer["error"], (path, status, answer)
    status, answer, headers = call(base + "/insights")
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")


def test_the_csv_download_is_a_table_of_days_and_a_total(server):
    req = urllib.request.Request(
        f"{server.rasa_url}/agent/api/insights.csv?period=7d&fields=conversations,containment",
        headers={"Authorization": f"Bearer {AGENTS['alice']}"},
    )
    with urllib.request.urlopen(req, timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in response.headers["Content-Disposition"]
        lines = response.read().decode().splitlines()
    assert lines[0] == "start,conversations,containment" and len(lines) == 9 and lines[-1].startswith("total,")


def scrape(server, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    req = urllib.request.Request(f"{server.rasa_url}/metrics", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


def test_metrics_need_the_operator_or_the_metrics_token(server):
    assert scrape(server)[0] == 401
    assert scrape(server, "wrong-" + OPERATOR)[0] == 401
    assert scrape(server, METRICS)[0] == 200
    status, text, headers = scrape(server, OPERATOR)
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert 'assistant_messages_received_total{channel="rest"}' in text


def test_metrics_count_what_the_clients_and_agents_did(server):
    say(server.rasa_url, new_conversation(server.rasa_url), CONCERN)
    text = scrape(server, METRICS)[1]
    values = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line[:1] != "#"}
    assert values['assistant_intents_predicted_total{intent="report_freelancer_concern"}'] >= 4
    assert values['assistant_scripts_sent_total{macro="toolkit_specific_concern"}'] >= 4
    assert values['assistant_message_seconds_count{channel="rest"}'] >= 3
    assert values['assistant_handovers_total{reason="client_asked_for_person"}'] == 1
    assert values["assistant_handovers_waiting"] == 0
    assert values["assistant_time_to_claim_seconds_count"] == 1
    assert values['assistant_client_ratings_total{helpful="false",step="resolution"}'] == 1
    assert values["assistant_handover_store_up"] == 1
