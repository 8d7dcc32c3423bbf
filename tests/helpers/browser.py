"""Headless Chromium for the browser tests: where it is, how it starts, screenshots, typing into the widget."""

from __future__ import annotations

from tests.helpers.missing import unavailable
from tests.helpers.paths import ARTIFACTS

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium (or CHROMIUM_PATH); skips without it, fails under CI."""
    from launcher.__main__ import find_chromium

    path = find_chromium()
    if path is None:
        unavailable("Chromium is not installed: apt-get install chromium (or set CHROMIUM_PATH)")
    return path


def screenshot(page, name: str, **options) -> None:
    """Saves a picture of ``page`` as test-artifacts/``name``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), **options)


def send(page, text):
    """Types into the chat widget like a keyboard user: focus the box, type, press Enter."""
    before = page.locator(".tk-msg-bot").count()
    page.focus(".tk-input")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('.tk-msg-bot').length > n", arg=before, timeout=20000)
    page.wait_for_timeout(300)  # the rest of a multi-message reply


def signed_in_agent_page(browser, rasa_url: str, token: str, height: int = 900, live: bool = False):
    """A new browser page logged in to the agent side with ``token`` (and, with ``live``, its socket connected)."""
    context = browser.new_context(viewport={"width": 1280, "height": height})
    page = context.new_page()
    page.goto(f"{rasa_url}/agent/")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("#me:has-text('Signed in as')", timeout=15000)
    if live:
        page.wait_for_selector("#live.on", timeout=15000)  # the socket is connected
    return page
