"""rasa_addons.server.graph_runner: Rasa's prediction graphs run without dask, same results.

A small graph of real graph components runs through Rasa's ``DaskGraphRunner`` and
through ``DirectGraphRunner``: the outputs, and the errors for clashing inputs, a
missing input and a failing component, must be the same. With the patches installed,
every model Rasa loads, at start-up or over the HTTP API (``PUT /model``), runs on
``DirectGraphRunner``; the trained model's answers are compared in test_speedups.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import rasa.server
from rasa.core.agent import Agent
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.runner.interface import GraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

from rasa_addons.server import graph_runner, patches
from rasa_addons.server.graph_runner import DirectGraphRunner


class Arithmetic(GraphComponent):
    """A graph component whose ``fn`` is chosen per node."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Arithmetic:
        return cls()

    def double(self, x: int) -> int:
        return 2 * x

    def add(self, x: int, y: int) -> int:
        return x + y

    def fail(self, x: int) -> int:
        raise ValueError(f"cannot use {x}")


def node(fn: str, is_target: bool = False, **needs: str) -> SchemaNode:
    return SchemaNode(needs, Arithmetic, "create", fn, {}, is_target=is_target)


SCHEMA = GraphSchema(
    {
        "doubled": node("double", x="number"),
        "sum": node("add", is_target=True, x="doubled", y="number"),
        "doubled_sum": node("double", is_target=True, x="sum"),
        "broken": node("fail", x="number"),
        "missing_input": node("double", x="no_such_input"),
    }
)


def outcome(
    runner_class: type[GraphRunner], tmp_path: Path, run: Callable[[GraphRunner], Any]
) -> Any:
    """What ``run`` returns with a runner of ``runner_class``, or the error it raises."""
    storage = LocalModelStorage(tmp_path / runner_class.__name__)
    runner = runner_class.create(SCHEMA, storage, ExecutionContext(SCHEMA, "model"))
    try:
        return run(runner)
    except (GraphRunError, GraphComponentException) as error:
        return type(error).__name__, str(error)


RUNS: dict[str, Callable[[GraphRunner], Any]] = {
    "all targets": lambda r: r.run(inputs={"number": 3}),
    "one target": lambda r: r.run(inputs={"number": 3}, targets=["sum"]),
    "an inner node": lambda r: r.run(inputs={"number": 5}, targets=["doubled"]),
    "input value naming a node": lambda r: r.run(inputs={"number": "doubled"}),
    "input value naming an input": lambda r: r.run(inputs={"number": 1, "other": "number"}),
    "a failing component": lambda r: r.run(inputs={"number": 3}, targets=["broken"]),
    "a missing input": lambda r: r.run(inputs={"number": 3}, targets=["missing_input"]),
}


@pytest.mark.parametrize("case", RUNS)
def test_direct_runs_give_dasks_results_and_errors(case: str, tmp_path: Path) -> None:
    direct = outcome(DirectGraphRunner, tmp_path, RUNS[case])
    assert direct == outcome(DaskGraphRunner, tmp_path, RUNS[case])
    if case == "all targets":
        assert direct == {"sum": 9, "doubled_sum": 18}
    if case.startswith("input value naming"):
        assert direct[0] == "GraphRunError"
        assert "clashes with a node name" in direct[1]


def test_every_model_rasa_loads_runs_directly(model_path: str) -> None:
    patches.install(graph_runner)

    started = Agent.load(model_path)  # as at start-up (rasa.core.agent.load_agent)
    replaced = asyncio.run(rasa.server._load_agent(model_path=model_path))  # PUT /model
    assert started.processor is not None
    assert replaced.processor is not None
    assert isinstance(started.processor.graph_runner, DirectGraphRunner)
    assert isinstance(replaced.processor.graph_runner, DirectGraphRunner)
    parsed = asyncio.run(
        replaced.parse_message("what are the requirements of the Security competency?")
    )
    assert parsed["intent"]["name"] == "ask_competency"
