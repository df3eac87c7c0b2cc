"""A small scripted centre for the batch tests: 101, 307 and 309 over ``httpx.MockTransport``.

It keeps registered units by name (10007 for a second one, 10008 for a second user name) and
plays a script of faults on 309, each applied before or after the centre acts, so that a test
can say exactly which request reached the centre.  The stateful sandbox is used by the
acceptance tests; this double keeps the unit tests small and their failures local.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import httpx

from ..wire import TEST_AUTH_CODE, TEST_TOKEN, document_hash, read_request

REGIONS = [
    {"address_id": 110000, "address_name": "北京市", "address_level": 1, "address_id_parent": 0},
    {
        "address_id": 110105,
        "address_name": "朝阳区",
        "address_level": 3,
        "address_id_parent": 110000,
    },
    {"address_id": 440000, "address_name": "广东省", "address_level": 1, "address_id_parent": 0},
    {
        "address_id": 441900,
        "address_name": "东莞市",
        "address_level": 2,
        "address_id_parent": 440000,
    },
    {
        "address_id": 440300,
        "address_name": "深圳市",
        "address_level": 2,
        "address_id_parent": 440000,
    },
    {
        "address_id": 440305,
        "address_name": "南山区",
        "address_level": 3,
        "address_id_parent": 440300,
    },
]

Action = str
"""309 script actions:

- ``ok``: register (the default when the script is empty);
- ``busy``: answer -1 without acting;
- ``connect``: raise ``httpx.ConnectError`` (never reached the centre);
- ``timeout-before`` / ``timeout-after``: raise ``httpx.ReadTimeout`` before / after acting;
- ``drop-before`` / ``drop-after``: raise ``httpx.RemoteProtocolError`` before / after acting;
- ``html-before`` / ``html-after``: answer an HTML 502 page before / after acting;
- ``code:N``: answer result code N without acting;
- ``empty-code``: register, but answer an empty main code.
"""


class Centre:
    def __init__(self) -> None:
        self.units: dict[str, tuple[str, str]] = {}
        """name → (main code, login name)."""
        self.script: list[Action] = []
        self.submissions: Counter[str] = Counter()
        """309 requests that reached the centre's logic, by unit name."""
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.search_script: list[Action] = []
        self.on_309: Callable[[str], None] | None = None

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def add_unit(self, name: str, login: str = "EXISTING000001") -> str:
        code = f"i.86.110105.{len(self.units) + 1}"
        self.units[name] = (code, login)
        return code

    def count(self, path_suffix: str) -> int:
        return sum(1 for path, _ in self.calls if path.endswith(path_suffix))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        wire = read_request(request)
        assert wire.fields["access_token"] == TEST_TOKEN
        assert wire.fields["hash"] == document_hash(wire.path, wire.fields, TEST_AUTH_CODE)
        self.calls.append((wire.path, wire.fields))
        if wire.path == "/sp/idcode/addresses":
            return _json({"address_list": REGIONS, "result_code": 1, "result_msg": "成功"})
        if wire.path == "/sp/idcode/companyinfo/search":
            return self._search(wire.fields)
        if wire.path == "/sp/idcode/unit/regist":
            return self._register(wire.fields)
        return _json({"result_code": 10000, "result_msg": f"unknown path {wire.path}"})

    def _search(self, fields: dict[str, str]) -> httpx.Response:
        if self.search_script:
            action = self.search_script.pop(0)
            if action == "busy":
                return _json({"result_code": -1, "result_msg": "系统繁忙"})
            if action == "drop":
                raise httpx.RemoteProtocolError("peer closed connection")
            if action.startswith("code:"):
                return _json({"result_code": int(action[5:]), "result_msg": "拒绝"})
        assert fields["search_type"] == "1"
        name = fields["company_name"]
        if name not in self.units:
            return _json({"result_code": 10006, "result_msg": "未查到相匹配的数据"})
        code, _ = self.units[name]
        unit = {"organunit_name": name, "organunit_oid": code, "organunit_id": 10030000000000001923}
        decoy = {"organunit_name": name + "分公司", "organunit_oid": "i.86.1.999"}
        return _json({"organunit_list": [decoy, unit], "result_code": 1, "result_msg": "成功"})

    def _register(self, fields: dict[str, str]) -> httpx.Response:
        name = fields["organunit_name"]
        action = self.script.pop(0) if self.script else "ok"
        if self.on_309 is not None:
            self.on_309(name)
        if action == "busy":
            return _json({"result_code": -1, "result_msg": "系统繁忙，请稍后再试"})
        if action == "connect":
            raise httpx.ConnectError("connection refused")
        if action.startswith("code:"):
            return _json({"result_code": int(action[5:]), "result_msg": "拒绝"})
        if action.endswith("-before"):
            return _fault(action)
        answer = self._act(fields)
        if action.endswith("-after"):
            return _fault(action)
        if action == "empty-code" and answer["result_code"] == 1:
            answer["organunit_idcode"] = ""
        return _json(answer)

    def _act(self, fields: dict[str, str]) -> dict[str, object]:
        name, login = fields["organunit_name"], fields["login_name"]
        self.submissions[name] += 1
        if name in self.units:
            return {"result_code": 10007, "result_msg": "已存在该组织单位名称，不可再添加"}
        if any(existing == login for _, existing in self.units.values()):
            return {"result_code": 10008, "result_msg": "已存在该用户名，不可再添加"}
        code = self.add_unit(name, login)
        return {
            "organunit_idcode": code,
            "login_name": login,
            "unit_qrcode": "",
            "result_code": 1,
            "result_msg": "成功",
        }


def _fault(action: str) -> httpx.Response:
    kind = action.split("-")[0]
    if kind == "timeout":
        raise httpx.ReadTimeout("timed out")
    if kind == "drop":
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")
    assert kind == "html", action
    return httpx.Response(
        502,
        content=b"<html><body>502 Bad Gateway</body></html>",
        headers={"content-type": "text/html"},
    )


def _json(body: dict[str, object]) -> httpx.Response:
    return httpx.Response(200, json=body)
