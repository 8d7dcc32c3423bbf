"""The labelled examples as Rasa training data: ``data/nlu/reviewed.yml``.

Rasa's NLU YAML (examples with ``metadata``: source, reviewer, when), one
block per intent. Deduplicated against every other file of the training data
folder and against the held-out test split (a reviewed copy of a test message
would make the retrain gate measure what it trained on); every text masked
with every kind of mask, whatever the masking setting; sorted by intent, then
text, so a diff of it in a pull request reads well. Written to a temporary
file and moved into place: a failed export leaves the previous file as it
was. Hand-written data files are only read.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Set

import yaml

from privacy.masking import KINDS, mask_text
from review.store import ReviewStore

FILE_NAME = "reviewed.yml"
HEADER = (
    "# Written by `make review-export` from the review inbox (docs/review.md); do not edit by hand:\n"
    "# undo or change a label in the review tab, then export again.\n"
)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    examples: int
    skipped_known: int  # already in the training data or the test split
    by_intent: Dict[str, int]

    def to_dict(self) -> Dict[str, Any]:
        return {
            "path": str(self.path),
            "examples": self.examples,
            "skipped_known": self.skipped_known,
            "by_intent": self.by_intent,
        }


def _same(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def known_texts(data_dir: Path, test_files: Iterable[Path] = ()) -> Set[str]:
    """Every example text of the training data (but reviewed.yml) and of the test files."""
    found: Set[str] = set()
    files = [p for p in sorted(data_dir.rglob("*.yml")) if p.name != FILE_NAME] + list(test_files)
    for path in files:
        if not path.is_file():
            continue
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in content.get("nlu") or []:
            examples = block.get("examples") if isinstance(block, dict) else None
            if isinstance(examples, str):
                for line in examples.splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        found.add(_same(_plain(line[2:])))
            elif isinstance(examples, list):
                found.update(_same(_plain(str(e.get("text", "")))) for e in examples if isinstance(e, dict))
    return found


def _plain(text: str) -> str:
    """An example without Rasa's entity annotations: ``[hourly](contract_type)`` -> ``hourly``."""
    return re.sub(r"\[([^\]]*)\](\([^)]*\)|\{[^}]*\})", r"\1", text)


def build(examples: List[Dict[str, Any]], known: Set[str]) -> tuple:
    """The YAML document and what went into it."""
    chosen: Dict[str, Dict[str, Any]] = {}
    skipped = 0
    for example in examples:
        text = mask_text(str(example["text"]), frozenset(KINDS))
        key = _same(text)
        if key in known:
            skipped += 1
            continue
        previous = chosen.get(key)
        if previous is None or example["labelled_at"] > previous["labelled_at"]:
            chosen[key] = {**example, "text": text}
    by_intent: Dict[str, List[Dict[str, Any]]] = {}
    for example in chosen.values():
        by_intent.setdefault(example["intent"], []).append(example)
    blocks = []
    for intent in sorted(by_intent):
        rows = sorted(by_intent[intent], key=lambda e: (_same(e["text"]), e["text"]))
        blocks.append(
            {
                "intent": intent,
                "examples": [
                    {
                        "text": e["text"],
                        "metadata": {
                            "source": "review",
                            "reviewed_by": e["reviewer"],
                            "reviewed_at": e["labelled_at"].strftime("%Y-%m-%d"),
                        },
                    }
                    for e in rows
                ],
            }
        )
    document = {"version": "3.1", "nlu": blocks}
    return document, skipped, {intent: len(rows) for intent, rows in sorted(by_intent.items())}


def export(
    store: ReviewStore,
    data_dir: Path,
    test_files: Iterable[Path] = (),
    existing: Optional[Any] = None,
) -> ExportResult:
    """Write ``<data_dir>/nlu/reviewed.yml``; ``existing(conversation_ids)`` drops deleted conversations first."""
    examples = store.labelled_examples()
    if existing is not None:
        conversations = sorted({e["conversation_id"] for e in examples})
        gone = set(conversations) - set(existing(conversations))
        store.mark_stale(gone)
        examples = [e for e in examples if e["conversation_id"] not in gone]
    document, skipped, by_intent = build(examples, known_texts(data_dir, test_files))
    target = data_dir / "nlu" / FILE_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    body = HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1000)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".reviewed-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(body)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return ExportResult(target, sum(by_intent.values()), skipped, by_intent)
