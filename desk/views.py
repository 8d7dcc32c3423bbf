"""What the desk's API answers: a hand-over as an agent sees it, and agent assist's suggestions."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any, Dict, List, Optional

from desk import conversation as conv
from desk.context import Desk
from desk.suggest import entities_of, ranking_of, suggest
from handover.records import STATUS_RESOLVED, HandOver, now
from toolkit.library import MacroLibrary
from toolkit.served import get_library

CLIENT_MESSAGES_FOR_SUGGESTIONS = 10  # read newest first; the latest three about a topic count


def kb_label(title: Optional[str], section: Optional[str]) -> Optional[str]:
    """ "Title › Section", or the title alone when the section is the whole article."""
    if not title:
        return None
    return title if not section or section == title else f"{title} › {section}"


def summary(handover: HandOver, library: MacroLibrary, at: datetime) -> Dict[str, Any]:
    """A hand-over for the queue: its record, how long the client waited, what was sent."""
    data = handover.to_dict()
    transcript = data.pop("transcript")
    created = handover.created_at or at
    ended = handover.claimed_at or handover.resolved_at or (at if handover.status != STATUS_RESOLVED else created)
    script = library.resources.get(handover.script_sent) if handover.script_sent else None
    last_client = handover.last_client_text or next(  # kept live by desk/live.py; else as handed over
        (line["text"] for line in reversed(transcript) if line.get("from") == "client"), None
    )
    data.update(
        concern=handover.concerns,
        waited_seconds=max(0, round((ended - created).total_seconds())),
        bot_sent={
            "script": handover.script_sent,
            "script_title": script.title if script else None,
            "link": handover.link_sent,
        },
        kb={
            "title": handover.kb_title,
            "section": handover.kb_section,
            "label": kb_label(handover.kb_title, handover.kb_section),
        },
        last_client_message=last_client,
    )
    return data


async def detail(rasa_agent: Any, desk: Desk, handover: HandOver) -> Dict[str, Any]:
    """Everything an agent needs about one hand-over."""
    library = get_library()
    data = summary(handover, library, now())
    tracker = await conv.tracker_of(rasa_agent, handover.conversation_id) if rasa_agent else None
    if handover.status != STATUS_RESOLVED and tracker is not None:
        data["transcript"] = conv.transcript(tracker)
        parses = conv.latest_client_parses(tracker, CLIENT_MESSAGES_FOR_SUGGESTIONS)
        data["assist"] = suggestions(desk, parses)
    else:
        data["transcript"] = handover.transcript
        data["assist"] = {"suggestions": [], "understood": [], "min_confidence": desk.settings.min_confidence}
    macro = library.macros.get(handover.macro_id or "")
    if macro and macro.kb:
        data["kb"]["guidance"] = macro.kb.guidance
    data["events"] = [e.to_dict() for e in await asyncio.to_thread(desk.store.events, handover.stored_id)]
    data["notes"] = await asyncio.to_thread(desk.store.notes.of, handover.stored_id)  # internal, never the client's
    return data


def suggestions(desk: Desk, parses: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Agent assist for client messages (their parses, newest first), and how each was understood."""
    library = get_library()
    found = suggest(parses, library, desk.settings.min_confidence, desk.settings.max_suggestions)
    understood = []
    for parse in parses:
        ranking = ranking_of(parse)
        top = ranking[0] if ranking else {}
        understood.append(
            {
                "text": parse.get("text", ""),
                "intent": top.get("name"),
                "confidence": round(float(top.get("confidence") or 0.0), 3),
                "entities": entities_of(parse),
            }
        )
    return {
        "suggestions": [s.to_dict() for s in found],
        "understood": understood,
        "min_confidence": desk.settings.min_confidence,
    }
