"""Rasa NLU component: an explicit request for a person is always ``request_human``.

The classifier is statistical; "every explicit request for a person is handed
over" is a promise. This component sits after the classifier and before the
``FallbackClassifier``: when a message names a person to talk to *and* asks for
one ("can I get someone from support on the phone", "real human NOW!!!",
"ich möchte mit einem Mitarbeiter sprechen"), it makes ``request_human`` the
intent with full confidence, keeping the classifier's ranking below it.
Questions about the bot ("are you a human?") and hypotheticals ("what if I
need an agent later?") are left to the classifier.

It reads the text as ``SpellingNormalizer`` corrected it ("tlak to a humna" is
"talk to a human"), but a question about the bot or a hypothetical in the
client's own words is one whatever a correction made of it: a spelling fix can
turn a typo into a request, never a non-request into a hand-over.

The patterns are configuration (``config.yml``), so they can change without
touching code; a change retrains, like any change to the config.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

INTENT_RANKING = "intent_ranking"
ORIGINAL_TEXT = "text_as_typed"  # spacy_pipeline.spelling.ORIGINAL_TEXT: the client's words, before correction
REQUEST_HUMAN = "request_human"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class PersonRequestDetector(GraphComponent):
    """Overrides the intent with ``request_human`` for explicit requests for a person."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "person": [],  # regexes naming a person to talk to
            "asking": [],  # regexes asking for something
            "not_asking": [],  # regexes that make it a question about the bot, or hypothetical
            "alone": [],  # regexes naming a person that need no asking words in a short message
            "max_words_alone": 4,  # how short that is
        }

    def __init__(self, config: Dict[str, Any]) -> None:
        def compile_all(key: str) -> re.Pattern:
            patterns = config.get(key) or []
            return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)", re.IGNORECASE)

        self.person = compile_all("person")
        self.asking = compile_all("asking")
        self.not_asking = compile_all("not_asking")
        self.alone = compile_all("alone")
        self.max_words_alone = int(config.get("max_words_alone", 4))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PersonRequestDetector:
        return cls(config)

    def is_request(self, text: str, as_typed: str | None = None) -> bool:
        """Is ``text`` (corrected) an explicit request for a person? ``as_typed``: the client's own words."""
        if not text or text.startswith("/") or self.not_asking.search(text):
            return False
        if as_typed is not None and as_typed != text:
            if as_typed.startswith("/") or self.not_asking.search(as_typed):
                return False
        if self.person.search(text) and self.asking.search(text):
            return True
        return len(text.split()) <= self.max_words_alone and bool(self.alone.search(text))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not self.is_request(message.get(TEXT) or "", message.get(ORIGINAL_TEXT)):
                continue
            top = {INTENT_NAME_KEY: REQUEST_HUMAN, PREDICTED_CONFIDENCE_KEY: 1.0}
            # The classifier's ranking stays below, at half its confidence, so that the
            # FallbackClassifier's ambiguity check (top two within 0.1) cannot undo this.
            ranking = [
                {**r, PREDICTED_CONFIDENCE_KEY: r.get(PREDICTED_CONFIDENCE_KEY, 0.0) / 2}
                for r in message.get(INTENT_RANKING) or []
                if r.get(INTENT_NAME_KEY) != REQUEST_HUMAN
            ]
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING, [top] + ranking, add_to_output=True)
        return messages
