"""The doors to redis-py: the client (imported only with the ``redis`` extra) and connections
from a URL, every one decoding replies as UTF-8 text."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._extra import require

require("redis")

import redis  # noqa: E402 - after the friendly check of the extra
from redis.exceptions import RedisError, ResponseError  # noqa: E402

__all__ = [
    "RedisError",
    "ResponseError",
    "SyncRedis",
    "connect_sync",
    "connection",
    "microseconds",
]

SyncRedis = redis.Redis

_OPTIONS: dict[str, Any] = {"decode_responses": True, "health_check_interval": 30}


def connect_sync(url: str) -> redis.Redis:
    """A blocking client: the stores and the pacer call it from worker threads (anyio), so
    nothing here ties the SDK to one event loop."""
    client: redis.Redis = redis.Redis.from_url(url, **_OPTIONS)
    return client


@contextmanager
def connection(redis: redis.Redis | str) -> Iterator[redis.Redis]:
    """``redis`` itself, or a client for the URL ``redis``, closed at the end of the block."""
    if not isinstance(redis, str):
        yield redis
        return
    client = connect_sync(redis)
    try:
        yield client
    finally:
        client.close()


def microseconds(seconds: float) -> int:
    """Durations go to the scripts in whole microseconds, the unit of Redis ``TIME``."""
    return round(seconds * 1_000_000)
