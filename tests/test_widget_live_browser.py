"""The widget's live chat with a person, in headless Chromium (widget/widget-live.js, widget-session.js).

A real assistant with the agent side on: the client asks for a person in the
widget, alice claims and answers on the desk API. What the desk sends while the
hand-over waits ("agent is typing", the place in the queue: channels/live.py)
is delivered to the widget's own socket.io handlers, as the server's events are.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.helpers.browser import send
from tests.helpers.conversations import plain_id

OFFER = "Yes, connect me with a person"
CONCERN = "the designer i hired is rude to me and misses every deadline"


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 900, "height": 820})
    page = context.new_page()
    page.goto(f"{server.rasa_url}/chat/")
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    yield page
    context.close()


def server_event(page, event, data):
    """``event`` with ``data`` to the widget's socket, as if the server had emitted it."""
    page.evaluate(
        "([event, data]) => ToolkitChat.chats[0].socket.listeners(event).forEach((f) => f(data))", [event, data]
    )


def token(page):
    return page.evaluate("localStorage.getItem('tk-chat-session')")


def handed_over(page, store):
    send(page, CONCERN)
    page.locator(".tk-choice", has_text=OFFER).click()
    page.locator(".tk-banner-handover").wait_for(state="visible", timeout=20000)
    record = store.open_for(plain_id(token(page)))
    assert record is not None
    return record


def test_agent_is_typing_shows_and_goes_away(page):
    typing = page.locator(".tk-typing")
    server_event(page, "agent_typing", {"agent": "alice", "typing": True})
    assert typing.inner_text() == "alice is typing…" and typing.is_visible()
    assert page.get_by_role("status").filter(has_text="alice is typing…").count() == 1  # announced
    server_event(page, "agent_typing", {"agent": "alice", "typing": False})
    assert typing.is_hidden()

    server_event(page, "agent_typing", {"agent": "alice", "typing": True})
    page.evaluate("ToolkitChat.showMessage({text: 'Here I am', from_agent: true, agent: 'alice'})")
    assert typing.is_hidden()  # her message came

    server_event(page, "agent_typing", {"agent": "alice", "typing": True})
    page.wait_for_timeout(4000)
    assert typing.is_visible()
    typing.wait_for(state="hidden", timeout=3500)  # ~6 s without a refresh


def test_a_forged_typing_event_shows_nothing(page):
    for data in (None, "alice", {"agent": 3, "typing": True}, {"agent": "", "typing": True}):
        server_event(page, "agent_typing", data)
    assert page.locator(".tk-typing").is_hidden()


def test_the_queue_place_is_one_line_and_the_join_a_system_line(page, store, alice):
    record = handed_over(page, store)
    items = page.locator(".tk-log-list > li").count()
    queue = page.locator(".tk-queue")
    server_event(page, "queue_position", {"position": 3})
    assert queue.inner_text() == "You are number 3 in the queue for a support agent."
    server_event(page, "queue_position", {"position": 1})
    assert queue.inner_text() == "You are next in the queue for a support agent."
    assert page.locator(".tk-queue:visible").count() == 1 and page.locator(".tk-log-list > li").count() == items

    alice("POST", f"/handovers/{record.id}/claim")
    joined = page.locator(".tk-system", has_text="alice from our support team has joined the chat")
    joined.wait_for(timeout=5000)
    assert page.locator(".tk-msg", has_text="has joined").count() == 0  # not a bubble
    assert joined.evaluate("el => getComputedStyle(el).alignSelf") == "center"
    assert queue.is_hidden()  # she is here: no queue any more

    alice("POST", f"/handovers/{record.id}/reply", {"text": "Hi, I am Alice."})
    page.locator(".tk-msg-agent", has_text="Hi, I am Alice.").wait_for(timeout=5000)
    alice("POST", f"/handovers/{record.id}/resolve", {"outcome": "resumed"})
    page.locator(".tk-system", has_text="handed this chat back to me").wait_for(timeout=5000)
    assert page.locator(".tk-banner-handover").is_hidden()


def test_every_message_has_its_time_also_after_a_reload(page):
    send(page, "how can i pause my contract")
    year = str(time.localtime().tm_year)
    page.evaluate("ToolkitChat.showMessage({text: 'alice has joined', system: true, agent: 'alice'})")
    lines = page.locator(".tk-msg, .tk-system")
    times = page.locator(".tk-msg time.tk-time, .tk-system time.tk-time")
    assert lines.count() >= 3 and times.count() == lines.count()
    shown = times.all_inner_texts()
    assert all(re.fullmatch(r"\d\d:\d\d", t) for t in shown)
    assert all(year in t.get_attribute("title") for t in times.all())  # the full date on hover
    assert all(t.get_attribute("datetime").startswith(year) for t in times.all())
    page.reload()
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    assert page.locator(".tk-msg time.tk-time, .tk-system time.tk-time").all_inner_texts() == shown


def test_offer_buttons_are_disabled_once_used_or_typed_over(page):
    send(page, CONCERN)
    offer = page.locator(".tk-choice", has_text=OFFER)
    offer.wait_for(timeout=20000)
    assert offer.is_enabled()
    send(page, "what happens if a freelancer i hire stops doing the work?")  # typed instead
    assert page.locator(".tk-choice").count() >= 1
    assert all(b.is_disabled() for b in page.locator(".tk-choice").all())
    page.reload()
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    assert page.locator(".tk-choice", has_text=OFFER).is_disabled()


def test_ending_the_chat_asks_first_then_starts_a_new_conversation(page):
    send(page, "how can i pause my contract")
    first = token(page)
    end = page.get_by_role("button", name="End chat")
    end.click()
    page.get_by_role("button", name="Keep chatting").click()
    assert token(page) == first and page.locator(".tk-msg-client").count() == 1  # nothing ended

    end.click()
    assert end.get_attribute("aria-expanded") == "true"
    page.get_by_role("button", name="Yes, end the chat").click()
    assert page.locator(".tk-log-list > li").count() == 0
    assert page.locator(".tk-end-note").inner_text() == "Chat ended. A new chat has started."
    new_token = "old => { const t = localStorage.getItem('tk-chat-session'); return t && t !== old; }"
    page.wait_for_function(new_token, arg=first)
    second = token(page)
    assert plain_id(second) != plain_id(first)
    assert page.evaluate("k => localStorage.getItem(k)", f"tk-chat-history:{first}") is None
    assert page.locator(".tk-input").evaluate("el => el === document.activeElement")

    send(page, "what happens if a freelancer i hire stops doing the work?")  # the new chat works
    assert page.locator(".tk-msg-client").count() == 1
    page.reload()
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    assert token(page) == second and page.locator(".tk-msg-client").count() == 1
