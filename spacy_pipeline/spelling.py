"""Rasa NLU components: understand clients who type fast.

``SpellingNormalizer`` corrects keyboard slips ("how do i puase my contrct")
before anything else reads the message, so spaCy, the entity ruler, the
featurizers, the classifier and the person-request net all see "how do i pause
my contract". It uses SymSpell (symspellpy) with the English frequency
dictionary that the package ships (installed by the set-up; nothing is
downloaded), extended at training time with the project's own words: those of
the training data (data/), of the macro library (toolkit/client_toolkit.yml)
and of the entity patterns (spacy_pipeline/patterns.yml). A domain word
("hourly", "milestone", "upwork") is never corrected, and among corrections
equally close, the one the domain uses wins ("contrct" is "contract", not
"contact").

What it never touches: words it knows, numbers, amounts, URLs, e-mail
addresses, @handles, words with digits or inner capitals ("iPhone"), a
capitalised word inside a sentence (a name), words of one or two letters,
words with non-Latin letters, and a message that is mostly words it does not
know (another language, or not words at all).

Rasa hands the text from component to component as the message's ``text``.
So this component keeps the client's words under ``ORIGINAL_TEXT`` and sets
``text`` to the corrected text, and ``OriginalTextRestorer``, the last
component of the pipeline, puts the client's words back (with entity offsets
mapped back onto them). The tracker, transcripts, hand-over records and the
desk show what the client wrote; the parse data carries what was understood:

    "normalized": {"text": "how do i pause my contract",
                   "changes": [{"from": "puase", "to": "pause"}, {"from": "contrct", "to": "contract"}]}

``TypoAugmenter`` (training only) adds seeded keyboard-noise copies of the
training examples (spacy_pipeline/noise.py), so the classifier also learns
from what the normalizer makes of noisy text.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from spacy_pipeline import noise
from spacy_pipeline.corrector import SpellingCorrector
from spacy_pipeline.vocabulary import (
    ROOT,
    domain_vocabulary,
    file_digest,
    general_dictionary,
    vocabulary_files,
    words_of_yaml_file,
)

logger = logging.getLogger(__name__)

ORIGINAL_TEXT = "text_as_typed"  # message data key (not output): the client's own words
NORMALIZED = "normalized"  # parse data key: {"text": ..., "changes": [{"from": ..., "to": ...}]}
TYPO_COPY = "typo_copy"  # marks the augmenter's noisy copies (training only)
VOCABULARY_FILE = "vocabulary.json"

__all__ = ["NORMALIZED", "OriginalTextRestorer", "SpellingCorrector", "SpellingNormalizer", "TypoAugmenter"]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SpellingNormalizer(GraphComponent):
    """Corrects the message's spelling for everything after it; the client's words are kept."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {
            "vocabulary_files": ["spacy_pipeline/patterns.yml", "toolkit/client_toolkit.yml"],
            "keep": [],  # words never corrected (e.g. the non-English words of the person-request net)
            "index_size": 30000,  # most frequent dictionary words a correction may become
            "max_lookups": 40,  # per message: beyond that, words are left as typed
        }

    @staticmethod
    def required_packages() -> List[str]:
        return ["symspellpy"]

    def __init__(
        self,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        domain: Optional[Dict[str, int]] = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.corrector = self._make_corrector(domain) if domain is not None else None

    def _make_corrector(self, domain: Dict[str, int], general: Optional[Dict[str, int]] = None) -> SpellingCorrector:
        return SpellingCorrector(
            general if general is not None else general_dictionary(),
            domain,
            keep=self.config["keep"],
            index_size=int(self.config["index_size"]),
            max_lookups=int(self.config["max_lookups"]),
        )

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpellingNormalizer:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        general = general_dictionary()
        texts = [m.get(TEXT) for m in training_data.training_examples if m.get(TEXT) and not m.get(TYPO_COPY)]
        files = vocabulary_files(self.config)
        domain = domain_vocabulary(texts, files, general)
        with self._model_storage.write_to(self._resource) as directory:
            payload = {
                "domain": dict(sorted(domain.items())),
                "files": {str(p.relative_to(ROOT) if p.is_relative_to(ROOT) else p): file_digest(p) for p in files},
            }
            (directory / VOCABULARY_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        self.corrector = self._make_corrector(domain, general)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SpellingNormalizer:
        with model_storage.read_from(resource) as directory:
            payload = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        domain = Counter(payload["domain"])
        # The patterns and the macro library can change without retraining: their words then
        # join the domain's here, so a word added there is never "corrected" either.
        for name, digest in payload.get("files", {}).items():
            path = Path(name) if Path(name).is_absolute() else ROOT / name
            if path.is_file() and file_digest(path) != digest:
                logger.info("%s changed since training: its words join the spelling vocabulary", name)
                for word, count in words_of_yaml_file(path).items():
                    domain[word] = max(domain[word], count)
        return cls(config, model_storage, resource, dict(domain))

    def normalize(self, message: Message) -> None:
        text = message.get(TEXT)
        if not isinstance(text, str) or self.corrector is None:
            return
        correction = self.corrector.correct(text)
        message.set(ORIGINAL_TEXT, text)
        message.set(NORMALIZED, correction.as_parse_data(), add_to_output=True)
        if correction.changes:
            message.set(TEXT, correction.text)
            message.data["_correction"] = correction

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            self.normalize(example)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            try:
                self.normalize(message)
            except Exception:  # noqa: BLE001 - a spelling fix must never cost the client an answer
                logger.exception("spelling normalisation failed; the message goes on as typed")
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class OriginalTextRestorer(GraphComponent):
    """The last component: ``text`` is the client's own words again, entity offsets on them."""

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> OriginalTextRestorer:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            original = message.get(ORIGINAL_TEXT)
            correction = message.data.pop("_correction", None)
            if original is None or correction is None:
                continue
            entities = message.get(ENTITIES) or []
            for entity in entities:
                old_start, old_end = entity.get("start"), entity.get("end")
                if not isinstance(old_start, int) or not isinstance(old_end, int):
                    continue
                start, end = correction.original_span(old_start, old_end)
                entity["start"], entity["end"] = start, end
                if "text" in entity:
                    entity["text"] = original[start:end]
                elif entity.get("value") == correction.text[old_start:old_end]:
                    entity["value"] = original[start:end]  # a value that is the words themselves
            if entities:
                message.set(ENTITIES, entities, add_to_output=True)
            message.set(TEXT, original)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TypoAugmenter(GraphComponent):
    """Training only: adds seeded keyboard-noise copies of the intent examples (spacy_pipeline/noise.py)."""

    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        return {"copies": 2, "slips": 3, "seed": 1}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TypoAugmenter:
        return cls(config)

    @classmethod
    def load(cls, config: Dict[str, Any], *args: Any, **kwargs: Any) -> TypoAugmenter:
        return cls(config)

    def noisy_copies(self, training_data: TrainingData) -> List[Message]:
        copies: List[Message] = []
        seen = {m.get(TEXT) for m in training_data.intent_examples}
        for example in training_data.intent_examples:
            text = example.get(TEXT)
            if not text or text.startswith("/"):
                continue
            for i in range(int(self.config["copies"])):
                noisy = noise.add_slips(text, seed=int(self.config["seed"]) * 1000 + i, slips=int(self.config["slips"]))
                if noisy in seen:
                    continue
                seen.add(noisy)
                data = {k: v for k, v in example.data.items() if k in (TEXT, "intent")}
                copies.append(Message(data={**data, TEXT: noisy, TYPO_COPY: True}))
        return copies

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        copies = self.noisy_copies(training_data)
        logger.info(
            "typo augmentation: %d noisy copies of %d examples", len(copies), len(training_data.intent_examples)
        )
        return training_data.merge(TrainingData(training_examples=copies))

    def process(self, messages: List[Message]) -> List[Message]:
        return messages  # nothing at prediction time
