"""Train a Rasa model only when none matches the current config, domain and data."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Iterable, List, Optional

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "models"
MODEL_PREFIX = "toolkit-"

# What a trained model depends on. The macro library is not here on purpose:
# scripts and links are read at run time, so editing them never retrains.
# Neither are the entity patterns: Rasa loads the spaCy pipeline by path when it
# starts, and the classifier does not learn from the entities.
TRAINING_INPUTS = (
    "config.yml",
    "domain.yml",
    "domain",
    "data",
    "spacy_pipeline/build.py",
    "spacy_pipeline/entity_kinds.py",
    # the components that shape what the classifier learns from
    "spacy_pipeline/intent_classifier.py",
    "spacy_pipeline/spelling.py",
    "spacy_pipeline/corrector.py",
    "spacy_pipeline/vocabulary.py",
    "spacy_pipeline/noise.py",
)


def _files(paths: Iterable[str], root: Path) -> List[Path]:
    found: List[Path] = []
    for name in paths:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.is_file() and p.suffix in (".yml", ".yaml", ".py"))
    return found


def copy_inputs(dest: Path, root: Path = ROOT) -> Path:
    """Copies what a model depends on, and the macro library (``toolkit/``), from ``root`` into
    ``dest``: a tree in which to try what an edit does to the fingerprint."""
    for name in TRAINING_INPUTS + ("toolkit",):
        source = root / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        elif source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, dest / name)
    return dest


def fingerprint(root: Path = ROOT) -> str:
    digest = hashlib.sha256()
    for path in _files(TRAINING_INPUTS, root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for package in ("rasa", "spacy", "spacy-lookups-data"):
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


def model_path(root: Path = ROOT, models_dir: Path = MODELS_DIR) -> Path:
    """Where the model for the current inputs is (or will be) stored."""
    return models_dir / f"{MODEL_PREFIX}{fingerprint(root)}.tar.gz"


def rasa_command() -> List[str]:
    return [sys.executable, "-m", "rasa"]


def train_command(out: Path, *extra: str) -> List[str]:
    """`rasa train` of this project's config, domain and data into ``out``."""
    files = ["--config", "config.yml", "--domain", "domain.yml", "--data", "data"]
    return rasa_command() + ["train", *files, "--out", str(out), *extra, "--force"]


def ensure_model(force: bool = False, models_dir: Path = MODELS_DIR) -> Path:
    """The current model, trained first when missing; older ones are removed after."""
    target = model_path(models_dir=models_dir)
    if target.is_file() and not force:
        print(f"==> model is current: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        return target
    print("==> training the Rasa model (config, domain or data changed)")
    models_dir.mkdir(parents=True, exist_ok=True)
    fixed_name = target.name[: -len(".tar.gz")]
    command = train_command(models_dir, "--fixed-model-name", fixed_name)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0 or not target.is_file():
        raise SystemExit(f"error: training failed (exit {result.returncode}); see the output above")
    for old in models_dir.glob(f"{MODEL_PREFIX}*.tar.gz"):
        if old != target:
            old.unlink()
    return target


def current_model(models_dir: Path = MODELS_DIR) -> Optional[Path]:
    target = model_path(models_dir=models_dir)
    return target if target.is_file() else None
