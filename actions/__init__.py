"""Custom actions of the Client Toolkit assistant (rasa-sdk imports every module here)."""
