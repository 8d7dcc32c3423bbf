"""The review API on a running assistant: who may review, and every kind of bad input.

Each refused request gets a 4xx with ``{"error": …}`` that says what is wrong,
and writes nothing. Labels these tests make are undone again, so the export
of the browser test (same server) holds its own label only.
"""

from __future__ import annotations

import sqlite3
import threading

import pytest

from tests.helpers.agents import Agent, call
from tests.helpers.conversations import new_conversation, plain_id, say

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(review_assistant):
    return review_assistant.settings


def _misread(server, text):
    """A conversation in which ``text`` gets a script and the client then asks for a person: its item's id."""
    conversation = new_conversation(server.rasa_url)
    say(server.rasa_url, conversation, text)
    say(server.rasa_url, conversation, "that didn't help, I want to talk to a person")
    found = Agent(server, "alice")("GET", "/review/items?state=all&per_page=200")
    item = next(g for g in found["groups"] if g["text"] == text)
    return item["id"], plain_id(conversation)


def test_only_the_named_reviewers_may_review(server):
    status, answer, _ = call(f"{server.rasa_url}/agent/api/review/items", token=Agent(server, "bob").token)
    assert status == 403 and "ASSISTANT_REVIEWERS" in answer["error"] and "bob" in answer["error"]
    status, answer, _ = call(f"{server.rasa_url}/agent/api/review/items")
    assert status == 401 and "credential" in answer["error"]
    listed = Agent(server, "alice")("GET", "/review/items")
    assert {r["name"] for r in listed["reasons"]} >= {"fallback", "low_confidence", "unhelpful_script"}
    assert "report_freelancer_concern" in listed["intents"]


def test_bad_filters_say_what_is_wrong(server):
    alice = Agent(server, "alice")
    assert "'reason' must be one of" in alice("GET", "/review/items?reason=bored", expect=400)["error"]
    assert "'intent' must be an intent of the domain" in alice("GET", "/review/items?intent=x", expect=400)["error"]
    assert "YYYY-MM-DD" in alice("GET", "/review/items?since=yesterday", expect=400)["error"]
    assert "'per_page' must be a whole number" in alice("GET", "/review/items?per_page=100000", expect=400)["error"]
    assert "no review item with id" in alice("GET", "/review/items/99999999", expect=404)["error"]


def test_bad_labels_are_refused_and_write_nothing(server):
    alice = Agent(server, "alice")
    item, _ = _misread(server, "what happens if my freelancer stops replying tomorrow")
    refused = alice("POST", "/review/labels", {"items": [item], "decision": "relabel", "intent": "book_flight"}, 400)
    assert "'intent' must be an intent of the domain" in refused["error"]
    assert (
        "'decision' must be one of"
        in alice("POST", "/review/labels", {"items": [item], "decision": "ok"}, 400)["error"]
    )
    assert (
        "list of review item ids"
        in alice("POST", "/review/labels", {"items": "all", "decision": "confirm"}, 400)["error"]
    )
    huge = alice("POST", "/review/labels", {"items": list(range(1, 502)), "decision": "discard"}, 413)
    assert "at most 500" in huge["error"]
    missing = alice("POST", "/review/labels", {"items": [item, 99999999], "decision": "discard"}, 404)
    assert missing["missing"] == [99999999]
    assert alice("GET", f"/review/items/{item}")["group"]["label"] is None


def test_two_reviewers_at_once_the_second_gets_409_with_the_first_decision(server, review_assistant):
    item, _ = _misread(server, "what happens if my freelancer stops replying next week")
    alice = Agent(server, "alice")
    answers, barrier = [], threading.Barrier(2)

    def label(intent):
        barrier.wait()
        answers.append(
            call(
                alice.base + "/review/labels",
                "POST",
                {"items": [item], "decision": "relabel", "intent": intent},
                token=alice.token,
            )[:2]
        )

    threads = [threading.Thread(target=label, args=(i,)) for i in ("report_freelancer_concern", "ask_how_to_pause")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for status, _ in answers) == [201, 409]
    first = next(a for s, a in answers if s == 201)["labels"][0]
    conflict = next(a for s, a in answers if s == 409)
    assert conflict["labels"][0]["intent"] == first["intent"] and "undo that label first" in conflict["error"]
    undone = alice("POST", f"/review/labels/{first['id']}/undo")
    assert undone["undone_by"] == "alice"
    assert "already undone" in alice("POST", f"/review/labels/{first['id']}/undo", expect=409)["error"]


def test_a_deleted_conversation_is_stale(server):
    item, conversation = _misread(server, "what happens if my freelancer stops replying later")
    with sqlite3.connect(server.state_dir / "tracker.db", timeout=30) as db:
        db.execute("DELETE FROM events WHERE sender_id = ?", (conversation,))
    alice = Agent(server, "alice")
    gone = alice("POST", "/review/labels", {"items": [item], "decision": "discard"}, 410)
    assert "the conversation was deleted" in gone["error"] and gone["stale"] == [item]
    assert all(g["id"] != item for g in alice("GET", "/review/items?state=all&per_page=200")["groups"])
