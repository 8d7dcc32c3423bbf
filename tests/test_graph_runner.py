"""rasa_runtime/graph_runner.py: the served model's graph without dask gives Rasa's answers."""

from __future__ import annotations

import asyncio

import pytest
import rasa.core.processor
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from launcher.model import current_model
from rasa_runtime import graph_runner
from rasa_runtime.graph_runner import SequentialGraphRunner

MESSAGES = [
    "hi",
    "my freelancer stopped answering a week ago and still logs hours",
    "what happens if my freelancer doesn't deliver?",
    "how do I pause an hourly contract?",
    "the developer I hired copied code from another project",
    "can I speak to a real person please",
    "how do I reset my password",
    "asdf qwerty",
    "thanks, bye",
]


@pytest.fixture(scope="module")
def agent():
    """Our model, loaded as the Rasa server loads it (the runner installed), beside dask's runner."""
    model = current_model()
    if model is None:
        pytest.fail("no current model: run `make test`, which trains it")
    rasa_runner = rasa.core.processor.DaskGraphRunner
    graph_runner.install()
    try:
        loaded = Agent.load(str(model))
    finally:
        rasa.core.processor.DaskGraphRunner = rasa_runner
    assert type(loaded.processor.graph_runner) is SequentialGraphRunner
    return loaded


@pytest.fixture
def with_dask(agent):
    """Switch the agent between the two runners, sharing the same loaded nodes."""
    ours = agent.processor.graph_runner
    theirs = DaskGraphRunner.__new__(DaskGraphRunner)
    theirs.__dict__.update({k: v for k, v in ours.__dict__.items() if k != "_plans"})

    def use(runner_is_dask: bool) -> None:
        agent.processor.graph_runner = theirs if runner_is_dask else ours

    yield use
    agent.processor.graph_runner = ours


def parse(agent, text):
    return asyncio.run(agent.processor.parse_message(UserMessage(text)))


def test_every_message_is_understood_as_with_dask(agent, with_dask):
    with_dask(True)
    expected = [parse(agent, text) for text in MESSAGES]
    with_dask(False)
    assert [parse(agent, text) for text in MESSAGES] == expected
    intents = {result["intent"]["name"] for result in expected}
    assert {"report_freelancer_concern", "ask_what_if", "request_human"} <= intents  # a varied sample


def predictions(agent, text):
    """The next action after the message, then after that action: (name, policy, confidence, scores)."""
    parsed = parse(agent, text)
    tracker = DialogueStateTracker.from_events(
        "runner-test",
        [
            ActionExecuted(ACTION_SESSION_START_NAME),
            SessionStarted(),
            ActionExecuted(ACTION_LISTEN_NAME),
            UserUttered(text, parsed["intent"], parsed["entities"], parse_data=parsed),
        ],
        slots=agent.domain.slots,
    )
    found = []
    for _ in range(2):
        action, prediction = agent.processor.predict_next_with_tracker_if_should(tracker)
        found.append((action.name(), prediction.policy_name, prediction.max_confidence, prediction.probabilities))
        tracker.update(ActionExecuted(action.name()))
    return found


def test_every_next_action_is_predicted_as_with_dask(agent, with_dask):
    with_dask(True)
    expected = [predictions(agent, text) for text in MESSAGES]
    with_dask(False)
    assert [predictions(agent, text) for text in MESSAGES] == expected
    assert expected[1][0][0] != expected[2][0][0]  # concern and what-if lead to different actions


def test_each_node_runs_after_the_nodes_it_needs(agent):
    runner, metadata = agent.processor.graph_runner, agent.processor.model_metadata
    for targets in ([metadata.nlu_target], [metadata.core_target]):  # what the processor asks for
        plan = runner.plan(targets)
        position = {name: i for i, name in enumerate(plan)}
        for name, parents in plan.items():
            assert all(position[p] < position[name] for p in parents if p in position)
        assert set(targets) <= set(position)
        assert set(plan) == set(runner._graph_schema.minimal_graph_schema(targets).nodes)  # all they need


def test_an_input_named_like_a_node_is_refused(agent):
    runner, target = agent.processor.graph_runner, agent.processor.model_metadata.nlu_target
    node = next(iter(runner.plan([target])))
    with pytest.raises(GraphRunError, match="name of a node"):
        runner.run(inputs={"__message__": node}, targets=[target])


def test_a_failing_node_fails_the_run_as_with_dask(agent, monkeypatch):
    runner, target = agent.processor.graph_runner, agent.processor.model_metadata.nlu_target
    first = next(iter(runner.plan([target])))

    def broken(*inputs):
        raise RuntimeError("the component broke")

    monkeypatch.setitem(runner._instantiated_nodes, first, broken)
    with pytest.raises(GraphRunError, match="Error running runner") as failure:
        runner.run(inputs={}, targets=[target])
    assert "the component broke" in str(failure.value.__cause__)
