"""`make run` with no agents on loopback: one local agent, kept in state/, and a log-in link."""

from __future__ import annotations

import stat

from launcher.trial import TOKEN_FILE, login_link, trial_agent
from settings.desk import DeskSettings
from settings.launch import LaunchSettings


def test_a_loopback_run_without_agents_gets_one_local_agent_kept_for_later_runs(tmp_path):
    settings = LaunchSettings(state_dir=tmp_path)
    name, token = trial_agent(settings, DeskSettings())
    assert name == "local" and len(token) >= 32
    # the Rasa server gets it as any configured agent, so the desk is on
    assert DeskSettings.from_env(settings.env).agents == {"local": token}
    path = tmp_path / TOKEN_FILE
    assert path.read_text().strip() == token
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # the link carries the token in its fragment, which no server receives
    assert login_link(settings, token) == f"http://127.0.0.1:5005/agent/#token={token}"
    again = LaunchSettings(state_dir=tmp_path)
    assert trial_agent(again, DeskSettings()) == ("local", token)


def test_configured_agents_get_no_trial_agent(tmp_path):
    desk = DeskSettings.from_env({"ASSISTANT_AGENT_TOKENS": "alice:alice-token-0123456789"})
    settings = LaunchSettings(state_dir=tmp_path)
    assert trial_agent(settings, desk) is None
    assert settings.env == {} and not (tmp_path / TOKEN_FILE).exists()


def test_a_server_bound_beyond_loopback_gets_no_trial_agent(tmp_path):
    for host in ("0.0.0.0", "192.168.1.20", "::"):  # noqa: S104 - the binds under test
        settings = LaunchSettings(host=host, state_dir=tmp_path)
        assert trial_agent(settings, DeskSettings()) is None
        assert settings.env == {}
    assert not (tmp_path / TOKEN_FILE).exists()
    assert trial_agent(LaunchSettings(host="localhost", state_dir=tmp_path), DeskSettings()) is not None
