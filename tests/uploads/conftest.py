"""Fixtures of the upload tests that talk to a sandbox (in-process, through the SDK)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from idcode_async import IdcodeClient, RetryPolicy
from idcode_async.sandbox import Sandbox

from .target import Target, register_target


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(approval_delay=0) as instance:
        yield instance


@pytest.fixture
async def sandbox_client(sandbox: Sandbox) -> AsyncIterator[IdcodeClient]:
    async with sandbox.client(retry=RetryPolicy(max_retries=2, backoff_base=0.001)) as client:
        yield client


@pytest.fixture
async def target(sandbox_client: IdcodeClient) -> Target:
    return await register_target(sandbox_client)
