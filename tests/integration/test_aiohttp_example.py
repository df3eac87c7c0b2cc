"""The aiohttp example (``examples/aiohttp_app.py``) against the sandbox.

In-process: the app runs in ``aiohttp.test_utils.TestServer`` on 127.0.0.1 (its cleanup
context opens and closes the client), the sandbox is reached through its ASGI transport; one
browser routes the app's loopback origin and the sandbox, and refuses every other host.  The
app is not given a public base URL, so its callback URL is the origin each request reached.
Over loopback: ``python -m aiohttp.web examples.aiohttp_app:init_app``, configured by
environment variables, against the sandbox served on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest
from aiohttp.test_utils import TestServer

from examples.aiohttp_app import IDCODE_CLIENT, create_app
from idcode_async import IdcodeClient
from idcode_async.sandbox import SANDBOX_BASE_URL, TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running as sandbox_running

from .browser import Browser
from .contract import ExampleContract, OpenSite, Site, assert_runs_from_the_environment
from .flows import no_network
from .processes import free_port, running


@asynccontextmanager
async def _aiohttp_site(
    sandbox: Sandbox, client_factory: Callable[[], IdcodeClient]
) -> AsyncIterator[Site]:
    app = create_app(client_factory=client_factory)
    async with TestServer(app, host="127.0.0.1") as server:
        origin = str(server.make_url("")).rstrip("/")
        mounts = {
            origin: httpx.AsyncHTTPTransport(),
            SANDBOX_BASE_URL: sandbox.transport(),
        }
        async with httpx.AsyncClient(transport=no_network(), mounts=mounts) as http:
            yield Site(origin, Browser(http), lambda: app.get(IDCODE_CLIENT))


class TestAiohttpExample(ExampleContract):
    @pytest.fixture
    def open_site(self, sandbox: Sandbox) -> OpenSite:
        return lambda factory: _aiohttp_site(sandbox, factory)


async def test_aiohttp_web_runs_init_app_from_the_environment(
    sandbox: Sandbox, centre: IdcodeClient, unit: str
) -> None:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    with sandbox_running(sandbox) as sandbox_url:
        env = {
            "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
            "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
            "IDCODE_BASE_URL": sandbox_url,
            "IDCODE_PUBLIC_BASE_URL": origin,
        }
        command = ["-m", "aiohttp.web", "-H", "127.0.0.1", "-P", str(port)]
        with running([*command, "examples.aiohttp_app:init_app"], origin=origin, env=env):
            await assert_runs_from_the_environment(origin, sandbox_url, centre, unit)
