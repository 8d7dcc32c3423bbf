"""A desk for a local trial: one agent made up for `make run` on loopback when no agents are set.

With no ``ASSISTANT_AGENT_TOKENS`` and the servers bound to a loopback address,
the launcher gives the Rasa server one agent, ``local``, whose token is kept in
the state directory (``local-agent.token``, readable by its owner only) and
reused on later runs, and prints a log-in link. The token travels in the
link's fragment (``/agent/#token=…``), which a browser never sends to a
server: it appears in no server log; the log-in page fills its form with it
and clears it from the address bar. Bound to any other address the agent side
stays off until tokens are set, as without a trial.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from typing import Optional, Tuple

from settings import variables as v
from settings.desk import MIN_TOKEN_LENGTH, DeskSettings
from settings.launch import LaunchSettings

TRIAL_AGENT = "local"
TOKEN_FILE = "local-agent.token"  # noqa: S105 - a file name, not a token


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def trial_agent(settings: LaunchSettings, desk: DeskSettings) -> Optional[Tuple[str, str]]:
    """The trial agent's (name, token), set for the servers in ``settings.env``; None when there is none.

    None when agents are configured or the servers listen beyond loopback.
    """
    if desk.agents_enabled or not is_loopback(settings.host) or "rasa" not in settings.servers:
        return None  # (a machine running only the action server has no desk to log in to)
    token = _kept_token(settings)
    settings.env[v.AGENT_TOKENS] = f"{TRIAL_AGENT}:{token}"
    return TRIAL_AGENT, token


def login_link(settings: LaunchSettings, token: str) -> str:
    """The agent page with the token in the fragment: the page logs in with one click, no server sees it."""
    return f"{settings.rasa_url}/agent/#token={token}"


def _kept_token(settings: LaunchSettings) -> str:
    path = settings.state_dir / TOKEN_FILE
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        if len(token) >= MIN_TOKEN_LENGTH and token.replace("-", "").replace("_", "").isalnum():
            return token
        path.unlink()  # not one we wrote: make a new one
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token
