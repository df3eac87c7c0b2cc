from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

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


@pytest.fixture(scope="module", params=["orjson", "json"])
def each_json_parser(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run a module once with orjson parsing first (the "speedups" extra) and once with the
    standard parser alone, as an install without the extra does."""
    from idcode_async import _converter

    saved = _converter._strict_loads
    if request.param == "json":
        _converter._strict_loads = _converter._no_fast_parser
    elif saved is _converter._no_fast_parser:
        pytest.skip("orjson is not installed")
    try:
        yield request.param
    finally:
        _converter._strict_loads = saved
