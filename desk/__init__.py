"""The agent side of the assistant: agent assist, the hand-over desk and its outbound webhook."""
