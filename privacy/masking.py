"""Mask e-mail addresses, phone numbers and card numbers in free text.

Used where client text leaves the conversation itself: hand-over records, log
lines and the events published on the event broker. On by default; the
environment variable ``ASSISTANT_PRIVACY_MASKING`` turns it off (``off``) or
names the kinds to mask (``email,phone,card``; ``on`` is all of them).

Masks are ``[email]``, ``[phone]`` and ``[card]``, so an agent still sees
*that* the client gave a number or address, and can ask for it in a safe way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, FrozenSet, Optional

from settings.privacy import MASKED_KINDS, masking_kinds
from settings.read import value as read_setting
from settings.variables import PRIVACY_MASKING

KINDS = MASKED_KINDS  # in the order they are applied

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Cards: in groups with one kind of separator (4-4-4-4 up to 19 digits, Amex 4-6-5),
# or 13 to 19 digits in one run.
_CARD = re.compile(r"(?<![\d+])(?:\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5}|\d{13,19})(?!\d)(?![ -]\d)")
# A phone-like run: optional +/00 and a bracketed area code, 7 to 15 digits
# split by spaces, dots, dashes or brackets.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ().-]{5,22}\d(?![\w])")
_DATE = re.compile(r"^\d{4}[./-]\d{1,2}[./-]\d{1,2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_TIME_OR_AMOUNT = re.compile(r"^\d{1,3}([.,]\d{3})+([.,]\d+)?$|^\d+[.,]\d{1,2}$")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, ch in enumerate(reversed(digits)):
        value = int(ch)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _is_card(match: re.Match) -> bool:
    """Grouped like a card, Luhn-valid, or of a card's usual length: a mistyped card is still a card."""
    if match.group(1) or match.group(2):
        return True
    digits = match.group(0)
    return _luhn_ok(digits) or len(digits) in (15, 16)


def _is_phone(candidate: str) -> bool:
    digits = sum(ch.isdigit() for ch in candidate)
    if not 7 <= digits <= 15:
        return False
    stripped = candidate.strip()
    if _DATE.match(stripped) or _TIME_OR_AMOUNT.match(stripped):
        return False
    if stripped.startswith(("+", "00", "(")):
        return True
    if digits >= 10:
        return True
    # 7 to 9 digits count only when grouped like a phone number ("555-1234", "020 7946 0958")
    return bool(re.search(r"\d[ .-]\d", stripped)) and stripped.count(".") != 1


def enabled_kinds(value: Optional[str] = None) -> FrozenSet[str]:
    """The kinds to mask, from ``value`` or ``ASSISTANT_PRIVACY_MASKING`` (default: all)."""
    return masking_kinds(value)


@lru_cache(maxsize=8)
def _kinds_cached(value: Optional[str]) -> FrozenSet[str]:
    return enabled_kinds(value if value is not None else "on")


def mask_text(text: Any, kinds: Optional[FrozenSet[str]] = None) -> Any:
    """``text`` with the enabled kinds masked; anything that is not a string unchanged."""
    if not isinstance(text, str) or not text:
        return text
    if kinds is None:
        kinds = _kinds_cached(read_setting(PRIVACY_MASKING))
    if "email" in kinds:
        text = _EMAIL.sub("[email]", text)
    if "card" in kinds:
        text = _CARD.sub(lambda m: "[card]" if _is_card(m) else m.group(0), text)
    if "phone" in kinds:
        text = _PHONE.sub(lambda m: _keep_edges(m.group(0)) if _is_phone(m.group(0)) else m.group(0), text)
    return text


def _keep_edges(candidate: str) -> str:
    """The mask, keeping a closing bracket that was not part of the number."""
    suffix = ")" if candidate.endswith(")") and candidate.count(")") > candidate.count("(") else ""
    return "[phone]" + suffix


# Keys of Rasa events whose values are client (or bot) text.
TEXT_KEYS = frozenset({"text", "value", "message", "user_text", "response_text"})


def mask_event(event: Any, kinds: Optional[FrozenSet[str]] = None) -> Any:
    """A copy of a serialised Rasa event with its text values masked."""
    if isinstance(event, dict):
        return {
            key: (mask_text(value, kinds) if key in TEXT_KEYS and isinstance(value, str) else mask_event(value, kinds))
            for key, value in event.items()
        }
    if isinstance(event, list):
        return [mask_event(item, kinds) for item in event]
    return event
