"""Everything that replaces or patches a part of Rasa, in one place.

Each module replaces one internal of Rasa Open Source 3.6.21, says why (with
what was measured) and names the test that compares it with Rasa's own
behaviour; ``rasa_runtime.install.install()`` applies them all, in order,
after checking that the installed Rasa is exactly the one they were written
for. docs/architecture.md lists them. The two servers start through
``rasa_runtime.rasa_server`` and ``rasa_runtime.action_server``.
"""
