"""Another web site on loopback: a few files served from their own port, for the embedding tests."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Dict, Iterator, Tuple

# path -> (body, content type)
Files = Dict[str, Tuple[bytes, str]]


@contextmanager
def static_site(port: int, files: Files) -> Iterator[int]:
    """Serves ``files`` on 127.0.0.1:``port`` (reach it as localhost for another site, 127.0.0.1 for another origin)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            path = self.path.split("?")[0]
            body, content_type = files.get(path, (b"not found", "text/plain"))
            self.send_response(200 if path in files else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
