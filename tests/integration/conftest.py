from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from idcode_async import IdcodeClient
from idcode_async.sandbox import Sandbox

from .flows import register_unit


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(approval_delay=0) as instance:
        yield instance


@pytest.fixture
async def centre(sandbox: Sandbox) -> AsyncIterator[IdcodeClient]:
    """The test's own client of the sandbox, to set up units and check what it knows."""
    async with sandbox.client() as client:
        yield client


@pytest.fixture
async def unit(centre: IdcodeClient) -> str:
    """A unit registered with 309: its main code, e.g. ``i.86.110105.1``."""
    return await register_unit(centre)
