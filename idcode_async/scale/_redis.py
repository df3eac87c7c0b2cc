"""Typed doors to redis-py: connections from a URL and Lua scripts.

redis-py's ``from_url`` and script calls are untyped (they return ``Any`` or
``Awaitable[Any] | Any``); these helpers pin the types once, so that the rest of the package
is checked strictly.  Every connection decodes replies as UTF-8 text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from ._lazy import require

require("redis")

import redis  # noqa: E402 - after the friendly check of the extra
import redis.asyncio  # noqa: E402
from redis.commands.core import AsyncScript, Script  # noqa: E402
from redis.exceptions import RedisError, ResponseError  # noqa: E402

__all__ = [
    "AsyncRedis",
    "AsyncScript",
    "RedisError",
    "ResponseError",
    "Script",
    "SyncRedis",
    "connect_async",
    "connect_sync",
    "run_async",
    "run_sync",
]

AsyncRedis = redis.asyncio.Redis
SyncRedis = redis.Redis

_OPTIONS: dict[str, Any] = {"decode_responses": True, "health_check_interval": 30}


def connect_async(url: str) -> redis.asyncio.Redis:
    """An asyncio client (the pacer: it waits on the event loop)."""
    return cast(redis.asyncio.Redis, redis.asyncio.Redis.from_url(url, **_OPTIONS))


def connect_sync(url: str) -> redis.Redis:
    """A blocking client (the journal: the runner calls it from worker threads)."""
    client: redis.Redis = redis.Redis.from_url(url, **_OPTIONS)
    return client


async def run_async(script: AsyncScript, keys: Sequence[str], args: Sequence[Any]) -> Any:
    """Run an async Lua script (EVALSHA, loading it if the server does not know it)."""
    return await script(keys=list(keys), args=list(args))


def run_sync(script: Script, keys: Sequence[str], args: Sequence[Any]) -> Any:
    return script(keys=list(keys), args=list(args))
