"""Settings of insights and metrics: the window after which a conversation is over, the metrics token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping, Optional

from settings import variables as v
from settings.read import Env

MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class InsightsSettings:
    # a conversation nobody wrote in for this long is over (contained-assumed, abandoned)
    window_hours: float = 24.0
    # besides the operator token, this one may read GET /metrics (a scraper's own)
    metrics_token: Optional[str] = None
    operator_token: Optional[str] = None

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> InsightsSettings:
        read = Env(env)
        window = read.number(v.INSIGHTS_WINDOW, 24.0, 0.01, 24 * 90)
        token = read.raw(v.METRICS_TOKEN)
        if token is not None and len(token) < MIN_TOKEN_LENGTH:
            read.problems.append(f"{v.METRICS_TOKEN} must be at least {MIN_TOKEN_LENGTH} characters")
        read.check("insights settings")
        return cls(window, token or None, read.raw(v.OPERATOR_TOKEN))
