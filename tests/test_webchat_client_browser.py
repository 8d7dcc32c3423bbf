"""Another Rasa web client, rasa-webchat (npm, 1.0.1), embedded on a second origin, in real Chromium.

The shop's page is served from its own loopback port (another origin than the
assistant's), loads rasa-webchat's UMD bundle from the shop itself (installed
from tests/webchat-client/package-lock.json by the test command, never from a
CDN) and talks to the assistant, whose ASSISTANT_CORS_ORIGINS lists the shop's
origin. rasa-webchat always starts with long-polling, so this is also the test
that the browser accepts the assistant's CORS headers.
"""

from __future__ import annotations

import json

import pytest

from tests.helpers.agents import Agent, agent_env
from tests.helpers.browser import screenshot
from tests.helpers.conversations import plain_id
from tests.helpers.servers import free_port, local_settings, running_assistant
from tests.helpers.sites import static_site
from toolkit.library import load_library

LIBRARY = load_library()
HELP_ARTICLE = LIBRARY.links["pause_hourly_contract"].url
GREETING = "Hi! I'm the support assistant."
HANDED_OVER = "I've passed this conversation to our support team"  # every variant of the hand-over message
OFFER = "Yes, connect me with a person"


def shop_page(assistant_url: str) -> bytes:
    """The shop's page as an integrator writes it from rasa-webchat's README."""
    props = {
        "initPayload": "/get_started",
        "socketUrl": assistant_url,
        "socketPath": "/socket.io/",
        "embedded": True,
        "title": "Shop support",
        "params": {"storage": "local"},
    }
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A shop on another origin</title></head>
<body><h1>The shop</h1><div id="webchat" style="height: 640px"></div>
<script src="/rasa-webchat.js"></script>
<script>WebChat.default({json.dumps(props)}, document.getElementById("webchat"));</script>
</body></html>""".encode()


@pytest.fixture(scope="module")
def webchat_bundle():
    from launcher.__main__ import WEBCHAT_CLIENT_DIR, install_test_clients

    install_test_clients()  # npm ci from the lock file, only when it changed (as `make test` does)
    bundle = WEBCHAT_CLIENT_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"
    assert bundle.is_file(), f"rasa-webchat's UMD bundle is missing: {bundle}"
    return bundle.read_bytes()


@pytest.fixture(scope="module")
def shop_port():
    return free_port()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, shop_port):
    settings = local_settings(tmp_path_factory.mktemp("state"), cors=[f"http://127.0.0.1:{shop_port}"], env=agent_env())
    with running_assistant(settings, tmp_path_factory.mktemp("logs")) as running:
        yield running


@pytest.fixture(scope="module")
def shop(assistant, shop_port, webchat_bundle):
    """A tiny static server for the shop's origin: its page and the rasa-webchat bundle."""
    files = {
        "/": (shop_page(assistant.settings.rasa_url), "text/html; charset=utf-8"),
        "/rasa-webchat.js": (webchat_bundle, "text/javascript; charset=utf-8"),
    }

    with static_site(shop_port, files):
        yield f"http://127.0.0.1:{shop_port}"


@pytest.fixture
def page(browser, shop):
    context = browser.new_context(viewport={"width": 900, "height": 900})
    page = context.new_page()
    page.console = []
    page.on("console", lambda message: page.console.append(message.text))
    page.goto(shop + "/")
    yield page
    context.close()


def bot_texts(page):
    return [t.strip() for t in page.locator(".rw-response .rw-message-text").all_inner_texts()]


def wait_for_bot(page, text, timeout=20000):
    page.locator(".rw-response .rw-message-text", has_text=text).first.wait_for(timeout=timeout)


def type_message(page, text):
    box = page.locator(".rw-new-message")
    box.fill(text)
    box.press("Enter")


def conversation_token(page):
    return page.evaluate("JSON.parse(window.localStorage.getItem('chat_session')).session_id")


def test_rasa_webchat_on_another_origin_connects_greets_and_hands_over_to_an_agent(page, shop, assistant):
    server = assistant.settings
    assert shop != server.rasa_url and shop.rsplit(":", 1)[1] != str(server.rasa_port)  # another origin
    # initPayload /get_started: the greeting, over long-polling from the shop's origin
    wait_for_bot(page, GREETING)
    assert not any("Access-Control-Allow-Origin" in line for line in page.console), page.console
    token = conversation_token(page)
    assert "." in token  # the signed id the server issued in session_confirm, not rasa-webchat's own

    # a concern: the concern script, its link, the offer of a person as buttons
    type_message(page, "my freelancer ghosted me 6 days ago and the hours keep coming on my hourly contract")
    page.locator(".rw-reply", has_text=OFFER).wait_for(timeout=20000)
    assert "Based on your concerns, you may want to place your contract on hold" in "\n".join(bot_texts(page))
    link = page.locator(".rw-response a", has_text="click here")
    assert link.count() == 1 and link.get_attribute("href") == HELP_ARTICLE
    assert link.get_attribute("rel") == "noopener noreferrer"
    # the greeting was not an unclear message: there was no question with meanings
    assert not any("not sure I understood" in t for t in bot_texts(page))

    # a reload keeps the chat: same conversation, same messages
    before = bot_texts(page)
    page.reload()
    page.locator(".rw-response .rw-message-text").first.wait_for(timeout=15000)
    page.wait_for_timeout(1500)  # session_confirm: a new id would clear the chat and greet again
    assert conversation_token(page) == token
    assert bot_texts(page) == before

    # the button hands over; the notice is shown
    page.locator(".rw-reply", has_text=OFFER).click()
    wait_for_bot(page, HANDED_OVER)

    # an agent claims and answers through the desk API; the client sees both, then the bot again
    alice = Agent(server, "alice")
    [item] = [
        h for h in alice("GET", "/handovers?status=waiting")["handovers"] if h["conversation_id"] == plain_id(token)
    ]
    alice("POST", f"/handovers/{item['id']}/claim")
    wait_for_bot(page, "alice from our support team has joined the chat")
    alice("POST", f"/handovers/{item['id']}/reply", {"text": "Hi, I'm Alice. I have paused the billing for you."})
    wait_for_bot(page, "I have paused the billing for you")
    screenshot(page, "rasa-webchat-conversation.png")
    alice("POST", f"/handovers/{item['id']}/resolve", {"outcome": "resumed"})
    wait_for_bot(page, "handed this chat back to me")
    type_message(page, "what happens if a freelancer i hire stops doing the work?")
    wait_for_bot(page, "If at any point you have any concerns")
    assert conversation_token(page) == token


def test_a_forged_session_id_gets_a_new_signed_conversation_that_rasa_webchat_then_uses(page, shop):
    wait_for_bot(page, GREETING)
    real = conversation_token(page)
    forged = plain_id(real) + ".forged"
    page.evaluate(
        "forged => { const s = JSON.parse(localStorage.getItem('chat_session'));"
        " s.session_id = forged; localStorage.setItem('chat_session', JSON.stringify(s)); }",
        forged,
    )
    page.reload()
    page.wait_for_function("f => JSON.parse(localStorage.getItem('chat_session')).session_id !== f", arg=forged)
    issued = conversation_token(page)
    assert plain_id(issued) != plain_id(real) and "." in issued
    wait_for_bot(page, GREETING)  # a new conversation, greeted again
    type_message(page, "how can i pause my contract")
    page.locator(".rw-response a").last.wait_for(timeout=20000)
    assert page.locator(".rw-response a").last.get_attribute("href") == HELP_ARTICLE
