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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import yaml

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / "state"
OPERATOR_TOKEN_ENV = "RASA_OPERATOR_TOKEN"  # noqa: S105 - the variable's name, not a token
ACTION_SERVER_NEVER_GETS = ("ASSISTANT_AGENT_TOKENS", "HANDOVER_WEBHOOK_SECRET")


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
        settings.cors = [o for o in env.get("ASSISTANT_CORS_ORIGINS", "").split() if o]
        settings.handover_db_url = env.get("HANDOVER_DB_URL") or None
        settings.toolkit_library = env.get("TOOLKIT_LIBRARY") or None
        return settings

    @property
    def rasa_url(self) -> str:
        return f"http://{_connect_host(self.host)}:{self.rasa_port}"

    @property
    def action_url(self) -> str:
        return f"http://{_connect_host(self.host)}:{self.action_port}"


def _port(env: Dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SystemExit(f"error: {name}={raw!r} is not a port number (1-65535)")
    return int(raw)


def _connect_host(host: str) -> str:
    """Where to reach a server that listens on ``host`` (a wildcard is reached on loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else host)  # noqa: S104


def write_endpoints(settings: Settings) -> Path:
    """endpoints.yml with this run's action server URL and tracker store file."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8")) or {}
    # Only the URL changes; other settings of the endpoint (selective domain) stay.
    endpoints["action_endpoint"] = {**(endpoints.get("action_endpoint") or {}), "url": f"{settings.action_url}/webhook"}
    tracker = endpoints.get("tracker_store") or {}
    if tracker.get("type") == "SQL" and tracker.get("dialect") == "sqlite":
        db = Path(tracker.get("db", "tracker.db"))
        tracker["db"] = str(settings.state_dir / db.name)
        endpoints["tracker_store"] = tracker
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    path = settings.state_dir / "endpoints.runtime.yml"
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
        # The operator token reaches Rasa as an argument only; actions never need it,
        # nor the agents' tokens or the help desk's signing secret.
        env.pop(OPERATOR_TOKEN_ENV, None)
        if name == "actions":
            for secret in ACTION_SERVER_NEVER_GETS:
                env.pop(secret, None)
        return env

    def _spawn(self, name: str, args: List[str], module: str = "rasa") -> None:
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
        s = self.settings
        endpoints = write_endpoints(s)
        self._spawn("actions", ["run", "actions", "--actions", "actions", "--port", str(s.action_port)])
        args = [
            "run",
            "--model",
            str(self.model),
            "--endpoints",
            str(endpoints),
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
            args += ["--enable-api", "--auth-token", s.operator_token]
        # Rasa's `rasa run`, warmed up before it answers and without a per-reply
        # schema check of the schema itself (launcher/rasa_server.py).
        self._spawn("rasa", args, module="launcher.rasa_server")

    def wait_until_ready(self, timeout: float = 300.0) -> float:
        """Seconds until both servers answered; raises if one exits or time runs out."""
        started = time.monotonic()
        checks = {
            "actions": f"{self.settings.action_url}/health",
            "rasa": f"{self.settings.rasa_url}/",
        }
        pending = dict(checks)
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
