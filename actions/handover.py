"""Hand the conversation to a person: store what the agent needs, pause the bot."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from handover import webhook
from handover.conversation import joined, priority, reason, topic, transcript_from_events
from handover.records import HandOver
from handover.store import HandOverStore
from toolkit import names
from toolkit.served import get_library

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


class ActionHandOver(Action):
    """Writes the hand-over record, tells the client, pauses the bot."""

    def name(self) -> str:
        return names.ACTION_HAND_OVER

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        macro = get_library().macro(names.MACRO_CLIENT_TOOLKIT)
        intent, confidence = topic(tracker.events, tracker.latest_message)
        record = HandOver(
            conversation_id=tracker.sender_id,
            reason=reason(tracker.latest_message),
            transcript=transcript(tracker),
            intent=intent,
            confidence=confidence,
            concern=joined(tracker.get_slot(names.SLOT_CONCERN)),
            contract_type=joined(tracker.get_slot(names.SLOT_CONTRACT_TYPE)),
            macro_id=macro.id,
            script_sent=tracker.get_slot(names.SLOT_SCRIPT_SENT),
            link_sent=tracker.get_slot(names.SLOT_LINK_SENT),
            kb_title=macro.kb.title if macro.kb else None,
            kb_section=macro.kb.section if macro.kb else None,
            priority=priority(tracker.get_slot(names.SLOT_CONCERN)),
        )
        # With a help desk webhook configured, the hand-over is queued for it in the
        # same transaction (the Rasa server delivers it; see handover/webhook.py).
        payload = webhook.handover_payload if webhook.enabled() else None
        # The store blocks on its database: keep it off the server's event loop.
        stored, created = await asyncio.to_thread(get_store().create_or_get_open, record, payload)
        logger.info(
            "hand-over %s %s for conversation %s (reason %s)",
            stored.id,
            "created" if created else "already open",
            tracker.sender_id,
            stored.reason,
        )
        dispatcher.utter_message(response=names.UTTER_HANDOVER, handover_id=stored.id)
        return [SlotSet(names.SLOT_HANDOVER_ID, str(stored.id)), ConversationPaused()]
