"""Where the checkout, the seed page and the test artifacts are."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SEED = ROOT.parent / "shared" / "seed" / "000_997f96f92d39cb85.txt"
ARTIFACTS = ROOT / "test-artifacts"
