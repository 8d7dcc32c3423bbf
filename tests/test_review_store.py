"""The review inbox without servers: reasons, gathering, grouping, labels, the export (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
import yaml

from handover.schema import Database
from privacy.masking import mask_text
from review.export import FILE_NAME, export
from review.gather import Gatherer, group_key
from review.store import (
    MAX_SELECTION,
    Query,
    ReviewConflict,
    ReviewError,
    ReviewNotFound,
    ReviewStore,
    SelectionTooLarge,
)
from tests.helpers.paths import ROOT
from tests.helpers.review import CONCERN, HUMAN, OOS, PAUSE, WHAT_IF, Tracker, action, bot, misread_after_script, user

INTENTS = {CONCERN, WHAT_IF, PAUSE, HUMAN, OOS, "greet", "deny", "affirm"}


@pytest.fixture(params=["sqlite", "postgresql"])
def inbox(request, tmp_path):
    """(tracker, review store, gatherer) on SQLite files, or on a throw-away PostgreSQL database."""
    if request.param == "sqlite":
        tracker, db = Tracker(f"sqlite:///{tmp_path / 'tracker.db'}"), Database(f"sqlite:///{tmp_path / 'h.db'}")
    else:
        url = request.getfixturevalue("postgres_url")
        tracker, db = Tracker(url), Database(url)
        with db.engine.begin() as conn:  # the session's database is shared: start empty
            for table in ("review_labels", "review_items", "review_cursor", "suggestion_feedback"):
                conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - our own table names
        tracker.table.drop(tracker.engine, checkfirst=True)  # whoever made it, start from ours
        tracker.table.create(tracker.engine)
    store = ReviewStore(db)
    yield tracker, store, Gatherer(tracker.engine, store)
    db.dispose()
    if request.param == "postgresql":  # the session's database: Rasa's own store makes its table again
        tracker.table.drop(tracker.engine)
    tracker.engine.dispose()


def _reasons(store):
    return {g["text"]: g["reasons"] for g in store.list(Query(state="all", per_page=200))["groups"]}


def test_each_reason_finds_its_messages_and_says_why(inbox):
    tracker, store, gatherer = inbox
    tracker.add("c1", misread_after_script("my freelancer vanished with my money, what now"))
    tracker.add("c2", [user("is it ok to pause maybe", PAUSE, 0.55, (WHAT_IF, 0.45))])
    tracker.add(
        "c3",
        [
            user("hmm the thing", OOS, 0.3, fallback=True),
            action("action_clarify_meaning"),
            bot("Did you mean..."),
            user("/ask_what_if", WHAT_IF),
        ],
    )
    tracker.add("c4", [user("hwo do i puase my contrct", PAUSE, 0.97, normalized="how do i pause my contract")])
    tracker.add("c5", [user("all good thanks", "thank", 0.99)])
    gatherer.gather()
    found = _reasons(store)
    assert found["my freelancer vanished with my money, what now"] == ["unhelpful_script"]
    assert set(found["is it ok to pause maybe"]) == {"low_confidence", "close_runner_up"}
    assert "fallback" in found["hmm the thing"]
    assert "/ask_what_if" not in found  # a button's payload is no item
    fallback = next(g for g in store.list(Query())["groups"] if g["text"] == "hmm the thing")
    assert fallback["why"]["fallback"] == "a clarifying question was asked; the client then picked ask_what_if"
    assert found["hwo do i puase my contrct"] == ["spelling_changed"]
    assert "all good thanks" not in found  # nothing wrong with it
    item = next(g for g in store.list(Query())["groups"] if g["text"].startswith("my freelancer vanished"))
    assert "asked for a person" in item["why"]["unhelpful_script"]
    assert [line["who"] for line in item["context"]][:2] == ["client", "bot"] and item["context"][0]["this"]
    assert (item["intent"], item["runner_up"]) == (WHAT_IF, CONCERN)


def test_suggestion_feedback_puts_the_message_before_it_in_the_inbox(inbox):
    tracker, store, gatherer = inbox
    from handover.feedback import FeedbackLog

    tracker.add(
        "c9", [user("freelancer keeps billing me for nothing", CONCERN, 0.96), action("action_send_concern_script")]
    )
    feedback = FeedbackLog(store.db)
    feedback.record("alice", "cs_client_toolkit", "ignored", conversation_id="c9")
    feedback.record("alice", "another_macro", "sent_as_is", conversation_id="c9")
    gatherer.gather()
    [group] = store.list(Query())["groups"]
    assert group["reasons"] == ["suggestion_overridden"]
    assert group["why"]["suggestion_overridden"] == "alice sent another_macro instead of cs_client_toolkit"


def test_a_didnt_help_rating_puts_the_message_it_answered_in_the_inbox(inbox):
    tracker, store, gatherer = inbox
    from handover.ratings import RatingLog

    tracker.add("c7", [user("can i stop the contract for a bit", PAUSE, 0.97), action("action_send_pause_link")])
    step = f"answer:{int(tracker.clock * 1000)}"  # the answer the widget asked about
    ratings = RatingLog(store.db)
    ratings.rate("c7", step, helpful=True)
    gatherer.gather()
    assert store.list(Query())["total"] == 0  # a helpful answer is nothing to review
    ratings.rate("c7", step, helpful=False, comment="wrong article, call me on 0612345678")  # changed later
    gatherer.gather()
    [group] = store.list(Query())["groups"]
    assert (group["text"], group["reasons"]) == ("can i stop the contract for a bit", ["client_said_unhelpful"])
    why = group["why"]["client_said_unhelpful"]
    assert why.startswith("the client said the answer didn't help: “wrong article") and "0612345678" not in why
    ratings.rate("c7", "resolution:12", helpful=False)  # rates the agent, not what the assistant understood
    gatherer.gather()
    assert store.list(Query())["total"] == 1


def test_gathering_is_incremental_and_masks_what_it_keeps(inbox):
    tracker, store, gatherer = inbox
    tracker.add("c1", [user("mail me at jo.doe@example.com about the contract", PAUSE, 0.5, (CONCERN, 0.45))])
    assert gatherer.gather() == 1
    assert gatherer.gather() == 0  # nothing new
    tracker.add("c1", [action("action_send_pause_link"), user("no that did not help", "deny", 0.9)])
    gatherer.gather()
    [group] = store.list(Query())["groups"]
    assert group["text"] == "mail me at [email] about the contract"
    assert "jo.doe" not in str(group)
    assert "unhelpful_script" in group["reasons"]  # the conversation went on: a reason more, no new row
    assert store.list(Query())["total"] == 1


def test_near_duplicates_are_one_group_with_a_count(inbox):
    tracker, store, gatherer = inbox
    for n, text in enumerate(["My freelancer vanished!!", "my freelancer   vanished", "MY FREELANCER VANISHED?"]):
        tracker.add(f"d{n}", misread_after_script(text))
    tracker.add("other", misread_after_script("something else entirely"))
    gatherer.gather()
    page = store.list(Query(sort="frequent"))
    assert page["total"] == 2
    assert page["groups"][0]["count"] == 3 and page["groups"][1]["count"] == 1
    assert group_key("Paid $1,200 on 3 May!") == group_key("paid $9,999 on 12 may")


def test_filters_and_paging(inbox):
    tracker, store, gatherer = inbox
    for n in range(7):
        tracker.add(f"p{n}", [user(f"pause question number {'x' * n}", PAUSE, 0.5, (WHAT_IF, 0.45))])
    tracker.add("s", [user("hwo do i puase my contrct", PAUSE, 0.97, normalized="how do i pause my contract")])
    gatherer.gather()
    assert store.list(Query(reason="spelling_changed"))["total"] == 1
    assert store.list(Query(intent=WHAT_IF))["total"] == 0
    first, last = store.list(Query(per_page=5)), store.list(Query(per_page=5, page=2))
    assert first["total"] == 8 and len(first["groups"]) == 5 and len(last["groups"]) == 3
    assert not {g["id"] for g in first["groups"]} & {g["id"] for g in last["groups"]}


def _one_item(tracker, gatherer, store, conversation="c1", text="my freelancer vanished"):
    tracker.add(conversation, misread_after_script(text))
    gatherer.gather()
    return next(g["id"] for g in store.list(Query(state="all"))["groups"] if g["text"] == mask_text(text))


def test_a_label_is_recorded_with_who_and_when_and_can_be_undone(inbox):
    tracker, store, gatherer = inbox
    item = _one_item(tracker, gatherer, store)
    [label] = store.label([item], "relabel", "alice", INTENTS, CONCERN)
    assert (label["reviewer"], label["decision"], label["intent"]) == ("alice", "relabel", CONCERN) and label["at"]
    assert store.list(Query())["total"] == 0 and store.list(Query(state="labelled"))["total"] == 1
    undone = store.undo(label["id"], "bob")
    assert undone["undone_by"] == "bob"
    with pytest.raises(ReviewConflict):
        store.undo(label["id"], "bob")
    store.label([item], "confirm", "bob", INTENTS)
    history = store.item(item)["group"]["history"]
    assert [(h["reviewer"], h["decision"], h["undone_by"]) for h in history] == [
        ("alice", "relabel", "bob"),
        ("bob", "confirm", None),
    ]


def test_the_second_of_two_reviewers_gets_409_with_the_first_decision(inbox):
    tracker, store, gatherer = inbox
    item = _one_item(tracker, gatherer, store)
    results, barrier = [], threading.Barrier(2)

    def label(who, intent):
        barrier.wait()
        try:
            results.append(("ok", who, store.label([item], "relabel", who, INTENTS, intent)))
        except ReviewConflict as e:
            results.append(("409", who, e.extra["labels"]))

    threads = [threading.Thread(target=label, args=a) for a in (("alice", CONCERN), ("bob", PAUSE))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r[0] for r in results) == ["409", "ok"]
    winner = next(r for r in results if r[0] == "ok")
    loser = next(r for r in results if r[0] == "409")
    assert loser[2][0]["reviewer"] == winner[1]
    assert len(store.current_labels()) == 1


def test_bad_labels_are_refused_and_nothing_is_half_written(inbox):
    tracker, store, gatherer = inbox
    first = _one_item(tracker, gatherer, store, "c1", "my freelancer vanished")
    second = _one_item(tracker, gatherer, store, "c2", "he stopped replying")
    with pytest.raises(ReviewError, match="intent of the domain"):
        store.label([first], "relabel", "alice", INTENTS, "book_a_flight")
    with pytest.raises(ReviewError, match="'decision' must be one of"):
        store.label([first], "approve", "alice", INTENTS)
    with pytest.raises(ReviewNotFound):
        store.label([first, 999999], "confirm", "alice", INTENTS)
    with pytest.raises(SelectionTooLarge):
        store.label(list(range(1, MAX_SELECTION + 2)), "confirm", "alice", INTENTS)
    store.label([second], "discard", "bob", INTENTS)
    with pytest.raises(ReviewConflict):  # one of the selection is taken: none is labelled
        store.label([first, second], "confirm", "alice", INTENTS)
    assert [lab["reviewer"] for lab in store.current_labels()] == ["bob"]


def test_the_export_is_rasa_training_data_masked_deduplicated_and_stable(inbox, tmp_path):
    from rasa.shared.nlu.training_data.loading import load_data

    tracker, store, gatherer = inbox
    data = tmp_path / "data"
    (data / "nlu").mkdir(parents=True)
    (data / "nlu" / "hand.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hello there\n')
    texts = ["zz my freelancer vanished, call 020 7946 0958", "Hello there", "aa he never answers", "junk with a name"]
    ids = [_one_item(tracker, gatherer, store, f"c{n}", t) for n, t in enumerate(texts)]
    store.label([ids[0], ids[2]], "relabel", "alice", INTENTS, CONCERN)
    store.label([ids[1]], "confirm", "alice", INTENTS)
    store.label([ids[3]], "discard", "alice", INTENTS)
    result = export(store, data, [ROOT / "tests" / "nlu" / "test_nlu.yml"])
    assert (result.examples, result.skipped_known) == (2, 1)  # "Hello there" is in hand.yml
    written = (data / "nlu" / FILE_NAME).read_text()
    assert "7946" not in written and "[phone]" in written
    assert "junk" not in written
    content = yaml.safe_load(written)
    [block] = content["nlu"]
    assert [e["text"] for e in block["examples"]] == ["aa he never answers", "zz my freelancer vanished, call [phone]"]
    assert block["examples"][0]["metadata"]["reviewed_by"] == "alice"
    loaded = load_data(str(data / "nlu" / FILE_NAME))
    assert {(e.get("text"), e.get("intent")) for e in loaded.intent_examples} == {
        ("aa he never answers", CONCERN),
        ("zz my freelancer vanished, call [phone]", CONCERN),
    }
    assert (data / "nlu" / "hand.yml").read_text().count("hello there") == 1  # hand-written data untouched
    export(store, data)
    assert (data / "nlu" / FILE_NAME).read_text() == written  # the same labels, the same file


def test_a_deleted_conversation_is_left_out_of_the_export(inbox, tmp_path):
    tracker, store, gatherer = inbox
    item = _one_item(tracker, gatherer, store)
    store.label([item], "relabel", "alice", INTENTS, CONCERN)
    tracker.delete("c1")
    result = export(store, tmp_path / "data", existing=gatherer.existing)
    assert result.examples == 0
    assert store.list(Query(state="all"))["total"] == 0  # stale: no longer listed


def test_messages_after_a_deleted_conversation_are_still_found(inbox):
    """SQLite gives the ids of deleted newest rows out again: the inbox still reads what comes after."""
    tracker, store, gatherer = inbox
    tracker.add("old", misread_after_script("my freelancer vanished"))
    tracker.add("deleted", misread_after_script("he stopped replying"))
    gatherer.gather()
    tracker.delete("deleted")
    gatherer.gather()
    tracker.add("new", misread_after_script("she never delivered the logo"))
    gatherer.gather()
    assert "she never delivered the logo" in _reasons(store)
