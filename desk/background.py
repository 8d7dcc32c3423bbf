"""The desk's work that no request starts: clients who waited too long, the help-desk outbox.

Every few seconds (``DESK_CHECK_INTERVAL_SECONDS``), on every replica: a
waiting hand-over older than the waiting limit gets one message to its client
(the conditional update in the store lets one replica win); one unclaimed
longer than ``DESK_RERAISE_SECONDS`` is raised again on agent pages, once
(the same way), and a hand-over no push announced yet is announced
(``desk/live.py``); then every due delivery to an external help desk is tried
once (``handover/webhook.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

import aiohttp
from sanic import Blueprint

from desk import conversation as conv
from desk.context import OFF_MESSAGE, Desk
from handover import webhook
from handover.records import FOLLOW_UP_EMAIL, now
from toolkit import names

logger = logging.getLogger(__name__)


def attach(bp: Blueprint, desk: Desk) -> None:
    """Start the checks when the server starts; stop them, and close the store, when it stops."""
    settings = desk.settings

    @bp.listener("after_server_start")
    async def start_background(app, loop) -> None:  # noqa: ANN001 - Sanic's listener signature
        if desk.auth.enabled:
            logger.info("agent side on for %d agent(s): %s", len(settings.agents), ", ".join(settings.agents))
        else:
            logger.warning("%s%s. Every /agent route answers 403.", OFF_MESSAGE[0].upper(), OFF_MESSAGE[1:])
        if settings.webhook_enabled:
            logger.info("hand-overs are delivered to an external help desk (%s)", webhook.host_of(settings))
        desk.background = loop.create_task(run_checks(app, desk))

    @bp.listener("before_server_stop")
    async def stop_background(app, loop) -> None:  # noqa: ANN001
        if desk.background is not None:
            desk.background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await desk.background
        await asyncio.to_thread(desk.store.dispose)


async def run_checks(app: Any, desk: Desk) -> None:
    """Every few seconds: clients who waited too long, then the outbox."""
    interval = desk.settings.check_interval_seconds
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                agent = getattr(app.ctx, "agent", None)
                if agent is not None and agent.is_ready():
                    await notify_long_waits(agent, desk)
                if desk.live is not None and desk.auth.enabled:
                    await desk.live.announce_missed()
                    await desk.live.reraise_long_waits()
                await webhook.deliver_due(desk.store, desk.settings, session)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - keep checking; the database may come back
                logger.exception("agent desk: a background check failed; retrying in %.0f s", interval)
            await asyncio.sleep(interval)


async def notify_long_waits(agent: Any, desk: Desk) -> None:
    at = now()
    cutoff = at - timedelta(seconds=desk.settings.wait_limit_seconds)
    for handover in await asyncio.to_thread(desk.store.waiting_since_before, cutoff):
        waited = (at - (handover.created_at or at)).total_seconds()
        if not await asyncio.to_thread(desk.store.mark_client_notified, handover.stored_id, FOLLOW_UP_EMAIL, waited):
            continue  # another replica told the client, or an agent claimed it meanwhile
        logger.info(
            "hand-over %s waited %.0f s with no agent: the client is told an agent follows up by %s",
            handover.id,
            waited,
            FOLLOW_UP_EMAIL,
        )
        try:
            await conv.send_to_client(
                agent,
                handover.conversation_id,
                response=names.UTTER_HANDOVER_TIMEOUT,
                values={"handover_id": handover.id},
                metadata={"from_desk": True},
                marks={"handover_timeout": True},
            )
        except LookupError as e:
            logger.error("hand-over %s: %s", handover.id, e)
