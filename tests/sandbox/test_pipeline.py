"""What every endpoint does alike: routing, methods, authentication, required parameters."""

from __future__ import annotations

import httpx
import pytest

from idcode_async.sandbox import Sandbox
from idcode_async.sandbox.app import API_ROUTES

from .helpers import TOKEN, Api, now_ms, signed

ROUTES = {route.number: route for route in API_ROUTES}
POST_ONLY = {301, 304, 305, 309, 310, 402, 405, 406, 407, 5011, 601, 602, 604, 605, 606}


def method_of(number: int) -> str:
    return "GET" if number == 608 else "POST"


def test_all_47_endpoints_with_documented_paths_and_methods():
    assert len(ROUTES) == 47
    assert {n for n, r in ROUTES.items() if r.methods == {"POST"}} == POST_ONLY
    assert ROUTES[608].methods == {"GET"}
    assert ROUTES[5011].path == "/sp/idcode/upload/codefile"
    assert ROUTES[607].path == "/sp/idcode/idcodelogin"
    assert len({r.path for r in ROUTES.values()}) == 47


def _token_params(number: int, token: str | None) -> dict[str, object]:
    """402 carries its token inside json_str; the others as access_token."""
    if number == 402:
        return {"json_str": f'{{"access_token":"{token}"}}'}
    return {}


@pytest.mark.parametrize("number", sorted(ROUTES))
async def test_unknown_key_is_10001(api: Api, number: int):
    route = ROUTES[number]
    params = _token_params(number, "NOSUCHKEY")
    token = None if number == 402 else "NOSUCHKEY"
    body = await api.answer(route.path, params, method=method_of(number), token=token)
    assert body["result_code"] == 10001
    assert body["result_msg"] == "授权失败，授权 Key 不存在"


@pytest.mark.parametrize("number", sorted(ROUTES))
async def test_disabled_key_is_10002(number: int):
    route = ROUTES[number]
    keys = {TOKEN: "code-a", "OFF": "code-b"}
    with Sandbox(keys=keys, disabled_keys=frozenset({"OFF"})) as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as c:
            params = _token_params(number, "OFF")
            token = None if number == 402 else "OFF"
            body = await Api(c).answer(
                route.path, params, method=method_of(number), token=token, auth_code="code-b"
            )
    assert body["result_code"] == 10002


@pytest.mark.parametrize("number", sorted(ROUTES))
async def test_bad_signature_is_10000_and_counted(api: Api, sandbox: Sandbox, number: int):
    route = ROUTES[number]
    params = _token_params(number, TOKEN)
    token = None if number == 402 else TOKEN
    body = await api.answer(
        route.path, params, method=method_of(number), token=token, auth_code="WRONG"
    )
    assert body["result_code"] == 10000
    assert sandbox.stats()["signature_failures"] == 1


@pytest.mark.parametrize("number", sorted(ROUTES))
async def test_stale_or_missing_time_is_10000(api: Api, number: int):
    route = ROUTES[number]
    params = _token_params(number, TOKEN)
    token = None if number == 402 else TOKEN
    stale = now_ms() - 11 * 60_000
    method = method_of(number)
    assert await api.code(route.path, params, method=method, token=token, time_ms=stale) == 10000
    fields = signed(route.path, params, token=token)
    del fields["time"]
    response = await api.send(route.path, method=method, fields=fields)
    assert response.json()["result_code"] == 10000


@pytest.mark.parametrize("number", sorted(n for n, r in ROUTES.items() if r.required))
async def test_missing_required_parameter_is_10000(api: Api, number: int):
    route = ROUTES[number]
    token = None if number == 402 else TOKEN
    params = _token_params(number, TOKEN)  # 402: a json_str without company or list
    response = await api.send(route.path, params, method=method_of(number), token=token)
    body = response.json()
    assert (body["result_code"], body["result_msg"]) == (10000, "参数错误")
    assert response.headers["x-sandbox-reason"]


@pytest.mark.parametrize("number", sorted(POST_ONLY))
async def test_post_only_endpoints_refuse_get(api: Api, number: int):
    response = await api.send(ROUTES[number].path, method="GET")
    assert response.status_code == 405
    body = response.json()
    assert (body["result_code"], body["result_msg"]) == (0, "失败")
    assert response.headers["allow"] == "POST"


async def test_608_refuses_post(api: Api):
    response = await api.send("/sp/idcode/examinerecord", {"company_idcode": "x", "type": 1})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


async def test_get_post_endpoints_accept_both(api: Api):
    for method in ("GET", "POST"):
        assert await api.code("/sp/idcode/trades", method=method) == 1


async def test_parameter_given_twice_is_10000(api: Api):
    fields = signed("/sp/idcode/unittypes")
    query = "&".join(f"{k}={v}" for k, v in fields.items()) + "&time=1"
    response = await api.client.get(f"/sp/idcode/unittypes?{query}")
    assert response.json()["result_code"] == 10000


async def test_post_merges_query_and_form(api: Api):
    """Seed 304's example posts a form to a URL that carries the text parameters."""
    fields = signed("/sp/idcode/trades/parent/id", {"trade_id_parent": 0})
    query = {k: fields.pop(k) for k in ("access_token", "time")}
    response = await api.client.post("/sp/idcode/trades/parent/id", params=query, data=fields)
    assert response.json()["result_code"] == 1


async def test_refusals_explain_themselves_in_a_header(api: Api):
    response = await api.send("/sp/idcode/organunit/status", {})
    assert response.json() == {"result_code": 10000, "result_msg": "参数错误"}
    assert response.headers["x-sandbox-reason"] == "missing required parameter company_idcode"


async def test_answers_are_utf8_json_with_unescaped_chinese(api: Api):
    response = await api.send("/sp/idcode/unittypes")
    assert response.headers["content-type"] == "application/json;charset=UTF-8"
    assert "企业".encode() in response.content


async def test_pascal_case_envelope_when_configured():
    with Sandbox(pascal_case_endpoints=frozenset({105})) as sandbox:
        async with httpx.AsyncClient(transport=sandbox.transport(), base_url="http://s") as c:
            body = (await Api(c).send("/sp/idcode/unittypes")).json()
    assert body["ResultCode"] == 1
    assert body["ResultMsg"] == "成功"
    assert "result_code" not in body


async def test_unknown_path_is_404(api: Api):
    response = await api.send("/sp/idcode/nothing")
    assert response.status_code == 404


async def test_reasons_quoting_chinese_input_stay_valid_headers(api: Api, unit: str, product):
    params = {"company_idcode": unit, "category_reg_id": product[0], "code_list_str": "编码\r\n1"}
    response = await api.send("/sp/idcode/upload/codelist", params)
    assert response.json()["result_code"] == 59999
    assert "\\u7f16" in response.headers["x-sandbox-reason"]
