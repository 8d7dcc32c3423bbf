"""Why a client message is in the review inbox: one small function a reason.

Every reason has the same shape: it gets one conversation (``Conversation``:
the client's messages with their parse, what the assistant did after each, and
the hand-over database's records about the conversation, by source) and
yields the messages it finds worth a reviewer's look, each with a short
explanation. ``REASONS`` lists them in the order the inbox shows them; a new
reason is one more function with ``@reason(...)``, and a new kind of record
(client ratings, say) one more loader in ``review/gather.py``'s ``SOURCES``,
whose rows reach every reason as ``conversation.sources[name]``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from toolkit import names

# below this top-intent confidence a message is "unsure" (the fallback fires at 0.5)
LOW_CONFIDENCE = 0.65
# the top two intents this close together
CLOSE_RUNNER_UP = 0.15
# the spelling normaliser changed at least this share of the message's words
SPELLING_CHANGE = 0.3

SCRIPT_ACTIONS = (names.ACTION_SEND_CONCERN_SCRIPT, names.ACTION_SEND_WHAT_IF_SCRIPT, names.ACTION_SEND_PAUSE_LINK)
INTENT_DENY = "deny"
FEEDBACK_IGNORED = "ignored"  # handover.records.FEEDBACK_IGNORED, spelled here so reasons stay plain


@dataclass(frozen=True)
class Turn:
    """One client message of a conversation, with the parse the assistant made of it."""

    event_key: str
    at: float  # unix time
    text: str
    intent: Optional[str]
    confidence: Optional[float]
    runner_up: Optional[str] = None
    runner_up_confidence: Optional[float] = None
    normalized: Optional[str] = None  # the spelling normaliser's text, when it changed the message
    fell_back: bool = False  # the parse was nlu_fallback (``intent`` is then the best real intent)
    from_button: bool = False  # a button's payload, not typed: never an inbox item itself
    # what the assistant did after this message and before the next one: action names
    actions: Tuple[str, ...] = ()


@dataclass
class Conversation:
    conversation_id: str
    turns: List[Turn]
    # records about this conversation from the hand-over database, by source name
    # ("feedback": suggestion feedback rows, each a dict with at, agent, macro_id, action, ...;
    #  "ratings": the client's "Did this help?" rows, with at, step, helpful, comment)
    sources: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)
    # the whole conversation as (event key, "client" or "bot", text), for the turns around a message
    transcript: List[Tuple[str, str, str]] = field(default_factory=list)

    def next_turn(self, index: int) -> Optional[Turn]:
        return self.turns[index + 1] if index + 1 < len(self.turns) else None

    def turn_before(self, at: float) -> Optional[Turn]:
        """The latest client message at or before ``at`` (unix time)."""
        found = None
        for turn in self.turns:
            if turn.at <= at:
                found = turn
        return found


@dataclass(frozen=True)
class Finding:
    turn: Turn
    reason: str
    why: str  # one line for the reviewer


ReasonFunction = Callable[[Conversation], Iterable[Finding]]


@dataclass(frozen=True)
class Reason:
    name: str
    title: str
    find: ReasonFunction


REASONS: Dict[str, Reason] = {}


def reason(name: str, title: str) -> Callable[[ReasonFunction], ReasonFunction]:
    """Register ``find`` as the reason ``name`` (``title`` is what the review tab shows)."""

    def register(find: ReasonFunction) -> ReasonFunction:
        if name in REASONS:
            raise ValueError(f"the review reason {name!r} is registered twice")
        REASONS[name] = Reason(name, title, find)
        return find

    return register


def findings(conversation: Conversation) -> List[Finding]:
    """What every reason finds in ``conversation``."""
    return [found for r in REASONS.values() for found in r.find(conversation)]


def _pct(value: Optional[float]) -> str:
    return f"{100 * (value or 0):.0f}%"


# --- the reasons, in the order the review tab lists them -------------------------------


@reason("fallback", "fallback or clarifying question")
def fallback_or_clarification(conversation: Conversation) -> Iterable[Finding]:
    for index, turn in enumerate(conversation.turns):
        asked = names.ACTION_CLARIFY_MEANING in turn.actions or turn.fell_back
        if not asked:
            continue
        picked = conversation.next_turn(index)
        if picked is None:
            then = "; the client said nothing more"
        elif picked.from_button:
            then = f"; the client then picked {picked.intent}"
        else:
            then = f"; the client then said “{picked.text}” ({picked.intent})"
        what = (
            "a clarifying question was asked" if names.ACTION_CLARIFY_MEANING in turn.actions else "the fallback fired"
        )
        yield Finding(turn, "fallback", what + then)


@reason("low_confidence", "low confidence")
def low_confidence(conversation: Conversation) -> Iterable[Finding]:
    for turn in conversation.turns:
        if turn.intent in names.TOPIC_INTENTS and turn.confidence is not None and turn.confidence < LOW_CONFIDENCE:
            yield Finding(turn, "low_confidence", f"{turn.intent} at {_pct(turn.confidence)}")


@reason("close_runner_up", "close runner-up")
def close_runner_up(conversation: Conversation) -> Iterable[Finding]:
    for turn in conversation.turns:
        if turn.intent not in names.TOPIC_INTENTS or turn.runner_up is None or turn.confidence is None:
            continue
        gap = turn.confidence - (turn.runner_up_confidence or 0)
        if gap < CLOSE_RUNNER_UP:
            yield Finding(
                turn,
                "close_runner_up",
                f"{turn.intent} {_pct(turn.confidence)}, {turn.runner_up} {_pct(turn.runner_up_confidence)}",
            )


@reason("unhelpful_script", "person asked for, or “didn't help”, right after a script")
def person_or_no_after_script(conversation: Conversation) -> Iterable[Finding]:
    for index, turn in enumerate(conversation.turns):
        sent = [a for a in turn.actions if a in SCRIPT_ACTIONS]
        reply = conversation.next_turn(index)
        if not sent or reply is None or reply.intent not in (names.INTENT_REQUEST_HUMAN, INTENT_DENY):
            continue
        said = "asked for a person" if reply.intent == names.INTENT_REQUEST_HUMAN else "said it didn't help"
        yield Finding(turn, "unhelpful_script", f"after {sent[0]} the client {said}: “{reply.text}”")


@reason("client_said_unhelpful", "the client rated an answer “didn't help”")
def client_said_unhelpful(conversation: Conversation) -> Iterable[Finding]:
    """A thumbs-down on a bot's answer (step ``answer:<ms>``, handover/ratings.py): the message it answered."""
    for rating in conversation.sources.get("ratings") or []:
        kind, _, sent_ms = str(rating.get("step", "")).partition(":")
        if rating.get("helpful") or kind != "answer" or not sent_ms.isdigit():
            continue  # an agent's resolution rates the agent, not what the assistant understood
        turn = conversation.turn_before(int(sent_ms) / 1000)
        if turn is None:
            continue
        comment = rating.get("comment")
        yield Finding(
            turn,
            "client_said_unhelpful",
            "the client said the answer didn't help" + (f": “{comment}”" if comment else ""),
        )


@reason("suggestion_overridden", "agent chose another macro, or ignored the suggestions")
def suggestion_overridden(conversation: Conversation) -> Iterable[Finding]:
    feedback = conversation.sources.get("feedback") or []
    ignored = [f for f in feedback if f.get("action") == FEEDBACK_IGNORED]
    if not ignored:
        return
    used = sorted({f["macro_id"] for f in feedback if f.get("action") != FEEDBACK_IGNORED})
    turn = conversation.turn_before(max(float(f["at"]) for f in ignored))
    if turn is None:
        return
    skipped = ", ".join(sorted({f["macro_id"] for f in ignored}))
    by = ", ".join(sorted({f["agent"] for f in ignored}))
    why = f"{by} sent {', '.join(used)} instead of {skipped}" if used else f"{by} ignored every suggestion ({skipped})"
    yield Finding(turn, "suggestion_overridden", why)


@reason("spelling_changed", "the spelling normaliser changed it a lot")
def spelling_changed(conversation: Conversation) -> Iterable[Finding]:
    for turn in conversation.turns:
        if not turn.normalized:
            continue
        words = turn.text.lower().split(), turn.normalized.lower().split()
        changed = 1 - difflib.SequenceMatcher(None, *words).ratio()
        if changed >= SPELLING_CHANGE:
            yield Finding(turn, "spelling_changed", f"{_pct(changed)} of the words changed: “{turn.normalized}”")
