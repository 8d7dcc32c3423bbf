"""What a hand-over records about its conversation: transcript, topic, reason, priority.

Works on the conversation's events as JSON dicts, the form both servers have
(rasa-sdk's tracker in the action server, Rasa's tracker state in the desk).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

from handover.records import (
    HIGH_PRIORITY_CONCERNS,
    PRIORITY_HIGH,
    PRIORITY_NORMAL,
    REASON_ACCEPTED_OFFER,
    REASON_CLIENT_ASKED,
    REASON_UNCLEAR,
)
from privacy.masking import mask_text
from toolkit import names


def transcript_from_events(events: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Client, bot and agent messages of the latest session, oldest first."""
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


def topic(events: Sequence[Dict[str, Any]], latest_message: Dict[str, Any]) -> Tuple[Optional[str], Optional[float]]:
    """Intent and confidence of the latest client message that said what it is about.

    "yes" to the offer of a person, or "a human please", is not the topic; the
    concern before it is. With no such message, the latest message's intent.
    """
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") in names.TOPIC_INTENTS:
            return intent.get("name"), intent.get("confidence")
    latest = latest_message.get("intent") or {}
    return latest.get("name"), latest.get("confidence")


def reason(latest_message: Dict[str, Any]) -> str:
    """Why the latest message hands over: the client asked, accepted the offer, or stayed unclear."""
    latest = (latest_message.get("intent") or {}).get("name")
    if latest == names.INTENT_AFFIRM:
        return REASON_ACCEPTED_OFFER
    if latest == names.INTENT_NLU_FALLBACK:
        return REASON_UNCLEAR
    return REASON_CLIENT_ASKED


def priority(concerns: Any) -> str:
    """``high`` when the client reports what support must act on first (see records)."""
    kinds = set(concerns or []) if isinstance(concerns, list | tuple) else {concerns}
    return PRIORITY_HIGH if kinds & HIGH_PRIORITY_CONCERNS else PRIORITY_NORMAL


def joined(value: Any) -> Optional[str]:
    """A slot's value (one or several kinds) as the record stores it: comma-separated."""
    if value is None or value == []:
        return None
    if isinstance(value, list | tuple):
        return ",".join(dict.fromkeys(str(v) for v in value))
    return str(value)


def _iso(timestamp: Optional[float]) -> Optional[str]:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()
