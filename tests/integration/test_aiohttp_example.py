"""The aiohttp example (``examples/aiohttp_app.py``) run by its documented command; the shared
contract is in ``test_examples.py``.

``python -m aiohttp.web examples.aiohttp_app:init_app``, configured by environment variables,
against the sandbox served on 127.0.0.1.
"""

from __future__ import annotations

from idcode_async import IdcodeClient
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running as sandbox_running

from .contract import assert_runs_from_the_environment
from .processes import free_port, running


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
