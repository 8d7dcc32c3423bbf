"""Rasa input channels of the assistant (configured in credentials.yml)."""
