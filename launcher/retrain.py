"""``make review-export`` and ``make retrain``: the review inbox's labels into a served model.

The retrain exports the labelled examples (``review/export.py``), trains a
candidate on the training data with them, has the gate (``review/gate.py``)
compare it with the current model on the held-out test split, clean and
noisy, and promotes it only when the gate lets it: the candidate becomes the
model ``make run`` serves, and a running Rasa server is told to load it
(Rasa's ``PUT /model`` with the operator token), without a restart and without
losing a conversation (they are in the tracker store). A refused candidate is
kept aside in ``models/candidates/`` and nothing else changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from launcher import model as model_mod
from settings.launch import ROOT, LaunchSettings

TEST_FILE = ROOT / "tests" / "nlu" / "test_nlu.yml"


@dataclass
class RetrainResult:
    verdict: Any  # review.gate.Verdict
    candidate: Path
    promoted_to: Optional[Path] = None
    live: bool = False  # the running Rasa server loaded it
    notes: List[str] = field(default_factory=list)


def stores(settings: LaunchSettings):
    """The review store and the tracker store's engine of this deployment (None without a tracker database)."""
    import sqlalchemy as sa

    from handover.schema import Database
    from review.store import ReviewStore

    db = Database(settings.handover_db_url or f"sqlite:///{settings.state_dir / 'handovers.db'}")
    tracker_file = settings.state_dir / "tracker.db"
    url = settings.tracker_db_url or (f"sqlite:///{tracker_file}" if tracker_file.is_file() else None)
    return ReviewStore(db), (sa.create_engine(url, future=True) if url else None)


def export(settings: LaunchSettings, data_dir: Path) -> Any:
    """Write ``<data_dir>/nlu/reviewed.yml`` from the labels; conversations deleted since are left out."""
    from review.export import export as write
    from review.gather import Gatherer

    store, tracker = stores(settings)
    existing = Gatherer(tracker, store).existing if tracker is not None else None
    result = write(store, data_dir, [TEST_FILE], existing)
    print(f"==> {result.examples} reviewed examples written to {result.path} {json.dumps(result.by_intent)}")
    if result.skipped_known:
        print(f"    {result.skipped_known} left out: already in the training data or the test split")
    return result


def live_model(settings: LaunchSettings, models_dir: Path = model_mod.MODELS_DIR) -> Optional[Path]:
    """The model the running Rasa server serves (its ``GET /status`` names the file), if one answers."""
    try:
        name = str(_call(settings, "GET", "/status").get("model_file") or "")
    except (OSError, ValueError):
        return None
    places = (models_dir, model_mod.MODELS_DIR)
    return next((d / name for d in places if name and (d / name).is_file()), None)


def _call(settings: LaunchSettings, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if settings.operator_token:
        headers["Authorization"] = f"Bearer {settings.operator_token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(settings.rasa_url + path, data=data, method=method, headers=headers)  # noqa: S310 - http(s), our own server
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - our own server's URL
        text = response.read()
    return json.loads(text) if text else {}


def train_candidate(data_dir: Path, models_dir: Path) -> Path:
    out = models_dir / "candidates"
    out.mkdir(parents=True, exist_ok=True)
    name = time.strftime("candidate-%Y%m%d-%H%M%S")
    files = ["--config", "config.yml", "--domain", "domain.yml", "--data", str(data_dir)]
    command = model_mod.rasa_command() + ["train", *files, "--out", str(out), "--fixed-model-name", name, "--force"]
    print(f"==> training a candidate on {data_dir}")
    result = subprocess.run(command, cwd=ROOT)
    path = out / f"{name}.tar.gz"
    if result.returncode != 0 or not path.is_file():
        raise SystemExit(f"error: training the candidate failed (exit {result.returncode}); see the output above")
    return path


def retrain(
    settings: LaunchSettings,
    data_dir: Path,
    models_dir: Path = model_mod.MODELS_DIR,
    current: Optional[Path] = None,
    candidate: Optional[Path] = None,
    test_file: Path = TEST_FILE,
) -> RetrainResult:
    """Train (unless ``candidate`` is given), gate, and promote when the gate lets it."""
    from review import gate

    current = current or live_model(settings, models_dir) or _newest(models_dir) or _newest(model_mod.MODELS_DIR)
    if current is None:
        raise SystemExit("error: there is no current model to compare with: run `make setup` first")
    candidate = candidate or train_candidate(data_dir, models_dir)
    examples = gate.test_examples(test_file)
    print(f"==> comparing {candidate.name} with {current.name} on {len(examples)} held-out messages, clean and noisy")
    verdict = gate.judge(gate.report(current, examples), gate.report(candidate, examples))
    print(verdict.table())
    result = RetrainResult(verdict, candidate)
    if not verdict.promote:
        print("==> the candidate is NOT promoted:\n" + "\n".join(f"  - {r}" for r in verdict.reasons))
        print(f"    it is kept in {candidate} for a look; the served model is unchanged")
        return result
    result.promoted_to = promote(candidate, data_dir, models_dir)
    try:
        _call(settings, "PUT", "/model", {"model_file": str(result.promoted_to)})
        result.live = True
        print(f"==> promoted: {result.promoted_to.name}, now served by {settings.rasa_url}")
    except urllib.error.HTTPError as e:
        result.notes.append(f"the Rasa server refused to load it ({e.code}): {e.read()[:300]!r}")
    except OSError:
        result.notes.append(f"no Rasa server answered at {settings.rasa_url}: the next start serves it")
    for note in result.notes:
        print(f"==> promoted: {result.promoted_to.name}; {note}")
    return result


def promote(candidate: Path, data_dir: Path, models_dir: Path) -> Path:
    """The candidate as the current model: the name ``make run`` looks for when it trained on data/."""
    target = (
        model_mod.model_path(models_dir=models_dir)
        if data_dir.resolve() == (ROOT / "data").resolve()
        else models_dir / candidate.name.replace("candidate-", model_mod.MODEL_PREFIX)
    )
    models_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(candidate, target)
    return target


def _newest(models_dir: Path) -> Optional[Path]:
    found = sorted(models_dir.glob(f"{model_mod.MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def retrain_from_labels(settings: LaunchSettings, data_dir: Path, models_dir: Path = model_mod.MODELS_DIR):
    """``make retrain``: export, then retrain; a refused export is taken back out of the training data.

    So the next ``make run`` (which trains on whatever ``data/`` holds) never
    serves examples the gate refused: the previous ``reviewed.yml`` is put
    back, and the refused one is kept beside the candidate.
    """
    from review.export import FILE_NAME

    target = data_dir / "nlu" / FILE_NAME
    before = target.read_bytes() if target.is_file() else None
    export(settings, data_dir)
    result = retrain(settings, data_dir, models_dir)
    if not result.verdict.promote:
        kept = result.candidate.with_name(result.candidate.name.replace(".tar.gz", f".{FILE_NAME}"))
        shutil.copy2(target, kept)
        if before is None:
            target.unlink()
        else:
            target.write_bytes(before)
        print(f"    the refused examples are in {kept}; {target} is as it was before")
    return result
