"""Rasa's Redis lock store, with every change to a lock made atomically.

Rasa's ``RedisLockStore`` issues a ticket by reading the conversation's lock,
adding a ticket and writing it back: two replicas that receive messages of the
same conversation at the same moment can both read the same lock, both take
ticket 1, and both process at once; the second save then drops events (the
SQL tracker store appends "events after the ones already stored", counted).
The same read-modify-write happens when a ticket is finished and the lock
deleted. Within one process these steps never interleave; across replicas
they do, and the scale-out test showed a lost message.

``AtomicRedisLockStore`` makes each of those steps one Redis transaction
(WATCH / MULTI / EXEC, retried on conflict), so tickets are unique across
replicas. Configure it as the lock store's ``type`` (the launcher does when
LOCK_STORE_URL is set).
"""

from __future__ import annotations

import json
import logging
from typing import Callable, Optional, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)
T = TypeVar("T")
MAX_ATTEMPTS = 100


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)

    def _atomically(
        self, conversation_id: str, change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]
    ) -> T:
        """Apply ``change`` to the stored lock in one transaction; None from it deletes the lock."""
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            for _ in range(MAX_ATTEMPTS):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new_lock.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another replica changed the lock first: read it again
        raise LockError(f"the lock of conversation {conversation_id} kept changing; gave up")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, issue)
        except LockError:
            raise
        except Exception as e:  # same contract as Rasa's: any failure is a LockError
            raise LockError(f"Error while acquiring lock. Error:\n{e}") from e

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._atomically(conversation_id, drop_expired)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._atomically(conversation_id, finish)
