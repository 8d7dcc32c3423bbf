"""Conversations for the review inbox's tests, written as Rasa's SQL tracker store writes them."""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa

CONCERN, WHAT_IF, PAUSE, HUMAN, OOS = (
    "report_freelancer_concern",
    "ask_what_if",
    "ask_how_to_pause",
    "request_human",
    "out_of_scope",
)


def user(
    text: str,
    intent: str,
    confidence: float = 0.95,
    runner_up: Tuple[str, float] = (WHAT_IF, 0.03),
    normalized: Optional[str] = None,
    fallback: bool = False,
) -> Dict[str, Any]:
    ranking = [{"name": intent, "confidence": confidence}, {"name": runner_up[0], "confidence": runner_up[1]}]
    if fallback:
        ranking.insert(0, {"name": "nlu_fallback", "confidence": 0.5})
    parse = {"text": text, "intent": ranking[0], "intent_ranking": ranking, "entities": []}
    if normalized is not None:
        parse["normalized"] = {"text": normalized, "changes": []}
    return {"event": "user", "text": text, "parse_data": parse}


def action(name: str) -> Dict[str, Any]:
    return {"event": "action", "name": name}


def bot(text: str) -> Dict[str, Any]:
    return {"event": "bot", "text": text}


class Tracker:
    """An ``events`` table like Rasa's SQLTrackerStore's, in its own database."""

    def __init__(self, url: str) -> None:
        from review.gather import EVENTS

        self.engine = sa.create_engine(url, future=True)
        EVENTS.metadata.create_all(self.engine)
        self.table = EVENTS
        self.clock = time.time() - 3600

    def add(self, conversation_id: str, events: Sequence[Dict[str, Any]]) -> None:
        rows: List[Dict[str, Any]] = []
        for event in events:
            self.clock += 1
            data = {**event, "timestamp": self.clock}
            rows.append(
                {
                    "sender_id": conversation_id,
                    "type_name": event["event"],
                    "timestamp": self.clock,
                    "data": json.dumps(data),
                }
            )
        with self.engine.begin() as conn:
            conn.execute(self.table.insert(), rows)

    def delete(self, conversation_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.table.delete().where(self.table.c.sender_id == conversation_id))


def misread_after_script(text: str, predicted: str = WHAT_IF) -> List[Dict[str, Any]]:
    """A client message answered with a script, and a client who then asks for a person."""
    script = "action_send_what_if_script" if predicted == WHAT_IF else "action_send_concern_script"
    return [
        user(text, predicted, 0.9, (CONCERN if predicted == WHAT_IF else WHAT_IF, 0.05)),
        action(script),
        bot("Here is what happens if..."),
        user("that didn't help, I want to talk to a person", HUMAN, 1.0),
        action("action_hand_over"),
        bot("I am handing you over to a colleague."),
    ]


def copy_training_data(target):
    """A copy of the project's data/ (without a reviewed.yml), for a test to export and retrain into."""
    import shutil

    from tests.helpers.paths import ROOT

    shutil.copytree(ROOT / "data", target, ignore=shutil.ignore_patterns("reviewed.yml"))
    return target
