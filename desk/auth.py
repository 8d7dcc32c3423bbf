"""Who is calling the agent side: a bearer token, or the agent page's session cookie.

Each agent has their own token (``ASSISTANT_AGENT_TOKENS="alice:… bob:…"``), so
a claim or a reply is always attributed to a person. Scripts and other tools
send ``Authorization: Bearer <token>``. The agent page logs in once with the
token and then carries a signed, HttpOnly, SameSite=Strict cookie (no token in
a URL, in the page or in browser storage); requests that change something with
that cookie must also carry the ``X-Agent-Request`` header, which a page of
another origin cannot add, so a cross-site form cannot act for an agent.

Wrong bearer tokens are slowed down per address (``desk/limits.py``): after
too many, the caller gets 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Mapping, Optional

from sanic.request import Request

from desk.limits import LoginLimiter, address_of

COOKIE_NAME = "toolkit_agent"
CSRF_HEADER = "x-agent-request"
SESSION_SECONDS = 12 * 3600
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class AgentAuth:
    def __init__(self, agents: Mapping[str, str], limiter: Optional[LoginLimiter] = None) -> None:
        self._agents = dict(agents)
        self.limiter = limiter or LoginLimiter()

    @property
    def enabled(self) -> bool:
        return bool(self._agents)

    def agent_for_token(self, token: str) -> Optional[str]:
        found = None
        for name, expected in self._agents.items():  # compare with every token, in constant time
            if hmac.compare_digest(expected.encode(), token.encode()):
                found = name
        return found

    def authenticate(self, request: Request) -> Optional[str]:
        header = request.headers.get("authorization", "")
        if header[:7].lower() == "bearer ":
            address = address_of(request)
            self.limiter.check(address)  # raises TooManyAttempts (429) while the address must wait
            agent = self.agent_for_token(header[7:].strip())
            if agent is None:
                self.limiter.failed(address, where="API call")
            else:
                self.limiter.succeeded(address)
            return agent
        cookie = request.cookies.get(COOKIE_NAME)
        if not cookie:
            return None
        name = self.agent_for_cookie(cookie)
        if name and request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != "1":
            return None
        return name

    # A cookie is "name.expiry.signature", signed with a key derived from the
    # agent's token: changing an agent's token ends their sessions, and the
    # cookie is valid on every replica that has the same tokens.
    def cookie_for(self, name: str, now: Optional[float] = None) -> str:
        expiry = int((now or time.time()) + SESSION_SECONDS)
        return f"{name}.{expiry}.{self._signature(name, expiry)}"

    def agent_for_cookie(self, cookie: str, now: Optional[float] = None) -> Optional[str]:
        parts = cookie.rsplit(".", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None
        name, expiry, signature = parts[0], int(parts[1]), parts[2]
        if name not in self._agents or expiry < (now or time.time()):
            return None
        return name if hmac.compare_digest(self._signature(name, expiry), signature) else None

    def _signature(self, name: str, expiry: int) -> str:
        key = hashlib.sha256(b"toolkit-agent-session:" + self._agents[name].encode()).digest()
        return hmac.new(key, f"{name}.{expiry}".encode(), hashlib.sha256).hexdigest()
