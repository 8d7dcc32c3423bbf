"""The set-up: when it retrains, how it finds Python, what it tells a new user."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from launcher import model
from launcher.servers import Assistant, write_endpoints
from settings.launch import LaunchSettings
from settings.read import SettingsError
from tests.helpers.paths import ROOT


def test_the_model_fingerprint_follows_config_domain_and_data_only(tmp_path):
    root = model.copy_inputs(tmp_path, ROOT)
    first = model.fingerprint(root)
    assert model.fingerprint(root) == first  # stable: a second run does not retrain

    library = root / "toolkit" / "client_toolkit.yml"
    library.write_text(library.read_text().replace("211062218", "1"))
    assert model.fingerprint(root) == first  # a script or link edit never retrains

    rules = root / "data" / "rules.yml"
    rules.write_text(rules.read_text() + "\n# a comment is a change too\n")
    assert model.fingerprint(root) != first


def test_the_model_path_names_the_fingerprint(tmp_path):
    assert model.model_path(models_dir=tmp_path).name == f"toolkit-{model.fingerprint()}.tar.gz"


def test_settings_come_from_the_environment_and_bad_ports_are_refused(tmp_path):
    settings = LaunchSettings.from_env({"RASA_PORT": "6005", "ACTION_PORT": "6055", "RASA_OPERATOR_TOKEN": "t"})
    assert (settings.rasa_port, settings.action_port, settings.operator_token) == (6005, 6055, "t")
    assert LaunchSettings.from_env({}).host == "127.0.0.1"  # loopback unless told otherwise
    assert LaunchSettings.from_env({}).operator_token is None
    with pytest.raises(SettingsError, match="RASA_PORT='50o5' is not a port number"):
        LaunchSettings.from_env({"RASA_PORT": "50o5"})


def test_runtime_endpoints_point_at_this_runs_action_server_and_state(tmp_path):
    settings = LaunchSettings(action_port=6123, state_dir=tmp_path)
    text = write_endpoints(settings).read_text()
    assert "url: http://127.0.0.1:6123/webhook" in text
    assert f"db: {tmp_path / 'tracker.db'}" in text


def test_both_servers_start_with_rasas_usage_reports_off_unless_asked_for(tmp_path, monkeypatch):
    monkeypatch.delenv("RASA_TELEMETRY_ENABLED", raising=False)
    assistant = Assistant(LaunchSettings(state_dir=tmp_path), tmp_path / "model.tar.gz")
    assert assistant._env("rasa")["RASA_TELEMETRY_ENABLED"] == "false"
    assert assistant._env("actions")["RASA_TELEMETRY_ENABLED"] == "false"
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "true")  # an operator's own choice stands
    assert assistant._env("rasa")["RASA_TELEMETRY_ENABLED"] == "true"


def test_bootstrap_says_what_to_install_when_python_310_is_missing(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap.sh", scripts / "bootstrap.sh")
    bin_dir = tmp_path / "bin"  # a PATH with the basic tools and no Python at all
    bin_dir.mkdir()
    for tool in ("bash", "cat", "sha256sum", "cut", "rm", "dirname", "grep", "sort", "env"):
        found = shutil.which(tool)
        if found:
            os.symlink(found, bin_dir / tool)
    result = subprocess.run(
        ["bash", str(scripts / "bootstrap.sh"), "setup"],
        cwd=tmp_path,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Python 3.10 was not found" in result.stderr
    assert "pyenv install 3.10.13" in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_bootstrap_refuses_a_python_that_is_not_310(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    shutil.copy(ROOT / "scripts" / "bootstrap.sh", scripts / "bootstrap.sh")
    fake = tmp_path / "python3.11"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(scripts / "bootstrap.sh"), "setup"],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "PYTHON": str(fake)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f"PYTHON={fake} is not a working Python 3.10" in result.stderr


def test_check_names_a_suggested_intent_the_domain_lacks(tmp_path):
    from launcher.__main__ import unknown_suggestion_intents
    from toolkit.library import load_library

    assert unknown_suggestion_intents(load_library()) == []
    library = tmp_path / "library.yml"
    text = (ROOT / "toolkit" / "client_toolkit.yml").read_text(encoding="utf-8")
    library.write_text(text.replace("      - ask_what_if\n", "      - ask_wat_if\n"), encoding="utf-8")
    assert unknown_suggestion_intents(load_library(library)) == [
        "macros.toolkit_what_if: suggest_for names the intent 'ask_wat_if', which domain.yml does not have"
    ]
