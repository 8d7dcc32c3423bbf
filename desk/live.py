"""The live desk: hand-over events pushed to every open agent page over socket.io.

The agent page connects to the namespace ``/agents`` of the socket.io server
the chat widget uses (same port, same path), with a ticket as its ``auth``:
``{"ticket": "<agent>.<expiry>.<signature>"}``, got from
``GET /agent/api/socket-ticket`` a moment before (``TICKET_SECONDS`` valid;
signed like the session cookie, with a key derived from the agent's token,
so any replica with the same tokens accepts it). No ticket, a forged or an
expired one: the connection is refused, with the reason, and logged.

Each agent socket is in two rooms of that namespace: ``agents`` (every agent
page) and ``agent:<name>`` (that agent's own pages). A client socket lives in
the default namespace: rooms are per namespace, so it can never be in these.
There is no event that names a room: an agent page sends only ``typing``
(``{"handover_id": n, "typing": true|false}``, for a hand-over it holds);
anything else, or a malformed one, gets ``desk_error`` back and a log line.

Events to agent pages (each emitted once, by the replica that did the step;
through Redis with several replicas, ``channels/scaleout.py``):
``handover_new``, ``handover_claimed``, ``handover_released``,
``handover_resolved``, ``handover_reraised`` (``{"handover": summary, "by",
"at", "queue"}``, ``queue`` being how many hand-overs wait and how many are
claimed right after the step, so a page puts the card in its place and counts
without fetching the queue again; ``handover_resolved`` with ``by`` null and
the outcome ``client_left`` when the client ended the chat),
``client_message`` (``{"handover_id", "conversation_id", "text", "time"}``),
``agent_reply`` (``{"handover_id", "agent", "time"}``: a page
showing that conversation fetches it again) and ``note_added``
(``{"handover_id", "note"}``) to every agent page; ``handover_yours`` (``{"handover_id", "conversation_id"}``) to the
claiming agent's own pages only.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from datetime import timedelta
from typing import Any, Dict, Mapping, Optional

from socketio import AsyncNamespace
from socketio.exceptions import ConnectionRefusedError as Refused

from channels import live as client_live
from desk import conversation, views
from handover.announce import queue_position
from handover.records import STATUS_CLAIMED, STATUS_WAITING, HandOver, now
from toolkit.served import get_library

logger = logging.getLogger(__name__)

NAMESPACE = "/agents"
ALL_AGENTS = "agents"
TICKET_SECONDS = 60
ANNOUNCE_GRACE_SECONDS = 3  # the safety net announces a hand-over no push announced after this
QUEUE_PUSH_LIMIT = 500  # places pushed when the queue moves (a client further back keeps the place it was told)

HANDOVER_NEW = "handover_new"
CLIENT_MESSAGE = "client_message"
NOTE_ADDED = "note_added"
AGENT_REPLY = "agent_reply"
YOURS = "handover_yours"  # to the claiming agent's private room only
ERROR = "desk_error"
STEP_EVENTS = {  # a step of desk/api.py -> its event
    "claimed": "handover_claimed",
    "released": "handover_released",
    "resolved": "handover_resolved",
    "reraised": "handover_reraised",
    "client_left": "handover_resolved",  # the client ended the chat: ``by`` is null, the outcome client_left
}


def private_room(agent: str) -> str:
    return "agent:" + agent


class Tickets:
    """Short-lived tickets for the agents' socket: ``name.expiry.signature``."""

    def __init__(self, agents: Mapping[str, str]) -> None:
        self._agents = dict(agents)

    def issue(self, name: str, at: Optional[float] = None) -> str:
        expiry = int((at or time.time()) + TICKET_SECONDS)
        return f"{name}.{expiry}.{self._signature(name, expiry)}"

    def check(self, ticket: Any, at: Optional[float] = None) -> tuple[Optional[str], str]:
        """(the agent, "") for a good ticket, else (None, why not)."""
        if not isinstance(ticket, str) or len(ticket) > 300:
            return None, 'no ticket: connect with auth {"ticket": ...} from GET /agent/api/socket-ticket'
        parts = ticket.rsplit(".", 2)
        if len(parts) != 3 or not parts[1].isdigit():
            return None, "the ticket is malformed"
        name, expiry = parts[0], int(parts[1])
        if name not in self._agents or not hmac.compare_digest(self._signature(name, expiry), parts[2]):
            return None, "the ticket is not valid"
        if expiry < (at or time.time()):
            return None, "the ticket has expired: get a new one from GET /agent/api/socket-ticket"
        return name, ""

    def _signature(self, name: str, expiry: int) -> str:
        key = hashlib.sha256(b"toolkit-agent-socket:" + self._agents[name].encode()).digest()
        return hmac.new(key, f"{name}.{expiry}".encode(), hashlib.sha256).hexdigest()


class LiveDesk:
    """What the desk pushes to agent pages (and, for waiting clients, their place in the queue)."""

    def __init__(self, desk: Any) -> None:
        self.desk = desk
        self.tickets = Tickets(desk.settings.agents)
        self.sio: Optional[Any] = None

    def mount(self, sio: Any) -> None:
        """Serve ``/agents`` on the socket.io server ``sio`` (the chat widget's)."""
        sio.register_namespace(AgentsNamespace(self))
        self.sio = sio

    async def publish(self, event: str, data: Dict[str, Any], agent: Optional[str] = None) -> None:
        """``event`` to every agent page, or to ``agent``'s own pages only."""
        if self.sio is None:
            return
        room = private_room(agent) if agent else ALL_AGENTS
        await self.sio.emit(event, data, room=room, namespace=NAMESPACE)

    async def step(self, kind: str, handover: HandOver, by: Optional[str]) -> None:
        """A step of a hand-over (claimed, released, resolved, raised again), then the queue's new order."""
        await self._tell_pages(STEP_EVENTS[kind], handover, by)
        if kind == "claimed" and by:  # the claiming agent's other pages (another tab, another screen)
            await self.publish(YOURS, {"handover_id": handover.id, "conversation_id": handover.conversation_id}, by)
        if kind != "reraised":
            await self.queue_changed()

    async def _tell_pages(self, event: str, handover: HandOver, by: Optional[str]) -> None:
        """``event`` of ``handover`` to every agent page, with the queue's counts right after it."""
        summary = views.summary(handover, get_library(), now())
        counts = await asyncio.to_thread(self.desk.store.open_counts)
        await self.publish(event, {"handover": summary, "by": by, "at": now().isoformat(), "queue": counts})

    async def announce(self, handover: HandOver) -> bool:
        """Tell agent pages of a new hand-over, once across replicas; True when this call told them."""
        if not await asyncio.to_thread(self.desk.store.mark_announced, handover.stored_id):
            return False
        await self._tell_pages(HANDOVER_NEW, handover, None)
        await self._tell_place(handover)  # its own place only: nobody else's changed
        return True

    async def queue_changed(self) -> None:
        """Every waiting client's place in the queue (1 = next), after one left it."""
        waiting = await asyncio.to_thread(self.desk.store.waiting_conversations, QUEUE_PUSH_LIMIT)
        for place, conversation_id in enumerate(waiting, start=1):
            await client_live.push_queue_position(conversation_id, place)

    async def client_resumed(self, conversation_id: str) -> None:
        """A client's chat came back (a reload, a reconnection): its place in the queue again, if it waits."""
        handover = await asyncio.to_thread(self.desk.store.open_for, conversation_id)
        if handover is not None:
            await self._tell_place(handover)

    async def _tell_place(self, handover: HandOver) -> None:
        """A waiting hand-over's client hears its place in the queue (one count, not the queue read)."""
        if handover.status == STATUS_WAITING:
            place = await asyncio.to_thread(queue_position, self.desk.store, handover)
            await client_live.push_queue_position(handover.conversation_id, place)

    async def client_left(self, conversation_id: str, rasa_agent: Any = None) -> bool:
        """The client ended its chat (``channels/live.py``): its open hand-over ends as ``client_left``.

        Once across replicas (the store's conditional update); agent pages hear it as
        ``handover_resolved`` with ``by`` null, and the waiting clients behind it move up.
        The conversation is closed for the bot (its next message starts afresh) and its
        transcript kept. True when a hand-over ended.
        """
        handover = await asyncio.to_thread(self.desk.store.client_left, conversation_id)
        if handover is None:
            return False
        logger.info("hand-over %s: the client ended the chat (%s)", handover.id, handover.claimed_by or "waiting")
        if rasa_agent is not None and rasa_agent.is_ready():
            tracker = await conversation.close_left(rasa_agent, conversation_id)
            if tracker is not None:
                await asyncio.to_thread(
                    self.desk.store.save_transcript, handover.stored_id, conversation.transcript(tracker)
                )
        await self.step("client_left", handover, None)
        return True

    async def after_client_message(self, conversation_id: str, text: str) -> None:
        """A client message went through (``channels/delivery.py``): push it, or the hand-over it opened."""
        handover = await asyncio.to_thread(self.desk.store.note_client_message, conversation_id, text)
        if handover is None:
            return
        if handover.announced_at is None and await self.announce(handover):
            return  # this message opened the hand-over: the new card carries it
        await self.publish(
            CLIENT_MESSAGE,
            {
                "handover_id": handover.id,
                "conversation_id": conversation_id,
                "text": handover.last_client_text,
                "time": (handover.last_client_at or now()).isoformat(),
            },
        )

    async def announce_missed(self) -> None:
        """The safety net: an open hand-over no push announced (made outside a client message)."""
        cutoff = now() - timedelta(seconds=ANNOUNCE_GRACE_SECONDS)
        for handover in await asyncio.to_thread(self.desk.store.unannounced_before, cutoff):
            await self.announce(handover)

    async def reraise_long_waits(self) -> None:
        """A hand-over waiting unclaimed longer than ``DESK_RERAISE_SECONDS`` is raised again, once."""
        at = now()
        cutoff = at - timedelta(seconds=self.desk.settings.reraise_seconds)
        for handover in await asyncio.to_thread(self.desk.store.unraised_waiting_before, cutoff):
            waited = (at - (handover.created_at or at)).total_seconds()
            raised = await asyncio.to_thread(self.desk.store.mark_reraised, handover.stored_id, waited)
            if raised is not None:  # else another replica (or loop) raised it, or an agent claimed it
                logger.info("hand-over %s waited %.0f s unclaimed: raised again on agent pages", raised.id, waited)
                await self.step("reraised", raised, None)


class AgentsNamespace(AsyncNamespace):
    """``/agents``: agent pages only, each with a ticket; the one event they may send is ``typing``."""

    def __init__(self, live: LiveDesk) -> None:
        super().__init__(NAMESPACE)
        self.live = live
        # python-socketio runs each event as its own task: one socket's "typing" events are taken
        # one at a time, in the order they came, so "stopped typing" never overtakes "typing"
        self._in_order: Dict[str, asyncio.Lock] = {}

    async def on_connect(self, sid: str, environ: Dict[str, Any], auth: Any = None) -> None:
        ticket = auth.get("ticket") if isinstance(auth, dict) else None
        agent, why = self.live.tickets.check(ticket)
        if agent is None:
            logger.warning("agent socket refused from %s: %s", _address(environ), why)
            raise Refused(why)
        await self.save_session(sid, {"agent": agent})
        self.enter_room(sid, ALL_AGENTS)
        self.enter_room(sid, private_room(agent))
        logger.info("agent socket: %s connected", agent)

    async def on_disconnect(self, sid: str) -> None:
        self._in_order.pop(sid, None)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect", "typing"):
            return await super().trigger_event(event, *args)
        sid = args[0] if args else None
        await self._refuse(sid, f"unknown event {str(event)[:40]!r}: an agent page sends only 'typing'")
        return None

    async def on_typing(self, sid: str, data: Any = None) -> None:
        async with self._in_order.setdefault(sid, asyncio.Lock()):
            await self._typing(sid, data)

    async def _typing(self, sid: str, data: Any) -> None:
        agent = (await self.get_session(sid)).get("agent")
        if not isinstance(data, dict) or set(data) != {"handover_id", "typing"}:
            await self._refuse(sid, '\'typing\' takes {"handover_id": <id>, "typing": true or false}', agent)
            return
        handover_id, typing = data["handover_id"], data["typing"]
        if not isinstance(handover_id, int) or isinstance(handover_id, bool) or handover_id < 1:
            await self._refuse(sid, "'handover_id' must be a hand-over's id (a positive whole number)", agent)
            return
        if not isinstance(typing, bool):
            await self._refuse(sid, "'typing' must be true or false", agent)
            return
        handover = await asyncio.to_thread(self.live.desk.store.get, handover_id)
        if handover is None or handover.status != STATUS_CLAIMED or handover.claimed_by != agent:
            await self._refuse(sid, f"hand-over {handover_id} is not claimed by you: no typing for it", agent)
            return
        await client_live.push_typing(handover.conversation_id, agent, typing)

    async def _refuse(self, sid: Optional[str], why: str, agent: Optional[str] = None) -> None:
        logger.warning("agent socket %s (%s): refused an event: %s", sid, agent or "unknown agent", why)
        if sid is not None:
            await self.emit(ERROR, {"error": why}, room=sid)


def _address(environ: Dict[str, Any]) -> str:
    request = environ.get("sanic.request")
    return str(getattr(request, "remote_addr", None) or getattr(request, "ip", None) or "an unknown address")
