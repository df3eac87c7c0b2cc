from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import respx

from idcode_async import IdcodeClient

from .wire import BASE_URL, FIXED_TIME, TEST_AUTH_CODE, TEST_TOKEN

SANDBOX_PLUGIN = "idcode_async.testing"


def pytest_configure(config: pytest.Config) -> None:
    """Load our own pytest plugin here, not through its entry point.

    ``addopts`` blocks the entry point (``-p no:idcode_async.testing``): pytest imports entry
    point plugins before pytest-cov starts, which would hide every module-level line of the
    package from coverage.  Conftests load after it starts, so the plugin is registered now.
    """
    manager = config.pluginmanager
    if manager.get_plugin(SANDBOX_PLUGIN) is None:
        manager.unblock(SANDBOX_PLUGIN)
        manager.import_plugin(SANDBOX_PLUGIN)


@pytest.fixture
def router() -> respx.MockRouter:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
async def client(router: respx.MockRouter) -> AsyncIterator[IdcodeClient]:
    async with IdcodeClient(
        access_token=TEST_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=BASE_URL,
        clock=lambda: FIXED_TIME,
    ) as c:
        yield c
