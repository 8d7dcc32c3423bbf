"""The first client gets a warm server, and the start-up's objects leave the collector's way.

After the model is loaded, and before the server answers anyone (its health
route included), one message is parsed and one next action predicted on a
throw-away tracker that is never stored. Then the start-up's half a million
objects are moved out of the garbage collector's way (``gc.freeze()``): every
full collection walked them all (0.8 s each, measured here), in the middle of
some client's message. What is made afterwards is collected as usual.

Guarded by tests/test_rasa_server.py.
"""

from __future__ import annotations

import gc
import logging
import time
from typing import Any, List, Optional

logger = logging.getLogger(__name__)

WARM_UP_TEXT = "hello"
WARM_UP_SENDER = "launcher-warm-up"  # never stored: the tracker lives in memory only


async def warm_up(agent: Any) -> Optional[float]:
    """Parse one message and predict one action, so the first client does not wait."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    if agent is None or not agent.is_ready():
        return None
    started = time.monotonic()
    parsed = await agent.parse_message(WARM_UP_TEXT)
    events: List[Any] = [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered(WARM_UP_TEXT, parsed.get("intent"), parsed.get("entities"), parse_data=parsed),
    ]
    tracker = DialogueStateTracker.from_events(WARM_UP_SENDER, events, slots=agent.domain.slots)
    agent.processor.predict_next_with_tracker(tracker)
    if agent.tracker_store is not None:  # the first query of the tracker store (a read only)
        await agent.tracker_store.retrieve(WARM_UP_SENDER)
    return time.monotonic() - started


def install_warm_up() -> None:
    """Warm the agent up right after Rasa loads it, before the server takes requests."""
    import rasa.core.run as rasa_run

    load_agent = rasa_run.load_agent_on_start

    async def load_agent_and_warm_up(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent(*args, **kwargs)
        try:
            seconds = await warm_up(agent)
            if seconds is not None:
                logger.info("Warmed up in %.2f s.", seconds)
            gc.collect()  # the start-up's garbage goes now, the rest is frozen
            gc.freeze()
        except Exception:  # a failed warm-up must not keep the server from starting
            logger.exception("Warm-up failed; the first message will be slower")
        return agent

    rasa_run.load_agent_on_start = load_agent_and_warm_up
