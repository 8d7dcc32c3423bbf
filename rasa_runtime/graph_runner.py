"""Rasa's prediction graph run node by node in one plan, instead of through dask.

The Rasa server runs its model's graph twice per message: once to understand
the message, once to choose the next action (and again after each action).
Rasa hands each run to dask's synchronous scheduler, which rebuilds the
schema's minimal subgraph, a dask task graph and dask's ordering of it every
time, then runs the nodes one after the other on the calling thread anyway. In
a sampling profile of the server that bookkeeping was about a tenth of each
message's time (docs/performance-log.md).

``SequentialGraphRunner`` is Rasa's ``DaskGraphRunner`` with ``run`` doing the
same work directly: the nodes each set of targets needs, in an order where
every node comes after the nodes it needs (worked out once per set of targets),
each called with its parents' outputs exactly as dask calls it (a need that no
node or input provides is passed as its bare name, which Rasa's node reports).
Inputs that clash with a node's name, and a ``RuntimeError`` in a node, fail
with Rasa's ``GraphRunError`` as before. The nodes themselves (components,
hooks, loading) are Rasa's, built by Rasa's own constructor.

Only the served model's graph uses it (``install()`` in the Rasa server);
training keeps dask.
"""

from __future__ import annotations

import graphlib
import logging
from typing import Any, Dict, List, Optional, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

logger = logging.getLogger(__name__)


class SequentialGraphRunner(DaskGraphRunner):
    """Runs the needed nodes of the graph in a fixed order, in the calling thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plans: Dict[Tuple[str, ...], Dict[str, Tuple[str, ...]]] = {}

    def plan(self, targets: List[str]) -> Dict[str, Tuple[str, ...]]:
        """The nodes ``targets`` need, in the order they run (each after its parents): their parents."""
        key = tuple(targets)
        if key not in self._plans:
            nodes = self._graph_schema.minimal_graph_schema(targets).nodes
            needs = {name: tuple(node.needs.values()) for name, node in nodes.items()}
            parents_in_graph = {name: [p for p in parents if p in nodes] for name, parents in needs.items()}
            order = graphlib.TopologicalSorter(parents_in_graph).static_order()
            self._plans[key] = {name: needs[name] for name in order}
        return self._plans[key]

    def run(self, inputs: Optional[Dict[str, Any]] = None, targets: Optional[List[str]] = None) -> Dict[str, Any]:
        """Runs the graph (see Rasa's ``GraphRunner.run``)."""
        run_targets = targets if targets else self._graph_schema.target_names
        plan = self.plan(run_targets)
        outputs: Dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in plan:
                raise GraphRunError(f"The input {name!r} is {value!r}, the name of a node of the graph: rename it.")
            outputs[name] = (name, value)  # as a node's output: (its name, its value)
        logger.debug("Running graph with inputs: %s, targets: %s and %s.", inputs, targets, self._execution_context)
        try:
            for name, parents in plan.items():
                outputs[name] = self._instantiated_nodes[name](*(outputs.get(parent, parent) for parent in parents))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(outputs[target] for target in run_targets)


def install() -> None:
    """The Rasa server loads its model with ``SequentialGraphRunner`` (training keeps dask)."""
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner
