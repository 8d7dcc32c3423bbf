"""The launcher's settings: where the servers listen, where state goes, which services back it."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple
from urllib.parse import urlsplit

from settings import variables as v
from settings.privacy import masking_kinds
from settings.read import Env, SettingsError

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / "state"
SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a key
MIN_SECRET_KEY_LENGTH = 32
SERVER_NAMES = ("actions", "rasa")


@dataclass
class LaunchSettings:
    """Everything that differs between deployments; defaults are a local run."""

    host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_port: int = 5055
    state_dir: Path = STATE_DIR
    operator_token: Optional[str] = None
    cors: List[str] = field(default_factory=list)
    handover_db_url: Optional[str] = None
    toolkit_library: Optional[str] = None
    secret_key: Optional[str] = None
    privacy_masking: str = "on"
    # Scale-out (docs/production.md): Rasa's own parts on real services.
    tracker_db_url: Optional[str] = None  # SQLAlchemy URL, e.g. postgresql://user:pw@db/rasa
    lock_store_url: Optional[str] = None  # redis://[:password@]host:port/db
    lock_store_prefix: Optional[str] = None  # alphanumeric, to share one Redis between deployments
    event_broker_url: Optional[str] = None  # amqp://user:password@host:port
    event_broker_queue: str = "rasa_events"
    event_broker_exchange: str = "rasa-exchange"
    servers: Tuple[str, ...] = SERVER_NAMES  # which of the two this machine runs
    action_server_url: Optional[str] = None  # another machine's action server, for a Rasa-only replica
    # more environment for both servers, over the launcher's own (tests set the desk's here)
    env: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> LaunchSettings:
        read = Env(env)
        defaults = cls()
        settings = cls(
            host=read.text(v.HOST, defaults.host) or defaults.host,
            rasa_port=read.port(v.RASA_PORT, defaults.rasa_port),
            action_port=read.port(v.ACTION_PORT, defaults.action_port),
            state_dir=Path(read.text(v.STATE_DIR) or defaults.state_dir),
            operator_token=read.raw(v.OPERATOR_TOKEN),
            cors=cors_origins(read.raw(v.CORS_ORIGINS) or "", read.problems),
            handover_db_url=read.text(v.HANDOVER_DB_URL),
            toolkit_library=read.text(v.TOOLKIT_LIBRARY),
            secret_key=read.raw(v.SECRET_KEY),
            privacy_masking=read.text(v.PRIVACY_MASKING) or "on",
            tracker_db_url=read.text(v.TRACKER_DB_URL),
            lock_store_url=read.url(v.LOCK_STORE_URL, ("redis", "rediss"), "redis://127.0.0.1:6379/0"),
            lock_store_prefix=read.text(v.LOCK_STORE_PREFIX),
            event_broker_url=read.url(v.EVENT_BROKER_URL, ("amqp", "amqps"), "amqp://user:password@rabbitmq:5672"),
            event_broker_queue=read.text(v.EVENT_BROKER_QUEUE) or defaults.event_broker_queue,
            event_broker_exchange=read.text(v.EVENT_BROKER_EXCHANGE) or defaults.event_broker_exchange,
            servers=tuple(read.words(v.SERVERS, " ".join(SERVER_NAMES))),
            action_server_url=(read.text(v.ACTION_SERVER_URL) or "").rstrip("/") or None,
        )
        if not settings.servers or set(settings.servers) - set(SERVER_NAMES):
            read.problems.append(f"{v.SERVERS} lists 'actions', 'rasa' or both")
        if settings.action_server_url and urlsplit(settings.action_server_url).scheme not in ("http", "https"):
            read.problems.append(f"{v.ACTION_SERVER_URL} must be an http(s) URL, e.g. http://actions.internal:5055")
        if settings.tracker_db_url and "://" not in settings.tracker_db_url:
            read.problems.append(f"{v.TRACKER_DB_URL} is not a database URL (e.g. postgresql://user@host/db)")
        if settings.lock_store_prefix and not settings.lock_store_prefix.isalnum():
            read.problems.append(f"{v.LOCK_STORE_PREFIX} must be letters and digits only (Rasa's rule)")
        try:
            masking_kinds(settings.privacy_masking)
        except ValueError as e:
            read.problems.append(str(e))
        if settings.secret_key is not None and len(settings.secret_key) < MIN_SECRET_KEY_LENGTH:
            read.problems.append(f"{v.SECRET_KEY} must be at least {MIN_SECRET_KEY_LENGTH} characters long")
        read.check("settings")
        return settings

    def signing_key(self) -> str:
        """The key that signs conversation ids: the setting, else one kept in the state directory."""
        if self.secret_key:
            return self.secret_key
        path = self.state_dir / SECRET_KEY_FILE
        if not path.is_file():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
        return path.read_text(encoding="utf-8").strip()

    @property
    def rasa_url(self) -> str:
        return f"http://{connect_host(self.host)}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        if self.action_server_url:
            return self.action_server_url
        return f"http://{connect_host(self.host)}:{self.action_port}"


def cors_origins(raw: str, problems: Optional[List[str]] = None) -> List[str]:
    """Exact origins (``scheme://host[:port]``); anything else is a clear error."""
    origins = []
    found: List[str] = [] if problems is None else problems
    for origin in raw.split():
        parts = urlsplit(origin)
        exact = (
            parts.scheme in ("http", "https")
            and parts.hostname
            and not parts.path
            and not parts.query
            and not parts.fragment
            and not parts.username
            and not any(ch in origin for ch in "*?[]()^$\\")
        )
        if not exact:
            found.append(
                f"{v.CORS_ORIGINS}: {origin!r} is not an exact origin "
                "(scheme://host[:port], no wildcard, no path, e.g. https://www.example.com)"
            )
            continue
        origins.append(origin.lower())
    if problems is None and found:
        raise SettingsError(found[0])
    return origins


def connect_host(host: str) -> str:
    """Where to reach a server that listens on ``host`` (a wildcard is reached on loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)  # noqa: S104
