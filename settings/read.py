"""Reading declared variables from an environment, collecting every problem at once."""

from __future__ import annotations

import os
from typing import List, Mapping, Optional
from urllib.parse import urlsplit

from settings.variables import VARIABLES


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable and what is wrong."""


class Env:
    """Typed reads of declared variables; problems are collected, then ``check`` raises them."""

    def __init__(self, env: Optional[Mapping[str, str]] = None) -> None:
        self._env = os.environ if env is None else env
        self.problems: List[str] = []

    def raw(self, name: str) -> Optional[str]:
        """The value as set (None when unset or empty); only declared variables may be read."""
        if name not in VARIABLES:
            raise KeyError(f"{name} is not declared in settings/variables.py")
        value = self._env.get(name)
        return value if value else None

    def text(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self.raw(name)
        return value.strip() if value and value.strip() else default

    def words(self, name: str, default: str = "") -> List[str]:
        return (self.raw(name) or default).replace(",", " ").split()

    def number(self, name: str, default: float, low: float, high: float) -> float:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            self.problems.append(f"{name}={raw!r} is not a number")
            return default
        if not low <= value <= high:
            self.problems.append(f"{name}={raw!r} must be between {low:g} and {high:g}")
        return value

    def port(self, name: str, default: int) -> int:
        raw = self.text(name)
        if raw is None:
            return default
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            self.problems.append(f"{name}={raw!r} is not a port number (1-65535)")
            return default
        return int(raw)

    def url(self, name: str, schemes: tuple, example: str) -> Optional[str]:
        """A URL of one of ``schemes``; the message never shows the value (it may hold a password)."""
        raw = self.text(name)
        if raw is None:
            return None
        if urlsplit(raw).scheme not in schemes:
            kinds = " or ".join(scheme + "://" for scheme in schemes)
            article = "an" if kinds[0] in "aeiou" else "a"
            self.problems.append(f"{name} must be {article} {kinds} URL, e.g. {example}")
        return raw

    def check(self, what: str) -> None:
        """Raise every problem found so far as one ``SettingsError``."""
        if self.problems:
            raise SettingsError(f"invalid {what}:\n" + "\n".join(f"  - {p}" for p in self.problems))


def value(name: str, env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """One declared variable as set, read at the time of the call (None when unset)."""
    return Env(env).raw(name)
