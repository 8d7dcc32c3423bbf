"""The live agent page in headless Chromium: pushed, never polled.

A hand-over appears on an open agent page in under a second without a reload;
the client's next message reaches the claimed conversation and its queue card
live; the tab title counts waiting clients; notes stay among agents; the
keyboard shortcuts work and never fire while the agent types.
"""

from __future__ import annotations

import pytest

from tests.helpers.agents import AGENTS, Agent
from tests.helpers.browser import screenshot, send
from tests.helpers.conversations import new_conversation, plain_id, say

pytestmark = pytest.mark.e2e

ASK = "I want to talk to a human"
LIVE_LIMIT_MS = 1000  # "within 1 s": the limit of the waits below, not a measurement


def live_page(browser, server, name, init_script=None):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(f"{server.rasa_url}/agent/")
    page.fill("#token", AGENTS[name])
    page.click("button[type=submit]")
    page.wait_for_selector("#me:has-text('Signed in as')", timeout=15000)
    page.wait_for_selector("#live.on", timeout=15000)  # the socket is connected
    return page


def ask_for_a_person(server, store):
    """A new client asks for a person: the conversation's token and its open hand-over."""
    token = new_conversation(server.rasa_url)
    say(server.rasa_url, token, ASK)
    return token, store.open_for(plain_id(token))


def test_a_hand_over_and_the_client_s_messages_appear_live_without_polling(browser, server, store):
    page = live_page(browser, server, "alice")
    page.wait_for_timeout(500)
    before = len([u for u in page.requests if "/agent/api/handovers" in u])
    page.wait_for_timeout(4000)  # longer than the old 3 s poll
    assert len([u for u in page.requests if "/agent/api/handovers" in u]) == before, "the page polls"

    token, record = ask_for_a_person(server, store)
    card = page.locator(f'.queue-button[data-id="{record.id}"]')
    card.wait_for(timeout=LIVE_LIMIT_MS)  # no reload, under a second
    waiting = len(store.list("waiting"))
    page.wait_for_function("t => document.title.startsWith(t)", arg=f"({waiting}) Agent desk", timeout=LIVE_LIMIT_MS)

    card.click()
    page.wait_for_selector(f"#h-title:has-text('#{record.id}')")
    page.click("#claim")
    page.wait_for_selector("#h-status.claimed")
    page.wait_for_function("t => !document.title.startsWith(t)", arg=f"({waiting}) ", timeout=LIVE_LIMIT_MS * 3)

    say(server.rasa_url, token, "are you there? my mail is jo@example.com")
    line = page.locator("#transcript .from-client .text", has_text="are you there?")
    line.wait_for(timeout=LIVE_LIMIT_MS)
    assert "jo@example.com" not in line.inner_text()  # masked, as in the store
    # the conversation follows the newest line
    assert page.evaluate(
        "(l => l.scrollHeight - l.scrollTop - l.clientHeight < 40)(document.getElementById('transcript'))"
    )
    page.click("[data-status=claimed]")
    page.locator(f'.queue-item[data-id="{record.id}"] .queue-last', has_text="are you there?").wait_for(timeout=5000)
    say(server.rasa_url, token, "still waiting on the refund")
    page.locator(f'.queue-item[data-id="{record.id}"] .queue-last', has_text="still waiting").wait_for(
        timeout=LIVE_LIMIT_MS
    )
    screenshot(page, "agent-desk-live.png", full_page=True)
    page.click("#close")
    page.wait_for_selector("#h-status.resolved", timeout=10000)
    page.context.close()


def test_a_claim_on_one_page_shows_on_another_agent_s_page_at_once(browser, server, store):
    alice, bob = live_page(browser, server, "alice"), live_page(browser, server, "bob")
    token, record = ask_for_a_person(server, store)
    for page in (alice, bob):
        page.locator(f'.queue-button[data-id="{record.id}"]').wait_for(timeout=LIVE_LIMIT_MS)
    bob.locator(f'.queue-button[data-id="{record.id}"]').click()
    alice.locator(f'.queue-button[data-id="{record.id}"]').click()
    alice.wait_for_selector(f"#h-title:has-text('#{record.id}')")
    bob.click("#claim")
    alice.locator("#h-status", has_text="claimed by bob").wait_for(timeout=LIVE_LIMIT_MS * 2)
    alice.locator(f'.queue-button[data-id="{record.id}"]').wait_for(state="detached", timeout=LIVE_LIMIT_MS * 2)
    bob.click("#close")
    for page in (alice, bob):
        page.context.close()


def test_notes_are_shared_live_and_never_shown_to_the_client(browser, server, store):
    alice, bob = live_page(browser, server, "alice"), live_page(browser, server, "bob")
    token, record = ask_for_a_person(server, store)
    for page in (alice, bob):
        page.locator(f'.queue-button[data-id="{record.id}"]').click()
        page.wait_for_selector(f"#h-title:has-text('#{record.id}')")
    alice.fill("#note-text", "<b>refund</b> was promised on the phone")
    alice.click("#add-note")
    alice.locator("#notes .note .text", has_text="refund").wait_for(timeout=5000)
    note = bob.locator("#notes .note .text", has_text="was promised on the phone")
    note.wait_for(timeout=LIVE_LIMIT_MS)
    assert note.inner_text() == "<b>refund</b> was promised on the phone"  # text, never markup
    assert bob.locator("#notes b").count() == 0
    replies = say(server.rasa_url, token, "hello?")
    assert "promised on the phone" not in str(replies)
    for page in (alice, bob):
        page.context.close()


def test_the_keyboard_shortcuts_move_open_claim_and_stay_quiet_while_typing(browser, server, store):
    page = live_page(browser, server, "bob")
    token, record = ask_for_a_person(server, store)
    page.locator(f'.queue-button[data-id="{record.id}"]').wait_for(timeout=5000)
    assert page.locator(".shortcuts dt").count() >= 8  # listed on the page
    page.click("h1")
    cards = page.locator("#queue .queue-button")
    for _ in range(cards.count()):
        page.keyboard.press("j")  # to the last card, the newest
    assert page.evaluate("document.activeElement.getAttribute('data-id')") == str(record.id)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#h-title:has-text('#{record.id}')")
    page.click("h1")
    page.keyboard.press("c")
    page.wait_for_selector("#h-status.claimed")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reply-text"
    page.keyboard.type("just checking: j k c")
    assert page.input_value("#reply-text") == "just checking: j k c"  # typed, no shortcut fired
    assert page.locator("#h-status.claimed").count() == 1
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.id") != "reply-text"
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == "note-text"
    page.click("#close")
    page.context.close()


def test_the_client_sees_the_agent_typing_for_as_long_as_the_agent_types(browser, server, store):
    chat = browser.new_context(viewport={"width": 400, "height": 800}).new_page()
    chat.goto(f"{server.rasa_url}/chat/")
    chat.wait_for_selector(".tk-status:has-text('Online')", timeout=15000)
    send(chat, ASK)
    record = store.open_for(plain_id(chat.evaluate("localStorage.getItem('tk-chat-session')")))
    page = live_page(browser, server, "alice")
    page.locator(f'.queue-button[data-id="{record.id}"]').click()
    page.wait_for_selector(f"#h-title:has-text('#{record.id}')")
    page.click("#claim")
    page.wait_for_selector("#h-status.claimed")
    typing = chat.locator(".tk-typing", has_text="alice is typing")
    page.click("#reply-text")
    for second in range(10):  # a long reply, typed without a pause: longer than the widget's 6 s
        for _ in range(4):
            page.keyboard.type("a few words ", delay=20)
            page.wait_for_timeout(10)
        assert typing.is_visible(), f"the typing line went away after {second + 1} s of typing"
    typing.wait_for(state="hidden", timeout=6000)  # she stopped: it goes
    page.click("#close")
    page.context.close()
    chat.context.close()


def seconds(shown):
    """The seconds of a waiting time as the page shows it: "42 s", "3 min 5 s"."""
    numbers = [int(n) for n in shown.replace("min", "").replace("s", "").split()]
    return numbers[-1] + (60 * numbers[0] if len(numbers) == 2 else 0)


def test_the_open_hand_over_s_waiting_time_counts_up_like_its_card(browser, server, store):
    token = new_conversation(server.rasa_url)
    say(server.rasa_url, token, ASK)
    record = store.open_for(plain_id(token))
    page = live_page(browser, server, "alice")
    page.locator(f'.queue-button[data-id="{record.id}"]').click()
    page.wait_for_selector(f"#h-title:has-text('#{record.id}')")
    waiting_for = page.locator("#summary dt:text-is('Waiting for') + dd")
    first = waiting_for.inner_text()
    page.wait_for_timeout(16000)  # longer than the page's 15 s tick, with no push in between
    card = page.locator(f'.queue-item[data-id="{record.id}"] .waited').inner_text()
    assert seconds(waiting_for.inner_text()) > seconds(first)  # counted on at the tick, not stuck at the first value
    assert abs(seconds(waiting_for.inner_text()) - seconds(card)) <= 1  # and the card's, give or take its rounding
    page.click("#claim")
    page.wait_for_selector("#h-status.claimed")
    page.click("#close")
    page.context.close()


SPIES = """
window.__notified = [];
window.__beeps = 0;
(function () {
  function FakeNotification(title, options) { window.__notified.push(title); this.close = function () {}; }
  FakeNotification.permission = "granted";
  FakeNotification.requestPermission = function () { return Promise.resolve("granted"); };
  window.Notification = FakeNotification;
  var Real = window.AudioContext;
  window.AudioContext = function () {
    var context = new Real();
    var make = context.createOscillator.bind(context);
    context.createOscillator = function () { window.__beeps += 1; return make(); };
    return context;
  };
})();
"""


def test_opted_in_agents_hear_and_see_a_new_hand_over_and_one_raised_again(browser, server, store):
    from datetime import timedelta

    from handover.records import now
    from handover.schema import handovers

    page = live_page(browser, server, "bob", init_script=SPIES)
    assert not page.is_checked("#opt-sound") and not page.is_checked("#opt-notify")  # opt-in: off at first
    page.check("#opt-sound")
    page.check("#opt-notify")
    page.reload()
    page.wait_for_selector("#live.on", timeout=15000)
    assert page.is_checked("#opt-sound") and page.is_checked("#opt-notify")  # remembered
    beeps = page.evaluate("window.__beeps")

    token, record = ask_for_a_person(server, store)
    page.locator(f'.queue-button[data-id="{record.id}"]').wait_for(timeout=LIVE_LIMIT_MS)
    assert "A client is waiting for an agent" in page.evaluate("window.__notified")
    assert page.evaluate("window.__beeps") > beeps

    with store.engine.begin() as conn:  # as if it had waited 4 minutes unclaimed
        conn.execute(
            handovers.update()
            .where(handovers.c.id == record.id)
            .values(created_at=now() - timedelta(minutes=4, seconds=5))
        )
    card = page.locator(f'.queue-item[data-id="{record.id}"].reraised')
    card.wait_for(timeout=10000)  # the background check (every 0.5 s here) raised it again
    assert "raised again" in card.inner_text() and "waiting 4 min" in card.inner_text()
    assert "A client is still waiting for an agent" in page.evaluate("window.__notified")
    assert [e.kind for e in store.events(record.id)].count("reraised") == 1
    page.wait_for_timeout(1500)
    assert page.evaluate("window.__notified").count("A client is still waiting for an agent") == 1  # once
    page.context.close()


def test_the_page_reconnects_by_itself_and_catches_up_on_what_it_missed(browser, server, store):
    page = live_page(browser, server, "alice")
    page.evaluate("window.AgentDesk.socket.disconnect()")  # gone for a while: it misses what happens
    page.wait_for_selector("#live.off")
    token, record = ask_for_a_person(server, store)
    page.wait_for_timeout(1500)
    assert page.locator(f'.queue-button[data-id="{record.id}"]').count() == 0  # missed, not polled
    page.evaluate("window.AgentDesk.socket.connect()")
    page.wait_for_selector("#live.on", timeout=10000)
    page.locator(f'.queue-button[data-id="{record.id}"]').wait_for(timeout=5000)  # caught up on connecting

    page.evaluate("window.AgentDesk.socket.io.engine.close()")  # the connection drops
    page.wait_for_selector("#live.off:has-text('Reconnecting')", timeout=5000)
    page.wait_for_selector("#live.on", timeout=15000)  # socket.io reconnected by itself, with a new ticket
    say(server.rasa_url, token, "one more thing")
    page.locator(f'.queue-item[data-id="{record.id}"] .queue-last', has_text="one more thing").wait_for(
        timeout=LIVE_LIMIT_MS
    )
    page.context.close()


def test_steps_move_cards_in_place_in_queue_order_and_recount_without_fetching_the_queue(browser, server, store):
    page = live_page(browser, server, "alice")
    page.wait_for_timeout(500)  # the first load is done
    fetched = lambda: len([u for u in page.requests if "/agent/api/handovers?status=" in u])  # noqa: E731
    before = fetched()
    records = []
    for _ in range(2):  # two clients ask for a person, one after the other
        records.append(ask_for_a_person(server, store)[1])
        page.locator(f'.queue-item[data-id="{records[-1].id}"]').wait_for(timeout=LIVE_LIMIT_MS)
    first, second = records
    order = "() => Array.from(document.querySelectorAll('#queue .queue-item')).map(n => Number(n.dataset.id))"

    def counts():
        return page.evaluate(
            "() => ['waiting', 'claimed'].map(s => document.querySelector(`[data-status=${s}] .count`).textContent)"
        )

    def settled(waiting, claimed):
        expected = [f"({waiting})", f"({claimed})"]
        page.wait_for_function(
            "e => ['waiting', 'claimed'].every((s, i) => "
            "document.querySelector(`[data-status=${s}] .count`).textContent === e[i])",
            arg=expected,
            timeout=LIVE_LIMIT_MS,
        )
        assert page.title().startswith(f"({waiting}) ") if waiting else not page.title().startswith("(")

    assert page.evaluate(order).index(first.id) < page.evaluate(order).index(second.id)  # oldest first
    waiting, claimed = len(store.list("waiting")), len(store.list("claimed"))
    settled(waiting, claimed)

    bob = Agent(server, "bob")
    bob("POST", f"/handovers/{first.id}/claim")  # on another agent's page: gone from alice's waiting queue
    page.locator(f'.queue-item[data-id="{first.id}"]').wait_for(state="detached", timeout=LIVE_LIMIT_MS)
    settled(waiting - 1, claimed + 1)
    bob("POST", f"/handovers/{first.id}/release")  # back, in its place: before the newer one
    page.locator(f'.queue-item[data-id="{first.id}"]').wait_for(timeout=LIVE_LIMIT_MS)
    ids = page.evaluate(order)
    assert ids.index(first.id) < ids.index(second.id), (ids, counts())
    settled(waiting, claimed)
    assert fetched() == before, "the page fetched the queue again for a pushed step"
    for record in records:
        bob("POST", f"/handovers/{record.id}/claim")
        bob("POST", f"/handovers/{record.id}/resolve", {"outcome": "closed"})
    page.context.close()
