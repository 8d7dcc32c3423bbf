"""The security headers of every response, in one table.

``web/guard.py`` adds ``BASE_HEADERS`` to every response of the Rasa server
that does not set its own; pages and static files get ``page_headers`` with
their own Content-Security-Policy. ``X-Frame-Options`` always says what the
policy's ``frame-ancestors`` says, for browsers that read only the older header.
"""

from __future__ import annotations

from typing import Dict

BASE_HEADERS: Dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-site",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cache-Control": "no-store",
}
# A page that sets no policy of its own may load its own scripts, styles and
# images and talk to its own server; nothing else, and no framing.
HTML_DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Static files (scripts, styles): nothing of their own to run or load.
STATIC_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000; includeSubDomains"


def frame_options(csp: str) -> str:
    """The X-Frame-Options that matches the policy's frame-ancestors."""
    ancestors = next((d.split()[1:] for d in csp.split(";") if d.strip().startswith("frame-ancestors")), ["'none'"])
    return "SAMEORIGIN" if ancestors == ["'self'"] else "DENY"


def page_headers(csp: str, cache: str = "no-cache", embeddable: bool = False) -> Dict[str, str]:
    """Headers of a page or a static file: its policy, the base table, revalidated caching.

    ``embeddable`` files (the chat widget's script, style and their one
    dependency) may be loaded by pages of other sites, which embed the widget:
    ``Cross-Origin-Resource-Policy: cross-origin`` instead of ``same-site``,
    which makes browsers refuse them there (``ERR_BLOCKED_BY_RESPONSE.NotSameSite``).
    """
    headers = {
        **BASE_HEADERS,
        "Content-Security-Policy": csp,
        "X-Frame-Options": frame_options(csp),
        "Cache-Control": cache,
    }
    if embeddable:
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return headers
