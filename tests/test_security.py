"""Who may reach what: signed conversation ids, the operator token, origins, headers."""

from __future__ import annotations

import asyncio
import json
import urllib.request
import uuid

import pytest

from channels.identity import ConversationIds, SecretKeyError
from settings.launch import LaunchSettings, cors_origins
from settings.read import SettingsError
from tests.helpers.conversations import new_conversation, plain_id, post_json, say
from tests.helpers.servers import local_settings
from tests.helpers.socketio_client import ChatClient

OPERATOR_TOKEN = "sec-operator-" + uuid.uuid4().hex
SECRET_KEY = "sec-signing-key-" + uuid.uuid4().hex
ALLOWED_ORIGIN = "https://shop.example.com"
WHAT_IF_START = "If at any point you have any concerns"


# --- without a server ------------------------------------------------------------------


def test_a_token_is_bound_to_its_key_and_its_id():
    ids = ConversationIds("k" * 40)
    token = ids.issue()
    conversation_id = ids.verify(token)
    assert conversation_id is not None and token.startswith(conversation_id + ".")
    assert ConversationIds("j" * 40).verify(token) is None  # another deployment's key
    other = uuid.uuid4().hex
    assert ids.verify(f"{other}.{token.split('.')[1]}") is None  # a signature moved to another id
    assert ids.verify(conversation_id) is None  # the bare id
    assert ids.verify(token + "x") is None
    assert ids.verify(token.upper()) is None
    assert ids.verify(None) is None and ids.verify(123) is None


def test_a_short_or_missing_key_is_refused(monkeypatch):
    with pytest.raises(SecretKeyError, match="at least 32"):
        ConversationIds("short")
    monkeypatch.delenv("ASSISTANT_SECRET_KEY", raising=False)
    with pytest.raises(SecretKeyError, match="not set"):
        ConversationIds.from_env()


@pytest.mark.parametrize(
    "origin",
    ["*", "https://*.example.com", "https://example.com/", "https://example.com/app", "example.com", "ftp://x.org"],
)
def test_cors_origins_must_be_exact(origin):
    with pytest.raises(SettingsError, match="not an exact origin"):
        cors_origins(origin)


def test_exact_cors_origins_are_kept():
    assert cors_origins("https://a.example.com  http://localhost:8080") == [
        "https://a.example.com",
        "http://localhost:8080",
    ]


def test_the_signing_key_is_made_once_and_kept_private(tmp_path):
    settings = LaunchSettings(state_dir=tmp_path)
    key = settings.signing_key()
    assert len(key) >= 32 and settings.signing_key() == key
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
    with pytest.raises(SettingsError, match="at least 32"):
        LaunchSettings.from_env({"ASSISTANT_SECRET_KEY": "short"})


# --- against a running assistant -----------------------------------------------------


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return local_settings(
        tmp_path_factory.mktemp("state"),
        operator_token=OPERATOR_TOKEN,
        secret_key=SECRET_KEY,
        cors=[ALLOWED_ORIGIN],
    )


def tracker(settings, conversation_id):
    return post_json(
        f"{settings.rasa_url}/conversations/{conversation_id}/tracker",
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
    )


@pytest.mark.e2e
def test_a_client_cannot_write_into_a_conversation_by_choosing_or_guessing_its_id(assistant, settings):
    url = f"{settings.rasa_url}/webhooks/rest/webhook"
    victim = new_conversation(settings.rasa_url)
    say(settings.rasa_url, victim, "my freelancer stopped answering")
    victim_id = plain_id(victim)
    attempts = [
        victim_id,  # the plain id (e.g. seen in a support ticket)
        victim_id + ".",
        f"{victim_id}.{new_conversation(settings.rasa_url).split('.')[1]}",  # someone else's signature
        victim[:-2] + "AA",
        "default",
        "../" + victim_id,
        uuid.uuid4().hex,
    ]
    for sender in attempts:
        status, body = post_json(url, {"sender": sender, "message": "I want to talk to a human"})
        assert status == 403 and "not a conversation id this server issued" in body["error"], sender
    status, state = tracker(settings, victim_id)
    assert status == 200
    assert [e["text"] for e in state["events"] if e["event"] == "user"] == ["my freelancer stopped answering"]
    assert not state["paused"]


@pytest.mark.e2e
def test_conversations_cannot_be_read_without_the_operator_token(assistant, settings):
    victim_id = plain_id(new_conversation(settings.rasa_url))
    url = f"{settings.rasa_url}/conversations/{victim_id}/tracker"
    assert post_json(url)[0] == 401
    assert post_json(url, headers={"Authorization": "Bearer " + uuid.uuid4().hex})[0] == 401
    assert post_json(url, headers={"Authorization": OPERATOR_TOKEN})[0] == 401  # no scheme
    status, body = post_json(f"{url}?token={OPERATOR_TOKEN}")
    assert status == 400 and "never accepted in a URL" in body["error"]
    assert post_json(f"{settings.rasa_url}/status")[0] == 401
    assert tracker(settings, victim_id)[0] == 200


@pytest.mark.e2e
async def test_socketio_clients_cannot_join_or_write_into_another_conversation(assistant, settings):
    async def client_with_session(offered=None):
        client = ChatClient(settings.rasa_url, timeout=30, confirm_timeout=30)
        return await client.open({"session_id": offered} if offered else {})

    victim = await client_with_session()
    victim_token = victim.token
    victim_id = plain_id(victim_token)
    # choosing the victim's plain id (or a forged token) gets a new conversation, not the victim's
    intruder = await client_with_session(offered=victim_id)
    forger = await client_with_session(offered=victim_id + ".x" * 10)
    try:
        assert plain_id(intruder.token) != victim_id and plain_id(forger.token) != victim_id
        # writing with the victim's token on one's own connection is refused
        await intruder.say("a human please", session_id=victim_token)
        kind, data = await intruder.next_event()
        assert kind == "rejected" and data["status"] == 403
        # the victim's replies go to the victim only
        await victim.say("what if my freelancer ghosts me?", session_id=victim_token)
        kind, data = await victim.next_event()
        assert kind == "bot" and data["text"].startswith(WHAT_IF_START)
        await asyncio.sleep(1.0)
        assert intruder.events.empty()
        # a reload resumes the victim's own conversation with the token it was given
        again = await client_with_session(offered=victim_token)
        await again.close()
        assert again.token == victim_token
    finally:
        for client in (victim, intruder, forger):
            await client.close()
    status, state = tracker(settings, victim_id)
    assert [e["text"] for e in state["events"] if e["event"] == "user"] == ["what if my freelancer ghosts me?"]


def _request(url, method="GET", headers=None):
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, response.headers
    except urllib.error.HTTPError as e:
        return e.code, e.headers


def _cors_headers(headers):
    """Each CORS header of a response with every value it was given (a browser refuses two)."""
    return {name: headers.get_all(name) for name in {n for n in headers if n.lower().startswith("access-control-")}}


def _websocket_status(settings, origin):
    """The status of a socket.io WebSocket handshake sent with ``origin``."""
    import base64
    import os
    import socket

    host, port = "127.0.0.1", settings.rasa_port
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=30) as conn:
        conn.sendall(request.encode())
        return int(conn.recv(4096).split(b" ", 2)[1])


@pytest.mark.e2e
def test_cors_allows_the_configured_exact_origin_only(assistant, settings):
    url = f"{settings.rasa_url}/webhooks/rest/conversations"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    _, headers = _request(url, "OPTIONS", {"Origin": ALLOWED_ORIGIN, **preflight})
    assert headers.get_all("Access-Control-Allow-Origin") == [ALLOWED_ORIGIN]
    for origin in ("https://evil.example.net", "https://shop.example.com.evil.net", "null"):
        _, headers = _request(url, "OPTIONS", {"Origin": origin, **preflight})
        assert headers.get("Access-Control-Allow-Origin") is None, origin
    # socket.io's long-polling handshake: same rule
    polling = f"{settings.rasa_url}/socket.io/?EIO=4&transport=polling"
    assert _request(polling, headers={"Origin": ALLOWED_ORIGIN})[0] == 200
    assert _request(polling, headers={"Origin": settings.rasa_url})[0] == 200  # the page's own origin
    assert _request(polling, headers={"Origin": "https://evil.example.net"})[0] == 400
    # and WebSocket: an origin not listed is refused, whatever the transport
    assert _websocket_status(settings, ALLOWED_ORIGIN) == 101
    assert _websocket_status(settings, settings.rasa_url) == 101
    assert _websocket_status(settings, "https://evil.example.net") == 400


@pytest.mark.e2e
def test_each_cors_header_comes_once_on_rest_and_socketio_responses(assistant, settings):
    """Two Access-Control-Allow-Origin values make a browser refuse the response outright."""
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    rest = f"{settings.rasa_url}/webhooks/rest/conversations"
    status, headers = _request(rest, "OPTIONS", {"Origin": ALLOWED_ORIGIN, **preflight})
    cors = _cors_headers(headers)
    assert status < 300 and cors["Access-Control-Allow-Origin"] == [ALLOWED_ORIGIN], cors
    assert "Access-Control-Allow-Methods" in cors
    assert all(len(values) == 1 for values in cors.values()), cors
    req = urllib.request.Request(rest, data=b"", method="POST", headers={"Origin": ALLOWED_ORIGIN})
    with urllib.request.urlopen(req, timeout=30) as response:
        cors = _cors_headers(response.headers)
    assert cors["Access-Control-Allow-Origin"] == [ALLOWED_ORIGIN] and all(len(v) == 1 for v in cors.values()), cors
    # socket.io long-polling: the handshake, then a poll of the session it opened
    polling = f"{settings.rasa_url}/socket.io/?EIO=4&transport=polling"
    req = urllib.request.Request(polling, headers={"Origin": ALLOWED_ORIGIN})
    with urllib.request.urlopen(req, timeout=30) as response:
        cors = _cors_headers(response.headers)
        sid = json.loads(response.read().decode()[1:])["sid"]
    assert cors["Access-Control-Allow-Origin"] == [ALLOWED_ORIGIN] and all(len(v) == 1 for v in cors.values()), cors
    for method, body in (("POST", b"40"), ("GET", None)):
        req = urllib.request.Request(
            f"{polling}&sid={sid}", data=body, method=method, headers={"Origin": ALLOWED_ORIGIN}
        )
        with urllib.request.urlopen(req, timeout=30) as response:
            cors = _cors_headers(response.headers)
        assert cors["Access-Control-Allow-Origin"] == [ALLOWED_ORIGIN], (method, cors)
        assert all(len(values) == 1 for values in cors.values()), (method, cors)
    status, headers = _request(polling, "OPTIONS", {"Origin": ALLOWED_ORIGIN, **preflight})
    cors = _cors_headers(headers)
    assert cors.get("Access-Control-Allow-Origin") == [ALLOWED_ORIGIN] and all(len(v) == 1 for v in cors.values()), cors


@pytest.mark.e2e
@pytest.mark.parametrize("path", ["/chat/", "/chat/static/widget.js", "/webhooks/rest/", "/", "/no-such-page"])
def test_security_headers_on_every_response(assistant, settings, path):
    _, headers = _request(settings.rasa_url + path)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] in ("DENY", "SAMEORIGIN")
    if path == "/chat/":
        assert "script-src 'self'" in headers["Content-Security-Policy"]
    elif headers.get("Content-Type", "").startswith("text/html"):  # a page without a policy of its own
        assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    else:
        assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    _, headers = _request(settings.rasa_url + path, headers={"X-Forwarded-Proto": "https"})
    assert headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.e2e
def test_no_secret_in_a_log_line_or_on_a_command_line(assistant, settings, log_dir):
    # traffic that carries the token, right and wrong
    victim_id = plain_id(new_conversation(settings.rasa_url))
    tracker(settings, victim_id)
    post_json(f"{settings.rasa_url}/conversations/{victim_id}/tracker?token={OPERATOR_TOKEN}")
    say(settings.rasa_url, new_conversation(settings.rasa_url), "hello")
    for name, process in assistant.processes.items():
        cmdline = open(f"/proc/{process.pid}/cmdline", "rb").read().decode()
        assert OPERATOR_TOKEN not in cmdline and SECRET_KEY not in cmdline, name
    logs = "".join(p.read_text(errors="replace") for p in log_dir.glob("*.log"))
    assert logs, "the servers wrote no log"
    assert OPERATOR_TOKEN not in logs and SECRET_KEY not in logs
