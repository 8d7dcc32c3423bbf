"""Keyboard slips of a client typing fast, made deterministically.

One module for both uses: ``TypoAugmenter`` (spacy_pipeline/spelling.py) adds
noisy copies of the training examples with it while a model trains, and the
quality tests (tests/test_nlu_typos.py) make a noisy copy of the held-out test
set with it, with another seed. Nothing here is written into data/.

The slips are those of a QWERTY keyboard: a neighbouring key instead of the
right one, a letter dropped, doubled, or swapped with the next, a missing
space, the caps lock or a lazy shift, a missing apostrophe. Which slips, and
where, comes from a ``random.Random`` seeded with the seed *and the text*, so a
sentence gets the same slips in every run and on every machine (Python's
``hash()`` of a string changes between processes; sha256 does not).
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Callable, Dict, List, Optional, Tuple

QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> Dict[str, str]:
    """letter -> the keys touching it on a QWERTY keyboard.

    Each row sits about half a key to the right of the one above it, so a key
    in column c touches c-1 and c+1 in its row, c and c+1 in the row above,
    c-1 and c in the row below ("s": a, d, w, e, z, x).
    """
    result: Dict[str, str] = {}
    for r, row in enumerate(QWERTY_ROWS):
        for c, ch in enumerate(row):
            spots = [(r, c - 1), (r, c + 1), (r - 1, c), (r - 1, c + 1), (r + 1, c - 1), (r + 1, c)]
            around = [QWERTY_ROWS[r2][c2] for r2, c2 in spots if 0 <= r2 < 3 and 0 <= c2 < len(QWERTY_ROWS[r2])]
            result[ch] = "".join(sorted(around))
    return result


NEIGHBOURS = _neighbours()

# Where a slip may land: inside a word of letters, never in a number, a URL or an address.
_WORD = re.compile(r"[A-Za-z]{3,}")
_PROTECTED_CHUNK = re.compile(r"\d|@|://|www\.|\.[a-z]{2,}\b", re.IGNORECASE)


def _rng(text: str, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}\0{text}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - noise, not secrets


def _words(text: str) -> List[Tuple[int, int]]:
    """The letter runs a slip may hit (not inside numbers, URLs or e-mail addresses)."""
    found: List[Tuple[int, int]] = []
    for chunk in re.finditer(r"\S+", text):
        if _PROTECTED_CHUNK.search(chunk.group()):
            continue
        for word in _WORD.finditer(chunk.group()):
            found.append((chunk.start() + word.start(), chunk.start() + word.end()))
    return found


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def adjacent_key(text: str, rng: random.Random) -> Optional[str]:
    """A letter typed as a neighbouring key ("contract" -> "contravt")."""
    spans = _words(text)
    if not spans:
        return None
    start, end = rng.choice(spans)
    i = rng.randrange(start, end)
    ch = text[i]
    near = NEIGHBOURS.get(ch.lower())
    if not near:
        return None
    new = rng.choice(near)
    return _replace(text, i, i + 1, new.upper() if ch.isupper() else new)


def drop_letter(text: str, rng: random.Random) -> Optional[str]:
    """A letter left out ("contract" -> "contrct")."""
    spans = [(s, e) for s, e in _words(text) if e - s >= 4]
    if not spans:
        return None
    start, end = rng.choice(spans)
    i = rng.randrange(start + 1, end)  # the first letter is rarely the one dropped
    return _replace(text, i, i + 1, "")


def double_letter(text: str, rng: random.Random) -> Optional[str]:
    """A letter typed twice ("pause" -> "pausse")."""
    spans = _words(text)
    if not spans:
        return None
    start, end = rng.choice(spans)
    i = rng.randrange(start, end)
    return _replace(text, i, i + 1, text[i] * 2)


def swap_letters(text: str, rng: random.Random) -> Optional[str]:
    """Two neighbouring letters swapped ("pause" -> "puase")."""
    spans = [(s, e) for s, e in _words(text) if e - s >= 3]
    if not spans:
        return None
    start, end = rng.choice(spans)
    i = rng.randrange(start, end - 1)
    if text[i] == text[i + 1]:
        return None
    return _replace(text, i, i + 2, text[i + 1] + text[i])


def missing_space(text: str, rng: random.Random) -> Optional[str]:
    """Two words run together ("my contract" -> "mycontract")."""
    spaces = [m.start() for m in re.finditer(r"(?<=[A-Za-z]) (?=[A-Za-z])", text)]
    if not spaces:
        return None
    i = rng.choice(spaces)
    return _replace(text, i, i + 1, "")


def casing(text: str, rng: random.Random) -> Optional[str]:
    """The caps lock on, or no capitals at all, or a capital where none belongs."""
    kind = rng.randrange(3)
    if kind == 0:
        changed = text.upper()
    elif kind == 1:
        changed = text.lower()
    else:
        spans = [(s, e) for s, e in _words(text) if not text[s].isupper()]
        if not spans:
            return None
        start, end = rng.choice(spans)
        changed = _replace(text, start, end, text[start:end].capitalize())
    return changed if changed != text else None


def missing_apostrophe(text: str, rng: random.Random) -> Optional[str]:
    """An apostrophe left out ("doesn't" -> "doesnt", "I'm" -> "Im")."""
    spots = [m.start() for m in re.finditer(r"(?<=[A-Za-z])['’](?=[A-Za-z])", text)]
    if not spots:
        return None
    i = rng.choice(spots)
    return _replace(text, i, i + 1, "")


Slip = Callable[[str, random.Random], Optional[str]]

# How often each kind of slip comes, roughly as in fast typing: keys and letters most.
SLIPS: Dict[str, tuple] = {
    "adjacent_key": (adjacent_key, 4),
    "drop_letter": (drop_letter, 3),
    "double_letter": (double_letter, 2),
    "swap_letters": (swap_letters, 3),
    "missing_space": (missing_space, 1),
    "casing": (casing, 1),
    "missing_apostrophe": (missing_apostrophe, 2),
}


def add_slips(text: str, seed: int, slips: int = 3) -> str:
    """``text`` with about ``slips`` keyboard slips (fewer in a very short text), the same for the same seed."""
    rng = _rng(text, seed)
    names = list(SLIPS)
    weights = [SLIPS[name][1] for name in names]
    # about one slip in three words, at most ``slips``
    wanted = min(slips, max(1, len(re.findall(r"[A-Za-z]+", text)) // 3)) if _words(text) else 0
    noisy = text
    tries = 0
    done = 0
    while (done < wanted or noisy == text) and tries < wanted * 8:
        tries += 1
        slip = SLIPS[rng.choices(names, weights)[0]][0]
        changed = slip(noisy, rng)
        if changed is not None and changed != noisy:
            noisy = changed
            done += 1
    return noisy
