"""The agent page in real headless Chromium, beside a client's chat widget, driven by Playwright.

A client asks for a person in the widget; an agent logs in, finds the hand-over in
the queue, reads its summary, KB reference and suggestions, claims it, sends a
suggestion in one click, and resolves it; the client sees each step live.
"""

from __future__ import annotations

import pytest

from handover.store import HandOverStore
from tests.helpers.agents import AGENTS
from tests.helpers.browser import screenshot, send
from tests.helpers.conversations import new_conversation, plain_id, say
from toolkit.library import load_library

pytestmark = pytest.mark.e2e

LIBRARY = load_library()
CONCERN = LIBRARY.resource("pause_script_specific_concern")
ATTACK = "<img src=x onerror=alert(1)> <script>alert(2)</script>"


def new_page(browser, url, width=1280, height=900):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    return page


def log_in(browser, server, token):
    page = new_page(browser, f"{server.rasa_url}/agent/")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("#me:has-text('Signed in as')", timeout=15000)
    return page


def test_a_wrong_token_is_refused_on_the_log_in_page(browser, server):
    page = new_page(browser, f"{server.rasa_url}/agent/")
    page.fill("#token", "not-the-right-token")
    page.click("button[type=submit]")
    assert "That token is not valid" in page.locator("[role=alert]").inner_text()
    assert page.locator("#queue").count() == 0
    page.context.close()


def test_an_agent_takes_a_hand_over_from_the_queue_and_answers_with_a_suggestion(browser, server):
    client = new_page(browser, f"{server.rasa_url}/chat/", width=420, height=820)
    client.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    send(client, "my freelancer stopped answering 5 days ago and still bills hours on my hourly contract")
    client.locator(".tk-choice", has_text="Yes, connect me with a person").click()
    client.locator(".tk-banner-handover").wait_for(state="visible", timeout=20000)
    session_id = plain_id(client.evaluate("localStorage.getItem('tk-chat-session')"))
    client.focus(".tk-input")
    client.keyboard.type(ATTACK)
    client.keyboard.press("Enter")

    store = HandOverStore(server.handover_db_url)
    handover_id = store.open_for(session_id).id

    agent = log_in(browser, server, AGENTS["alice"])
    item = agent.locator(f'.queue-button[data-id="{handover_id}"]')
    item.wait_for(timeout=20000)
    assert "unresponsive" in item.inner_text() and "client accepted offer" in item.inner_text()
    item.click()
    agent.wait_for_selector("#handover:not([hidden])")
    assert session_id in agent.locator("#h-title").inner_text()
    rows = dict(
        zip(
            agent.locator("#summary dt").all_inner_texts(), agent.locator("#summary dd").all_inner_texts(), strict=False
        )
    )
    assert rows["Reason"] == "client accepted offer"
    assert rows["Contract type"] == "hourly"
    # which of the honest hand-over messages the client got depends on who was at the desk then
    assert rows["Client was told"] in ("an agent joins shortly", "nobody online, e-mail follow-up")
    assert "unresponsive" in rows["Concern"]
    assert rows["Bot already sent"] == "Pause contract script (specific concern)"
    assert rows["Link sent"] == CONCERN.link.url
    # the section is the whole article: the page names it once, not "… › …" twice
    assert agent.locator("#kb-title").inner_text() == "Client Contract Issues Best Practices"

    # what the client typed is text on the agent page too: no element, no script
    agent.locator("#transcript .from-client .text", has_text=ATTACK).wait_for(timeout=10000)
    assert agent.locator("#transcript img, #transcript script").count() == 0

    first = agent.locator(".suggestion").first
    assert "Specific concern about a freelancer" in first.inner_text()
    assert first.locator("button.use").is_disabled()  # not claimed yet

    agent.click("#claim")
    client.locator(".tk-system", has_text="alice from our support team has joined").wait_for(timeout=20000)
    agent.locator(".suggestion button.use").first.wait_for(state="visible")
    agent.locator(".suggestion button.use:not([disabled])").first.wait_for(timeout=10000)
    agent.locator(".suggestion button.use").first.click()
    assert agent.input_value("#reply-text") == CONCERN.render_markdown()
    agent.click("[data-status=claimed]")
    agent.locator(f'.queue-button[data-id="{handover_id}"]').wait_for(timeout=10000)
    screenshot(agent, "agent-desk.png", full_page=True)
    agent.click("#send")

    reply = client.locator(".tk-msg-agent").last
    reply.wait_for(timeout=20000)
    assert "Support agent · alice" in reply.inner_text()
    link = reply.locator("a", has_text="click here")
    assert link.get_attribute("href") == CONCERN.link.url
    assert link.get_attribute("rel") == "noopener noreferrer"
    agent.locator("#transcript .from-agent").last.wait_for(timeout=10000)

    agent.click("#resume")
    client.locator(".tk-system", has_text="handed this chat back to me").wait_for(timeout=20000)
    assert client.locator(".tk-banner-handover").is_hidden()
    agent.locator("#h-status", has_text="resolved").wait_for(timeout=10000)
    assert client.dialogs == [] and agent.dialogs == []

    try:
        handover = store.get(handover_id)
        assert handover.status == "resolved" and handover.claimed_by == "alice"
        assert [
            f["action"] for f in store.feedback.entries(handover.id) if f["macro_id"] == "toolkit_specific_concern"
        ] == ["sent_as_is"]
    finally:
        store.dispose()
    client.context.close()
    agent.context.close()


def test_agent_assist_on_the_page_suggests_for_any_client_message(browser, server):
    agent = log_in(browser, server, AGENTS["bob"])
    agent.fill("#assist-text", "what happens if the freelancer I hire never delivers?")
    agent.click("#assist button[type=submit]")
    first = agent.locator("#assist-results .suggestion").first
    first.wait_for(timeout=15000)
    assert 'Client Toolkit › General "what if?"' in first.inner_text()
    assert first.locator("a", has_text="click here").get_attribute("href") == CONCERN.link.url
    agent.fill("#assist-text", "how do I change the credit card on my account?")
    agent.click("#assist button[type=submit]")
    agent.locator("#assist-results li", has_text="No Client Toolkit macro fits").wait_for(timeout=15000)
    assert agent.locator("#assist-results .suggestion").count() == 0
    agent.context.close()


def test_the_agent_page_fits_a_phone_screen(browser, server, store):
    token = new_conversation(server.rasa_url)
    say(server.rasa_url, token, "I want to talk to a human")
    record = store.open_for(plain_id(token))
    page = new_page(browser, f"{server.rasa_url}/agent/", width=375, height=800)
    page.fill("#token", AGENTS["alice"])
    page.click("button[type=submit]")
    page.wait_for_selector("#live.on", timeout=15000)
    page.locator(f'.queue-button[data-id="{record.id}"]').click()
    page.wait_for_selector(f"#h-title:has-text('#{record.id}')")  # with its long conversation id
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing to scroll sideways to
    for selector in ("#presence-status", "#live", "#opt-notify", "a[href='/agent/insights']", "button.link", "#claim"):
        box = page.locator(selector).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, f"{selector} is off the screen"
    page.click("#claim")
    page.wait_for_selector("#h-status.claimed")
    page.click("#close")
    page.wait_for_selector("#h-status.resolved")
    page.context.close()


def test_the_agent_pages_load_without_an_error_in_the_browser_console(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))
    page.goto(f"{server.rasa_url}/agent/")
    page.wait_for_selector("#token")
    page.fill("#token", AGENTS["alice"])
    page.click("button[type=submit]")
    page.wait_for_selector("#live.on", timeout=15000)
    for path in ("/agent/review", "/agent/insights"):
        page.goto(f"{server.rasa_url}{path}")
        page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    assert errors == []  # e.g. no 404 for a /favicon.ico the pages never meant to ask for
    context.close()


def test_a_reply_that_failed_can_be_sent_again(browser, server, store):
    token = new_conversation(server.rasa_url)
    say(server.rasa_url, token, "I want to talk to a human")
    record = store.open_for(plain_id(token))
    page = log_in(browser, server, AGENTS["alice"])
    page.locator(f'.queue-button[data-id="{record.id}"]').click()
    page.click("#claim")
    page.wait_for_selector("#h-status.claimed")
    page.route("**/reply", lambda route: route.fulfill(status=503, body='{"error": "the server is restarting"}'))
    page.fill("#reply-text", "Are you still there?")
    page.click("#send")
    page.locator("#notice", has_text="the server is restarting").wait_for(timeout=5000)
    assert page.input_value("#reply-text") == "Are you still there?"  # kept, to send again
    assert page.is_enabled("#send")
    page.unroute("**/reply")
    page.click("#send")
    page.locator("#reply-hint", has_text="Sent.").wait_for(timeout=10000)
    page.click("#close")
    page.wait_for_selector("#h-status.resolved")
    page.context.close()
