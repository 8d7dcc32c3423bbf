"""A REST-only client's long-poll, GET /webhooks/rest/updates (channels/longpoll.py), as the tests call it."""

from __future__ import annotations

import threading
import time
import urllib.parse

from tests.helpers.agents import call


def updates(server, token, after=None, wait=None):
    """(status, answer) of GET /webhooks/rest/updates."""
    query = {"conversation_id": token}
    if after is not None:
        query["after"] = after
    if wait is not None:
        query["wait"] = wait
    status, answer, _ = call(f"{server.rasa_url}/webhooks/rest/updates?{urllib.parse.urlencode(query)}")
    return status, answer


class Waiting(threading.Thread):
    """An updates call waiting in the background: its answer and how long it took."""

    def __init__(self, server, token, after, wait=25):
        super().__init__(daemon=True)
        self.args_ = (server, token, after, wait)
        self.answer = None
        self.seconds = None
        self.start()
        time.sleep(0.5)  # it is waiting now

    def run(self):
        began = time.monotonic()
        self.answer = updates(*self.args_)
        self.seconds = time.monotonic() - began

    def result(self):
        self.join(timeout=40)
        assert not self.is_alive(), "the updates call did not answer"
        return self.answer
