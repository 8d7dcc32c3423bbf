"""PostgreSQL, Redis and RabbitMQ for the tests that need them: where, a throw-away database, a cuttable proxy."""

# A test that needs one skips, with the reason, where it is not running, and fails under CI
# (CI=true), where it must be. Every test gets its own throw-away database / key prefix /
# queue, since parallel runs share the services.

from __future__ import annotations

import os
import socket
import threading
import uuid
from contextlib import contextmanager
from typing import Iterator, List
from urllib.parse import urlsplit

from tests.helpers.missing import unavailable

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672")


def _address(url: str):
    parts = urlsplit(url)
    default_port = {"postgresql": 5432, "redis": 6379, "amqp": 5672}.get(parts.scheme.split("+")[0], 0)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def require(name: str, url: str) -> None:
    """Skip (or, under CI, fail) unless the service behind ``url`` accepts connections."""
    host, port = _address(url)
    try:
        with socket.create_connection((host, port), timeout=2):
            return
    except OSError as e:
        unavailable(f"{name} is not reachable at {host}:{port} ({e})")


@contextmanager
def throwaway_postgres_database() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database on the server at TEST_POSTGRES_URL, dropped afterwards.

    Skips (or, under CI, fails) when that server does not answer or does not let the tests make one.
    """
    import sqlalchemy as sa

    require("PostgreSQL", POSTGRES_URL)
    name = f"toolkit_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", future=True, connect_args={"connect_timeout": 3}
    )
    problem = None
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as e:  # noqa: BLE001 - any failure means "no database for the tests here"
        problem = e
    if problem is not None:
        admin.dispose()
        host, port = _address(POSTGRES_URL)
        unavailable(f"PostgreSQL at {host}:{port} made no database for the tests ({problem})")
    try:
        yield str(sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            )
            force = " WITH (FORCE)" if conn.dialect.server_version_info >= (13,) else ""
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"{force}'))
        admin.dispose()


class TcpProxy:
    """A loopback TCP forwarder a test can cut and restore, to take a service "down"."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._connections: List[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        """Refuse new connections and cut the open ones, as a database outage does."""
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() blocked on it
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            for conn in self._connections:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self._connections.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@contextmanager
def seeded_database(kind: str, folder, open_db, seed) -> Iterator:
    """``open_db(url)`` on an SQLite file in ``folder`` (``kind`` "sqlite") or on a throw-away
    PostgreSQL database ("postgresql"), given to ``seed`` first; disposed at the end."""
    if kind == "sqlite":
        db = open_db(f"sqlite:///{folder / 'handovers.db'}")
        seed(db)
        yield db
        db.dispose()
        return
    with throwaway_postgres_database() as url:
        db = open_db(url)
        seed(db)
        yield db
        db.dispose()
