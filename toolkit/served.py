"""The macro library the servers serve: the one place actions and the desk get it from.

Loaded on first use, not at import; re-read when the file changes, so a new
wording or link is live on the next reply without retraining or a restart.
Tests point it elsewhere with the ``TOOLKIT_LIBRARY`` environment variable.
"""

from __future__ import annotations

import logging

from toolkit.library import LibraryCache, MacroLibrary

logger = logging.getLogger(__name__)

_cache = LibraryCache()
_reported_error: str = ""


def get_library() -> MacroLibrary:
    """The current library; an invalid edit is logged and the last good one served."""
    global _reported_error
    library = _cache.get()
    error = str(_cache.last_error) if _cache.last_error else ""
    if error and error != _reported_error:
        logger.error("%s\nStill serving the last valid version of %s.", error, library.path)
    _reported_error = error
    return library
