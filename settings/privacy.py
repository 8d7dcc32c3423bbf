"""Which kinds of personal data are masked (``ASSISTANT_PRIVACY_MASKING``)."""

from __future__ import annotations

from typing import FrozenSet, Mapping, Optional

from settings import variables as v
from settings.read import Env

MASKED_KINDS = ("email", "card", "phone")  # in the order privacy/masking.py applies them


def masking_kinds(raw: Optional[str] = None, env: Optional[Mapping[str, str]] = None) -> FrozenSet[str]:
    """The kinds to mask: from ``raw``, else from the environment (default: all); ValueError when unknown."""
    text = (Env(env).raw(v.PRIVACY_MASKING) or "on") if raw is None else raw
    text = text.strip().lower()
    if text in ("", "on", "1", "true", "yes", "all"):
        return frozenset(MASKED_KINDS)
    if text in ("off", "0", "false", "no", "none"):
        return frozenset()
    kinds = frozenset(k.strip() for k in text.split(",") if k.strip())
    unknown = sorted(kinds - set(MASKED_KINDS))
    if unknown:
        raise ValueError(
            f"{v.PRIVACY_MASKING}={text!r}: unknown kind {', '.join(unknown)} "
            f"(use on, off, or a list of {', '.join(MASKED_KINDS)})"
        )
    return kinds
