"""The pytest plugin (``idcode_async.testing``), run by pytester as a user's suite would.

Each test writes a small test file, runs pytest on it with the plugin loaded the way its
entry point loads it (``-p idcode_async.testing``), and checks the outcomes.  The inner
tests read the sandbox through the SDK, through raw HTTP on loopback, and under trio.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PLUGIN = (
    "-p",
    "idcode_async.testing",
    "-p",
    "no:cacheprovider",
    "-o",
    "asyncio_mode=auto",
    "-o",
    "asyncio_default_fixture_loop_scope=function",
)


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(source)
    return pytester.runpytest_inprocess(*PLUGIN, *args)


def test_the_entry_point_names_the_plugin_module() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["pytest11"] == {
        "idcode_async.testing": "idcode_async.testing"
    }


def test_loading_the_plugin_imports_no_sandbox_module() -> None:
    probe = (
        "import sys, idcode_async.testing; "
        "heavy = {'starlette', 'uvicorn', 'segno', 'multipart', 'idcode_async.sandbox'}; "
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"


def test_seeded_marker_and_client(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        from idcode_async import NotFoundError
        from idcode_async.endpoints import CompanyInfoBase

        @pytest.mark.idcode_sandbox(seeded=True)
        async def test_seeded(idcode_client):
            async with idcode_client as client:
                base = await client.call(CompanyInfoBase(company_idcode="i.86.120103.1021"))
            assert base.organunit_name

        async def test_fresh_is_empty(idcode_client):
            with pytest.raises(NotFoundError):
                await idcode_client.call(CompanyInfoBase(company_idcode="i.86.120103.1021"))
        """,
    )
    result.assert_outcomes(passed=2)


def test_helpers_register_and_advance_review_time_under_trio(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest
        from idcode_async.endpoints import IdcodeInfoSearch, OrganUnitStatus
        from idcode_async.testing import finish_reviews, register_category, register_unit

        @pytest.fixture(params=["asyncio", "trio"])
        def anyio_backend(request):
            return request.param

        @pytest.mark.anyio
        @pytest.mark.idcode_sandbox(approval_delay=30)
        async def test_pending_then_approved(idcode_sandbox, idcode_client):
            unit = register_unit(idcode_sandbox, "插件测试有限公司", approved=False)
            code = register_category(idcode_sandbox, unit, model_number_code="P1")
            assert code == unit + "/10.232324.P1/"
            status = await idcode_client.call(OrganUnitStatus(company_idcode=unit))
            assert status.is_audit == 1
            finish_reviews(idcode_sandbox)
            status = await idcode_client.call(OrganUnitStatus(company_idcode=unit))
            assert status.is_audit == 100
            found = await idcode_client.call(IdcodeInfoSearch(company_idcode=unit))
            assert [r.complete_code for r in found.base_idcode_list] == [code]
        """,
        "-p",
        "anyio",
    )
    result.assert_outcomes(passed=2)


def test_the_served_url_answers_raw_http(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import hashlib, json, time, urllib.parse, urllib.request
        import pytest

        def signed(path, params, env):
            fields = {**params, "access_token": env["IDCODE_ACCESS_TOKEN"],
                      "time": str(time.time_ns() // 1_000_000)}
            text = path + "?" + "&".join(f"{k}={v}" for k, v in sorted(fields.items()))
            digest = hashlib.md5((text + env["IDCODE_AUTH_CODE"]).encode()).hexdigest()
            return {**fields, "hash": digest.upper()}

        @pytest.mark.idcode_sandbox(seeded=True)
        def test_raw(idcode_sandbox_url, idcode_sandbox_env):
            assert idcode_sandbox_env["IDCODE_BASE_URL"] == idcode_sandbox_url
            assert idcode_sandbox_url.startswith("http://127.0.0.1:")
            path = "/sp/idcode/companyinfo/base"
            query = urllib.parse.urlencode(
                signed(path, {"company_idcode": "i.86.120103.1021"}, idcode_sandbox_env)
            )
            with urllib.request.urlopen(f"{idcode_sandbox_url}{path}?{query}", timeout=10) as r:
                body = json.loads(r.read())
            assert body["result_code"] == 1
        """,
    )
    result.assert_outcomes(passed=1)


def test_fixture_names_leave_the_projects_own_alone(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def sandbox():
            return "the project's own"

        @pytest.fixture
        def client():
            return "the project's own client"
        """
    )
    result = run(
        pytester,
        """
        def test_both(sandbox, client, idcode_sandbox, idcode_client):
            assert sandbox == "the project's own"
            assert client == "the project's own client"
            assert idcode_client.base_url.host == "sandbox.local"
        """,
    )
    result.assert_outcomes(passed=1)


def test_the_marker_is_registered_and_refuses_positional_arguments(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.idcode_sandbox(True)
        def test_positional(idcode_sandbox):
            pass
        """,
        "--strict-markers",
    )
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*takes keywords only*"])
