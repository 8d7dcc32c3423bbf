"""The review loop end to end, in real headless Chromium: a misread message is relabelled and learnt.

A client's message gets the wrong script and the client asks for a person; the
message appears in the review tab; a reviewer relabels it in the page and
exports; the launcher's retrain (``make retrain``) trains a candidate, the gate
compares it with the live model on the held-out test split and promotes it
through Rasa's ``PUT /model``; the running assistant then sends the right
script for the same message, and agent assist suggests the right macro for it.
One retrain, shared by the tests of this module.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import yaml

from launcher.retrain import retrain
from review.export import FILE_NAME
from tests.helpers.agents import AGENTS, Agent
from tests.helpers.browser import screenshot
from tests.helpers.conversations import new_conversation, say
from tests.helpers.review import CONCERN, WHAT_IF
from toolkit.library import load_library

pytestmark = pytest.mark.e2e

# A concern the current model reads as a what-if question, confidently (ask_what_if 0.97)
MISREAD = "is there anything i can do if my coder has been missing since monday"
LIBRARY = load_library()
CONCERN_SCRIPT = LIBRARY.resource("pause_script_specific_concern").text[:40]  # "Based on your concerns, …"
WHAT_IF_SCRIPT = LIBRARY.resource("pause_script_what_if").text[:40]  # "If at any point you have any concerns, …"


def _texts(replies):
    return " ".join(r.get("text") or "" for r in replies)


def _log_in(browser, server, token):
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.goto(f"{server.rasa_url}/agent/")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_selector("#me:has-text('Signed in as')", timeout=15000)
    return page


@pytest.fixture(scope="module")
def journey(browser, review_assistant):
    """The whole loop once; what each step showed, for the tests to check."""
    server = review_assistant.settings
    seen = SimpleNamespace()
    conversation = new_conversation(server.rasa_url)
    seen.reply_before = _texts(say(server.rasa_url, conversation, MISREAD))
    say(server.rasa_url, conversation, "that didn't help, I want to talk to a person")
    alice = Agent(server, "alice")
    seen.assist_before = alice("POST", "/suggestions", {"text": MISREAD})["suggestions"]

    page = _log_in(browser, server, AGENTS["alice"])
    page.click("a[href='/agent/review']")
    row = page.locator(".review-row", has_text=MISREAD)
    row.wait_for(timeout=20000)
    seen.row_text = row.inner_text()
    row.locator("button.pick").click()
    page.wait_for_selector(f"#i-text:has-text('{MISREAD}')")
    page.wait_for_selector("#i-context li.this")
    seen.why = page.locator("#i-why").inner_text()
    seen.predicted = page.locator("#i-intent").inner_text()
    screenshot(page, "review-inbox.png", full_page=True)
    page.select_option("#a-intent", CONCERN)
    page.click("#a-relabel")
    page.wait_for_selector("#done:has-text('labelled')", timeout=15000)
    seen.labelled = page.locator("#done").inner_text()
    page.click("#export")
    page.wait_for_selector("#done:has-text('reviewed examples written')", timeout=15000)
    seen.exported = page.locator("#done").inner_text()
    seen.reviewed = yaml.safe_load((review_assistant.data / "nlu" / FILE_NAME).read_text(encoding="utf-8"))
    page.context.close()

    seen.result = retrain(server, review_assistant.data, models_dir=review_assistant.models)
    later = new_conversation(server.rasa_url)
    seen.reply_after = _texts(say(server.rasa_url, later, MISREAD))
    seen.assist_after = alice("POST", "/suggestions", {"text": MISREAD})["suggestions"]
    seen.live = alice("GET", "/review/model")
    return seen


def test_the_misread_message_is_in_the_inbox_with_why(journey):
    assert WHAT_IF_SCRIPT in journey.reply_before and CONCERN_SCRIPT not in journey.reply_before
    assert "unhelpful script" in journey.row_text
    assert "asked for a person" in journey.why
    assert journey.predicted.startswith(WHAT_IF)


def test_the_relabel_is_exported_as_training_data(journey):
    assert "1 group labelled: relabel → report_freelancer_concern" in journey.labelled
    assert journey.exported.startswith("1 reviewed examples written")
    [block] = journey.reviewed["nlu"]
    assert block["intent"] == CONCERN
    assert [e["text"] for e in block["examples"]] == [MISREAD]
    assert block["examples"][0]["metadata"]["reviewed_by"] == "alice"


def test_the_gate_promotes_it_and_the_assistant_then_sends_the_right_script(journey):
    verdict = journey.result.verdict
    assert verdict.promote, verdict.reasons
    assert journey.result.live
    assert journey.live["model"] == journey.result.promoted_to.name and journey.live["trained_at"]
    assert CONCERN_SCRIPT in journey.reply_after and WHAT_IF_SCRIPT not in journey.reply_after


def test_agent_assist_learns_the_relabelled_wording_too(journey):
    assert [s["macro_id"] for s in journey.assist_before][:1] == ["toolkit_what_if"]
    assert [s["macro_id"] for s in journey.assist_after][:1] == ["toolkit_specific_concern"]
    assert journey.assist_after[0]["why"]["intent"] == CONCERN


def test_keyboard_shortcuts_undo_and_bulk_labels_in_the_page(browser, review_assistant, journey):
    server = review_assistant.settings
    texts = ["what happens if my freelancer stops replying on friday", "what happens if my designer goes quiet in june"]
    for text in texts:
        conversation = new_conversation(server.rasa_url)
        say(server.rasa_url, conversation, text)
        say(server.rasa_url, conversation, "that didn't help, I want to talk to a person")
    page = _log_in(browser, server, AGENTS["alice"])
    page.goto(f"{server.rasa_url}/agent/review")
    first = page.locator(".review-row", has_text=texts[0])
    first.locator("button.pick").click()
    page.wait_for_selector(f"#i-text:has-text('{texts[0]}')")
    page.keyboard.press("c")
    page.wait_for_selector("#done:has-text('1 group labelled: confirm')")
    first.wait_for(state="detached", timeout=10000)  # labelled: no longer among those to review

    page.select_option("#f-state", "all")
    first.locator("button.pick").click()
    page.wait_for_selector("#i-label:has-text('by alice')")
    page.keyboard.press("u")
    page.wait_for_selector("#done:has-text('Label undone.')")
    page.wait_for_selector("#i-label:has-text('none yet')")

    page.select_option("#f-state", "open")
    page.locator(".review-row", has_text=texts[1]).wait_for()
    page.check("#select-all")
    selected = int(page.locator("#selected").inner_text().split()[0])
    assert selected >= 2
    page.click("[data-bulk=discard]")
    page.wait_for_selector(f"#done:has-text('{selected} groups labelled: discard')")
    page.wait_for_selector("#empty:visible")
    page.context.close()
