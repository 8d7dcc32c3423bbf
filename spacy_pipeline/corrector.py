"""The spelling corrector behind ``SpellingNormalizer`` (spacy_pipeline/spelling.py).

SymSpell lookups over symspellpy's English dictionary and the domain's own
words, with the rules for what is never touched (see spelling.py) and for
which of several equally close corrections wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from spacy_pipeline import noise

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
        return m is not None and (m.group(1) in self.general or m.group(1) in self.domain)

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
