"""The one rule for links in what the assistant sends: http, https and mailto only.

Every bot and agent message passes ``safe_text`` on its way to a client (the
socket.io channel, the pushes of the desk); the pages render links with
``web/static/safe-links.js``, which applies the same rule in the browser.
"""

from __future__ import annotations

import logging
import re
from typing import Optional

logger = logging.getLogger(__name__)

SAFE_SCHEMES = ("http", "https", "mailto")
# [label](target); the target may hold one level of balanced parentheses.
_MARKDOWN_LINK = re.compile(r"\[([^\]\n]*)\]\(((?:[^()\s]|\([^()\s]*\))*)\)")


def is_safe_target(target: str) -> bool:
    """An absolute http(s) URL or a mailto: address."""
    scheme = target.split(":", 1)[0].lower() if ":" in target else ""
    if scheme not in SAFE_SCHEMES:
        return False
    return scheme == "mailto" or target.lower().startswith(f"{scheme}://")


def safe_text(text: Optional[str]) -> Optional[str]:
    """Markdown links to anything but http(s) or mailto become their plain label."""
    if not text:
        return text

    def keep_or_strip(match: re.Match[str]) -> str:
        if is_safe_target(match.group(2)):
            return match.group(0)
        logger.warning("dropped a link with an unsafe target from a bot message")
        return match.group(1)

    return _MARKDOWN_LINK.sub(keep_or_strip, text)
