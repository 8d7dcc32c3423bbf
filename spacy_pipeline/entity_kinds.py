"""Rasa NLU component: turn what the entity ruler matched into the kind's id.

``SpacyEntityExtractor`` reports the words the client used ("ghosted me",
"isn't responding"); the assistant and the agents need the kind
(``concern=unresponsive``). The entity ruler already knows it as the pattern id
(``ent.ent_id_``) on the spaCy doc that ``SpacyNLP`` stored on the message, so
this component looks the span up there and keeps the words as ``text``.

It sits right after ``SpacyEntityExtractor`` in ``config.yml``.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, EXTRACTOR, TEXT
from rasa.shared.nlu.training_data.message import Message

SPACY_EXTRACTOR = "SpacyEntityExtractor"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class EntityKindNormalizer(GraphComponent, EntityExtractorMixin):
    """Replaces spaCy entity values by the entity ruler's pattern id."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> EntityKindNormalizer:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = message.get(ENTITIES, [])
            doc = message.get(SPACY_DOCS[TEXT])
            if not entities or doc is None:
                continue
            kinds = {(e.start_char, e.end_char): e.ent_id_ for e in doc.ents if e.ent_id_}
            by_text = {e.text.lower(): e.ent_id_ for e in doc.ents if e.ent_id_}
            for entity in entities:
                if entity.get(EXTRACTOR) != SPACY_EXTRACTOR:
                    continue
                kind = self._kind(entity, kinds, by_text)
                if kind:
                    entity["text"] = entity["value"]
                    entity["value"] = kind
                    self.add_processor_name(entity)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    @staticmethod
    def _kind(
        entity: Dict[str, Any],
        kinds: Dict[tuple, str],
        by_text: Dict[str, str],
    ) -> Optional[str]:
        found = kinds.get((entity.get("start"), entity.get("end")))
        if found:
            return found
        # Lower-casing can shift offsets for a few non-ASCII letters: fall back to the words.
        return by_text.get(str(entity.get("value", "")).lower())
