"""Accessibility in headless Chromium: axe-core on the widget and the desk pages, and the keyboard alone.

A test fails on any violation axe-core rates serious or critical (colour
contrast AA among them) and names each element it found (tests/helpers/axe.py).
See docs/accessibility.md.
"""

from __future__ import annotations

import pytest

from tests.helpers.agents import AGENTS, Agent, agent_env
from tests.helpers.axe import assert_accessible
from tests.helpers.browser import send
from tests.helpers.conversations import plain_id
from tests.helpers.servers import local_settings, running_assistant

pytestmark = pytest.mark.e2e

OFFER = "Yes, connect me with a person"
CONCERN = "the designer i hired is rude to me and misses every deadline"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An assistant with the agent side on; alice may review too (the review tab)."""
    settings = local_settings(tmp_path_factory.mktemp("a11y-state"), env=agent_env(ASSISTANT_REVIEWERS="alice"))
    with running_assistant(settings, tmp_path_factory.mktemp("a11y-logs")) as running:
        yield running.settings


def open_page(browser, url, width=900, height=820):
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)  # axe is inline
    page = context.new_page()
    page.goto(url)
    return page


@pytest.fixture
def chat(browser, server):
    page = open_page(browser, f"{server.rasa_url}/chat/")
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    yield page
    page.context.close()


def log_in(browser, server, name="alice"):
    page = open_page(browser, f"{server.rasa_url}/agent/", width=1280, height=900)
    page.fill("#token", AGENTS[name])
    page.click("button[type=submit]")
    page.wait_for_selector("#me:has-text('Signed in as')", timeout=15000)
    return page


def take_the_offer(chat, store):
    """The client in ``chat`` tells a concern and takes the offer of a person: the open hand-over."""
    send(chat, CONCERN)
    chat.locator(".tk-choice", has_text=OFFER).click()
    chat.locator(".tk-banner-handover").wait_for(state="visible", timeout=20000)
    return store.open_for(plain_id(chat.evaluate("localStorage.getItem('tk-chat-session')")))


def server_event(page, event, data):
    page.evaluate(
        "([event, data]) => ToolkitChat.chats[0].socket.listeners(event).forEach((f) => f(data))", [event, data]
    )


def focused(page):
    return page.evaluate("(document.activeElement.textContent || '').trim() || document.activeElement.className")


def test_the_empty_chat_and_a_long_one_pass_axe(chat):
    assert_accessible(chat)
    for n in range(30):  # more than the log shows: it scrolls
        chat.evaluate("n => ToolkitChat.showMessage({text: 'Line ' + n + ' of a long answer.'})", n)
    assert chat.evaluate(
        "() => { const l = document.querySelector('.tk-log'); return l.scrollHeight > l.clientHeight; }"
    )
    assert_accessible(chat)


def test_a_conversation_with_offers_a_system_line_and_the_queue_passes_axe(chat):
    send(chat, CONCERN)
    chat.locator(".tk-choice", has_text=OFFER).wait_for(timeout=20000)
    assert_accessible(chat)  # enabled offer buttons, a rating row, links
    chat.locator(".tk-choice", has_text=OFFER).click()
    chat.locator(".tk-banner-handover").wait_for(state="visible", timeout=20000)
    server_event(chat, "queue_position", {"position": 2})
    server_event(chat, "agent_typing", {"agent": "alice", "typing": True})
    chat.evaluate("ToolkitChat.showMessage({text: 'alice has joined the chat', system: true, agent: 'alice'})")
    chat.evaluate(
        "ToolkitChat.showMessage({text: 'Hi, see [a guide](https://example.com/g)', from_agent: true, agent: 'alice'})"
    )
    server_event(chat, "agent_typing", {"agent": "alice", "typing": True})
    server_event(chat, "queue_position", {"position": 1})
    chat.get_by_role("button", name="End chat").click()
    assert_accessible(chat)  # disabled offers, banner, status lines, an agent's message, the end-chat question


def test_the_agent_log_in_page_passes_axe_also_after_a_wrong_token(browser, server):
    page = open_page(browser, f"{server.rasa_url}/agent/", width=1280, height=900)
    assert_accessible(page)
    page.fill("#token", "not-the-right-token")
    page.click("button[type=submit]")
    page.locator("[role=alert]").wait_for()
    assert_accessible(page)
    page.context.close()


def test_the_agent_page_with_a_hand_over_open_passes_axe(browser, server, store, chat):
    handover = take_the_offer(chat, store)
    page = log_in(browser, server)
    assert_accessible(page)  # the queue
    page.locator(f'.queue-button[data-id="{handover.id}"]').click()
    page.wait_for_selector("#handover:not([hidden])")
    page.wait_for_timeout(500)  # its suggestions
    assert_accessible(page)  # a hand-over, its summary, KB and suggestions
    page.context.close()


@pytest.mark.parametrize("tab", ["review", "insights"])
def test_the_review_and_insights_tabs_pass_axe(browser, server, tab):
    page = log_in(browser, server)
    page.goto(f"{server.rasa_url}/agent/{tab}")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert_accessible(page)
    page.context.close()


def test_the_whole_client_flow_works_with_the_keyboard_alone(chat):
    chat.keyboard.press("Tab")  # from the page into the conversation, which scrolls with the arrow keys
    assert chat.evaluate("document.activeElement.getAttribute('role')") == "log"
    chat.keyboard.press("Tab")  # into the widget's box
    assert "tk-input" in focused(chat)
    chat.keyboard.type(CONCERN)
    before = chat.locator(".tk-msg-bot").count()
    chat.keyboard.press("Enter")
    chat.locator(".tk-choice", has_text=OFFER).wait_for(timeout=20000)
    assert chat.locator(".tk-msg-bot").count() > before

    for _ in range(8):  # back from the box to the offer
        chat.keyboard.press("Shift+Tab")
        if focused(chat) == OFFER:
            break
    assert focused(chat) == OFFER
    chat.keyboard.press("Space")
    chat.locator(".tk-banner-handover").wait_for(state="visible", timeout=20000)
    assert chat.locator(".tk-msg-client", has_text=OFFER).count() == 1
    assert "tk-input" in focused(chat)  # back in the box to write on
    assert chat.locator(".tk-choice", has_text=OFFER).is_disabled()

    chat.keyboard.press("Tab")
    assert focused(chat) == "Send"
    chat.keyboard.press("Tab")
    assert focused(chat) == "End chat"
    chat.keyboard.press("Enter")
    assert focused(chat) == "Yes, end the chat"
    chat.keyboard.press("Escape")  # keep chatting
    assert focused(chat) == "End chat" and chat.locator(".tk-end-confirm").is_hidden()
    assert chat.locator(".tk-msg-client").count() == 2
    chat.keyboard.press("Enter")
    chat.keyboard.press("Enter")  # yes
    assert chat.locator(".tk-log-list > li").count() == 0
    assert "tk-input" in focused(chat)
    chat.wait_for_function(
        "() => !document.querySelector('.tk-send').disabled && !!localStorage.getItem('tk-chat-session')"
    )
    chat.keyboard.type("how can i pause my contract")
    chat.keyboard.press("Enter")
    chat.locator(".tk-msg-bot").first.wait_for(timeout=20000)


def test_new_messages_and_the_hand_over_state_are_announced(chat):
    log = chat.get_by_role("log", name="Conversation")
    assert log.get_attribute("aria-live") == "polite"
    status = chat.locator(".tk-live-status")
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    assert chat.locator(".tk-banner-handover").get_attribute("role") == "status"
    assert status.locator(".tk-queue").count() == 1 and status.locator(".tk-typing").count() == 1


def tab_to(page, target, limit=80):
    """Presses Tab (only) until ``target`` has the focus; fails when it never does."""
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_an_agent_claims_replies_and_resolves_with_the_keyboard_alone(browser, server, store, chat):
    handover = take_the_offer(chat, store)
    page = log_in(browser, server)
    item = page.locator(f'.queue-button[data-id="{handover.id}"]')
    item.wait_for(timeout=20000)
    tab_to(page, item)
    page.keyboard.press("Enter")
    page.wait_for_selector("#handover:not([hidden])")
    tab_to(page, page.get_by_role("button", name="Claim", exact=True))
    page.keyboard.press("Enter")
    chat.locator(".tk-system", has_text="alice from our support team has joined").wait_for(timeout=20000)
    # the Claim button is gone: the focus goes on to the reply box, never to nowhere
    page.wait_for_function("document.activeElement.id === 'reply-text'", timeout=5000)
    page.keyboard.type("Hello from the keyboard")
    tab_to(page, page.get_by_role("button", name="Send to client"))
    page.keyboard.press("Enter")
    chat.locator(".tk-msg-agent", has_text="Hello from the keyboard").wait_for(timeout=20000)
    page.wait_for_function("document.activeElement.id === 'reply-text'", timeout=5000)  # ready for the next one
    tab_to(page, page.get_by_role("button", name="Resolve: bot resumes"))
    page.keyboard.press("Enter")
    chat.locator(".tk-system", has_text="handed this chat back to me").wait_for(timeout=20000)
    page.wait_for_selector("#h-status.resolved")
    assert page.evaluate("document.activeElement.id") == "h-title"  # not lost with the hidden button
    assert Agent(server, "alice")("GET", f"/handovers/{handover.id}")["status"] == "resolved"
    page.context.close()
