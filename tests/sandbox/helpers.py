"""Raw-HTTP helpers for the sandbox tests: a tiny signer of our own and request shortcuts.

Nothing here imports the SDK: requests are signed with hashlib from the document's three
steps (seed §四), sent with plain httpx, and answers read as JSON.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

TOKEN = "J7X4LuOOfURXeAAEAAAAAABSK"
AUTH_CODE = "RORJOOfU4OJ44XUf4uuXU4JuRLeeRAX7"
BASE_URL = "http://sandbox.local"
GOTOURL = "http://www.example.com/scan.aspx?id=1"
SAMPLE_URL = "http://www.example.com/scan.aspx?id=1&code=i.86.110105.1/10.232324.A1/0001"
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def document_hash(path: str, params: Mapping[str, str], auth_code: str = AUTH_CODE) -> str:
    """Seed §四: sort by name, join raw values, append the code, MD5 upper-case."""
    pairs = sorted((k, v) for k, v in params.items() if k != "hash")
    text = path + "?" + "&".join(f"{k}={v}" for k, v in pairs) + auth_code
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def signed(
    path: str,
    params: Mapping[str, object] | None = None,
    *,
    token: str | None = TOKEN,
    auth_code: str = AUTH_CODE,
    time_ms: int | None = None,
) -> dict[str, str]:
    """``params`` (stringified) plus access_token, time and hash."""
    fields = {k: str(v) for k, v in (params or {}).items()}
    if token is not None:
        fields["access_token"] = token
    fields["time"] = str(now_ms() if time_ms is None else time_ms)
    fields["hash"] = document_hash(path, fields, auth_code)
    return fields


class Api:
    """Signed requests to a sandbox through any httpx client."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(
        self,
        path: str,
        params: Mapping[str, object] | None = None,
        *,
        method: str = "POST",
        files: Mapping[str, tuple[str, bytes]] | None = None,
        fields: Mapping[str, str] | None = None,
        **signing: Any,
    ) -> httpx.Response:
        """Send ``params`` signed (or ``fields`` exactly as given)."""
        data = dict(fields) if fields is not None else signed(path, params, **signing)
        if method == "GET":
            return await self.client.get(path, params=data)
        if files:
            return await self.client.post(path, data=data, files=dict(files))
        return await self.client.post(path, data=data)

    async def answer(
        self, path: str, params: Mapping[str, object] | None = None, **kw: Any
    ) -> dict[str, Any]:
        response = await self.send(path, params, **kw)
        assert response.headers["content-type"].startswith("application/json"), response.text
        body: dict[str, Any] = response.json()
        return body

    async def ok(
        self, path: str, params: Mapping[str, object] | None = None, **kw: Any
    ) -> dict[str, Any]:
        body = await self.answer(path, params, **kw)
        assert body["result_code"] == 1, body
        return body

    async def code(self, path: str, params: Mapping[str, object] | None = None, **kw: Any) -> int:
        body = await self.answer(path, params, **kw)
        code: int = body["result_code"]
        return code

    async def batch(
        self, company: str, items: list[dict[str, object]], **kw: Any
    ) -> dict[str, Any]:
        """402: parameters in json_str, the token inside it."""
        envelope = {"access_token": TOKEN, "company_idcode": company, "category_reg_list": items}
        params = {"json_str": json.dumps(envelope, ensure_ascii=False)}
        return await self.answer("/sp/idcode/category/batchregist", params, token=None, **kw)

    # domain shortcuts

    async def register_unit(
        self,
        name: str = "北京示例科技有限公司",
        login_name: str = "91110105MA01ABCD12",
        region: tuple[int, int, int] = (110000, 110000, 110105),
        **extra: object,
    ) -> str:
        """309; returns the unit's main code."""
        province, city, area = region
        params = {
            "login_name": login_name,
            "organunit_name": name,
            "code": 1,
            "province_id": province,
            "city_id": city,
            "area_id": area,
            **extra,
        }
        body = await self.ok("/sp/idcode/unit/regist", params)
        code: str = body["organunit_idcode"]
        return code

    async def complete_unit(
        self,
        company: str,
        files: Mapping[str, tuple[str, bytes]] | None = None,
        **extra: object,
    ) -> dict[str, Any]:
        """305 with the required details."""
        params = {
            "company_idcode": company,
            "trade_id": 114,
            "organunit_address": "北京市朝阳区示例路 1 号",
            **extra,
        }
        return await self.ok("/sp/idcode/companyinfo/modify", params, files=files)

    async def register_product(
        self, company: str, model_code: str = "A1", **extra: object
    ) -> tuple[str, str]:
        """406 for category 232324; returns (category_reg_id, category code)."""
        params = {
            "company_idcode": company,
            "codeuse_id": 10,
            "industrycategory_id": 232324,
            "category_code": "232324",
            "model_number": f"洗衣液 {model_code}",
            "model_number_code": model_code,
            "code_pay_type": 2,
            "gotourl": GOTOURL,
            "sample_url": SAMPLE_URL,
            **extra,
        }
        body = await self.ok("/sp/idcode/idcodeinfo/reg/product", params)
        return str(body["category_reg_id"]), body["organunit_idcode"]
