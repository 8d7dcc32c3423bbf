"""A loaded model's training graph is read when something first asks for it.

Guarded by tests/test_rasa_server.py.
"""

from __future__ import annotations

from typing import Any, Dict, Optional


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
        def nodes(self) -> Dict[str, Any]:
            if self._nodes is None:
                self._nodes = GraphSchema.from_dict(copy.deepcopy(self._serialized)).nodes
            return self._nodes

    rasa_from_dict = ModelMetadata.from_dict.__func__

    def from_dict(cls: type, serialized: Dict[str, Any]) -> Any:
        metadata = rasa_from_dict(cls, {**serialized, "train_schema": {"nodes": {}}})
        metadata.train_schema = GraphSchemaOnDemand(serialized["train_schema"])
        return metadata

    ModelMetadata.from_dict = classmethod(from_dict)
