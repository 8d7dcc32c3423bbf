"""The chat widget in real headless Chromium (Debian's), driven by Playwright.

The test command installs chromium when it can (launcher.ensure_chromium); a
developer without it is told what to install. Nothing is ever skipped in CI.
"""

from __future__ import annotations

import pytest

from tests.helpers.browser import screenshot, send
from tests.helpers.servers import local_settings, running_assistant
from toolkit.library import load_library
from web.links import safe_text

LIBRARY = load_library()
HELP_ARTICLE = LIBRARY.links["pause_hourly_contract"].url


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    settings = local_settings(tmp_path_factory.mktemp("state"))
    with running_assistant(settings, tmp_path_factory.mktemp("logs")) as running:
        yield running


@pytest.fixture(scope="module")
def server(assistant):
    return assistant.settings


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 900, "height": 820})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{server.rasa_url}/chat/")
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    yield page
    context.close()


def bot_texts(page):
    return [t.strip() for t in page.locator(".tk-msg-bot").all_inner_texts()]


def test_a_concern_shows_the_concern_script_and_a_safe_link_to_the_help_article(page):
    send(page, "my freelancer ghosted me 6 days ago and the hours keep coming on my hourly contract")
    page.locator(".tk-choice", has_text="Yes, connect me with a person").wait_for(timeout=20000)  # the last part
    joined = "\n\n".join(bot_texts(page))
    assert "Based on your concerns, you may want to place your contract on hold" in joined
    link = page.locator(".tk-msg-bot a", has_text="click here")
    assert link.count() == 1
    assert link.get_attribute("href") == HELP_ARTICLE
    assert link.get_attribute("target") == "_blank"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert page.locator(".tk-choice", has_text="Yes, connect me with a person").is_visible()


def test_a_what_if_shows_the_general_script(page):
    send(page, "what happens if a freelancer i hire stops doing the work?")
    assert any("If at any point you have any concerns" in t for t in bot_texts(page))


def test_asking_for_a_person_shows_the_hand_over_state_and_reload_keeps_the_history(page):
    send(page, "the designer i hired is rude to me and misses every deadline")
    page.locator(".tk-choice", has_text="Yes, connect me with a person").click()
    banner = page.locator(".tk-banner-handover")
    banner.wait_for(state="visible", timeout=20000)
    assert "With our support team" in banner.inner_text()
    screenshot(page, "widget-conversation.png")

    client_before = page.locator(".tk-msg-client").all_inner_texts()  # their times included
    bot_before = bot_texts(page)
    page.reload()
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    assert page.locator(".tk-msg-client").all_inner_texts() == client_before
    assert bot_texts(page) == bot_before
    assert page.locator(".tk-banner-handover").is_visible()
    # the answered choice stays answered
    assert page.locator(".tk-choice", has_text="Yes, connect me with a person").is_disabled()


def test_html_typed_by_a_client_is_shown_as_text_and_runs_nothing(page):
    attack = "<img src=x onerror=alert(1)> <script>alert(2)</script>"
    send(page, attack)
    assert page.locator(".tk-msg-client").last.locator("p").inner_text().strip() == attack
    assert page.locator(".tk-log img, .tk-log script").count() == 0
    assert page.dialogs == []


def test_a_bot_message_with_a_javascript_link_shows_no_clickable_link(page):
    page.evaluate(
        "ToolkitChat.showMessage({text: 'Try [this](javascript:alert(3)) or [that](https://example.com/ok) "
        "or [mail](mailto:help@example.com) or [data](data:text/html,hi)'})"
    )
    last = page.locator(".tk-msg-bot").last
    hrefs = [a.get_attribute("href") for a in last.locator("a").all()]
    assert hrefs == ["https://example.com/ok", "mailto:help@example.com"]
    assert "Try this or that or mail or data" in last.inner_text()
    last.get_by_text("this").click()
    assert page.dialogs == []


def test_the_server_strips_unsafe_links_from_bot_messages_too():
    text = (
        "a [bad](javascript:alert(1)) b [ok](https://x.example/p) "
        "c [m](mailto:a@b.c) d [v](vbscript:x) e [r](/relative)"
    )
    assert safe_text(text) == "a bad b [ok](https://x.example/p) c [m](mailto:a@b.c) d v e r"


def test_keyboard_only_use_and_labels(page):
    page.keyboard.press("Tab")  # from the page into the conversation (scrollable with the arrow keys)
    assert page.evaluate("document.activeElement.getAttribute('role')") == "log"
    page.keyboard.press("Tab")  # and on to the widget's input
    focused = page.evaluate("document.activeElement.className")
    assert "tk-input" in focused
    page.keyboard.type("how can i pause my contract")
    page.keyboard.press("Enter")
    page.wait_for_selector(".tk-msg-bot a", timeout=20000)
    assert page.locator(".tk-msg-bot a").first.get_attribute("href") == HELP_ARTICLE
    assert page.get_by_label("Your message").count() == 1
    assert page.get_by_role("log", name="Conversation").count() == 1
    assert page.locator(".tk-input").evaluate("el => el === document.activeElement")


def test_the_page_forbids_inline_script(server):
    import urllib.request

    with urllib.request.urlopen(f"{server.rasa_url}/chat/") as response:
        csp = response.headers["Content-Security-Policy"]
        body = response.read().decode()
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in body  # every script is a file


def test_a_narrow_phone_screen_fits(browser, server):
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{server.rasa_url}/chat/")
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    box = page.locator(".tk-send").bounding_box()
    assert box["x"] + box["width"] <= 360
    context.close()


def test_a_server_restart_shows_a_visible_error_then_recovers_by_itself(page, assistant):
    send(page, "hi")
    assistant.stop()
    banner = page.locator(".tk-banner-error")
    banner.wait_for(state="visible", timeout=15000)
    assert "Reconnecting" in banner.inner_text()
    assert page.locator(".tk-send").is_disabled()

    assistant.start()
    assistant.wait_until_ready()
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=30000)
    assert not banner.is_visible()
    send(page, "what if my freelancer stops replying?")
    assert any("If at any point you have any concerns" in t for t in bot_texts(page))
