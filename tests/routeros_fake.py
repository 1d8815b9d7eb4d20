"""A protocol-level fake of the MikroTik RouterOS API, for the router adapter's
tests: no RouterOS simulator exists that a test could start, so this server
speaks the API's own wire format on TCP 127.0.0.1 and keeps the menus in
memory.

What it implements, as RouterOS documents the API: words with their
variable-length prefix, sentences ending in an empty word, replies ``!re``,
``!done`` (with ``=ret=`` after ``add``) and ``!trap`` followed by ``!done``;
``/login`` with name and password in the sentence (RouterOS 6.43 and later);
and on any menu path ``print`` (``=.proplist=`` and equality queries
``?name=value`` / ``?=name=value``, combined with AND), ``add``, ``set`` and
``remove`` (``=.id=`` lists). ``add`` refuses a second row with the same
unique key (``name``; ``list`` + ``address`` on address lists) as RouterOS
does. Every write is kept in ``writes`` so a test can check that a dry run
sent none.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from librouteros.protocol import decode_length, determine_length, encode_sentence

UNIQUE = {"/ip/firewall/address-list": ("list", "address")}


@dataclass
class FakeRouter:
    """The fake's state: ``tables`` maps a menu path (``/ppp/secret``) to its
    rows (dicts with ``.id`` ``*1``...); ``writes`` lists each ``add``, ``set``
    and ``remove`` as ``(command, attributes)``."""

    username: str = "api"
    password: str = "secret"
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    writes: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    logins: int = 0
    next_id: int = 1
    lock: threading.Lock = field(default_factory=threading.Lock)
    host: str = "127.0.0.1"
    port: int = 0

    def rows(self, path: str) -> list[dict[str, str]]:
        return self.tables.setdefault(path, [])

    def handle(self, command: str, words: list[str], logged_in: bool) -> list[list[str]]:
        """The reply sentences for one request sentence."""
        attributes = {}
        queries = []
        for word in words:
            if word.startswith("="):
                key, _, value = word[1:].partition("=")
                attributes[key] = value
            elif word.startswith("?"):
                body = word[2:] if word.startswith("?=") else word[1:]
                key, _, value = body.partition("=")
                queries.append((key, value))
        if command == "/login":
            if (
                attributes.get("name") == self.username
                and attributes.get("password") == self.password
            ):
                self.logins += 1
                return [["!done"]]
            return [["!trap", "=message=invalid user name or password (6)"], ["!done"]]
        if not logged_in:
            return [["!fatal", "not logged in"]]
        path, _, verb = command.rpartition("/")
        with self.lock:
            rows = self.rows(path)
            if verb == "print":
                return self._print(rows, attributes, queries)
            if verb == "add":
                return self._add(path, rows, attributes)
            if verb == "set":
                return self._set(path, rows, attributes)
            if verb == "remove":
                return self._remove(path, rows, attributes)
        return [["!trap", "=message=no such command"], ["!done"]]

    def _print(self, rows: list[dict[str, str]], attributes: dict[str, str], queries: list[Any]):
        proplist = attributes.get(".proplist")
        replies = []
        for row in rows:
            if all(row.get(k) == v for k, v in queries):
                shown = {k: row[k] for k in proplist.split(",") if k in row} if proplist else row
                replies.append(["!re", *(f"={k}={v}" for k, v in shown.items())])
        return [*replies, ["!done"]]

    def _add(self, path: str, rows: list[dict[str, str]], attributes: dict[str, str]):
        unique = UNIQUE.get(path, ("name",))
        if all(k in attributes for k in unique) and any(
            all(row.get(k) == attributes[k] for k in unique) for row in rows
        ):
            return [["!trap", "=message=failure: already have such entry"], ["!done"]]
        row_id = f"*{self.next_id:X}"
        self.next_id += 1
        rows.append({".id": row_id, **attributes})
        self.writes.append((f"{path}/add", attributes))
        return [["!done", f"=ret={row_id}"]]

    def _set(self, path: str, rows: list[dict[str, str]], attributes: dict[str, str]):
        row_id = attributes.pop(".id", "")
        for row in rows:
            if row[".id"] == row_id:
                row.update(attributes)
                self.writes.append((f"{path}/set", {".id": row_id, **attributes}))
                return [["!done"]]
        return [["!trap", "=message=no such item"], ["!done"]]

    def _remove(self, path: str, rows: list[dict[str, str]], attributes: dict[str, str]):
        ids = attributes.get(".id", "").split(",")
        if not all(any(row[".id"] == i for row in rows) for i in ids):
            return [["!trap", "=message=no such item"], ["!done"]]
        rows[:] = [row for row in rows if row[".id"] not in ids]
        self.writes.append((f"{path}/remove", attributes))
        return [["!done"]]


def _read_word(sock: socket.socket) -> str | None:
    first = _read_exactly(sock, 1)
    if first is None:
        return None
    rest = _read_exactly(sock, determine_length(first)) if determine_length(first) else b""
    if rest is None:
        return None
    length = decode_length(first + rest)
    data = _read_exactly(sock, length) if length else b""
    return None if data is None else data.decode()


def _read_exactly(sock: socket.socket, count: int) -> bytes | None:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            return None
        data += chunk
    return data


class _Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        router: FakeRouter = self.server.router  # type: ignore[attr-defined]
        logged_in = False
        while True:
            sentence: list[str] = []
            while True:
                word = _read_word(self.request)
                if word is None:
                    return
                if word == "":
                    break
                sentence.append(word)
            if not sentence:
                continue
            replies = router.handle(sentence[0], sentence[1:], logged_in)
            if sentence[0] == "/login" and replies[0][0] == "!done":
                logged_in = True
            for reply in replies:
                self.request.sendall(encode_sentence(*reply, encoding="utf-8"))
            if replies[0][0] == "!fatal":
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def fake_routeros(**kwargs: Any) -> Iterator[FakeRouter]:
    """A running fake on 127.0.0.1 (a free port: ``router.port``), stopped on exit."""
    router = FakeRouter(**kwargs)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.router = router  # type: ignore[attr-defined]
    router.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield router
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
