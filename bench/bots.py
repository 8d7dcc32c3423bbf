"""The two bots under test, started on free loopback ports, and what the OS says about them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO, Dict, List, Optional

from launcher.servers import Assistant
from settings.launch import LaunchSettings

# Conversations as clients have them. Each turn of each script gets a reply
# (no hand-over: a paused conversation answers nothing, by design).
OUR_CONVERSATIONS = [
    [
        "hi",
        "my freelancer stopped answering a week ago and still logs hours",
        "no thanks",
        "thanks, bye",
    ],
    [
        "what happens if my freelancer doesn't deliver?",
        "how do I pause an hourly contract?",
        "thank you",
    ],
    [
        "how do I reset my password",
        "what if the freelancer I hire misses the deadline?",
        "bye",
    ],
]
# The stock `rasa init` project's own topics (moods, greetings, "are you a bot?").
REFERENCE_CONVERSATIONS = [
    ["hi", "I am feeling great", "bye"],
    ["hello", "I am very sad", "no", "goodbye"],
    ["hey", "are you a bot?", "see you later"],
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> Optional[float]:
    """Resident memory of a process and its children, in MB (None once it is gone)."""
    total_kb = 0
    found = False
    for member in [pid, *_descendants(pid)]:
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
                found = True
    return round(total_kb / 1024, 1) if found else None


def _descendants(pid: int) -> List[int]:
    children: Dict[int, List[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback http only
            return 200 <= response.status < 300
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


class OurBot:
    """This assistant as deployed: the action server and the Rasa server, via the launcher."""

    name = "ours"
    # REST senders are conversation ids the server issues (POST /webhooks/rest/conversations)
    issues_conversation_ids = True
    conversations = OUR_CONVERSATIONS

    def __init__(self, model: Path, state_dir: Path, log_dir: Path) -> None:
        self.settings = LaunchSettings(
            rasa_port=free_port(),
            action_port=free_port(),
            state_dir=state_dir,
            handover_db_url=f"sqlite:///{state_dir / 'handovers.db'}",
        )
        self.assistant = Assistant(self.settings, model, log_dir=log_dir)
        self.url = self.settings.rasa_url

    def start(self) -> None:
        self.assistant.start()

    def wait_until_ready(self, timeout: float) -> float:
        return self.assistant.wait_until_ready(timeout=timeout)

    def pids(self) -> Dict[str, int]:
        return {
            "rasa": self.assistant.processes["rasa"].pid,
            "actions": self.assistant.processes["actions"].pid,
        }

    def stop(self) -> None:
        self.assistant.stop()


class ReferenceBot:
    """The stock `rasa init` project, served by `rasa run` as its README says."""

    name = "reference"
    issues_conversation_ids = False  # stock Rasa takes any sender
    conversations = REFERENCE_CONVERSATIONS

    def __init__(self, project: Path, model: Path, log_dir: Path) -> None:
        self.project = project
        self.model = model
        self.log_dir = log_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: Optional[subprocess.Popen] = None
        self._log: Optional[BinaryIO] = None

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_dir / "reference-rasa.log", "ab")
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
        env.pop("PYTHONPATH", None)  # nothing of ours in the stock bot's process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "rasa", "run", "--model", str(self.model)]
            + ["--interface", "127.0.0.1", "--port", str(self.port)]
            + ["--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
            cwd=self.project,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_ready(self, timeout: float) -> float:
        started = time.monotonic()
        while not answers(f"{self.url}/"):
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the reference server exited with code {self.process.returncode}; "
                    f"see {self.log_dir / 'reference-rasa.log'}"
                )
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"the reference server was not ready after {timeout:.0f} s")
            time.sleep(0.1)
        return time.monotonic() - started

    def pids(self) -> Dict[str, int]:
        assert self.process is not None
        return {"rasa": self.process.pid}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None
