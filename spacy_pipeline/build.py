"""Build the project's spaCy pipeline from trusted parts only.

spaCy's blank English (tokenizer), the lookup lemmatizer with Explosion's
``spacy-lookups-data`` tables, and an entity ruler whose patterns are
``spacy_pipeline/patterns.yml``. Nothing is downloaded. Rasa loads the result
by path (``SpacyNLP`` in ``config.yml``).

    python -m spacy_pipeline.build [--force]

It rebuilds only when the patterns, this file or the spaCy packages changed
(a fingerprint is kept beside the pipeline).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from collections import defaultdict
from importlib import metadata
from pathlib import Path
from typing import Dict, Iterable, List, Set

from toolkit.yamlfile import Node, YamlFileError, read_yaml

ROOT = Path(__file__).resolve().parent.parent
PATTERNS_PATH = ROOT / "spacy_pipeline" / "patterns.yml"
OUTPUT_PATH = ROOT / "build" / "spacy_toolkit_en"
FINGERPRINT_FILE = "toolkit_fingerprint.txt"

GAP = "..."
EXACT_PREFIX = "="
NEGATIONS = ["not", "n't", "nt", "never"]
MAX_GAP_TOKENS = 2


class PatternError(ValueError):
    """The patterns file is not usable; the message names file, line and entry."""


def fingerprint(patterns_path: Path = PATTERNS_PATH) -> str:
    """What the built pipeline depends on: patterns, this builder, spaCy versions."""
    digest = hashlib.sha256()
    digest.update(patterns_path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    for package in ("spacy", "spacy-lookups-data"):
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


def read_patterns(path: Path = PATTERNS_PATH) -> Dict[str, Dict[str, List[str]]]:
    """entity -> kind -> phrases, checked; errors name the file, line and entry."""
    try:
        doc = read_yaml(path)
    except YamlFileError as e:
        raise PatternError(str(e)) from e
    problems: List[str] = []
    result: Dict[str, Dict[str, List[str]]] = {}
    if not isinstance(doc, Node) or not doc:
        raise PatternError(f"{path}:1: expected a mapping of entity -> kind -> phrases")
    for entity, kinds in doc.items():
        line = doc.line_of(str(entity))
        if not isinstance(kinds, Node) or not kinds:
            problems.append(f"{path}:{line}: {entity}: expected a mapping of kind -> phrases")
            continue
        result[str(entity)] = {}
        for kind, phrases in kinds.items():
            kline = kinds.line_of(str(kind))
            where = f"{entity}.{kind}"
            if not isinstance(phrases, list) or not phrases:
                problems.append(f"{path}:{kline}: {where}: expected a non-empty list of phrases")
                continue
            clean: List[str] = []
            for phrase in phrases:
                if not isinstance(phrase, str) or not phrase.strip(GAP + " " + EXACT_PREFIX):
                    problems.append(f"{path}:{kline}: {where}: phrase {phrase!r} is not text")
                    continue
                words = phrase.split()
                if words[0] == GAP or words[-1] == GAP:
                    problems.append(f"{path}:{kline}: {where}: phrase {phrase!r} starts or ends with '{GAP}'")
                    continue
                clean.append(phrase.strip())
            result[str(entity)][str(kind)] = clean
    if problems:
        raise PatternError("\n".join(problems))
    return result


def _lemma_lookup_strings() -> Dict[str, str]:
    """form -> lemma with the words as text (spaCy's Table keeps only their hashes)."""
    import spacy_lookups_data
    import srsly

    data_dir = Path(spacy_lookups_data.__file__).parent / "data"
    return dict(srsly.read_gzip_json(data_dir / "en_lemma_lookup.json.gz"))


def _inflections(lemma_lookup: Dict[str, str]) -> Dict[str, Set[str]]:
    forms: Dict[str, Set[str]] = defaultdict(set)
    for form, lemma in lemma_lookup.items():
        forms[lemma.lower()].add(form.lower())
    return forms


def token_patterns(nlp, phrase: str, forms: Dict[str, Set[str]], lemma_lookup: Dict[str, str]) -> List[dict]:
    """One phrase as an entity-ruler token pattern, case-insensitive, all inflections."""
    pattern: List[dict] = []
    for chunk in phrase.split():
        if chunk == GAP:
            pattern.extend({"OP": "?"} for _ in range(MAX_GAP_TOKENS))
            continue
        exact = chunk.startswith(EXACT_PREFIX)
        chunk = chunk[len(EXACT_PREFIX) :] if exact else chunk
        for token in nlp.tokenizer(chunk.lower()):
            word = token.text
            if word == "not":
                variants = set(NEGATIONS)
            elif exact:
                variants = {word}
            else:
                lemma = lemma_lookup.get(word, word).lower()
                variants = {word, lemma} | forms.get(lemma, set())
            pattern.append({"LOWER": {"IN": sorted(variants)}})
    return pattern


def build(output: Path = OUTPUT_PATH, patterns_path: Path = PATTERNS_PATH, force: bool = False) -> bool:
    """Build the pipeline into ``output``; returns False when it was already current."""
    wanted = fingerprint(patterns_path)
    stamp = output / FINGERPRINT_FILE
    if not force and stamp.is_file() and stamp.read_text().strip() == wanted:
        return False
    patterns = read_patterns(patterns_path)

    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup tables from spacy-lookups-data, offline
    lemma_lookup = _lemma_lookup_strings()
    forms = _inflections(lemma_lookup)
    ruler = nlp.add_pipe("entity_ruler", config={"validate": True, "overwrite_ents": True})
    patterns_found = list(_ruler_patterns(nlp, patterns, forms, lemma_lookup))
    ruler.add_patterns(patterns_found)  # type: ignore[attr-defined]  # spaCy types add_pipe as a Pipe
    nlp.meta.update(
        {
            "name": "toolkit_en",
            "version": "1.0.0",
            "description": "Blank English + lookup lemmatizer + Client Toolkit entity ruler",
            "sources": [{"name": "spacy-lookups-data", "url": "https://github.com/explosion/spacy-lookups-data"}],
        }
    )
    tmp = output.with_name(output.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(tmp)
    (tmp / FINGERPRINT_FILE).write_text(wanted + "\n")
    shutil.rmtree(output, ignore_errors=True)
    tmp.rename(output)
    return True


def _ruler_patterns(nlp, patterns, forms, lemma_lookup) -> Iterable[dict]:
    for entity, kinds in patterns.items():
        for kind, phrases in kinds.items():
            for phrase in phrases:
                yield {
                    "label": entity,
                    "id": kind,
                    "pattern": token_patterns(nlp, phrase, forms, lemma_lookup),
                }


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when current")
    parser.add_argument("--output", type=Path, default=OUTPUT_PATH)
    args = parser.parse_args(argv)
    try:
        built = build(args.output, force=args.force)
    except PatternError as e:
        print(f"error: cannot build the spaCy pipeline:\n{e}", file=sys.stderr)
        return 1
    print(f"spaCy pipeline {'built' if built else 'is current'}: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
