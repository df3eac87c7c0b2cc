"""What only the FastAPI example (``examples/fastapi_app.py``) has; the shared contract is in
``test_examples.py``.

Its fallback to the request's origin, and ``uvicorn examples.fastapi_app:app`` configured by
environment variables, against the sandbox served on 127.0.0.1.
"""

from __future__ import annotations

import socket

from idcode_async import IdcodeClient
from idcode_async.sandbox import SANDBOX_BASE_URL, TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running as sandbox_running

from .contract import assert_runs_from_the_environment
from .flows import assert_signed_401
from .processes import running
from .sites import SP_ORIGIN, fastapi_site


async def test_without_a_public_base_url_the_callback_is_on_the_request_origin(
    sandbox: Sandbox, unit: str
) -> None:
    async with fastapi_site(sandbox, sandbox.client, None) as site:
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
