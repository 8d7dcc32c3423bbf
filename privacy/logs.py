"""Mask personal data in every log line of a process.

``install()`` replaces the log record factory, so every record's message,
whichever logger or library made it (Rasa's structlog lines go through the
standard library too), is masked before any handler formats it.
"""

from __future__ import annotations

import logging
from typing import Any

from privacy.masking import enabled_kinds, mask_text

_installed = False


def install() -> bool:
    """Mask log messages in this process from now on; False when masking is off."""
    global _installed
    kinds = enabled_kinds()
    if not kinds or _installed:
        return _installed
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string stays the logger's problem
            return record
        masked = mask_text(message, kinds)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
    return True
