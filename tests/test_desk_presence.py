"""Presence on a running assistant: the desk page's heartbeat decides what a client is told."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers.agents import AGENTS, Agent, call
from tests.helpers.conversations import new_conversation

pytestmark = pytest.mark.e2e


@pytest.fixture
def alice(server):
    agent = Agent(server, "alice")
    yield agent
    agent("POST", "/presence", {"status": "auto", "active": False})  # back to following the page,
    agent("POST", "/presence", {"leaving": True})  # and the page closed


def ask_for_a_person(server):
    token = new_conversation(server.rasa_url)
    status, replies, _ = call(
        f"{server.rasa_url}/webhooks/rest/webhook", "POST", {"sender": token, "message": "I want to talk to a human"}
    )
    assert status == 200, replies
    return replies[0]["text"]


def test_an_agent_at_the_desk_is_online_and_the_client_hears_an_agent_joins(server, alice):
    mine = alice("POST", "/presence", {"active": True, "status": "auto"})
    assert mine["status"] == "online" and mine["heartbeat_seconds"] == 20
    listed = {p["agent"]: p["status"] for p in alice("GET", "/presence")["agents"]}
    assert listed["alice"] == "online" and set(listed) >= set(AGENTS)
    text = ask_for_a_person(server)
    assert "A support agent will continue this chat here shortly: you are number" in text


def test_with_every_agent_offline_the_client_hears_nobody_is_at_the_desk(server, alice):
    alice("POST", "/presence", {"active": True, "status": "offline"})
    assert {p["agent"]: p["status"] for p in alice("GET", "/presence")["agents"]}["alice"] == "offline"
    text = ask_for_a_person(server)
    assert "No agent is at the desk right now" in text and "follow up by email" in text


def test_a_malformed_heartbeat_says_what_is_wrong(server, alice):
    alice("POST", "/presence", {"active": "yes"}, expect=400)
    answer = alice("POST", "/presence", {"status": "busy"}, expect=400)
    assert "'status' must be one of online, away, offline, auto" in answer["error"]
    status, _, _ = call(f"{server.rasa_url}/agent/api/presence", "POST", {"active": True}, token=uuid.uuid4().hex * 2)
    assert status == 401
