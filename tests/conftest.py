"""Shared fixtures: the real domain, a throw-away PostgreSQL database, the desk assistant, an
assistant of a module's own settings, Chromium, a throw-away store.

The helpers the tests share are in tests/helpers/.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator

import pytest
import yaml

# Before they are imported: a failing assert in a helper explains itself as one in a test does.
pytest.register_assert_rewrite("tests.helpers")

from tests.helpers.agents import agent_env  # noqa: E402
from tests.helpers.paths import ARTIFACTS, ROOT  # noqa: E402
from tests.helpers.servers import local_settings, running_assistant  # noqa: E402
from tests.helpers.services import throwaway_postgres_database  # noqa: E402


@pytest.fixture(scope="session")
def domain() -> Dict[str, Any]:
    """domain.yml as the action server receives it (responses, slots, ...)."""
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def trained_agent():
    """The current model in Rasa's own agent (no servers), loaded once for the NLU tests."""
    from rasa.core.agent import Agent

    from launcher.model import current_model

    model = current_model()
    if model is None:
        pytest.fail("no model matches the current config, domain and data: run `make test`, which trains it")
    return Agent.load(str(model))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test run only, dropped at the end.

    Skips when no server answers at TEST_POSTGRES_URL (default: the loopback
    server's ``test`` database), but fails under CI, where one must answer.
    """
    with throwaway_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def desk_assistant(tmp_path_factory):
    """One assistant with the agent side on, shared by the desk API and agent page tests."""
    state = tmp_path_factory.mktemp("desk-state")
    settings = local_settings(state, env=agent_env())
    with running_assistant(settings, tmp_path_factory.mktemp("desk-logs")) as running:
        yield running


# The fixtures of a desk test module: ``server`` is the shared desk assistant's settings unless
# the module starts an assistant of its own (its own ``server`` fixture then wins, and the
# ones below use it).
@pytest.fixture(scope="module")
def server(desk_assistant):
    return desk_assistant.settings


@pytest.fixture(scope="module")
def store(server):
    """The hand-over store of ``server``, to read what the desk wrote."""
    from handover.store import HandOverStore

    store = HandOverStore(server.handover_db_url)
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def alice(server):
    from tests.helpers.agents import Agent

    return Agent(server, "alice")


@pytest.fixture(scope="module")
def bob(server):
    from tests.helpers.agents import Agent

    return Agent(server, "bob")


# An assistant of a test module's own ``settings`` fixture, its log files in ``log_dir``.
@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="module")
def assistant(settings, log_dir):
    with running_assistant(settings, log_dir) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright, for one test module (closed before
    the next, so it never overlaps the asyncio tests)."""
    from playwright.sync_api import sync_playwright

    from tests.helpers.browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def handover_store(tmp_path, monkeypatch):
    """The actions' store, pointed at an SQLite file of this test only."""
    from actions import handover
    from handover.store import HandOverStore

    store = HandOverStore(f"sqlite:///{tmp_path / 'handovers.db'}")
    handover.set_store(store)
    yield store
    handover.set_store(None)
    store.dispose()


FIGURE_MODULES = {
    "tests.test_nlu_quality": "NLU quality on tests/nlu/test_nlu.yml",
    "tests.test_nlu_typos": "Typo robustness on tests/nlu/test_nlu.yml, clean and noisy",
    "tests.test_hostile_input": "Hostile input (fuzz)",
    "tests.test_reliability": "Concurrency and faults",
    "tests.test_scale_out": "Scale-out on PostgreSQL, Redis and RabbitMQ",
}


def pytest_terminal_summary(terminalreporter):
    """Print the measured figures (model quality, fuzz, load, faults), so every run shows them."""
    import sys

    reliability = {}
    for module, title in FIGURE_MODULES.items():
        figures = getattr(sys.modules.get(module), "FIGURES", {})
        if figures:
            terminalreporter.section(title)
            for name, value in figures.items():
                terminalreporter.write_line(f"{name}: {value}")
            if module not in ("tests.test_nlu_quality", "tests.test_nlu_typos"):
                reliability[title] = figures
    if reliability:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "reliability.json").write_text(json.dumps(reliability, indent=2) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def review_assistant(tmp_path_factory):
    """An assistant for the review inbox's tests: alice reviews, bob may not; its own training data,
    models and operator token, so retraining and promoting never touch the project's own."""
    from types import SimpleNamespace

    from tests.helpers.review import copy_training_data

    root = tmp_path_factory.mktemp("review")
    data = copy_training_data(root / "data")
    env = agent_env(ASSISTANT_REVIEWERS="alice", REVIEW_DATA_DIR=str(data))
    settings = local_settings(root / "state", env=env, operator_token="review-operator-" + "x" * 24)
    with running_assistant(settings, root / "logs") as running:
        yield SimpleNamespace(settings=running.settings, data=data, models=root / "models")
