"""A waiting client presses "End chat" in the widget, in headless Chromium, with an agent page open.

The card of its hand-over leaves the agent's Waiting queue within a second, the
waiting count goes down, and the client behind it reads its new place in the
queue, all without a reload; the hand-over is not left for an agent to claim.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers.agents import AGENTS
from tests.helpers.browser import send, signed_in_agent_page
from tests.helpers.conversations import plain_id

pytestmark = pytest.mark.e2e

ASK = "I want to talk to a human"
LIVE_LIMIT_MS = 1000  # "within 1 s": the limit of the waits below, not a measurement


def agent_page(browser, server):
    return signed_in_agent_page(browser, server.rasa_url, AGENTS["alice"], live=True)


def waiting_client(browser, server, store):
    """A widget whose client asked for a person: the page and its hand-over."""
    context = browser.new_context(viewport={"width": 900, "height": 820})
    page = context.new_page()
    page.goto(f"{server.rasa_url}/chat/")
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    send(page, ASK)
    page.locator(".tk-banner-handover").wait_for(state="visible", timeout=20000)
    record = store.open_for(plain_id(page.evaluate("localStorage.getItem('tk-chat-session')")))
    assert record is not None
    return page, record


def place_of(page, timeout=5000):
    queue = page.locator(".tk-queue")
    queue.wait_for(state="visible", timeout=timeout)
    text = queue.inner_text()
    return 1 if "next in the queue" in text else int(re.search(r"number (\d+)", text).group(1))


def test_a_waiting_client_who_ends_the_chat_leaves_the_agent_s_queue_and_the_next_moves_up(browser, server, store):
    desk = agent_page(browser, server)
    leaving, left = waiting_client(browser, server, store)
    behind, behind_record = waiting_client(browser, server, store)
    card = desk.locator(f'.queue-item[data-id="{left.id}"]')
    card.wait_for(timeout=5000)
    desk.locator(f'.queue-item[data-id="{behind_record.id}"]').wait_for(timeout=5000)
    place = place_of(behind)
    assert place >= 2, "the leaving client is ahead of it"
    waiting = desk.locator('[data-status="waiting"] .count').inner_text()

    leaving.click(".tk-end-button")
    leaving.click(".tk-end-yes")
    leaving.locator(".tk-end-note", has_text="Chat ended").wait_for(timeout=2000)
    card.wait_for(state="detached", timeout=LIVE_LIMIT_MS)  # gone from the open agent page, no reload
    behind.wait_for_function(
        "n => (document.querySelector('.tk-queue') || {}).textContent.includes(n === 1 ? 'next' : 'number ' + n)",
        arg=place - 1,
        timeout=LIVE_LIMIT_MS,
    )
    assert desk.locator('[data-status="waiting"] .count').inner_text() == f"({int(waiting.strip('()')) - 1})"
    assert desk.locator(f'.queue-item[data-id="{behind_record.id}"]').count() == 1
    ended = store.get(left.id)
    assert (ended.status, ended.outcome) == ("resolved", "client_left")

    desk.click('[data-status="resolved"]')  # an agent who opens it sees the client left
    desk.locator(f'.queue-button[data-id="{left.id}"]').click()
    desk.wait_for_selector(f"#h-title:has-text('#{left.id}')")
    assert desk.locator("#h-status").inner_text() == "The client left the chat while waiting"
    assert desk.locator("#claim").is_hidden() and desk.locator("#reply-text").is_disabled()
    assert "nobody to reply to" in desk.locator("#reply-hint").inner_text()
    leaving.wait_for_selector(".tk-status:has-text('Online')")
    assert leaving.evaluate("localStorage.getItem('tk-chat-session')")  # a new chat has started
    for page in (desk, leaving, behind):
        page.context.close()


def test_an_agent_with_the_claimed_chat_open_sees_the_client_leave(browser, server, store, alice):
    desk = agent_page(browser, server)
    client, record = waiting_client(browser, server, store)
    desk.locator(f'.queue-button[data-id="{record.id}"]').click()
    desk.wait_for_selector(f"#h-title:has-text('#{record.id}')")
    desk.click("#claim")
    desk.wait_for_selector("#reply-text:enabled", timeout=5000)
    client.locator(".tk-system", has_text="has joined the chat").wait_for(timeout=5000)

    client.click(".tk-end-button")
    client.click(".tk-end-yes")
    desk.wait_for_selector("#h-status:has-text('The client left the chat')", timeout=LIVE_LIMIT_MS * 2)
    assert desk.locator("#h-status").inner_text() == "The client left the chat (claimed by alice)"
    assert desk.locator("#reply-text").is_disabled() and desk.locator("#send").is_disabled()
    assert "ended the chat" in desk.locator("#notice").inner_text()
    for page in (desk, client):
        page.context.close()
