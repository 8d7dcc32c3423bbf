"""Start the action server and the Rasa server, wait until both answer, stop both.

Used by `make run` and by the end-to-end tests, so the tests exercise the same
start-up a user gets.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

import yaml

from privacy.masking import MASKING_ENV, enabled_kinds

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / "state"
OPERATOR_TOKEN_ENV = "RASA_OPERATOR_TOKEN"  # noqa: S105 - the variable's name, not a token
ACTION_SERVER_NEVER_GETS = ("ASSISTANT_AGENT_TOKENS", "HANDOVER_WEBHOOK_SECRET")
SECRET_KEY_ENV = "ASSISTANT_SECRET_KEY"  # noqa: S105 - the variable's name, not a key
SECRET_KEY_FILE = "secret.key"  # noqa: S105 - a file name, not a key


@dataclass
class Settings:
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
    # Scale-out (README "Running in production"): Rasa's own parts on real services.
    tracker_db_url: Optional[str] = None  # SQLAlchemy URL, e.g. postgresql://user:pw@db/rasa
    lock_store_url: Optional[str] = None  # redis://[:password@]host:port/db
    lock_store_prefix: Optional[str] = None  # alphanumeric, to share one Redis between deployments
    event_broker_url: Optional[str] = None  # amqp://user:password@host:port
    event_broker_queue: str = "rasa_events"
    event_broker_exchange: str = "rasa-exchange"
    servers: Tuple[str, ...] = ("actions", "rasa")  # which of the two this machine runs
    action_server_url: Optional[str] = None  # another machine's action server, for a Rasa-only replica
    # more environment for both servers, over the launcher's own (tests set the desk's here)
    env: Dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Optional[Dict[str, str]] = None) -> Settings:
        env = dict(os.environ if env is None else env)
        settings = cls()
        settings.host = env.get("ASSISTANT_HOST", settings.host)
        settings.rasa_port = _port(env, "RASA_PORT", settings.rasa_port)
        settings.action_port = _port(env, "ACTION_PORT", settings.action_port)
        settings.state_dir = Path(env.get("ASSISTANT_STATE_DIR", str(settings.state_dir)))
        settings.operator_token = env.get(OPERATOR_TOKEN_ENV) or None
        settings.cors = cors_origins(env.get("ASSISTANT_CORS_ORIGINS", ""))
        settings.handover_db_url = env.get("HANDOVER_DB_URL") or None
        settings.toolkit_library = env.get("TOOLKIT_LIBRARY") or None
        settings.secret_key = env.get(SECRET_KEY_ENV) or None
        settings.privacy_masking = env.get(MASKING_ENV) or "on"
        settings.tracker_db_url = env.get("TRACKER_DB_URL") or None
        settings.lock_store_url = env.get("LOCK_STORE_URL") or None
        settings.lock_store_prefix = env.get("LOCK_STORE_PREFIX") or None
        settings.event_broker_url = env.get("EVENT_BROKER_URL") or None
        settings.event_broker_queue = env.get("EVENT_BROKER_QUEUE") or settings.event_broker_queue
        settings.event_broker_exchange = env.get("EVENT_BROKER_EXCHANGE") or settings.event_broker_exchange
        servers = tuple(env.get("ASSISTANT_SERVERS", "actions rasa").replace(",", " ").split())
        if not servers or set(servers) - {"actions", "rasa"}:
            raise SystemExit("error: ASSISTANT_SERVERS lists 'actions', 'rasa' or both")
        settings.servers = servers
        settings.action_server_url = (env.get("ACTION_SERVER_URL") or "").rstrip("/") or None
        if settings.action_server_url and urlsplit(settings.action_server_url).scheme not in ("http", "https"):
            raise SystemExit("error: ACTION_SERVER_URL must be an http(s) URL, e.g. http://actions.internal:5055")
        settings.check_services()
        try:
            enabled_kinds(settings.privacy_masking)
        except ValueError as e:
            raise SystemExit(f"error: {e}") from e
        if settings.secret_key is not None and len(settings.secret_key) < 32:
            raise SystemExit(f"error: {SECRET_KEY_ENV} must be at least 32 characters long")
        return settings

    def check_services(self) -> None:
        """Clear errors for malformed scale-out settings, before anything starts."""
        if self.tracker_db_url and "://" not in self.tracker_db_url:
            raise SystemExit("error: TRACKER_DB_URL is not a database URL (e.g. postgresql://user@host/db)")
        if self.lock_store_url and urlsplit(self.lock_store_url).scheme not in ("redis", "rediss"):
            raise SystemExit("error: LOCK_STORE_URL must be a redis:// or rediss:// URL")
        if self.lock_store_prefix and not self.lock_store_prefix.isalnum():
            raise SystemExit("error: LOCK_STORE_PREFIX must be letters and digits only (Rasa's rule)")
        if self.event_broker_url and urlsplit(self.event_broker_url).scheme not in ("amqp", "amqps"):
            raise SystemExit("error: EVENT_BROKER_URL must be an amqp:// or amqps:// URL (RabbitMQ)")

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
        return f"http://{_connect_host(self.host)}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        if self.action_server_url:
            return self.action_server_url
        return f"http://{_connect_host(self.host)}:{self.action_port}"


def _port(env: Dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"error: {name}={raw!r} is not a port number (1-65535)")
    return int(raw)


def cors_origins(raw: str) -> List[str]:
    """Exact origins (``scheme://host[:port]``); anything else is a clear error."""
    origins = []
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
            raise SystemExit(
                f"error: ASSISTANT_CORS_ORIGINS: {origin!r} is not an exact origin "
                "(scheme://host[:port], no wildcard, no path, e.g. https://www.example.com)"
            )
        origins.append(origin.lower())
    return origins


def _connect_host(host: str) -> str:
    """Where to reach a server that listens on ``host`` (a wildcard is reached on loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)  # noqa: S104


def write_endpoints(settings: Settings) -> Path:
    """endpoints.yml for this run: action server URL, and where conversations, locks and events go.

    By default conversations are in SQLite in the state directory, locks in memory
    and there is no event broker. TRACKER_DB_URL, LOCK_STORE_URL and
    EVENT_BROKER_URL move them to Rasa's SQL tracker store (PostgreSQL), Redis
    lock store and RabbitMQ event broker: the scale-out configuration.
    """
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
    # Only the URL changes; other settings of the endpoint (selective domain) stay.
    endpoints["action_endpoint"] = {**(endpoints.get("action_endpoint") or {}), "url": f"{settings.action_url}/webhook"}
    tracker = endpoints.get("tracker_store") or {}
    if settings.tracker_db_url:
        # Rasa reads ${VAR} from its environment: the password stays out of the file.
        endpoints["tracker_store"] = {"type": "SQL", "url": "${TRACKER_DB_URL}"}
    elif tracker.get("type") == "SQL" and tracker.get("dialect") == "sqlite":
        db = Path(tracker.get("db", "tracker.db"))
        tracker["db"] = str(settings.state_dir / db.name)
        endpoints["tracker_store"] = tracker
    if settings.lock_store_url:
        parts = urlsplit(settings.lock_store_url)
        lock: Dict[str, object] = {
            # Rasa's RedisLockStore with atomic ticket changes across replicas
            "type": "channels.lock_store.AtomicRedisLockStore",
            "url": parts.hostname or "localhost",
            "port": parts.port or 6379,
            "db": int(parts.path.strip("/") or 0),
            "use_ssl": parts.scheme == "rediss",
        }
        if parts.password:
            lock["password"] = parts.password
        if settings.lock_store_prefix:
            lock["key_prefix"] = settings.lock_store_prefix
        endpoints["lock_store"] = lock
    if settings.event_broker_url:
        parts = urlsplit(settings.event_broker_url)
        masking = bool(enabled_kinds(settings.privacy_masking))
        endpoints["event_broker"] = {
            "type": "privacy.broker.MaskingPikaEventBroker" if masking else "pika",
            "url": parts.hostname or "localhost",
            "port": parts.port or 5672,
            "username": parts.username or "guest",
            "password": parts.password or "guest",
            "queues": [settings.event_broker_queue],
            "exchange_name": settings.event_broker_exchange,
            "raise_on_failure": True,
        }
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    path = settings.state_dir / "endpoints.runtime.yml"
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)  # it may hold service passwords
    path.write_text(
        "# Written by the launcher from endpoints.yml at each start; edit endpoints.yml.\n"
        + yaml.safe_dump(endpoints, sort_keys=False),
        encoding="utf-8",
    )
    return path


class Assistant:
    """The two server processes of one running assistant."""

    def __init__(self, settings: Settings, model: Path, log_dir: Optional[Path] = None) -> None:
        self.settings = settings
        self.model = model
        self.log_dir = log_dir
        self.processes: Dict[str, subprocess.Popen] = {}
        self._logs: List = []

    def _env(self, name: str) -> Dict[str, str]:
        env = dict(os.environ)
        env.update(self.settings.env)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["SANIC_HOST"] = self.settings.host  # where rasa-sdk's server listens
        env["HANDOVER_DB_URL"] = self.settings.handover_db_url or (
            f"sqlite:///{self.settings.state_dir / 'handovers.db'}"
        )
        if self.settings.toolkit_library:
            env["TOOLKIT_LIBRARY"] = self.settings.toolkit_library
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no usage reports to Rasa from our servers
        env[MASKING_ENV] = self.settings.privacy_masking
        # Secrets reach the Rasa server in its environment (never on a command line,
        # in a URL or a log line); the action server needs none of them.
        env.pop(OPERATOR_TOKEN_ENV, None)
        env.pop(SECRET_KEY_ENV, None)
        if name == "rasa":
            env[SECRET_KEY_ENV] = self.settings.signing_key()
            if self.settings.tracker_db_url:
                env["TRACKER_DB_URL"] = self.settings.tracker_db_url
            env["ASSISTANT_CORS_ORIGINS"] = " ".join(self.settings.cors)
            if self.settings.lock_store_url:  # replicas share socket.io emits through the same Redis
                env["SOCKETIO_MESSAGE_QUEUE"] = self.settings.lock_store_url
                env["SOCKETIO_CHANNEL"] = f"{self.settings.lock_store_prefix or 'toolkit'}-socketio"
            if self.settings.operator_token:
                env[OPERATOR_TOKEN_ENV] = self.settings.operator_token
        else:  # nor the agents' tokens or the help desk's signing secret
            for secret in ACTION_SERVER_NEVER_GETS:
                env.pop(secret, None)
        return env

    def _spawn(self, name: str, args: List[str], module: str = "privacy.run") -> None:
        """Start ``python -m module args``: by default Rasa's CLI with masked log lines."""
        stdout = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            handle = open(self.log_dir / f"{name}.log", "ab")
            self._logs.append(handle)
            stdout = handle
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", module] + args,
            cwd=ROOT,
            env=self._env(name),
            stdout=stdout,
            stderr=subprocess.STDOUT if stdout else None,
            start_new_session=True,  # so Ctrl-C is handled once, here, and stop() reaches all
        )

    def start(self) -> None:
        """Start the servers this machine runs (both by default; see ASSISTANT_SERVERS)."""
        for name in ("actions", "rasa"):
            if name in self.settings.servers:
                self.start_server(name)

    def start_server(self, name: str) -> None:
        """Start one of the two servers ("actions" or "rasa"), e.g. again after ``stop_server``."""
        s = self.settings
        if name == "actions":
            self._spawn("actions", ["run", "actions", "--actions", "actions", "--port", str(s.action_port)])
            return
        args = [
            "run",
            "--model",
            str(self.model),
            "--endpoints",
            str(write_endpoints(s)),
            "--credentials",
            "credentials.yml",
            "--interface",
            s.host,
            "--port",
            str(s.rasa_port),
        ]
        if s.cors:
            args += ["--cors", *s.cors]
        if s.operator_token:
            # guarded by channels/guard.py: Authorization header, never ?token=
            args += ["--enable-api"]
        # Rasa's `rasa run`, warmed up before it answers, without a per-reply schema
        # check of the schema itself, and with masked log lines (launcher/rasa_server.py).
        self._spawn("rasa", args, module="launcher.rasa_server")

    def stop_server(self, name: str, timeout: float = 20.0) -> None:
        """Stop one server, as a crash or a deployment would."""
        process = self.processes.pop(name)
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()

    def wait_until_ready(self, timeout: float = 300.0) -> float:
        """Seconds until the started servers answered; raises if one exits or time runs out."""
        started = time.monotonic()
        checks = {
            "actions": f"{self.settings.action_url}/health",
            "rasa": f"{self.settings.rasa_url}/",
        }
        pending = {name: url for name, url in checks.items() if name in self.processes}
        while pending:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(f"the {name} server exited with code {process.returncode} while starting")
            for name, url in list(pending.items()):
                if _answers(url):
                    del pending[name]
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"not ready after {timeout:.0f} s: {', '.join(pending)}")
            if pending:
                time.sleep(0.25)
        return time.monotonic() - started

    def stop(self, timeout: float = 20.0) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes.values():
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        for handle in self._logs:
            handle.close()
        self._logs.clear()

    def __enter__(self) -> Assistant:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own http:// health URLs
            return 200 <= response.status < 300
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False
