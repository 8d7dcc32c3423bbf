"""Both bots' trained models and their full training times, from real training runs.

The reference is the project `rasa init --no-prompt` makes, built in a temporary
folder with the Rasa of this venv and trained there with its own default config.
That takes minutes on two cores, so the trained project is kept in
``.bench-cache/`` (git-ignored), keyed by the Rasa version; our training time is
kept there too, keyed by our model's fingerprint. A figure taken from the cache
says so, with the date it was measured; ``--retrain`` measures both again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import List, Optional

from launcher import model as model_mod

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = ROOT / ".bench-cache"


@dataclass
class Training:
    """A trained model and how long its training took."""

    model: str
    seconds: float
    measured_at: str  # ISO time of the training run
    command: str
    cached: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _env(pythonpath: Optional[Path] = None) -> dict:
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    env.pop("PYTHONPATH", None)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def _run_timed(command: List[str], cwd: Path, log: Path, timeout: float, env: dict) -> float:
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(log, "ab") as out:
        try:
            result = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise RuntimeError(f"{' '.join(command[2:])} did not finish in {timeout:.0f} s; see {log}") from e
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[2:])} failed (exit {result.returncode}); see {log}")
    return seconds


def reference_dir(cache_dir: Path = CACHE_DIR) -> Path:
    return cache_dir / f"reference-rasa-{metadata.version('rasa')}"


def cached_reference(cache_dir: Path = CACHE_DIR) -> Optional[Training]:
    record = reference_dir(cache_dir) / "training.json"
    if not record.is_file():
        return None
    data = json.loads(record.read_text())
    if not Path(data.get("model", "")).is_file():
        return None
    return Training(**{**data, "cached": True})


def build_reference(log: Path, cache_dir: Path = CACHE_DIR, timeout: float = 1800.0) -> Training:
    """`rasa init --no-prompt` in a new temporary folder (it trains), timed, then cached."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    command = [*model_mod.rasa_command(), "init", "--no-prompt", "--init-dir", "project"]
    with tempfile.TemporaryDirectory(prefix="reference-", dir=cache_dir) as tmp:
        work = Path(tmp)
        (work / "project").mkdir()
        # rasa init changes into --init-dir itself; its models land in project/models/.
        started = _now()
        print("==> building the reference: rasa init --no-prompt in a temporary folder (trains; minutes)", flush=True)
        seconds = _run_timed(command, work, log, timeout, _env())
        target = reference_dir(cache_dir)
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(work / "project"), str(target))
    models = sorted((target / "models").glob("*.tar.gz"))
    if not models:
        raise RuntimeError(f"rasa init made no model in {target / 'models'}; see {log}")
    training = Training(
        model=str(models[-1]),
        seconds=round(seconds, 1),
        measured_at=started,
        command="rasa init --no-prompt (scaffold, then training with the default config)",
    )
    (target / "training.json").write_text(json.dumps(training.to_dict(), indent=2) + "\n")
    return training


def reference_training(log: Path, retrain: bool = False, cache_dir: Path = CACHE_DIR) -> Training:
    cached = None if retrain else cached_reference(cache_dir)
    return cached or build_reference(log, cache_dir)


def our_training(log: Path, retrain: bool = False, cache_dir: Path = CACHE_DIR, timeout: float = 1800.0) -> Training:
    """One real `rasa train` of this assistant into a temporary folder, timed.

    The figure is cached by the model's fingerprint; the model served is the
    launcher's own (the same inputs), so the benchmark runs what `make run` runs.
    """
    fingerprint = model_mod.fingerprint()
    record = cache_dir / f"ours-training-{fingerprint}.json"
    served = model_mod.ensure_model()
    if record.is_file() and not retrain:
        data = json.loads(record.read_text())
        return Training(**{**data, "model": str(served), "cached": True})
    cache_dir.mkdir(parents=True, exist_ok=True)
    print("==> timing one full training of this assistant (rasa train, into a temporary folder)", flush=True)
    started = _now()
    with tempfile.TemporaryDirectory(prefix="ours-train-", dir=cache_dir) as tmp:
        command = model_mod.train_command(Path(tmp))
        seconds = _run_timed(command, ROOT, log, timeout, _env(pythonpath=ROOT))
    training = Training(
        model=str(served),
        seconds=round(seconds, 1),
        measured_at=started,
        command="rasa train --config config.yml --domain domain.yml --data data --force",
    )
    record.write_text(json.dumps({**training.to_dict(), "model": ""}, indent=2) + "\n")
    return training
