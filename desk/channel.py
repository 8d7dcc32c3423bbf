"""The agent side, served by the Rasa server itself under ``/agent``.

- ``/agent/`` — the agent page, after a log-in with an agent token (``desk/pages.py``);
- ``/agent/api/…`` — agent assist, the hand-over desk and suggestion feedback
  (``desk/api.py``);
- ``/agent/review`` and ``/agent/api/review/…`` — the review inbox (``desk/review.py``);
- ``/agent/insights`` and ``/agent/api/insights`` — the Insights page and its
  figures (``desk/insights.py``);
- ``/agent/api/presence`` — who is at the desk: online, away or offline
  (``desk/presence.py``);
- a background task that tells clients who waited too long what happens next
  and delivers hand-overs to an external help desk (``desk/background.py``).

Configured in ``credentials.yml`` (``desk.channel.AgentDeskInput``), so it runs
in the same process as the bot, with its model, tracker store and macro
library. Without agent credentials in the environment every agent route
answers 403 and the log says why: the agent side is never open.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from desk import api, background, insights, pages, presence, review
from desk.auth import AgentAuth
from desk.context import Desk
from desk.limits import LoginLimiter
from handover.store import HandOverStore
from settings.desk import DeskSettings


class AgentDeskInput(InputChannel):
    """Mounts the agent side on the Rasa server (no client messages come in here)."""

    @classmethod
    def name(cls) -> str:
        return "agent_desk"

    def url_prefix(self) -> str:
        return "/agent"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return create_blueprint(DeskSettings.from_env())


def create_blueprint(settings: DeskSettings, store: Optional[HandOverStore] = None) -> Blueprint:
    limiter = LoginLimiter(settings.login_max_failures, settings.login_window_seconds)
    desk = Desk(settings, AgentAuth(settings.agents, limiter), store or HandOverStore())
    bp = Blueprint("agent_desk", __name__)
    background.attach(bp, desk)
    pages.add_routes(bp, desk)
    api.add_routes(bp, desk)
    review.add_routes(bp, desk)
    insights.add_routes(bp, desk)  # the Insights page and /agent/api/insights
    presence.add_routes(bp, desk)  # /agent/api/presence: who is at the desk
    return bp


__all__ = ["AgentDeskInput", "create_blueprint"]
