"""What the HTTP benchmarks (``console.py``, ``portal.py``, ``api.py``) share:
their own database on the machine's server, the shared Redis cache, the
server they measure against its floor, and the concurrent clients.

The server is waitress serving the WSGI application as ``ispstack serve``
does, started as a child process (the benchmark script itself, run with
``--serve-on PORT``) on a free port of 127.0.0.1, with the application's
URLs plus the floor: a bare view that reads one customer by primary key and
returns its name, on the same middleware stack.
"""

from __future__ import annotations

import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable
from typing import Any

from common import database_url, libpq, setup_django

#: The floor's URL, ``{pk}`` the customer's id.
FLOOR_URL = "/bench/floor/{pk}/"


def server_database_exists(name: str) -> bool:
    """Whether the machine's PostgreSQL server has a database ``name``."""
    import psycopg

    with psycopg.connect(libpq(database_url("postgres")), autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def create_database(name: str) -> None:
    """(Re)create the empty database ``name`` on the machine's server."""
    import psycopg

    with psycopg.connect(libpq(database_url("postgres")), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def redis_url(wanted: str | None) -> str:
    """``--redis``, else the local Redis' database 15 when it answers, else ""."""
    if wanted is not None:
        return wanted
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            if sock.recv(16).startswith(b"+PONG"):
                return "redis://127.0.0.1:6379/15"
    except OSError:
        pass
    return ""


def use_redis(wanted: str | None) -> str:
    """Give the server the shared cache as production does: ``REDIS_CACHE_URL``
    set to ``wanted`` (the ``--redis`` option), else to the environment's,
    else to the local Redis' database 15 when it answers; removed when that
    is "". Returns the URL used ("" for none)."""
    url = redis_url(wanted if wanted is not None else os.environ.get("REDIS_CACHE_URL"))
    if url:
        os.environ["REDIS_CACHE_URL"] = url
    else:
        os.environ.pop("REDIS_CACHE_URL", None)
    return url


def _built_size() -> tuple[int, ...] | None:
    """The size a finished build recorded in ``bench_size``, or None."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_size')")
        if cur.fetchone()[0] is None:
            return None
        cur.execute("SELECT size FROM bench_size")
        row = cur.fetchone()
    return tuple(row[0]) if row else None


def use_database(
    name: str,
    wanted: tuple[int, ...],
    build: Callable[..., None],
    *,
    rebuild: bool,
    what: str,
) -> None:
    """Point this process (and the server it starts) at the benchmark's own
    database ``name`` on the machine's server, with Django set up on it, and
    make sure it holds data of the size ``wanted``: reused (migrated to the
    current schema) when the last build recorded that size (table
    ``bench_size``, written once ``build`` finished), else built from an
    empty database by ``build(*wanted)``; ``rebuild`` always builds. ``what``
    names the data in the printed line."""
    fresh = rebuild or not server_database_exists(name)
    if fresh:
        create_database(name)
    os.environ["DATABASE_URL"] = database_url(name)
    setup_django()
    size = None if fresh else _built_size()
    if size == wanted:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"Reusing {name}: {what}.", flush=True)
        return
    if size is not None or not fresh:
        from django.db import connections

        connections.close_all()
        create_database(name)
    print(f"Building {what} into {name}...", flush=True)
    build(*wanted)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_size (size integer[])")
        cur.execute("INSERT INTO bench_size VALUES (%s)", [list(wanted)])


def floor_view(request: Any, pk: int) -> Any:
    """The floor: the same customer read by primary key, on the same stack."""
    from django.http import HttpResponse

    from ispstack.customers.models import Customer

    return HttpResponse(Customer.objects.get(pk=pk).name)


def _install_floor_urls(extra: list[Any]) -> None:
    from django.conf import settings
    from django.urls import clear_url_caches, path

    from ispstack import urls

    module = types.ModuleType("bench_floor_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path(FLOOR_URL.replace("{pk}", "<int:pk>").lstrip("/"), floor_view),
        *extra,
        *urls.urlpatterns,
    ]
    sys.modules["bench_floor_urls"] = module
    settings.ROOT_URLCONF = "bench_floor_urls"
    clear_url_caches()


def p95(samples: list[float]) -> float:
    """The 95th percentile of ``samples`` (milliseconds)."""
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def serve(port: int, threads: int, floors: Any = None) -> None:
    """The server the measurements talk to: waitress with ``threads``
    threads, the application's URLs plus the floor view and the URL patterns
    ``floors()`` returns, called once Django is set up (no static files are
    requested, so none are collected)."""
    from waitress import serve as waitress_serve

    setup_django()
    _install_floor_urls(floors() if floors else [])
    from ispstack.wsgi import application

    # More clients than threads queue by design: waitress' warning on each
    # queued request would bury the report.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    waitress_serve(application, host="127.0.0.1", port=port, threads=threads, _quiet=True)


def run_clients(sessions: list[Any], base: str, urls: list[str], count: int) -> list[float]:
    """Each session requests its URL ``count`` times, all at once (a thread
    each, started together); the milliseconds of every request, body read.
    Raises SystemExit on an answer other than 200."""
    samples: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(sessions))

    def client(http: Any, url: str) -> None:
        mine = []
        start.wait()
        for _ in range(count):
            began = time.perf_counter()
            try:
                answer = http.get(base + url, allow_redirects=False)
                _ = answer.content
            except Exception as exc:  # noqa: BLE001 - reported, and fails the run
                with lock:
                    errors.append(f"{url}: {exc}")
                return
            mine.append((time.perf_counter() - began) * 1000)
            if answer.status_code != 200:
                with lock:
                    errors.append(f"{url} answered {answer.status_code}")
                return
        with lock:
            samples.extend(mine)

    threads = [
        threading.Thread(target=client, args=(http, url))
        for http, url in zip(sessions, urls, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} client(s) failed, first: {errors[0]}")
    return samples


def against_floor(
    sessions: list[Any], base: str, page_urls: list[str], floor_urls: list[str], requests: int
) -> tuple[float, float, int]:
    """p95 of the page and of its floor (ms) and the requests of each: both
    warmed (threads, connections, caches), then each client requests its
    floor and its page ``requests`` times, alternating in halves so that
    drift on a shared machine hits both alike (``run_clients``)."""
    run_clients(sessions, base, page_urls, 2)
    run_clients(sessions, base, floor_urls, 2)
    page: list[float] = []
    floor: list[float] = []
    for half in (requests // 2, requests - requests // 2):
        floor += run_clients(sessions, base, floor_urls, half)
        page += run_clients(sessions, base, page_urls, half)
    return p95(page), p95(floor), len(page)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(script: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``script --serve-on PORT`` (the benchmark's own server) in a
    child process and wait until it listens; returns it and its base URL.
    Exits when it does not listen within three minutes."""
    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, os.path.abspath(script), "--serve-on", str(port)],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return child, f"http://127.0.0.1:{port}"
        except OSError:
            if child.poll() is not None:
                raise SystemExit("the server process exited before listening") from None
            time.sleep(0.2)
    child.kill()
    raise SystemExit("the server did not listen within 180 s")
