"""Every web example (FastAPI, aiohttp, Flask) against the sandbox: one contract, one answer.

``TestExampleContract`` runs the whole contract (:mod:`.contract`) once per example app.  The
parity tests then start all the apps on one sandbox and send each the same requests: status,
``Content-Type`` and body bytes must be identical (Chinese as UTF-8, the same error bodies),
and redirects must differ only by the app's own origin and the signature's time.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from typing import Final
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from idcode_async.sandbox import Sandbox

from .contract import ExampleContract, OpenSite, Site
from .flows import BAD_CALLBACKS, BAD_LANDINGS, GOLDEN_LANDINGS, walk_apply_page
from .sites import EXAMPLES

NAMES: Final = sorted(EXAMPLES)


class TestExampleContract(ExampleContract):
    @pytest.fixture(params=NAMES)
    def open_site(self, request: pytest.FixtureRequest, sandbox: Sandbox) -> OpenSite:
        name: str = request.param
        return lambda factory: EXAMPLES[name](sandbox, factory)


def _query(param: object) -> str:
    values = getattr(param, "values", None)
    assert values is not None
    return str(values[0])


def _comparable(site: Site, answer: httpx.Response) -> tuple[object, ...]:
    """What must be the same for every app: status, type, body; for a redirect, its target
    with the app's origin taken out and without ``time``/``hash`` (they change per call)."""
    if answer.status_code == 303:
        parts = urlsplit(answer.headers["Location"])
        fields = [
            (k, v.replace(site.origin, "<app>"))
            for k, v in parse_qsl(parts.query)
            if k not in ("time", "hash")
        ]
        return (303, parts.scheme, parts.netloc, parts.path, sorted(fields))
    return (answer.status_code, answer.headers.get("content-type"), answer.content)


PATHS: Final = [
    *(f"/scan?{_query(p)}" for p in GOLDEN_LANDINGS),
    *(f"/scan?{_query(p)}" for p in BAD_LANDINGS),
    *(f"/idcode/callback?{_query(p)}" for p in BAD_CALLBACKS),
    "/units/{unit}",
    "/units/i.86.110105.999",
    "/units/%20",
    "/categories/apply?company_idcode={unit}",
    "/categories/apply?company_idcode={unit}&gotourl=http%3A%2F%2Fwww.xxxx.com%2Fx.aspx%3Fid%3D1",
    "/categories/apply",
    "/categories/apply?company_idcode=i.86.110105",
]


async def test_every_example_answers_the_same_bytes(sandbox: Sandbox, unit: str) -> None:
    async with AsyncExitStack() as stack:
        sites = {
            name: await stack.enter_async_context(open_site(sandbox, sandbox.client))
            for name, open_site in EXAMPLES.items()
        }
        flow = await walk_apply_page(sites["fastapi"].browser, sites["fastapi"].origin, unit)
        category = flow.callback.json()["category_code"]
        paths = [*PATHS, f"/idcode/callback?CategoryIDcode={category}"]
        for path in paths:
            path = path.format(unit=unit)
            answers = {
                name: _comparable(site, await site.get(path)) for name, site in sites.items()
            }
            assert len(set(map(repr, answers.values()))) == 1, (path, answers)


async def test_chinese_is_utf8_not_escaped(sandbox: Sandbox, unit: str) -> None:
    async with AsyncExitStack() as stack:
        for open_site in EXAMPLES.values():
            site = await stack.enter_async_context(open_site(sandbox, sandbox.client))
            answer = await site.get(f"/units/{unit}")
            assert answer.headers["content-type"] == "application/json"
            assert "示例洗涤用品有限公司".encode() in answer.content
            assert b"\\u" not in answer.content
