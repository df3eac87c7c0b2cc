"""The FastAPI example (``examples/fastapi_app.py``) against the sandbox.

In-process: the app's lifespan is run by the test (``app.router.lifespan_context``), the app
is reached through ``httpx.ASGITransport`` as ``http://sp.test``, the sandbox through its own
ASGI transport; one browser routes each host to its app and refuses every other.  Over
loopback: ``uvicorn examples.fastapi_app:app``, configured by environment variables, against
the sandbox served on 127.0.0.1.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from examples.fastapi_app import create_app
from idcode_async import IdcodeClient
from idcode_async.sandbox import SANDBOX_BASE_URL, TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running as sandbox_running

from .browser import Browser
from .contract import ExampleContract, OpenSite, Site, assert_runs_from_the_environment
from .flows import assert_signed_401, no_network
from .processes import running

SP_ORIGIN = "http://sp.test"


@asynccontextmanager
async def _fastapi_site(
    sandbox: Sandbox, client_factory: Callable[[], IdcodeClient], public_base_url: str | None
) -> AsyncIterator[Site]:
    app = create_app(client_factory=client_factory, public_base_url=public_base_url)
    async with app.router.lifespan_context(app):
        mounts = {
            SP_ORIGIN: httpx.ASGITransport(app=app),
            SANDBOX_BASE_URL: sandbox.transport(),
        }
        async with httpx.AsyncClient(transport=no_network(), mounts=mounts) as http:
            yield Site(SP_ORIGIN, Browser(http), lambda: app.state.idcode)
    assert app.state.idcode is None


class TestFastapiExample(ExampleContract):
    @pytest.fixture
    def open_site(self, sandbox: Sandbox) -> OpenSite:
        return lambda factory: _fastapi_site(sandbox, factory, SP_ORIGIN)


async def test_without_a_public_base_url_the_callback_is_on_the_request_origin(
    sandbox: Sandbox, unit: str
) -> None:
    async with _fastapi_site(sandbox, sandbox.client, None) as site:
        answer = await site.get(f"/categories/apply?company_idcode={unit}")
    assert answer.status_code == 303
    assert_signed_401(
        answer.headers["Location"], sandbox=SANDBOX_BASE_URL, app=SP_ORIGIN, company=unit
    )


async def test_uvicorn_runs_the_module_app_from_the_environment(
    sandbox: Sandbox, centre: IdcodeClient, unit: str
) -> None:
    with sandbox_running(sandbox) as sandbox_url, socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
        env = {
            "IDCODE_ACCESS_TOKEN": TEST_ACCESS_TOKEN,
            "IDCODE_AUTH_CODE": TEST_AUTH_CODE,
            "IDCODE_BASE_URL": sandbox_url,
            "IDCODE_PUBLIC_BASE_URL": origin,
        }
        fd = listener.fileno()
        command = ["-m", "uvicorn", "examples.fastapi_app:app", "--fd", str(fd)]
        with running(command, origin=origin, env=env, pass_fds=[fd]):
            await assert_runs_from_the_environment(origin, sandbox_url, centre, unit)
