"""The model's prediction graph run directly, without dask's scheduler.

Rasa 3.6.21's ``MessageProcessor._load_model`` (rasa/core/processor.py, lines 123-150)
hands the class ``DaskGraphRunner`` to ``rasa.engine.loader.load_predict_graph_runner``,
which creates the runner of the loaded model's prediction graph; the processor runs
that graph for the NLU of every message and for every policy prediction. Dask's
scheduler bookkeeping cost more than some of the components: the graph is a small tree
run in one thread. ``DirectGraphRunner`` is a ``GraphRunner``
(rasa/engine/runner/interface.py) that evaluates the same nodes directly, each once,
in dependency order, with ``DaskGraphRunner``'s results and errors.

It is bound where the processor names its runner class
(``rasa.core.processor.DaskGraphRunner``, rasa_addons/server/patches.py), so every
model the server loads gets it: the one loaded at start-up, one loaded over the HTTP
API (``PUT /model`` builds a new agent and processor through the same
``MessageProcessor._load_model``), and one pulled from a model server. Training, and
anything else that names ``DaskGraphRunner`` itself, keeps Rasa's dask runner.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.graph import ExecutionContext, GraphNode, GraphNodeHook, GraphSchema
from rasa.engine.runner.interface import GraphRunner
from rasa.engine.storage.storage import ModelStorage


class DirectGraphRunner(GraphRunner):
    """Runs a graph's nodes directly, in dependency order, each at most once per run."""

    def __init__(
        self,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: list[GraphNodeHook] | None = None,
    ) -> None:
        """Instantiate every node of ``graph_schema``, as ``DaskGraphRunner`` does."""
        self._graph_schema = graph_schema
        self._instantiated_nodes = {
            name: GraphNode.from_schema_node(name, node, model_storage, execution_context, hooks)
            for name, node in graph_schema.nodes.items()
        }

    @classmethod
    def create(
        cls,
        graph_schema: GraphSchema,
        model_storage: ModelStorage,
        execution_context: ExecutionContext,
        hooks: list[GraphNodeHook] | None = None,
    ) -> DirectGraphRunner:
        """Create the runner (see ``GraphRunner.create``)."""
        return cls(graph_schema, model_storage, execution_context, hooks)

    def run(
        self,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        """Run the nodes ``targets`` need (all targets by default), as dask would.

        Returns:
            Each target's name mapped to its node's output.

        Raises:
            GraphRunError: An input's value is the name of a node (or of an input
                given before it), or a node raised ``RuntimeError``.

        """
        run_targets = targets if targets else self._graph_schema.target_names
        schema = self._graph_schema.minimal_graph_schema(run_targets)
        outputs: dict[str, Any] = {}
        for name, value in (inputs or {}).items():
            # DaskGraphRunner._add_inputs_to_graph: a string value names a graph key.
            if isinstance(value, str) and (value in schema.nodes or value in outputs):
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            outputs[name] = (name, value)

        def output_of(name: str) -> Any:
            if name not in outputs:
                if name not in schema.nodes:
                    return name  # what dask passes for a key it cannot resolve
                needs = [output_of(parent) for parent in schema.nodes[name].needs.values()]
                outputs[name] = self._instantiated_nodes[name](*needs)
            return outputs[name]

        try:
            return dict(output_of(target) for target in run_targets)
        except RuntimeError as error:
            raise GraphRunError("Error running runner.") from error
