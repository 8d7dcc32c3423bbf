"""Measured figures: kept for the run's summary and written, with their details, to test-artifacts/."""

from __future__ import annotations

import json
from typing import Any, Dict, Optional

from tests.helpers.paths import ARTIFACTS


def record(figures: Dict[str, Any], file_name: str, name: str, value: Any, details: Optional[Any] = None) -> None:
    """``figures[name] = value`` (printed at the end of the run), and the same in ``test-artifacts/<file_name>``."""
    figures[name] = value
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / file_name
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data[name] = value
    if details is not None:
        data[f"{name}_details"] = details
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
