"""The Insights page and the widget's "Did this help?" in real headless Chromium (Debian's)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from bench.insights_data import seed
from handover.schema import Database
from tests.helpers.agents import AGENTS, agent_env, call
from tests.helpers.browser import screenshot, send, signed_in_agent_page
from tests.helpers.servers import local_settings, running_assistant

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    state = tmp_path_factory.mktemp("insights-page-state")
    settings = local_settings(state, env=agent_env())
    db = Database(settings.handover_db_url)
    seed(db, 3000, 40, datetime.now(timezone.utc))  # a month and more of conversations
    db.dispose()
    with running_assistant(settings, tmp_path_factory.mktemp("insights-page-logs")) as running:
        yield running.settings


def logged_in(browser, server):
    return signed_in_agent_page(browser, server.rasa_url, AGENTS["alice"], height=1000)


def test_the_insights_page_shows_the_figures_of_the_api_charts_and_a_csv_link(browser, server):
    page = logged_in(browser, server)
    page.click("a.insights-link")
    page.wait_for_selector("main[aria-busy=false]", timeout=20000)
    _, api, _ = call(f"{server.rasa_url}/agent/api/insights?period=30d&group=day", token=AGENTS["alice"])
    assert page.inner_text("#k-conversations") == str(api["totals"]["conversations"]) != "0"
    assert page.locator("#empty").is_hidden()
    assert page.evaluate("Object.keys(Chart.instances).length") == 2
    assert page.evaluate("Chart.getChart('chart-outcomes').data.labels.length") == 30
    assert page.get_attribute("#csv", "href") == "/agent/api/insights.csv?period=30d&group=day"
    assert page.locator("#figures tbody tr").count() >= 10
    screenshot(page, "insights.png", full_page=True)

    page.select_option("#preset", "365d")  # a year reads per week
    page.wait_for_function("Chart.getChart('chart-outcomes').data.labels.length < 60", timeout=20000)
    page.select_option("#preset", "custom")
    page.fill("#from", "2026-11-20")
    page.fill("#to", "2026-11-01")
    page.click("button[type=submit]")
    page.wait_for_selector("#notice:not([hidden])", timeout=10000)
    assert "before 'from'" in page.inner_text("#notice")
    page.fill("#from", "2020-01-01")
    page.fill("#to", "2020-01-31")
    page.click("button[type=submit]")
    page.wait_for_selector("#empty:not([hidden])", timeout=10000)
    assert page.inner_text("#k-conversations") == "0" and page.locator("#notice").is_hidden()
    page.context.close()


def test_the_page_is_for_agents_only(browser, server):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{server.rasa_url}/agent/insights")
    assert page.url.endswith("/agent/") and page.locator("#token").count() == 1  # the log-in
    context.close()


def test_a_client_rates_an_answer_in_the_widget_and_can_change_it(browser, server):
    context = browser.new_context(viewport={"width": 420, "height": 820})
    page = context.new_page()
    page.goto(f"{server.rasa_url}/chat/")
    page.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    send(page, "the freelancer I hired has gone silent for days")
    page.locator(".tk-rating").first.wait_for(timeout=20000)
    assert page.locator(".tk-rating").count() == 1  # under the script, not under the offer
    page.click(".tk-rate[data-helpful=true]")
    page.wait_for_selector(".tk-rating-thanks:has-text('Thanks')", timeout=10000)
    page.fill(".tk-rating-comment", "actually the link was broken")
    page.click(".tk-rate[data-helpful=false]")
    page.wait_for_selector(".tk-rate[data-helpful=false][aria-pressed=true]", timeout=10000)
    page.wait_for_selector(".tk-rating-thanks:has-text('Thanks')", timeout=10000)
    db = Database(server.handover_db_url)
    from handover.ratings import unhelpful_ratings

    rated = [r for r in unhelpful_ratings(db) if r.comment == "actually the link was broken"]
    db.dispose()
    assert len(rated) == 1 and rated[0].kind == "answer"
    context.close()
