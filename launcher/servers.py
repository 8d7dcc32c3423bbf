"""Start the action server and the Rasa server, wait until both answer, stop both.

Used by `make run` and by the end-to-end tests, so the tests exercise the same
start-up a user gets.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import urlsplit

import yaml

from privacy.masking import enabled_kinds
from settings import variables as v
from settings.launch import ROOT, LaunchSettings

# The action server needs none of these: the agents' tokens, the help desk's signing secret.
ACTION_SERVER_NEVER_GETS = (v.AGENT_TOKENS, v.WEBHOOK_SECRET)


def write_endpoints(settings: LaunchSettings) -> Path:
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
            "type": "rasa_runtime.lock_store.AtomicRedisLockStore",
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

    def __init__(self, settings: LaunchSettings, model: Path, log_dir: Optional[Path] = None) -> None:
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
        env[v.HANDOVER_DB_URL] = self.settings.handover_db_url or (
            f"sqlite:///{self.settings.state_dir / 'handovers.db'}"
        )
        if self.settings.toolkit_library:
            env[v.TOOLKIT_LIBRARY] = self.settings.toolkit_library
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env.setdefault("RASA_TELEMETRY_ENABLED", "false")  # no usage reports to Rasa from our servers
        env[v.PRIVACY_MASKING] = self.settings.privacy_masking
        # Secrets reach the Rasa server in its environment (never on a command line,
        # in a URL or a log line); the action server needs none of them.
        env.pop(v.OPERATOR_TOKEN, None)
        env.pop(v.SECRET_KEY, None)
        if name == "rasa":
            env[v.SECRET_KEY] = self.settings.signing_key()
            if self.settings.tracker_db_url:
                env[v.TRACKER_DB_URL] = self.settings.tracker_db_url
            env[v.CORS_ORIGINS] = " ".join(self.settings.cors)
            if self.settings.lock_store_url:  # replicas share socket.io emits through the same Redis
                env[v.SOCKETIO_QUEUE] = self.settings.lock_store_url
                env[v.SOCKETIO_CHANNEL] = f"{self.settings.lock_store_prefix or 'toolkit'}-socketio"
            if self.settings.operator_token:
                env[v.OPERATOR_TOKEN] = self.settings.operator_token
        else:  # nor the agents' tokens or the help desk's signing secret
            for secret in ACTION_SERVER_NEVER_GETS:
                env.pop(secret, None)
        return env

    def _spawn(self, name: str, args: List[str], module: str = "rasa_runtime.action_server") -> None:
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
            # guarded by web/guard.py: Authorization header, never ?token=
            args += ["--enable-api"]
        # Rasa's `rasa run` with every replacement of rasa_runtime/ installed first
        self._spawn("rasa", args, module="rasa_runtime.rasa_server")

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
