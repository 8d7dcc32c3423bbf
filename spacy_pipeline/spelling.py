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

import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from spacy_pipeline import noise

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
ORIGINAL_TEXT = "text_as_typed"  # message data key (not output): the client's own words
NORMALIZED = "normalized"  # parse data key: {"text": ..., "changes": [{"from": ..., "to": ...}]}
TYPO_COPY = "typo_copy"  # marks the augmenter's noisy copies (training only)
DICTIONARY_FILE = "frequency_dictionary_en_82_765.txt"
VOCABULARY_FILE = "vocabulary.json"

# Chat shorthand a client means as written: never "corrected".
CHAT_WORDS = frozenset(
    """pls plz thx thnx ty u ur r ok okay btw asap omg lol wtf idk tbh imo fyi dm msg msgs hrs hr mins wks
    bc cuz coz ppl info acct dev devs va seo ui ux api app apps pdf url urls faq eta pm am etc vs yeah yep
    nope nah hey hi hii heya yo cya thanku usd eur gbp inr cad aud jpy chf""".split()
)
# Contractions typed without their apostrophe, put back ("dont" -> "don't").
APOSTROPHES = {
    w.replace("'", ""): w
    for w in """don't doesn't didn't isn't aren't wasn't weren't hasn't haven't hadn't won't can't couldn't
    wouldn't shouldn't mustn't i'm i've i'd he's she's that's what's there's where's who's you're they're
    we're you've they've we've you'll they'll let's""".split()
}

_CONTRACTIONS = frozenset(APOSTROPHES.values())
_CHUNK = re.compile(r"\S+")
_LETTERS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_UNTOUCHABLE_CHUNK = re.compile(r"\d|@|#|://|^www\.|[a-z]\.[a-z]{2,}|[$€£¥%&=/\\<>{}|~^]", re.IGNORECASE)
_APOSTROPHE_WORD = re.compile(r"([A-Za-z]+)(['’])(s|re|ll|ve|d|m|t)\Z", re.IGNORECASE)
# what stands before "n't"
NT_STEMS = ("do", "does", "did", "is", "are", "was", "were", "has", "have", "had", "could", "would", "should", "must")
_ASCII_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?\Z")


@dataclass(frozen=True)
class Change:
    """One word replaced: ``original[start:end]`` became ``new``."""

    start: int
    end: int
    old: str
    new: str


@dataclass
class Correction:
    original: str
    text: str
    changes: List[Change] = field(default_factory=list)

    def as_parse_data(self) -> Dict[str, Any]:
        return {"text": self.text, "changes": [{"from": c.old, "to": c.new} for c in self.changes]}

    def original_span(self, start: int, end: int) -> Tuple[int, int]:
        """Offsets in the corrected text -> the offsets of the same words in the original."""
        if not self.changes:
            return start, end
        # where each change sits in the corrected text
        spans, delta = [], 0
        for c in self.changes:
            new_start = c.start + delta
            spans.append((new_start, new_start + len(c.new), c))
            delta += len(c.new) - (c.end - c.start)

        def back(offset: int, is_end: bool) -> int:
            shift = 0
            for new_start, new_end, c in spans:
                if offset < new_start or (offset == new_start and not is_end):
                    break
                if offset < new_end or (offset == new_end and is_end and offset > new_start):
                    return c.end if is_end else c.start
                shift = new_end - c.end
            return offset - shift

        return back(start, False), back(end, True)


class SpellingCorrector:
    """The correction itself, without Rasa: known words, an index of candidates, the domain's words."""

    def __init__(
        self,
        general: Dict[str, int],
        domain: Dict[str, int],
        keep: Iterable[str] = (),
        index_size: int = 30000,
        max_lookups: int = 40,
        max_unknown_share: float = 0.5,
        rare_below: int = 200_000,
    ) -> None:
        from symspellpy import SymSpell

        self.general = general
        self.domain = {w: n for w, n in domain.items() if n > 0}
        self.keep = {w.lower() for w in keep} | CHAT_WORDS
        self.max_lookups = max_lookups
        self.max_unknown_share = max_unknown_share
        # a dictionary word this rare (the dictionary's counts: "the" is 23 billion) may be a slip
        self.rare_below = rare_below
        # prefix 5 and distance 2: an index of about 20 MB for 30,000 words (prefix 7 took 64 MB)
        self.index = SymSpell(max_dictionary_edit_distance=2, prefix_length=5)
        common = sorted(general.items(), key=lambda kv: -kv[1])[:index_size]
        top_words = {w for w, _ in common}
        self.common = top_words | set(self.domain)
        top = common[0][1] if common else 1
        for word, count in common:
            self.index.create_dictionary_entry(word, count)
        for bare in APOSTROPHES:  # "dosent" is one slip from "doesnt", which is "doesn't"
            if bare not in top_words and bare not in self.domain:
                self.index.create_dictionary_entry(bare, max(1, top // 1000))
        for word, count in self.domain.items():
            if word in general:
                if word not in top_words:
                    self.index.create_dictionary_entry(word, general[word])
            else:
                # a word only the domain uses gets a frequency of its own, as if common
                self.index.create_dictionary_entry(word, max(1, top // 1000) * count)

    # -- single words

    def is_known(self, word: str) -> bool:
        w = word.lower().replace("’", "'")
        if w in self.general or w in self.domain or w in self.keep or w in _CONTRACTIONS:
            return True
        m = _APOSTROPHE_WORD.match(w)
        return bool(m) and (m.group(1) in self.general or m.group(1) in self.domain)

    def _candidate(self, word: str, max_distance: int = 2) -> Optional[str]:
        """The correction of an unknown lower-case word, or None."""
        from symspellpy import Verbosity

        n = len(word)
        if n <= 2:
            return None
        distance = min(max_distance, 1 if n <= 4 else 2)
        # one slip first (cheap); two only when nothing is one slip away (a tenth of the time per look-up)
        found = self.index.lookup(word, Verbosity.ALL, max_edit_distance=1)
        if not found and distance == 2:
            found = self.index.lookup(word, Verbosity.ALL, max_edit_distance=2)
        if not found:
            return self._split(word)
        best_distance = min(s.distance for s in found)
        closest = [s for s in found if s.distance == best_distance]

        def rank(s):
            # the domain's words first, the more it uses them the better; a slip of a neighbouring
            # key counts four times ("qay" is rather "way" than "pay")
            weight = 4 if _neighbour_slip(word, s.term) else 1
            return (0 if s.term in self.domain else 1, -weight * self.domain.get(s.term, 0), -weight * s.count)

        best = min(closest, key=rank)
        if best.term in APOSTROPHES:
            return APOSTROPHES[best.term]
        if best_distance >= 2 or n == 3:
            # far, or a short word: only to a word the domain itself uses, else try a missing space
            if best.term not in self.domain or (n == 3 and self.domain[best.term] < 3):
                return self._split(word)
            if best_distance >= 2:
                # two slips away: only to a dictionary word the domain uses ("zxcvb" is not "zxcvbnm")
                return self._split(word) or (best.term if best.term in self.general else None)
        return best.term

    def _is_rare(self, word: str) -> bool:
        w = word.lower()
        return (
            len(w) >= 4
            and w.isascii()
            and w.isalpha()
            and w not in self.domain
            and w not in self.keep
            and 0 < self.general.get(w, 0) < self.rare_below
            and (not word[0].isupper() or word.isupper())
        )

    def _rare_candidate(self, word: str) -> Optional[str]:
        """A rare dictionary word one slip from a word the domain uses often ("pase" -> "pause")."""
        from symspellpy import Verbosity

        w = word.lower()
        near = [
            s.term
            for s in self.index.lookup(w, Verbosity.CLOSEST, max_edit_distance=1)
            if s.distance == 1 and self.domain.get(s.term, 0) >= 5 and s.count >= 20 * self.general[w]
        ]
        if not near:
            return None
        return self._cased_like(max(near, key=lambda t: self.domain[t]), word)

    def _split(self, word: str) -> Optional[str]:
        """Two words typed without the space between them ("mycontract" -> "my contract")."""
        if len(word) < 5:
            return None
        best, best_score = None, 0
        for i in range(1, len(word)):
            left, right = word[:i], word[i:]
            if (len(left) < 2 and left not in ("a", "i")) or (len(right) < 2 and right not in ("a", "i")):
                continue
            if left in self.common and right in self.common:
                score = min(
                    self.general.get(left, 0) + 10**6 * self.domain.get(left, 0),
                    self.general.get(right, 0) + 10**6 * self.domain.get(right, 0),
                )
                if score > best_score:
                    best, best_score = f"{left} {right}", score
        return best

    @staticmethod
    def _cased_like(new: str, old: str) -> str:
        if len(old) > 1 and old.isupper():
            return new.upper()
        if old[:1].isupper():
            return new[:1].upper() + new[1:]
        return new

    # -- whole messages

    def correct(self, text: str) -> Correction:
        if not text or not text.strip() or text.startswith("/"):
            return Correction(text, text)
        words: List[Tuple[int, int, str, bool]] = []  # start, end, word, at sentence start
        for chunk in _CHUNK.finditer(text):
            if _UNTOUCHABLE_CHUNK.search(chunk.group()):
                continue
            for m in _LETTERS.finditer(chunk.group()):
                start = chunk.start() + m.start()
                before = text[:start].rstrip()
                sentence_start = not before or before[-1] in '.!?:;"(' or before.endswith(("...", "-"))
                words.append((start, chunk.start() + m.end(), m.group(), sentence_start))
        if not words or any(not w[2].isascii() for w in words):
            # no words, or letters beyond English's: another language (or several), left as typed
            return Correction(text, text)
        shouting = text.isupper()
        cache: Dict[str, Optional[str]] = {}
        changes: List[Change] = []
        unfixable = 0  # unknown words with no correction either
        lookups = 0
        for start, end, word, sentence_start in words:
            new = self._correct_word(word)
            if word.isupper() and len(word) <= 5 and not shouting:
                continue  # "AWS", "VAT": an acronym in a sentence that is not all capitals
            key = word.lower()
            if new is None and key in cache:
                found = cache[key]
                new = self._cased_like(found, word) if found else None
            elif new is None and self._is_rare(word) and lookups < self.max_lookups:
                lookups += 1
                new = self._rare_candidate(word)
                cache[key] = new.lower() if new else None
            elif new is None and len(word) >= 3 and not self.is_known(word):
                if lookups >= self.max_lookups:
                    continue  # enough for one message: the rest as typed
                found = None
                if self._may_look_up(word, sentence_start):
                    lookups += 1
                    # a capital at a sentence's start may be a name: only the nearest corrections there
                    near = word[0].isupper() and not word.isupper()
                    found = self._candidate(key, max_distance=1 if near else 2)
                cache[key] = found
                if found:
                    new = self._cased_like(found, word)
                else:
                    unfixable += 1
            if new is not None and new != word:
                changes.append(Change(start, end, word, new))
        long_words = sum(1 for w in words if len(w[2]) >= 3)
        if unfixable >= 3 and unfixable > self.max_unknown_share * long_words:
            return Correction(text, text)  # mostly words it does not know: another language, or not words
        if not changes:
            return Correction(text, text)
        parts, last = [], 0
        for c in changes:
            parts.append(text[last : c.start])
            parts.append(c.new)
            last = c.end
        parts.append(text[last:])
        return Correction(text, "".join(parts), changes)

    def _correct_word(self, word: str) -> Optional[str]:
        """Fixes that need no dictionary look-up: a missing apostrophe, a slip before one ("wat's")."""
        fixed = APOSTROPHES.get(word.lower())
        if fixed:
            return self._cased_like(fixed, word)
        m = _APOSTROPHE_WORD.match(word)
        if not m or self.is_known(word):
            return None
        base, mark, suffix = m.group(1), m.group(2), m.group(3)
        if suffix.lower() == "t" and base.lower().endswith("n"):  # n't: the base is one of a few verbs
            stem = base[:-1].lower()
            near = [v for v in NT_STEMS if _osa(stem, v) == 1 and (len(stem) >= 2)]
            if len(near) == 1:
                return self._cased_like(near[0] + "n", base) + mark + suffix
            return None
        if base.lower() in self.general or base.lower() in self.domain or len(base) < 3:
            return None
        found = self._candidate(base.lower(), max_distance=1)
        return self._cased_like(found, base) + mark + suffix if found and " " not in found else None

    def _may_look_up(self, word: str, sentence_start: bool) -> bool:
        if len(word) < 3 or not _ASCII_WORD.match(word) or "'" in word or "’" in word:
            return False
        if self.is_known(word):
            return False
        if any(ch.isupper() for ch in word[1:]) and not word.isupper():
            return False  # "iPhone", "GitHub": a name as its owner writes it
        if word[0].isupper() and not word.isupper() and not sentence_start:
            return False  # a capital inside a sentence: a name
        return True


def _neighbour_slip(typed: str, meant: str) -> bool:
    """Same length, and every letter that differs is a neighbouring key of the one meant."""
    if len(typed) != len(meant):
        return False
    return all(a == b or a in noise.NEIGHBOURS.get(b, "") for a, b in zip(typed, meant, strict=True))


def _osa(a: str, b: str) -> int:
    from symspellpy.editdistance import DistanceAlgorithm, EditDistance

    return EditDistance(DistanceAlgorithm.DAMERAU_OSA).compare(a, b, 2)


# -- vocabulary


def general_dictionary() -> Dict[str, int]:
    """symspellpy's English frequency dictionary (82,765 words), from the installed package."""
    text = (resources.files("symspellpy") / DICTIONARY_FILE).read_text(encoding="utf-8")
    result: Dict[str, int] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            result[parts[0]] = int(parts[1])
    return result


def words_of(text: str) -> List[str]:
    return [w.lower() for w in re.findall(r"[A-Za-z]+", text or "")]


def words_of_yaml_file(path: Path) -> Counter:
    """Every word in a YAML file's keys and values (patterns, the macro library)."""
    import yaml

    counts: Counter = Counter()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(key)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, str):
            counts.update(w for w in words_of(node.replace("_", " ")) if len(w) >= 2)

    walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    return counts


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else ""


def domain_vocabulary(training_texts: Iterable[str], files: Iterable[Path], general: Dict[str, int]) -> Dict[str, int]:
    """word -> how often the domain uses it.

    The words of the patterns and the macro library are the domain's as they are.
    Those of the training data are too when the dictionary knows them, or when no
    dictionary word is one slip away: the training data has typos on purpose
    ("freelncer"), and those must stay correctable.
    """
    from symspellpy import SymSpell, Verbosity

    domain: Counter = Counter()
    for path in files:
        if path.is_file():
            domain.update(words_of_yaml_file(path))
    from_data: Counter = Counter(w for t in training_texts for w in words_of(t) if len(w) >= 2)
    unsure = [w for w in from_data if w not in general and w not in domain and w not in CHAT_WORDS]
    if unsure:
        index = SymSpell(max_dictionary_edit_distance=1, prefix_length=4)
        for w in set(general) & set(from_data) | set(domain):
            index.create_dictionary_entry(w, 1)
        for w in unsure:
            if len(w) >= 3 and index.lookup(w, Verbosity.TOP, max_edit_distance=1):
                del from_data[w]  # a slip of a word the domain or the dictionary has
    domain.update(from_data)
    # every inflection of a domain word the dictionary knows is the domain's too
    # ("pause" -> "pausing", "paused"), so "pauding" becomes "pausing", not "padding"
    from spacy_pipeline.build import _inflections, _lemma_lookup_strings

    lemma_lookup = _lemma_lookup_strings()
    forms = _inflections(lemma_lookup)
    for word in list(domain):
        lemma = lemma_lookup.get(word, word).lower()
        for form in forms.get(lemma, set()) | {lemma}:
            if form in general and form not in domain:
                domain[form] = 1
    return dict(domain)


def vocabulary_files(config: Dict[str, Any]) -> List[Path]:
    return [p if p.is_absolute() else ROOT / p for p in (Path(f) for f in config.get("vocabulary_files") or [])]


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


__all__ = [
    "Change",
    "Correction",
    "OriginalTextRestorer",
    "SpellingCorrector",
    "SpellingNormalizer",
    "TypoAugmenter",
]
