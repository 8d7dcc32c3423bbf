"""Ask which of the likely meanings an unclear message had, with buttons."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from toolkit import names

MAX_MEANINGS = 3


def likely_meanings(tracker: Tracker, limit: int = MAX_MEANINGS) -> List[str]:
    """The in-scope intents the classifier ranked highest for the latest message."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    ranked = [r.get("name") for r in ranking if r.get("name") in names.MEANING_INTENTS]
    for intent in names.MEANING_INTENTS:  # a short ranking still offers the main choices
        if intent not in ranked:
            ranked.append(intent)
    return ranked[:limit]


def meaning_label(domain: Dict[str, Any], intent: str) -> str:
    """The button title for an intent, from the domain's ``utter_meaning_<intent>``."""
    variants = (domain.get("responses") or {}).get(names.UTTER_MEANING_PREFIX + intent) or []
    if not variants or not variants[0].get("text"):
        raise KeyError(f"domain has no response '{names.UTTER_MEANING_PREFIX + intent}' with a text")
    return variants[0]["text"]


class ActionClarifyMeaning(Action):
    def name(self) -> str:
        return names.ACTION_CLARIFY_MEANING

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[Dict[str, Any]]:
        choices = likely_meanings(tracker) + [names.INTENT_REQUEST_HUMAN]
        buttons = [{"title": meaning_label(domain, intent), "payload": f"/{intent}"} for intent in choices]
        dispatcher.utter_message(response=names.UTTER_ASK_WHICH_MEANING, buttons=buttons)
        return []
