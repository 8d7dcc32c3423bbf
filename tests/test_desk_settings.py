"""The agent side's settings from the environment, and how agents are recognised."""

from __future__ import annotations

import pytest
from sanic.request import Request

from desk.auth import COOKIE_NAME, SESSION_SECONDS, AgentAuth
from settings.desk import DeskSettings
from settings.read import SettingsError

ALICE = "alice-token-0123456789"
BOB = "bob-token-abcdefghijkl"


def test_without_agent_tokens_the_agent_side_is_off():
    settings = DeskSettings.from_env({})
    assert not settings.agents_enabled and not settings.webhook_enabled
    assert settings.wait_limit_seconds == 600


def test_agents_and_limits_are_read():
    settings = DeskSettings.from_env(
        {
            "ASSISTANT_AGENT_TOKENS": f"alice:{ALICE}, bob:{BOB}",
            "HANDOVER_WAIT_LIMIT_SECONDS": "90",
            "HANDOVER_WEBHOOK_URL": "https://desk.example.com/hooks/assistant",
            "HANDOVER_WEBHOOK_SECRET": "s" * 32,
            "AGENT_SUGGESTION_MIN_CONFIDENCE": "0.5",
        }
    )
    assert dict(settings.agents) == {"alice": ALICE, "bob": BOB}
    assert settings.wait_limit_seconds == 90 and settings.min_confidence == 0.5
    assert settings.webhook_enabled


def test_every_problem_is_named_at_once_and_no_secret_is_echoed():
    with pytest.raises(SettingsError) as error:
        DeskSettings.from_env(
            {
                "ASSISTANT_AGENT_TOKENS": "alice:short-secret bob bad name:whatever-long-token-1 carol:" + ALICE,
                "HANDOVER_WAIT_LIMIT_SECONDS": "soon",
                "HANDOVER_WEBHOOK_URL": "ftp://desk.example.com",
            }
        )
    message = str(error.value)
    assert "ASSISTANT_AGENT_TOKENS, entry 1: the token of 'alice' must be at least 16 characters" in message
    assert "ASSISTANT_AGENT_TOKENS, entry 2: expected name:token" in message
    assert "HANDOVER_WAIT_LIMIT_SECONDS='soon' is not a number" in message
    assert "HANDOVER_WEBHOOK_URL must be an http(s) URL" in message
    assert "HANDOVER_WEBHOOK_SECRET must be set when HANDOVER_WEBHOOK_URL is" in message
    assert "short-secret" not in message and ALICE not in message


def test_two_agents_cannot_share_a_token_or_a_name():
    with pytest.raises(SettingsError, match="two agents share one token"):
        DeskSettings.from_env({"ASSISTANT_AGENT_TOKENS": f"alice:{ALICE} bob:{ALICE}"})
    with pytest.raises(SettingsError, match="agent 'alice' is listed twice"):
        DeskSettings.from_env({"ASSISTANT_AGENT_TOKENS": f"alice:{ALICE} alice:{BOB}"})


def request(headers=None, method="GET", cookie=None):
    raw = {**(headers or {})}
    if cookie:
        raw["cookie"] = f"{COOKIE_NAME}={cookie}"
    return Request(b"/agent/api/me", raw, "1.1", method, None, None)


def test_a_bearer_token_names_its_agent():
    auth = AgentAuth({"alice": ALICE, "bob": BOB})
    assert auth.authenticate(request({"authorization": f"Bearer {BOB}"})) == "bob"
    assert auth.authenticate(request({"authorization": "Bearer not-a-token-at-all"})) is None
    assert auth.authenticate(request()) is None


def test_the_page_cookie_is_signed_expires_and_needs_the_request_header_to_change_things():
    auth = AgentAuth({"alice": ALICE, "bob": BOB})
    cookie = auth.cookie_for("alice")
    assert auth.authenticate(request(cookie=cookie)) == "alice"
    # a POST with the cookie alone (what a form on another site could send) is refused
    assert auth.authenticate(request(method="POST", cookie=cookie)) is None
    assert auth.authenticate(request({"x-agent-request": "1"}, method="POST", cookie=cookie)) == "alice"
    # forged: another name with alice's signature, or a changed expiry
    name, expiry, signature = cookie.rsplit(".", 2)
    assert auth.agent_for_cookie(f"bob.{expiry}.{signature}") is None
    assert auth.agent_for_cookie(f"alice.{int(expiry) + 1000}.{signature}") is None
    # expired
    old = auth.cookie_for("alice", now=1_000_000)
    assert auth.agent_for_cookie(old, now=1_000_000 + SESSION_SECONDS + 1) is None
    # a new token for alice ends her sessions
    assert AgentAuth({"alice": "alice-new-token-0123456"}).agent_for_cookie(cookie) is None
