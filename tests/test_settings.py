"""settings/: every environment variable declared once, documented, and read nowhere else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings.channels import ChannelSettings
from settings.desk import DeskSettings
from settings.launch import LaunchSettings
from settings.read import Env, SettingsError
from settings.variables import VARIABLES

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "actions",
    "bench",
    "channels",
    "desk",
    "handover",
    "launcher",
    "privacy",
    "rasa_runtime",
    "settings",
    "spacy_pipeline",
    "toolkit",
    "web",
)
# a read of the environment: os.environ.get(...), os.getenv(...), os.environ["X"] not assigned to
_ENV_READ = re.compile(r"os\.environ\.get\(|os\.getenv\(|os\.environ\[[^\]]+\](?!\s*=[^=])")


def documented_variables() -> list:
    """The first column of the table in docs/configuration.md, in order."""
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    table = text.split("## The variables", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", table, flags=re.MULTILINE)


def test_the_configuration_page_lists_every_declared_variable_once():
    documented = documented_variables()
    assert len(documented) == len(set(documented)), "a variable has two rows in docs/configuration.md"
    assert set(documented) == set(VARIABLES), (
        f"only in docs: {sorted(set(documented) - set(VARIABLES))}; "
        f"only in settings/variables.py: {sorted(set(VARIABLES) - set(documented))}"
    )


def test_no_module_outside_settings_reads_the_environment():
    offenders = []
    for package in PACKAGES:
        if package == "settings":
            continue
        for path in sorted((ROOT / package).rglob("*.py")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if _ENV_READ.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "read these through settings/:\n" + "\n".join(offenders)


def test_an_undeclared_variable_cannot_be_read():
    with pytest.raises(KeyError, match="NOT_A_SETTING is not declared in settings/variables.py"):
        Env({"NOT_A_SETTING": "x"}).raw("NOT_A_SETTING")


def test_the_defaults_are_a_local_run():
    launch = LaunchSettings.from_env({})
    assert (launch.host, launch.rasa_port, launch.action_port) == ("127.0.0.1", 5005, 5055)
    assert launch.servers == ("actions", "rasa") and launch.privacy_masking == "on"
    desk = DeskSettings.from_env({})
    assert not desk.agents_enabled and not desk.webhook_enabled and desk.wait_limit_seconds == 600
    channels = ChannelSettings.from_env({})
    assert channels.cors_origins == [] and channels.socketio_queue is None


def test_every_bad_value_is_named_at_once_without_echoing_a_url():
    with pytest.raises(SettingsError) as error:
        LaunchSettings.from_env(
            {
                "RASA_PORT": "http",
                "ACTION_PORT": "70000",
                "LOCK_STORE_URL": "http://user:s3cret@redis",
                "ASSISTANT_SERVERS": "rasa web",
                "ASSISTANT_PRIVACY_MASKING": "iban",
            }
        )
    message = str(error.value)
    assert message.startswith("invalid settings:")
    for says in (
        "RASA_PORT='http' is not a port number",
        "ACTION_PORT='70000' is not a port number",
        "LOCK_STORE_URL must be a redis:// or rediss:// URL",
        "ASSISTANT_SERVERS lists 'actions', 'rasa' or both",
        "unknown kind iban",
    ):
        assert says in message
    assert "s3cret" not in message
