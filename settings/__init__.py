"""Every environment variable the assistant reads, in one place, typed.

``settings/variables.py`` declares each variable once: its name, type,
default and what it does (docs/configuration.md is the same table, and a test
keeps the two in step). The other modules turn the environment into settings
objects for the part that needs them, and a value that cannot be used raises
``SettingsError`` naming the variable and what is wrong (never echoing a
secret); the launcher checks them all before anything starts.

- ``launch``: the launcher's (``LaunchSettings``: ports, state, services);
- ``desk``: the agent side's (``DeskSettings``: agents, waits, webhook);
- ``channels``: the client channels' (``ChannelSettings``: origins, signing key);
- ``handover``: where hand-overs are stored, whether a help desk gets them.

No other module reads ``os.environ`` (a test checks).
"""

from settings.read import SettingsError

__all__ = ["SettingsError"]
