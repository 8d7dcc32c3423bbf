"""The words the spelling corrector knows: symspellpy's English dictionary and the domain's.

The domain's are learnt at training time from the training data, the macro
library and the entity patterns (``vocabulary_files`` in config.yml), with the
inflections of each, so a domain word is never "corrected" away.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any, Dict, Iterable, List

from spacy_pipeline.corrector import CHAT_WORDS

ROOT = Path(__file__).resolve().parent.parent
DICTIONARY_FILE = "frequency_dictionary_en_82_765.txt"


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
