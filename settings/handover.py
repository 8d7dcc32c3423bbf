"""Where hand-overs are stored, and whether they go to an external help desk.

Read when first needed, in either server (the launcher passes both variables).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Optional

from settings import variables as v
from settings.read import Env

DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "state" / "handovers.db"


def default_db_url(env: Optional[Mapping[str, str]] = None) -> str:
    return Env(env).text(v.HANDOVER_DB_URL) or f"sqlite:///{DEFAULT_DB_PATH}"


def webhook_enabled(env: Optional[Mapping[str, str]] = None) -> bool:
    """Whether hand-overs are queued for a help desk (the launcher validated the URL)."""
    return bool(Env(env).text(v.WEBHOOK_URL))
