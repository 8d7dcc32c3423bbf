"""The chat widget embedded in a page of another site, as docs/widget.md tells an integrator.

The shop's page is served from its own loopback port and opened as
``http://localhost:<port>``, while the assistant is at ``http://127.0.0.1:<port>``:
for a browser those are two sites (and two origins), so this is what a shop on
its own domain sees. The page loads the widget's stylesheet and two scripts
from the assistant; the assistant lists the shop's origin in
ASSISTANT_CORS_ORIGINS.
"""

from __future__ import annotations

import pytest

from tests.helpers.browser import send
from tests.helpers.servers import free_port, local_settings, running_assistant
from tests.helpers.sites import static_site
from toolkit.library import load_library

HELP_ARTICLE = load_library().links["pause_hourly_contract"].url


def shop_page(assistant_url: str) -> bytes:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A shop on another site</title>
<link rel="stylesheet" href="{assistant_url}/chat/static/widget.css"></head>
<body><h1>The shop</h1>
<div id="toolkit-chat" data-title="Shop support"></div>
<script src="{assistant_url}/chat/static/socket.io.min.js"></script>
<script src="{assistant_url}/chat/static/widget.js"></script>
</body></html>""".encode()


@pytest.fixture(scope="module")
def shop_port():
    return free_port()


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, shop_port):
    settings = local_settings(tmp_path_factory.mktemp("state"), cors=[f"http://localhost:{shop_port}"])
    with running_assistant(settings, tmp_path_factory.mktemp("logs")) as running:
        yield running


@pytest.fixture(scope="module")
def shop(assistant, shop_port):
    with static_site(shop_port, {"/": (shop_page(assistant.settings.rasa_url), "text/html; charset=utf-8")}):
        yield f"http://localhost:{shop_port}/"


def test_the_widget_works_on_a_page_of_another_site(browser, shop, assistant):
    assert assistant.settings.rasa_url.startswith("http://127.0.0.1:")  # another site than localhost
    context = browser.new_context(viewport={"width": 900, "height": 820})
    page = context.new_page()
    refused = []
    page.on("requestfailed", lambda request: refused.append(f"{request.url}: {request.failure}"))
    try:
        page.goto(shop)
        page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
        assert refused == []  # the stylesheet, both scripts and safe-links.js beside them all loaded
        send(page, "my freelancer ghosted me 6 days ago and the hours keep coming on my hourly contract")
        page.locator(".tk-choice", has_text="Yes, connect me with a person").wait_for(timeout=20000)
        link = page.locator(".tk-msg-bot a", has_text="click here")
        assert link.count() == 1 and link.get_attribute("href") == HELP_ARTICLE  # safe-links.js rendered it
        assert page.evaluate("getComputedStyle(document.querySelector('.tk-input')).display") != "none"
    finally:
        context.close()
