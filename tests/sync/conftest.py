"""A sandbox served on 127.0.0.1 for the blocking client: real HTTP from real threads."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from idcode_async import SyncIdcodeClient
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh centre; no signature the SDK produced may fail its verifier."""
    with Sandbox(approval_delay=0) as instance:
        yield instance
        assert instance.stats()["signature_failures"] == 0


@pytest.fixture
def sandbox_url(sandbox: Sandbox) -> Iterator[str]:
    with running(sandbox) as url:
        yield url


@pytest.fixture
def client(sandbox_url: str) -> Iterator[SyncIdcodeClient]:
    with SyncIdcodeClient(
        access_token=TEST_ACCESS_TOKEN, auth_code=TEST_AUTH_CODE, base_url=sandbox_url
    ) as instance:
        yield instance
