"""The hand-over: a conversation the bot passed to a person, as one concept.

Used by the action server (the hand-over action writes the record) and by the
Rasa server (the agent desk reads and changes it, the help-desk webhook
delivers it); neither side imports the other, both import this package.

- ``records``: the record, its steps, statuses and errors;
- ``schema``: the tables and the database connection;
- ``store``: hand-overs and their steps (``HandOverStore``), with
  ``feedback`` (what agents did with suggestions) and ``outbox`` (deliveries
  to an external help desk) on the same database;
- ``conversation``: transcript, topic, reason and priority from a conversation;
- ``webhook``: the payload a help desk receives, its signature, its delivery.
"""
