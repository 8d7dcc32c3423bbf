"""The environment variables, declared once each: name, type, default, meaning.

docs/configuration.md shows this table to people; tests/test_settings.py
checks that it lists exactly these variables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    default: str
    meaning: str


VARIABLES: Dict[str, Variable] = {}


def declare(name: str, type_: str, default: str, meaning: str) -> str:
    if name in VARIABLES:
        raise ValueError(f"{name} is declared twice")
    VARIABLES[name] = Variable(name, type_, default, meaning)
    return name


# --- where the servers run ----------------------------------------------------
HOST = declare("ASSISTANT_HOST", "interface", "127.0.0.1", "the interface both servers listen on")
RASA_PORT = declare("RASA_PORT", "port", "5005", "the Rasa server's port")
ACTION_PORT = declare("ACTION_PORT", "port", "5055", "the action server's port")
STATE_DIR = declare("ASSISTANT_STATE_DIR", "folder", "state/", "where conversations and hand-overs live by default")
SERVERS = declare("ASSISTANT_SERVERS", "list", "actions rasa", "which of the two servers this machine runs")
ACTION_SERVER_URL = declare("ACTION_SERVER_URL", "http(s) URL", "unset", "another machine's action server")

# --- security -----------------------------------------------------------------
OPERATOR_TOKEN = declare(  # noqa: S105 - the variable's name, not a token
    "RASA_OPERATOR_TOKEN", "secret", "unset", "turns Rasa's HTTP API on, guarded by this bearer token"
)
SECRET_KEY = declare(  # noqa: S105 - the variable's name, not a key
    "ASSISTANT_SECRET_KEY", "secret (32+ characters)", "state/secret.key", "signs conversation ids"
)
CORS_ORIGINS = declare("ASSISTANT_CORS_ORIGINS", "list of origins", "unset", "origins allowed to call from a browser")
PRIVACY_MASKING = declare("ASSISTANT_PRIVACY_MASKING", "on, off or kinds", "on", "masks e-mail, phone and card numbers")

# --- content ------------------------------------------------------------------
TOOLKIT_LIBRARY = declare("TOOLKIT_LIBRARY", "file", "toolkit/client_toolkit.yml", "the macro library to serve")

# --- hand-overs and the agent side --------------------------------------------
HANDOVER_DB_URL = declare("HANDOVER_DB_URL", "SQLAlchemy URL", "sqlite:///state/handovers.db", "where hand-overs are")
AGENT_TOKENS = declare(  # noqa: S105 - the variable's name
    "ASSISTANT_AGENT_TOKENS", "name:token list", "unset", "the agents and their tokens; unset, the agent side is off"
)
WAIT_LIMIT = declare("HANDOVER_WAIT_LIMIT_SECONDS", "seconds", "600", "when a waiting client is told of the e-mail")
WEBHOOK_URL = declare("HANDOVER_WEBHOOK_URL", "http(s) URL", "unset", "an external help desk that gets hand-overs")
WEBHOOK_SECRET = declare(  # noqa: S105 - the variable's name
    "HANDOVER_WEBHOOK_SECRET", "secret (16+ characters)", "unset", "signs deliveries to the help desk"
)
WEBHOOK_RETRY = declare("HANDOVER_WEBHOOK_RETRY_SECONDS", "seconds", "5", "first retry of a failed delivery")
MIN_CONFIDENCE = declare("AGENT_SUGGESTION_MIN_CONFIDENCE", "0 to 1", "0.3", "suggestions below it are not shown")
CHECK_INTERVAL = declare("DESK_CHECK_INTERVAL_SECONDS", "seconds", "5", "how often waits and the outbox are checked")
# presence, working hours and log-in protection (issue 16)
HOURS_FILE = declare("DESK_HOURS_FILE", "file", "desk-hours.yml", "the team's working hours, holidays and time zone")
LOGIN_MAX_FAILURES = declare(
    "DESK_LOGIN_MAX_FAILURES", "count", "5", "wrong agent tokens from one address (or for one agent) before a 429"
)
LOGIN_WINDOW = declare("DESK_LOGIN_WINDOW_SECONDS", "seconds", "300", "the window those failures are counted in")
RERAISE = declare("DESK_RERAISE_SECONDS", "seconds", "120", "a hand-over unclaimed this long is raised again")

# --- scale-out ----------------------------------------------------------------
TRACKER_DB_URL = declare("TRACKER_DB_URL", "SQLAlchemy URL", "unset", "conversations in this database")
LOCK_STORE_URL = declare("LOCK_STORE_URL", "redis:// URL", "unset", "conversation locks in Redis")
LOCK_STORE_PREFIX = declare("LOCK_STORE_PREFIX", "letters and digits", "unset", "the lock keys' prefix")
EVENT_BROKER_URL = declare("EVENT_BROKER_URL", "amqp:// URL", "unset", "every event to RabbitMQ")
EVENT_BROKER_QUEUE = declare("EVENT_BROKER_QUEUE", "name", "rasa_events", "the broker's queue")
EVENT_BROKER_EXCHANGE = declare("EVENT_BROKER_EXCHANGE", "name", "rasa-exchange", "the broker's exchange")
SOCKETIO_QUEUE = declare("SOCKETIO_MESSAGE_QUEUE", "redis:// URL", "LOCK_STORE_URL", "socket.io emits across replicas")
SOCKETIO_CHANNEL = declare("SOCKETIO_CHANNEL", "name", "toolkit-socketio", "the Redis channel of those emits")

# --- set-up and tests ---------------------------------------------------------
PYTHON = declare("PYTHON", "file", "found", "the Python 3.10 to build .venv with (scripts/bootstrap.sh)")
CHROMIUM_PATH = declare("CHROMIUM_PATH", "file", "chromium on the PATH", "the Chromium the browser tests drive")

# --- the review inbox (review/) -------------------------------------------------
REVIEWERS = declare("ASSISTANT_REVIEWERS", "list of agent names", "every agent", "who may label in the review inbox")
REVIEW_DATA_DIR = declare("REVIEW_DATA_DIR", "folder", "data/", "training data the review export writes into")
# --- insights and metrics -----------------------------------------------------
INSIGHTS_WINDOW = declare("INSIGHTS_WINDOW_HOURS", "hours", "24", "a quiet conversation counts as over after this")
METRICS_TOKEN = declare(  # noqa: S105 - the variable's name
    "METRICS_TOKEN", "secret (16+ characters)", "unset", "a bearer token for GET /metrics besides the operator token"
)
