"""What the desk does to a conversation, through the Rasa server's own agent.

Runs in the Rasa server process: the tracker store, the lock store and the
response templates are the ones the bot uses, so an agent's message is part of
the conversation's history exactly like a bot message (marked ``from_agent``),
and resuming the bot is an ordinary ``ConversationResumed`` event.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional

from rasa.core.agent import Agent
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationResumed, Event, Restarted
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from channels import live
from handover.conversation import transcript_from_events

logger = logging.getLogger(__name__)

OUTPUT_CHANNEL = "socketio"


async def tracker_of(agent: Agent, conversation_id: str) -> Optional[DialogueStateTracker]:
    return await agent.tracker_store.retrieve(conversation_id)


def events_of(tracker: DialogueStateTracker) -> List[Dict[str, Any]]:
    return tracker.current_state(EventVerbosity.ALL)["events"]


def transcript(tracker: DialogueStateTracker) -> List[Dict[str, Any]]:
    return transcript_from_events(events_of(tracker))


def latest_client_parses(tracker: DialogueStateTracker, count: int) -> List[Dict[str, Any]]:
    """Parses of the conversation's latest client messages, newest first."""
    parses: List[Dict[str, Any]] = []
    for event in reversed(events_of(tracker)):
        if event.get("event") == "user" and event.get("parse_data"):
            parses.append({**event["parse_data"], "text": event.get("text") or ""})
            if len(parses) == count:
                break
    return parses


async def render(agent: Agent, response: str, tracker: DialogueStateTracker, /, **values: Any) -> str:
    """A client-facing text from the domain's responses (words live in the domain)."""
    generated = await agent.nlg.generate(response, tracker, OUTPUT_CHANNEL, **values)
    if not generated or not generated.get("text"):
        raise LookupError(f"domain.yml has no text for the response '{response}'")
    return generated["text"]


async def send_to_client(
    agent: Agent,
    conversation_id: str,
    text: Optional[str] = None,
    response: Optional[str] = None,
    values: Optional[Dict[str, Any]] = None,
    metadata: Optional[Dict[str, Any]] = None,
    marks: Optional[Dict[str, Any]] = None,
    after: Optional[List[Event]] = None,
) -> str:
    """Add a message to the conversation's history and push it to the client's open chat.

    ``text`` is sent as is (an agent's words); ``response`` names a domain
    response rendered with ``values``. ``marks`` are extra fields the widget
    reads (``from_agent``, ``handover_ended`` ...); ``after`` are events to apply
    after the message, under the same lock.
    """
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.tracker_store.retrieve(conversation_id)
        if tracker is None:
            raise LookupError(f"no conversation with id {conversation_id!r}")
        if text is None:
            text = await render(agent, response or "", tracker, **(values or {}))
        tracker.update(BotUttered(text, data={}, metadata={**(metadata or {}), **(marks or {})}))
        for event in after or []:
            tracker.update(event)
        await agent.tracker_store.save(tracker)
    await live.push(conversation_id, {"text": text, **(marks or {})})
    return text


async def close_left(agent: Agent, conversation_id: str) -> Optional[DialogueStateTracker]:
    """The client ended the chat: the bot is back and the next message starts afresh; nothing is sent.

    The conversation as it stands, or None when there is none.
    """
    async with agent.lock_store.lock(conversation_id):
        tracker = await agent.tracker_store.retrieve(conversation_id)
        if tracker is None:
            return None
        for event in end_events(True):
            tracker.update(event)
        await agent.tracker_store.save(tracker)
    return tracker


def end_events(outcome_closed: bool) -> List[Event]:
    """Resume the bot; a closed conversation also starts afresh on the next message.

    A paused conversation stopped right after the hand-over action, so the bot
    is put back to listening: the client's next message is then read like any
    other (without it, no rule matches and the bot falls back).
    """
    if outcome_closed:
        return [ConversationResumed(), Restarted()]
    return [ConversationResumed(), ActionExecuted(ACTION_LISTEN_NAME)]
