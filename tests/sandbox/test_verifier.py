"""Seed §四 as the sandbox checks it: the golden example, decoded values, the check order."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest

from idcode_async.sandbox import Sandbox
from idcode_async.sandbox.verifier import (
    canonical_string,
    expected_hash,
    signature_matches,
    verify_request,
)

from .helpers import AUTH_CODE, TOKEN, Api, document_hash, now_ms, signed

GOLDEN_PATH = "/abc/def"
GOLDEN_TIME = 1497587696789
GOLDEN_PARAMS = {"access_token": TOKEN, "name": "zhangsan", "id": "123", "time": str(GOLDEN_TIME)}
GOLDEN_HASH = "4E5B67B75447486AFC147BE5DEBF7758"
KEYS = {TOKEN: AUTH_CODE}


def test_golden_canonical_string():
    assert canonical_string(GOLDEN_PATH, GOLDEN_PARAMS) == (
        "/abc/def?access_token=J7X4LuOOfURXeAAEAAAAAABSK&id=123&name=zhangsan&time=1497587696789"
    )


def test_golden_hash():
    assert expected_hash(GOLDEN_PATH, GOLDEN_PARAMS, AUTH_CODE) == GOLDEN_HASH


def test_golden_request_is_accepted_without_a_clock():
    params = {**GOLDEN_PARAMS, "hash": GOLDEN_HASH}
    verdict = verify_request(GOLDEN_PATH, params, keys=KEYS, now_ms=GOLDEN_TIME, skew_ms=600_000)
    assert verdict.ok


def test_hash_is_upper_case_and_exact():
    lower = {**GOLDEN_PARAMS, "hash": GOLDEN_HASH.lower()}
    assert not signature_matches(GOLDEN_PATH, lower, AUTH_CODE)


def test_percent_encoded_signature_is_rejected():
    """The client hashed the wire form of a value; the centre hashes the decoded value."""
    decoded = {"access_token": TOKEN, "company_name": "北京 示例&公司", "time": str(GOLDEN_TIME)}
    encoded = {**decoded, "company_name": quote(decoded["company_name"], safe="")}
    params = {**decoded, "hash": document_hash("/sp/idcode/companyinfo/search", encoded)}
    verdict = verify_request(
        "/sp/idcode/companyinfo/search", params, keys=KEYS, now_ms=GOLDEN_TIME, skew_ms=600_000
    )
    assert verdict.code == 10000
    assert verdict.signature_failure


@pytest.mark.parametrize(
    ("change", "code", "signature_failure"),
    [
        ({"access_token": None}, 10001, False),
        ({"access_token": "NOSUCHKEY"}, 10001, False),
        ({"access_token": "DISABLED"}, 10002, False),
        ({"time": None}, 10000, False),
        ({"time": "1497587696"}, 10000, False),
        ({"hash": None}, 10000, False),
        ({"hash": "0" * 32}, 10000, True),
        ({"time": str(GOLDEN_TIME - 11 * 60_000)}, 10000, False),
    ],
)
def test_refusals(change, code, signature_failure):
    params = dict(GOLDEN_PARAMS)
    for name, value in change.items():
        params.pop(name, None)
        if value is not None:
            params[name] = value
    if "hash" not in change:
        params["hash"] = expected_hash(GOLDEN_PATH, params, AUTH_CODE)
    verdict = verify_request(
        GOLDEN_PATH,
        params,
        keys={**KEYS, "DISABLED": "x"},
        disabled_keys=frozenset({"DISABLED"}),
        now_ms=GOLDEN_TIME,
        skew_ms=600_000,
    )
    assert (verdict.code, verdict.signature_failure) == (code, signature_failure)
    assert verdict.reason


def test_402_token_travels_in_json_str():
    envelope = json.dumps({"access_token": TOKEN, "company_idcode": "i.86.110105.1"})
    params = {"json_str": envelope, "time": str(GOLDEN_TIME)}
    params["hash"] = expected_hash("/sp/idcode/category/batchregist", params, AUTH_CODE)
    verdict = verify_request(
        "/sp/idcode/category/batchregist",
        params,
        keys=KEYS,
        now_ms=GOLDEN_TIME,
        skew_ms=600_000,
        token_in_json=True,
    )
    assert verdict.ok
    without = {"json_str": "{}", "time": str(GOLDEN_TIME)}
    refused = verify_request(
        "/sp/idcode/category/batchregist",
        without,
        keys=KEYS,
        now_ms=GOLDEN_TIME,
        skew_ms=600_000,
        token_in_json=True,
    )
    assert refused.code == 10001


async def test_over_http_decoded_values_pass_and_encoded_ones_fail(api: Api, sandbox: Sandbox):
    path = "/sp/idcode/companyinfo/search"
    name = "北京 示例&公司+1"
    good = await api.answer(path, {"company_name": name})
    assert good["result_code"] == 10006  # signature accepted; simply no such unit

    fields = signed(path, {"company_name": name})
    encoded = {**fields, "company_name": quote(name, safe="")}
    fields["hash"] = document_hash(path, encoded)
    bad = await api.send(path, fields=fields)
    assert bad.json() == {"result_code": 10000, "result_msg": "参数错误"}
    assert "hash" in bad.headers["x-sandbox-reason"]
    assert sandbox.stats()["signature_failures"] == 1


async def test_injected_clock_decides_freshness():
    fixed = 1_700_000_000_000
    with Sandbox(clock=lambda: fixed) as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as c:
            api = Api(c)
            assert await api.code("/sp/idcode/unittypes", time_ms=fixed + 9 * 60_000) == 1
            assert await api.code("/sp/idcode/unittypes", time_ms=fixed - 11 * 60_000) == 10000
            assert await api.code("/sp/idcode/unittypes", time_ms=now_ms()) == 10000


async def test_configured_and_disabled_keys():
    with Sandbox(keys={"K1": "secret-1"}, disabled_keys=frozenset({"K2"})) as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as c:
            api = Api(c)
            path = "/sp/idcode/unittypes"
            assert await api.code(path, token="K1", auth_code="secret-1") == 1
            assert await api.code(path) == 10001  # the test key is not configured here
            body = await api.answer(path, token="K2", auth_code="whatever")
            assert body == {"result_code": 10002, "result_msg": "授权失败，授权 Key 已被禁用"}


def test_sandbox_never_imports_the_sdk_to_verify():
    """Only ``Sandbox.client`` may reach into the SDK, lazily; nothing else in the package."""
    import ast
    from pathlib import Path

    import idcode_async.sandbox as package

    offenders = []
    for module in Path(package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (
                node.level >= 2 or (node.module or "").startswith("idcode_async")
            ):
                offenders.append((module.name, node.module, node.lineno))
    assert {(name, mod) for name, mod, _ in offenders} == {("core.py", "_client")}
