"""The Flask example (``examples/flask_app.py``) run by its documented command; the shared
contract is in ``test_examples.py``.

``flask --app 'examples.flask_app:init_app()' run``, configured by environment variables,
against the sandbox served on 127.0.0.1; and the one client the app holds, used by many
request threads at once.
"""

from __future__ import annotations

import anyio
import httpx

from idcode_async import IdcodeClient
from idcode_async.endpoints import UnitRegist
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox
from idcode_async.sandbox.serve import running as sandbox_running

from .contract import assert_runs_from_the_environment
from .processes import free_port, running
from .sites import flask_site


async def test_flask_runs_init_app_from_the_environment(
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
        command = ["-m", "flask", "--app", "examples.flask_app:init_app()", "run"]
        with running(
            [*command, "--host", "127.0.0.1", "--port", str(port)], origin=origin, env=env
        ):
            await assert_runs_from_the_environment(origin, sandbox_url, centre, unit)


async def _register(centre: IdcodeClient, index: int) -> str:
    answer = await centre.call(
        UnitRegist(
            login_name=f"91110105MA01PAR{index:03d}",
            organunit_name=f"并发公司{index}",
            code=1,
            province_id=110000,
            city_id=110000,
            area_id=110105,
        )
    )
    assert answer.organunit_idcode
    return answer.organunit_idcode


async def test_request_threads_share_the_one_client(sandbox: Sandbox, centre: IdcodeClient) -> None:
    units = [await _register(centre, i) for i in range(6)]
    made: list[IdcodeClient] = []

    def factory() -> IdcodeClient:
        made.append(sandbox.client())
        return made[-1]

    async with flask_site(sandbox, factory) as site:
        answers: dict[str, httpx.Response] = {}

        async def fetch(code: str) -> None:
            answers[code] = await site.get(f"/units/{code}")

        async with anyio.create_task_group() as group:
            for code in units * 3:
                group.start_soon(fetch, code)
        assert len(made) == 1
    assert made[0].is_closed
    for index, code in enumerate(units):
        assert answers[code].status_code == 200
        assert answers[code].json()["organunit_name"] == f"并发公司{index}"
    assert sandbox.stats()["requests"]["306"] == len(units) * 3
