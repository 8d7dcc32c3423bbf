"""Agent assist: which macros of the library fit a client's messages.

Each client message has the parse the assistant's own model made of it (the
intent ranking and the entities). A macro is suggested when one of the intents
it is for (``suggest_for`` in the library) is ranked with at least the
configured confidence. Only messages about a topic count (not "yes" or "a
human please"), and of those the latest counts most. A message
that is about something else (out of scope) adds nothing, not even through
the runners-up of its ranking: an out-of-scope message alone gets no toolkit
macro, while in a conversation the topic raised before it still counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

from toolkit import names
from toolkit.library import Macro, MacroLibrary

# weight of the latest client message about a topic, the one before it, and the one before that
RECENCY_WEIGHTS = (1.0, 0.7, 0.5)
IGNORED_INTENTS = (names.INTENT_NLU_FALLBACK,)


@dataclass(frozen=True)
class Suggestion:
    macro: Macro
    confidence: float
    intent: str
    message: str
    entities: Sequence[Dict[str, Any]]

    def to_dict(self) -> Dict[str, Any]:
        macro = self.macro
        return {
            "macro_id": macro.id,
            "title": macro.title,
            "text": macro.render_markdown(),
            "links": [{"title": link.title, "url": link.url} for link in macro.links],
            "kb": (
                {"title": macro.kb.title, "section": macro.kb.section, "guidance": macro.kb.guidance}
                if macro.kb
                else None
            ),
            "confidence": round(self.confidence, 3),
            "why": {
                "intent": self.intent,
                "message": self.message,
                "entities": [dict(e) for e in self.entities],
            },
        }


def entities_of(parse: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The entities found, each with the client's whole words it was found in."""
    message = parse.get("text") or ""
    return [
        {"entity": e.get("entity"), "value": e.get("value"), "text": _whole_words(message, e)}
        for e in parse.get("entities") or []
    ]


def _whole_words(message: str, entity: Dict[str, Any]) -> str:
    """The words an entity spans, never a fragment of one ("hasn't replied", not "n't replied").

    spaCy splits "hasn't" into "has" and "n't", and a pattern may start at the
    second part; the span is widened to the word boundaries of the message.
    """
    start, end = entity.get("start"), entity.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(message):
        return str(entity.get("text") or entity.get("value") or "")
    while start > 0 and _in_word(message[start - 1]):
        start -= 1
    while end < len(message) and _in_word(message[end]):
        end += 1
    return message[start:end]


def _in_word(ch: str) -> bool:
    return ch.isalnum() or ch in "'’-"


def ranking_of(parse: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The parse's intents, best first, without the fallback pseudo-intent."""
    ranking = parse.get("intent_ranking") or [parse.get("intent") or {}]
    return [r for r in ranking if r.get("name") and r.get("name") not in IGNORED_INTENTS]


def suggest(
    parses: Sequence[Dict[str, Any]],
    library: MacroLibrary,
    min_confidence: float,
    limit: int,
) -> List[Suggestion]:
    """Ranked suggestions for client messages given newest first (their parses)."""
    best: Dict[str, Suggestion] = {}
    weights = iter(RECENCY_WEIGHTS)
    for parse in parses:
        ranking = ranking_of(parse)
        top = ranking[0]["name"] if ranking else None
        if top not in names.TOPIC_INTENTS:
            continue  # "yes", "thanks", "a human please": says nothing about the topic
        weight = next(weights, None)
        if weight is None:
            break
        if top == names.INTENT_OUT_OF_SCOPE:
            continue
        for entry in ranking:
            score = weight * float(entry.get("confidence") or 0.0)
            if score < min_confidence:
                continue
            for macro in library.macros_for(entry["name"]):
                if macro.id not in best or score > best[macro.id].confidence:
                    best[macro.id] = Suggestion(macro, score, entry["name"], parse.get("text", ""), entities_of(parse))
    return sorted(best.values(), key=lambda s: -s.confidence)[:limit]
