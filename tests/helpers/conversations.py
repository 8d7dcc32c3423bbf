"""Conversations: events and trackers for the actions, and a client's REST calls to a running assistant."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker


def user_event(text: str, intent: str, confidence: float = 0.98, entities=None, ranking=None) -> Dict[str, Any]:
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
    }
    return {"event": "user", "text": text, "timestamp": time.time(), "parse_data": parse}


def bot_event(text: str, **metadata: Any) -> Dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": time.time(), "data": {}, "metadata": metadata}


def make_tracker(
    events: List[Dict[str, Any]],
    slots: Optional[Dict[str, Any]] = None,
    sender_id: str = "client-1",
) -> Tracker:
    latest = next((e["parse_data"] for e in reversed(events) if e["event"] == "user"), {})
    return Tracker(
        sender_id=sender_id,
        slots=slots or {},
        latest_message=latest,
        events=[{"event": "session_started", "timestamp": time.time()}] + events,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def new_conversation(rasa_url: str) -> str:
    """A conversation id issued by the server (the only kind it accepts)."""
    req = urllib.request.Request(f"{rasa_url}/webhooks/rest/conversations", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30) as response:
        assert response.status == 201
        return json.loads(response.read())["conversation_id"]


def post_json(url: str, body: Any = None, headers: Optional[Dict[str, str]] = None, raw: Optional[bytes] = None):
    """(status, decoded JSON or None) of a POST (or a GET when there is no body)."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        payload = e.read()
        try:
            return e.code, json.loads(payload or b"null")
        except ValueError:
            return e.code, payload.decode("utf-8", "replace")


def say(rasa_url: str, conversation: str, text: str) -> List[Dict[str, Any]]:
    """The bot's replies to ``text`` in ``conversation`` (a token from new_conversation)."""
    status, replies = post_json(f"{rasa_url}/webhooks/rest/webhook", {"sender": conversation, "message": text})
    assert status == 200, replies
    return replies


def plain_id(conversation: str) -> str:
    """The id Rasa, the tracker store and the hand-over store know a conversation by."""
    return conversation.split(".", 1)[0]
