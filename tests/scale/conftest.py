"""A real ``redis-server`` for the scale-out tests: one per session, on a free port of 127.0.0.1.

No mock of Redis: the Lua scripts are the subject of the tests.  Without ``redis-server`` on
PATH the tests are skipped, with the reason, unless ``IDCODE_REQUIRE_REDIS=1`` (CI) makes that
a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ..redis_server import local_redis, redis_server_path

REQUIRE = os.environ.get("IDCODE_REQUIRE_REDIS") == "1"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The URL of a session-wide redis-server (skipped, or failed under CI, without one)."""
    if redis_server_path() is None:
        reason = "redis-server is not on PATH (apt-get install redis-server)"
        if REQUIRE:
            pytest.fail(f"IDCODE_REQUIRE_REDIS=1 but {reason}")
        pytest.skip(reason)
    with local_redis() as url:
        yield url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The server, emptied before each test."""
    import redis

    client = redis.Redis.from_url(redis_server)
    client.flushall()
    client.close()
    return redis_server


@pytest.fixture
def sync_redis(redis_url: str) -> Iterator[object]:
    from idcode_async.scale._redis import connect_sync

    client = connect_sync(redis_url)
    yield client
    client.close()
