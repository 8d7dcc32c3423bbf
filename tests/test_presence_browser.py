"""The trial link's one-click log-in and the presence selector, in headless Chromium."""

from __future__ import annotations

import time

import pytest

from handover.presence import PresenceBook
from handover.records import now
from handover.store import HandOverStore
from tests.helpers.agents import AGENTS
from tests.helpers.browser import send

pytestmark = pytest.mark.e2e


def test_a_link_with_the_token_in_its_fragment_logs_in_and_the_page_says_the_agent_is_online(browser, server):
    context = browser.new_context()
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{server.rasa_url}/agent/#token={AGENTS['bob']}")  # as the launcher prints for a trial
    page.wait_for_selector("#me:has-text('Signed in as')", timeout=15000)
    assert "token" not in page.url  # gone from the address bar and the history
    assert not any(AGENTS["bob"] in url for url in requested)  # no request carried it in a URL
    page.wait_for_selector("#presence-shown:has-text('You are online')", timeout=10000)
    store = HandOverStore(server.handover_db_url)
    assert "bob" in PresenceBook(store).online(now())

    page.select_option("#presence-status", "away")  # set by hand
    page.wait_for_selector("#presence-shown:has-text('You are away')", timeout=10000)
    assert PresenceBook(store).get("bob", now()).status == "away"
    page.select_option("#presence-status", "auto")
    page.wait_for_selector("#presence-shown:has-text('You are online')", timeout=10000)
    page.goto("about:blank")  # the agent leaves the page: offline at once, not at the expiry
    deadline = time.monotonic() + 5
    while PresenceBook(store).get("bob", now()).status != "offline" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert PresenceBook(store).get("bob", now()).status == "offline"
    context.close()
    store.dispose()


def test_with_nobody_at_the_desk_the_client_in_the_widget_is_told_so(browser, server):
    store = HandOverStore(server.handover_db_url)
    book = PresenceBook(store)
    for agent in AGENTS:  # whatever pages other tests left: nobody at the desk now
        book.heartbeat(agent, now(), active=False, chosen="offline")
    context = browser.new_context(viewport={"width": 420, "height": 820})
    client = context.new_page()
    client.goto(f"{server.rasa_url}/chat/")
    client.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    send(client, "I want to talk to a human")
    said = client.locator(".tk-msg-bot").last.inner_text()
    assert "No agent is at the desk right now" in said and "follow up by email" in said
    assert "will continue this chat here shortly" not in said
    # and the hand-over banner promises nothing the message does not
    banner = client.locator(".tk-banner-handover")
    banner.wait_for(state="visible", timeout=10000)
    assert "With our support team" in banner.inner_text() and "will continue" not in banner.inner_text()
    context.close()
    for agent in AGENTS:
        book.heartbeat(agent, now(), active=False, chosen="auto")
        book.leave(agent)
    store.dispose()
