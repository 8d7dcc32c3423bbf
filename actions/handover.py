"""Hand the conversation to a person: store what the agent needs, tell the client the truth, pause the bot.

What the client is told depends on who is at the desk and the working hours
(``handover/announce.py``): an agent joins shortly (with the place in the
queue), nobody is online, or the team is back at its next opening.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from handover import webhook
from handover.announce import decide, queue_position
from handover.conversation import joined, priority, reason, topic, transcript_from_events
from handover.presence import PresenceBook
from handover.records import HandOver, now
from handover.store import HandOverStore
from settings.desk import hours_file
from toolkit import names
from toolkit.hours import HoursError, WorkingHours, current_hours
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


def team_hours() -> Optional[WorkingHours]:
    """The working hours (DESK_HOURS_FILE, checked at start-up); None, logged, if it broke since."""
    try:
        return current_hours(hours_file())
    except HoursError as e:
        logger.error("hand-over: the working hours cannot be read, so they are not used: %s", e)
        return None


# what the hand-over reads of the world (tests replace them)
clock: Callable[[], datetime] = now
hours_source: Callable[[], Optional[WorkingHours]] = team_hours


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
        store = get_store()
        at = clock()
        # The store blocks on its database: keep it off the server's event loop.
        online = await asyncio.to_thread(PresenceBook(store).online, at)
        told = decide(hours_source(), len(online), at)
        record.availability = told.availability
        # With a help desk webhook configured, the hand-over is queued for it in the
        # same transaction (the Rasa server delivers it; see handover/webhook.py).
        payload = webhook.handover_payload if webhook.enabled() else None
        stored, created = await asyncio.to_thread(store.create_or_get_open, record, payload)
        position = await asyncio.to_thread(queue_position, store, stored)
        logger.info(
            "hand-over %s %s for conversation %s (reason %s; %s, %d agent(s) online, place %d)",
            stored.id,
            "created" if created else "already open",
            tracker.sender_id,
            stored.reason,
            told.availability,
            len(online),
            position,
        )
        dispatcher.utter_message(response=told.response, handover_id=stored.id, position=position, **told.values)
        return [SlotSet(names.SLOT_HANDOVER_ID, str(stored.id)), ConversationPaused()]
