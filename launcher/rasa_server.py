"""`python -m launcher.rasa_server run ...`: Rasa's own `rasa run`, made faster.

The launcher starts the Rasa server through this module (the arguments are
`rasa`'s, unchanged). Measured with a profile of the start and of messages
through the server (README "Performance"), these cost time that need not:

1. **skops imported after TensorFlow.** The intent classifier is stored with
   skops; importing ``skops.io`` builds its list of trusted types by searching
   every loaded module for hundreds of numpy and scipy functions. With
   TensorFlow's thousands of modules loaded that took 12 s of the start; before
   them, 3 s (sklearn and scipy included, which Rasa imports anyway). The list
   it builds is the same either way. So it is imported first.
2. **Checking each action server reply.** Rasa validates every custom action's
   reply against its JSON schema with ``jsonschema.validate``, which checks the
   (constant) schema itself against the meta-schema on every call: tens of ms on
   each turn that runs a custom action. Here the validator is built once; the
   reply is checked against the same schema, and an invalid reply fails the
   same way, with the same error.
3. **Opening the conversations' database on every message.** The SQLite file
   of the tracker store was opened and closed for each read and each write
   (SQLAlchemy's default for SQLite files), in SQLite's rollback-journal mode,
   whose every commit waits for the disk: 5 to 24 ms to save a conversation
   on this machine (depending on the disk's other work), with the server's
   event loop blocked meanwhile. One connection kept open, in write-ahead-log
   mode with ``synchronous=NORMAL``, took 4 to 7 ms in the same measurements. A crash of the server loses
   nothing committed and the file is never corrupted; a power cut or an OS
   crash may lose the last commits (SQLite's documented trade-off). Other
   databases (PostgreSQL, ...) are left as they are.
4. **The first client paying for the warm-up.** After the model is loaded, and
   before the server answers anyone (its health route included), one message is
   parsed and one next action predicted on a throw-away tracker that is never
   stored, so the first real client gets a warm server.
5. **Python's garbage collector walking the start-up.** Rasa and TensorFlow
   leave half a million objects behind at start; every full collection walks
   them all (0.8 s each, measured here), in the middle of some client's message.
   After the warm-up they are moved out of the collector's way
   (``gc.freeze()``); what is made afterwards is collected as usual.
6. **Loading the spaCy pipeline twice.** Rasa's graph asked for the same
   pipeline twice while loading the model, about a second each here; it is
   now loaded once per process (again when it is rebuilt).
7. **Importing TensorFlow and matplotlib, which nothing here uses.** Rasa
   imports TensorFlow at start through three chains whatever the pipeline:
   its featurizers' helper module (``rasa.utils.train_utils``, for two
   training callbacks and a batch generator), the model's *training* graph,
   whose classes are all resolved on load (its validator imports DIET and
   TED), and spaCy's thinc, which imports TensorFlow when it is installed.
   Its server imports matplotlib through its test module. Together about 4 s
   of every start here. Now the helper's names are imported when first used
   (``launcher/lazy.py``), the training graph is read when first asked for,
   thinc is imported as if TensorFlow were absent (it would only need it for
   models wrapped from TensorFlow; our spaCy pipeline has none), and Rasa's
   plots are imported when first drawn. A pipeline that does use TensorFlow
   still gets it: its components import it as they always did.
8. **skops' trusted types rebuilt at every start.** Read from the file the
   set-up saves instead, while the installed packages are the ones it was
   saved for (``launcher/trusted_types.py``).
9. **SQLAlchemy's ORM on every message.** The SQL tracker store built ORM
   queries and objects for each read and save, about 2.4 ms of CPU a message
   here against 0.75 ms for the same statements built once
   (``launcher/tracker_store.py``: the same rows, sessions and order).
10. **Dask's bookkeeping around each run of the graph.** Each parse and each
    prediction rebuilt a dask graph and its order, then ran the nodes one
    after the other anyway; now they run in a plan made once per set of
    targets (``launcher/graph_runner.py``): 2.8–3.1 → 2.1–2.4 ms of CPU a
    parse here, the same answers.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

logger = logging.getLogger(__name__)

WARM_UP_TEXT = "hello"
WARM_UP_SENDER = "launcher-warm-up"  # never stored: the tracker lives in memory only

# What rasa.utils.train_utils imports from Rasa's TensorFlow modules; it uses them
# only inside functions that train or build a TensorFlow model.
TENSORFLOW_NAMES_IN_TRAIN_UTILS = {
    "rasa.utils.tensorflow.callback": ["RasaTrainingLogger", "RasaModelCheckpoint"],
    "rasa.utils.tensorflow.data_generator": ["RasaBatchDataGenerator"],
}


def install_validator_built_once() -> None:
    """RemoteAction checks replies with a validator built once for its constant schema."""
    from jsonschema import exceptions, validators
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, instead of on every action call
    validator = cls(schema)
    rasa_validate = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
        if exceptions.best_match(validator.iter_errors(result)) is None:
            return True
        return rasa_validate(self, result)  # invalid (rare): Rasa's own error and explanation

    RemoteAction._validate_action_result = validate_action_result


def sqlite_write_ahead_log(dbapi_connection: Any, connection_record: Any) -> None:
    """On connect: an SQLite connection writes ahead to a log and does not flush per commit."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def install_sqlite_tracker_store_settings() -> None:
    """SQLite tracker store: one connection kept open, write-ahead log, no flush per commit."""
    import rasa.core.tracker_store as tracker_store
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.pool import SingletonThreadPool

    rasa_engine_kwargs = tracker_store.create_engine_kwargs

    def engine_kwargs(url: Any) -> Dict[str, Any]:
        kwargs = rasa_engine_kwargs(url)
        if make_url(str(url)).get_backend_name() == "sqlite":
            # One connection per thread, kept: Rasa uses the store from its event loop only.
            kwargs = {**kwargs, "poolclass": SingletonThreadPool}
        return kwargs

    tracker_store.create_engine_kwargs = engine_kwargs
    event.listen(Engine, "connect", sqlite_write_ahead_log)


async def warm_up(agent: Any) -> Optional[float]:
    """Parse one message and predict one action, so the first client does not wait."""
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    if agent is None or not agent.is_ready():
        return None
    started = time.monotonic()
    parsed = await agent.parse_message(WARM_UP_TEXT)
    events: List[Any] = [
        ActionExecuted(ACTION_LISTEN_NAME),
        UserUttered(WARM_UP_TEXT, parsed.get("intent"), parsed.get("entities"), parse_data=parsed),
    ]
    tracker = DialogueStateTracker.from_events(WARM_UP_SENDER, events, slots=agent.domain.slots)
    agent.processor.predict_next_with_tracker(tracker)
    if agent.tracker_store is not None:  # the first query of the tracker store (a read only)
        await agent.tracker_store.retrieve(WARM_UP_SENDER)
    return time.monotonic() - started


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


def install_warm_up() -> None:
    """Warm the agent up right after Rasa loads it, before the server takes requests."""
    import rasa.core.run as rasa_run

    load_agent = rasa_run.load_agent_on_start

    async def load_agent_and_warm_up(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent(*args, **kwargs)
        try:
            seconds = await warm_up(agent)
            if seconds is not None:
                logger.info("Warmed up in %.2f s.", seconds)
            gc.collect()  # the start-up's garbage goes now, the rest is frozen
            gc.freeze()
        except Exception:  # a failed warm-up must not keep the server from starting
            logger.exception("Warm-up failed; the first message will be slower")
        return agent

    rasa_run.load_agent_on_start = load_agent_and_warm_up


def install_train_schema_on_demand() -> None:
    """A loaded model's training graph is read when something first asks for it.

    A model archive holds two graphs: the one that trained it and the one that
    predicts. Rasa resolves every component class of both when it reads the
    archive's metadata; the training graph's validator imports DIET, TED and
    so TensorFlow. Serving never looks at the training graph. It is now
    deserialized, with Rasa's own code, on the first read of its nodes; the
    prediction graph is resolved at load as before, so a component that cannot
    be found still stops the start with Rasa's own error.
    """
    import copy

    from rasa.engine.graph import GraphSchema
    from rasa.engine.storage.storage import ModelMetadata

    class GraphSchemaOnDemand(GraphSchema):
        def __init__(self, serialized: Dict[str, Any]) -> None:  # noqa: D107 (no super: nodes come later)
            self._serialized = copy.deepcopy(serialized)  # GraphSchema.from_dict changes its input
            self._nodes: Optional[Dict[str, Any]] = None

        @property
        def nodes(self) -> Dict[str, Any]:  # type: ignore[override]
            if self._nodes is None:
                self._nodes = GraphSchema.from_dict(copy.deepcopy(self._serialized)).nodes
            return self._nodes

    rasa_from_dict = ModelMetadata.from_dict.__func__  # type: ignore[attr-defined]

    def from_dict(cls: type, serialized: Dict[str, Any]) -> Any:
        metadata = rasa_from_dict(cls, {**serialized, "train_schema": {"nodes": {}}})
        metadata.train_schema = GraphSchemaOnDemand(serialized["train_schema"])
        return metadata

    ModelMetadata.from_dict = classmethod(from_dict)  # type: ignore[assignment]


def defer_unused_imports() -> None:
    """TensorFlow and matplotlib are imported when first used, not at start (see above)."""
    from launcher.lazy import import_with_deferred, import_without

    import_with_deferred("rasa.utils.train_utils", TENSORFLOW_NAMES_IN_TRAIN_UTILS)
    # spaCy's thinc imports TensorFlow when installed, for models wrapped from it (ours has none)
    import_without("thinc.compat", ["tensorflow"])
    # Rasa's server imports its test code (for /model/test), which imports its plots
    import_with_deferred("rasa.nlu.test", {"rasa.utils.plotting": None})


def main(argv: Optional[List[str]] = None) -> None:
    from launcher import trusted_types

    trusted_types.install()  # skops' saved lists when current, else it builds them (see its module)
    import skops.io  # noqa: F401 - first, while few modules are loaded (see above)

    defer_unused_imports()

    from privacy import logs

    logs.install()  # no e-mail, phone or card number in a log line (privacy/logs.py)
    install_validator_built_once()
    install_sqlite_tracker_store_settings()
    from launcher import graph_runner, tracker_store

    tracker_store.install()  # the store's per-message statements built once (see its module)
    graph_runner.install()  # the model's graph run without dask's per-run bookkeeping (see its module)
    install_spacy_model_cache()
    install_train_schema_on_demand()
    install_warm_up()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()
