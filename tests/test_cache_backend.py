"""The shared cache's backend (``core.cache.RedisCache``) against a real,
private redis-server on 127.0.0.1."""

from __future__ import annotations

import threading

import pytest

from ispstack.core.cache import RedisCache
from tests.netbox_peer import redis_server


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as port:
        yield f"redis://127.0.0.1:{port}/0"


def test_every_operation_of_one_cache_goes_through_one_client(redis_url):
    cache = RedisCache(redis_url, {})
    client = cache._cache.get_client()
    cache.set("plan", {"name": "Fibre 100", "rate_kbit": 100_000}, 60)
    assert cache.get("plan") == {"name": "Fibre 100", "rate_kbit": 100_000}
    assert cache.get_many(["plan", "missing"]) == {
        "plan": {"name": "Fibre 100", "rate_kbit": 100_000}
    }
    assert cache.add("hits", 1)
    assert cache.incr("hits") == 2
    cache.delete("plan")
    assert cache.get("plan", "gone") == "gone"
    assert cache._cache.get_client(write=True) is client


def test_threads_sharing_the_client_read_their_own_values(redis_url):
    """redis-py takes a connection from the pool per command, so one client
    serves concurrent threads without mixing their replies."""
    cache = RedisCache(redis_url, {})
    wrong: list[tuple[int, object]] = []

    def worker(n: int) -> None:
        for i in range(200):
            cache.set(f"k{n}", (n, i), 60)
            got = cache.get(f"k{n}")
            if got != (n, i):
                wrong.append((n, got))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
