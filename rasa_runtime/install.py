"""Apply every replacement of a Rasa internal, in order, once, on the pinned Rasa only.

The order matters in two places: skops' saved type lists must be in place
before skops is first imported, and skops must be imported before Rasa pulls
in TensorFlow (with TensorFlow's modules loaded, skops' type scan took 12 s of
the start here instead of 3 s); the deferred imports must be set up before
anything imports the modules concerned. The rest only replace functions and
classes Rasa looks up when it runs.
"""

from __future__ import annotations

import logging
from importlib import metadata
from typing import Callable, List, Tuple

logger = logging.getLogger(__name__)

PINNED_RASA = "3.6.21"  # requirements.txt pins the same; every replacement here was written for it

_installed = False


class RasaVersionError(RuntimeError):
    """The installed Rasa is not the one the replacements were written for."""


def check_rasa_version(installed: str | None = None) -> None:
    found = installed if installed is not None else metadata.version("rasa")
    if found != PINNED_RASA:
        raise RasaVersionError(
            f"rasa_runtime replaces parts of Rasa {PINNED_RASA}, but Rasa {found} is installed: "
            f"install rasa=={PINNED_RASA} (requirements.txt), or check every replacement in "
            "rasa_runtime/ against the new version and its tests before changing the pin"
        )


def steps() -> List[Tuple[str, Callable[[], object]]]:
    """The replacements in the order they are applied."""
    from privacy import logs
    from rasa_runtime import (
        graph_runner,
        lazy,
        observers,
        remote_action,
        spacy_cache,
        sqlite,
        strict_store,
        tracker_store,
        train_schema,
        trusted_types,
        warm_up,
    )

    def import_skops_first() -> None:
        import skops.io  # noqa: F401 - while few modules are loaded (see the module)

    return [
        ("skops' saved trusted types", trusted_types.install),
        ("skops imported before TensorFlow", import_skops_first),
        ("TensorFlow and matplotlib imported when used", lazy.defer_unused_imports),
        ("no personal data in log lines", logs.install),
        ("action replies checked by a validator built once", remote_action.install_validator_built_once),
        ("custom actions when the action server is down", remote_action.install_action_fallback),
        ("tracker store errors are errors", strict_store.install),
        ("SQLite tracker store: one connection, write-ahead log", sqlite.install_sqlite_tracker_store_settings),
        ("SQL tracker store statements built once", tracker_store.install),
        ("the model's graph without dask", graph_runner.install),
        ("the spaCy pipeline loaded once", spacy_cache.install_spacy_model_cache),
        ("the training graph read on demand", train_schema.install_train_schema_on_demand),
        ("a warm server before the first client", warm_up.install_warm_up),
        ("our observers after each saved conversation", observers.install),
    ]


def install() -> None:
    """Apply every step (idempotent: a second call does nothing)."""
    global _installed
    if _installed:
        return
    check_rasa_version()
    for what, step in steps():
        step()
        logger.debug("rasa_runtime: %s", what)
    _installed = True
