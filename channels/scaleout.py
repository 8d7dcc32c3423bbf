"""socket.io across replicas through Redis, with JSON on the wire and never pickle.

python-socketio's ``AsyncRedisManager`` publishes every emit between replicas
pickled, and unpickles whatever arrives on its channel: anyone who can write
to that Redis could run code in every replica. ``JsonRedisManager`` keeps its
connection handling and changes the two ends of the wire: what it publishes
is a JSON text, and what it reads is decoded as JSON only. Anything else on
the channel (a pickled message above all) is dropped with a log line, never
unpickled, and never reaches python-socketio's own decoding, which would try
pickle first.

Every replica of one deployment must run this manager on the same channel:
an old replica that still pickles is not understood (its messages are
dropped, and said so in the log).
"""

from __future__ import annotations

import json
import logging
from typing import Any, AsyncIterator, Dict, Optional

from socketio import AsyncRedisManager

logger = logging.getLogger(__name__)

PICKLE_PROTOCOL_MARK = 0x80  # every pickle of protocol 2 or later starts with this byte


def encode(message: Dict[str, Any]) -> bytes:
    """A pub/sub message (an emit, a disconnect, ...) as the JSON text put on the channel."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode(raw: Any, channel: str) -> Optional[Dict[str, Any]]:
    """The message ``raw`` carries, or None (and a log line) when it is not a JSON object."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if not isinstance(raw, bytes | bytearray):
        logger.warning("socket.io channel %s: ignored a message of type %s", channel, type(raw).__name__)
        return None
    if raw[:1] == bytes([PICKLE_PROTOCOL_MARK]):
        logger.warning(
            "socket.io channel %s: ignored a pickled message (%d bytes); replicas speak JSON only, "
            "and pickle is never loaded",
            channel,
            len(raw),
        )
        return None
    try:
        message = json.loads(bytes(raw).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        logger.warning("socket.io channel %s: ignored a message that is not JSON (%s)", channel, e)
        return None
    if not isinstance(message, dict) or not isinstance(message.get("method"), str):
        logger.warning("socket.io channel %s: ignored a JSON message without a 'method'", channel)
        return None
    return message


class JsonRedisManager(AsyncRedisManager):
    """``AsyncRedisManager`` that publishes JSON and reads JSON only (python-socketio 5.9)."""

    name = "toolkit-json-redis"

    async def _publish(self, data: Dict[str, Any]) -> Any:
        payload = encode(data)
        for attempt in (1, 2):  # one reconnect, as python-socketio's own manager does
            try:
                if attempt == 2:
                    self._redis_connect()
                return await self.redis.publish(self.channel, payload)
            except Exception as e:  # noqa: BLE001 - a Redis error: reconnect once, then say so
                if attempt == 2:
                    logger.error("socket.io channel %s: publishing failed twice, giving up (%s)", self.channel, e)
        return None

    async def _listen(self) -> AsyncIterator[Dict[str, Any]]:
        async for raw in super()._listen():
            message = decode(raw, self.channel)
            if message is not None:
                yield message  # a dict: python-socketio's reader takes it as it is, no unpickling


__all__ = ["JsonRedisManager", "decode", "encode"]
