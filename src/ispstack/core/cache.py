"""The shared cache's backend: Django's Redis cache, one client per pool.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every cache
operation, and redis-py's constructor fills a table of about 170 response
callbacks each time: a quarter of a millisecond of CPU per ``get``, three
times on every portal page. A ``redis.Redis`` is safe to share between
threads (it takes a connection from its pool for each command), so one is
kept per connection pool.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    """Django's client, reusing one ``redis.Redis`` per connection pool."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        """The ``redis.Redis`` of the pool Django picks for ``key`` and ``write``."""
        # django-stubs leaves out the client's private helpers.
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            redis_class = self._client  # type: ignore[attr-defined]
            client = self._clients[id(pool)] = redis_class(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` on ``RedisCacheClient``."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
