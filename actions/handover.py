"""Hand the conversation to a person: store what the agent needs, pause the bot."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import constants as c
from actions.handover_store import HandOver, HandOverStore
from actions.macro_library import get_library
from desk import outbound
from privacy.masking import mask_text

logger = logging.getLogger(__name__)

_store: Optional[HandOverStore] = None


def get_store() -> HandOverStore:
    """The process's store, connected on first use (tests replace it with ``set_store``)."""
    global _store
    if _store is None:
        _store = HandOverStore()
    return _store


def set_store(store: Optional[HandOverStore]) -> None:
    global _store
    _store = store


def transcript(tracker: Tracker) -> List[Dict[str, Any]]:
    """Client, bot and agent messages of the current session, oldest first."""
    return transcript_from_events(tracker.events)


def transcript_from_events(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The messages of the latest session in a list of events (as JSON dicts)."""
    start = 0
    for index, event in enumerate(events):
        if event.get("event") == "session_started":
            start = index
    lines: List[Dict[str, Any]] = []
    for event in events[start:]:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        metadata = event.get("metadata") or {}
        sender = "client" if kind == "user" else ("agent" if metadata.get("from_agent") else "bot")
        line: Dict[str, Any] = {
            "from": sender,
            "text": mask_text(event.get("text")),  # e-mail, phone and card numbers masked
            "time": _iso(event.get("timestamp")),
        }
        if sender == "agent":
            line["agent"] = metadata.get("agent")
        if kind == "user":
            intent = (event.get("parse_data") or {}).get("intent") or {}
            line["intent"] = intent.get("name")
        else:
            data = event.get("data") or {}
            if data.get("buttons"):
                line["buttons"] = [b.get("title") for b in data["buttons"]]
            resource = metadata.get("toolkit_resource")
            if resource:
                line["toolkit_resource"] = resource
        lines.append(line)
    return lines


def topic(tracker: Tracker) -> Tuple[Optional[str], Optional[float]]:
    """Intent and confidence of the latest client message that said what it is about.

    "yes" to the offer of a person, or "a human please", is not the topic; the
    concern before it is. With no such message, the latest message's intent.
    """
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") in c.TOPIC_INTENTS:
            return intent.get("name"), intent.get("confidence")
    latest = tracker.latest_message.get("intent") or {}
    return latest.get("name"), latest.get("confidence")


def reason(tracker: Tracker) -> str:
    latest = (tracker.latest_message.get("intent") or {}).get("name")
    if latest == c.INTENT_AFFIRM:
        return c.REASON_ACCEPTED_OFFER
    if latest == c.INTENT_NLU_FALLBACK:
        return c.REASON_UNCLEAR
    return c.REASON_CLIENT_ASKED


def priority(concerns: Any) -> str:
    """``high`` when the client reports what support must act on first (see constants)."""
    kinds = set(concerns or []) if isinstance(concerns, list | tuple) else {concerns}
    return c.PRIORITY_HIGH if kinds & c.HIGH_PRIORITY_CONCERNS else c.PRIORITY_NORMAL


def _iso(timestamp: Optional[float]) -> Optional[str]:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()


def _joined(value: Any) -> Optional[str]:
    if value is None or value == []:
        return None
    if isinstance(value, list | tuple):
        return ",".join(dict.fromkeys(str(v) for v in value))
    return str(value)


class ActionHandOver(Action):
    """Writes the hand-over record, tells the client, pauses the bot."""

    def name(self) -> str:
        return c.ACTION_HAND_OVER

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        library = get_library()
        macro = library.macro(c.MACRO_CLIENT_TOOLKIT)
        intent, confidence = topic(tracker)
        record = HandOver(
            conversation_id=tracker.sender_id,
            reason=reason(tracker),
            transcript=transcript(tracker),
            intent=intent,
            confidence=confidence,
            concern=_joined(tracker.get_slot(c.SLOT_CONCERN)),
            contract_type=_joined(tracker.get_slot(c.SLOT_CONTRACT_TYPE)),
            macro_id=macro.id,
            script_sent=tracker.get_slot(c.SLOT_SCRIPT_SENT),
            link_sent=tracker.get_slot(c.SLOT_LINK_SENT),
            kb_title=macro.kb.title if macro.kb else None,
            kb_section=macro.kb.section if macro.kb else None,
            priority=priority(tracker.get_slot(c.SLOT_CONCERN)),
        )
        # With a help desk webhook configured, the hand-over is queued for it in the
        # same transaction (the Rasa server delivers it; see desk/outbound.py).
        payload = outbound.handover_payload if outbound.enabled() else None
        # The store blocks on its database: keep it off the server's event loop.
        stored, created = await asyncio.to_thread(get_store().create_or_get_open, record, payload)
        logger.info(
            "hand-over %s %s for conversation %s (reason %s)",
            stored.id,
            "created" if created else "already open",
            tracker.sender_id,
            stored.reason,
        )
        dispatcher.utter_message(response=c.UTTER_HANDOVER, handover_id=stored.id)
        return [SlotSet(c.SLOT_HANDOVER_ID, str(stored.id)), ConversationPaused()]
