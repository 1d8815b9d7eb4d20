"""Recorded responses of GenieACS's documented NBI, replayed by a small HTTP
server on 127.0.0.1: GenieACS is not in the package registries this project
installs from, so no real ACS can run in the tests.

The documented answers: ``GET /devices/?query=...`` returns the JSON array of
matching devices (``tests/fixtures/genieacs/devices_*.json``, in the NBI's
``_value`` / ``_timestamp`` shape), ``POST /devices/<id>/tasks`` returns the
task with 200 when the CPE ran it and 202 when it was queued, ``POST`` /
``DELETE /devices/<id>/tags/<tag>`` return 200, and an unknown device id 404.
The server records every request so tests check what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).parent / "fixtures" / "genieacs"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0


@dataclass
class RecordedNbi:
    """Replays ``replies`` keyed by (method, first path segment after the
    device id: "devices", "tasks", "tags"); ``requests`` records
    (method, path, query, JSON body)."""

    replies: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, list[str]], object]] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    url: str = ""

    def reply(self, method: str, kind: str, *replies: Reply) -> None:
        self.replies[(method, kind)] = list(replies)

    def answer(self, method: str, path: str) -> Reply:
        parts = [p for p in path.split("/") if p]
        kind = parts[2] if len(parts) > 2 else parts[0]
        queue = self.replies.get((method, kind)) or [Reply(404, b"No such route")]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@contextmanager
def recorded_nbi() -> Iterator[RecordedNbi]:
    nbi = RecordedNbi()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            nbi.requests.append(
                (
                    self.command,
                    unquote(parts.path),
                    parse_qs(parts.query, keep_blank_values=True),
                    json.loads(raw) if raw else None,
                )
            )
            nbi.authorizations.append(self.headers.get("Authorization", ""))
            reply = nbi.answer(self.command, parts.path)
            time.sleep(reply.delay)
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

        do_GET = do_POST = do_DELETE = _serve

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    nbi.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield nbi
    finally:
        server.shutdown()
        server.server_close()
