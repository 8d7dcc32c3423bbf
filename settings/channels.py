"""Settings of the client channels, read in the Rasa server (the launcher passes them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Mapping, Optional

from settings import variables as v
from settings.read import Env

DEFAULT_SOCKETIO_CHANNEL = "toolkit-socketio"


@dataclass(frozen=True)
class ChannelSettings:
    # exact origins a browser page may call from (checked by the launcher)
    cors_origins: List[str] = field(default_factory=list)
    # several replicas: socket.io emits go through this Redis
    socketio_queue: Optional[str] = None
    socketio_channel: str = DEFAULT_SOCKETIO_CHANNEL

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> ChannelSettings:
        read = Env(env)
        return cls(
            cors_origins=read.words(v.CORS_ORIGINS),
            socketio_queue=read.text(v.SOCKETIO_QUEUE),
            socketio_channel=read.text(v.SOCKETIO_CHANNEL) or DEFAULT_SOCKETIO_CHANNEL,
        )


def secret_key(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The key that signs conversation ids (the launcher sets it for the Rasa server)."""
    return Env(env).raw(v.SECRET_KEY)


def operator_token(env: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The token that guards Rasa's HTTP API; None leaves the API off."""
    return Env(env).raw(v.OPERATOR_TOKEN)
