"""Wrong agent tokens are slowed down per address and per agent; the real agent still gets in."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from urllib.parse import urlencode

import pytest
from sanic import Sanic
from sanic.request import Request

from desk.auth import AgentAuth
from desk.context import Desk
from desk.limits import LoginLimiter, TooManyAttempts
from desk.pages import log_in
from settings.desk import DeskSettings

ALICE = "alice-token-0123456789"
WRONG = "wrong-token-guess-0000"
APP = Sanic("login_limits_test")  # a request needs its app's config (no proxy header trusted, as by default)
TRANSPORT = SimpleNamespace(get_extra_info=lambda name, default=None: default)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def desk(clock):
    auth = AgentAuth({"alice": ALICE}, LoginLimiter(max_failures=5, window=300, base_block=60, clock=clock))
    return Desk(DeskSettings(agents={"alice": ALICE}), auth, store=None)  # type: ignore[arg-type]


def form(address, **fields):
    headers = {"content-type": "application/x-www-form-urlencoded"}
    req = Request(b"/agent/login", headers, "1.1", "POST", TRANSPORT, APP)
    req.body = urlencode(fields).encode()
    req.conn_info = SimpleNamespace(client_ip=address)
    return req


def bearer(address, token):
    req = Request(b"/agent/api/handovers", {"authorization": f"Bearer {token}"}, "1.1", "GET", TRANSPORT, APP)
    req.conn_info = SimpleNamespace(client_ip=address)
    return req


def test_five_wrong_tokens_then_429_with_retry_after_even_for_the_right_one(desk, caplog):
    caplog.set_level(logging.WARNING)
    for _ in range(5):
        assert log_in(desk, form("203.0.113.9", token=WRONG)).status == 401
    refused = log_in(desk, form("203.0.113.9", token=ALICE))
    assert refused.status == 429 and int(refused.headers["Retry-After"]) == 60
    assert "Too many failed log-ins" in refused.body.decode()
    assert "203.0.113.9" in caplog.text and WRONG not in caplog.text and ALICE not in caplog.text


def test_the_right_token_from_another_address_still_works(desk):
    for address in ("203.0.113.9", "198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.4"):
        for _ in range(5):
            log_in(desk, form(address, token=WRONG, agent="alice"))
    # alice is under attack from five addresses; she logs in from her own
    assert log_in(desk, form("192.0.2.50", token=ALICE, agent="alice")).status == 303
    assert log_in(desk, form("192.0.2.51", token=ALICE)).status == 303


def test_an_attacker_spread_over_addresses_gets_one_guess_each_once_the_agent_is_over_its_limit(desk):
    for index in range(5):
        assert log_in(desk, form(f"198.51.100.{index}", token=WRONG, agent="alice")).status == 401
    assert log_in(desk, form("198.51.100.77", token=WRONG, agent="alice")).status == 401  # a fresh address: checked
    assert log_in(desk, form("198.51.100.77", token=WRONG, agent="alice")).status == 429  # then it waits


def test_the_wait_doubles_while_failures_continue_and_resets_after_the_window(desk, clock):
    for _ in range(5):
        log_in(desk, form("203.0.113.9", token=WRONG))
    clock.now += 61  # the first wait is over: one more wrong token doubles the next
    assert log_in(desk, form("203.0.113.9", token=WRONG)).status == 401
    assert int(log_in(desk, form("203.0.113.9", token=WRONG)).headers["Retry-After"]) == 120
    clock.now += 121 + 300  # a whole window with no failure: a fresh start
    assert log_in(desk, form("203.0.113.9", token=WRONG)).status == 401
    assert log_in(desk, form("203.0.113.9", token=ALICE)).status == 303


def test_wrong_bearer_tokens_on_the_api_are_limited_too(desk):
    for _ in range(5):
        assert desk.auth.authenticate(bearer("203.0.113.9", WRONG)) is None
    with pytest.raises(TooManyAttempts) as refused:
        desk.auth.authenticate(bearer("203.0.113.9", ALICE))
    assert refused.value.status_code == 429 and refused.value.headers["Retry-After"] == "60"
    assert desk.auth.authenticate(bearer("192.0.2.50", ALICE)) == "alice"


def test_the_numbers_are_settings():
    settings = DeskSettings.from_env({"DESK_LOGIN_MAX_FAILURES": "3", "DESK_LOGIN_WINDOW_SECONDS": "60"})
    assert (settings.login_max_failures, settings.login_window_seconds) == (3, 60)
