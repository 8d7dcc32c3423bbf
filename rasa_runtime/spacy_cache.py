"""Each spaCy pipeline is loaded once per process (Rasa's graph asked for ours twice at start).

Guarded by tests/test_rasa_server.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict


def install_spacy_model_cache() -> None:
    """Each spaCy pipeline is loaded once per process (Rasa asked for ours twice at start).

    Loading ``build/spacy_toolkit_en`` takes about a second here; the two
    requests come from the same model and get the same, read-only pipeline.
    The cache is keyed by the pipeline's files too, so a rebuilt pipeline is
    loaded afresh.
    """
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    load = SpacyNLP.load_model
    loaded: Dict[Any, Any] = {}

    def load_once(spacy_model_name: str) -> Any:
        meta = Path(spacy_model_name) / "meta.json"
        key = (spacy_model_name, meta.stat().st_mtime_ns if meta.is_file() else None)
        if key not in loaded:
            loaded[key] = load(spacy_model_name)
        return loaded[key]

    SpacyNLP.load_model = staticmethod(load_once)
