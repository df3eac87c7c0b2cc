"""The SDK against the sandbox served by uvicorn on 127.0.0.1 (``sandbox.serve.running``).

The client is configured as a user configures it for the real centre (a base URL, the
document's test key and authorisation code, nothing in-process), so this exercises real
sockets: form and multipart bodies on the wire, 608's query string, connection drops.  Every
test runs on both transports (the ``transport`` fixture): httpx's own and aiohttp's.
``GET /_sandbox/stats`` (plain httpx) must count exactly the requests the client sent.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from idcode_async import (
    IdcodeClient,
    RetryPolicy,
    TimeoutError,
    TransportError,
    registry,
)
from idcode_async.endpoints import (
    CategoryBatchRegist,
    CodePicWithMargin,
    CodeRecordById,
    CompanyInfoBase,
    ExamineRecord,
    OrganUnitStatus,
    UploadCodeFile,
    UploadCodePrefix,
    UploadedCodes,
)
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, FaultKind, Sandbox
from idcode_async.sandbox.serve import running

from .helpers import (
    UNIT_NAME,
    batch_item,
    png_dimensions,
    product_spec,
    requests_to,
    unit_spec,
)

NUMBER_BY_PATH = {cls.path: n for n, cls in registry.items()}


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    """A fresh sandbox on a free port of 127.0.0.1."""
    with Sandbox(approval_delay=2.0) as sandbox, running(sandbox) as base_url:
        yield sandbox, base_url


class Sent:
    """Every request the client put on the wire, by endpoint number (an httpx event hook)."""

    def __init__(self) -> None:
        self.by_endpoint: Counter[str] = Counter()
        self.methods: dict[str, set[str]] = {}

    async def __call__(self, request: httpx.Request) -> None:
        number = str(NUMBER_BY_PATH[request.url.path])
        self.by_endpoint[number] += 1
        self.methods.setdefault(number, set()).add(request.method)


@pytest.fixture
async def wire(
    served: tuple[Sandbox, str], transport: dict[str, Any]
) -> AsyncIterator[tuple[IdcodeClient, Sent]]:
    """The client as a user configures it for the centre, pointed at the loopback server."""
    _, base_url = served
    sent = Sent()
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=base_url,
        retry=RetryPolicy(max_retries=0),
        timeout=10.0,
        event_hooks={"request": [sent]},
        **transport,
    ) as client:
        yield client, sent


async def test_a_compact_flow_over_loopback(
    served: tuple[Sandbox, str], wire: tuple[IdcodeClient, Sent], tmp_path: Path
) -> None:
    """309 → 308 → 406 → 5011 (multipart file) → 5013 → 503 → 505 → 604 → 608 → 402."""
    sandbox, base_url = served
    client, sent = wire
    assert base_url.startswith("http://127.0.0.1:")

    company = (await client.call(unit_spec(linkman="张三"))).organunit_idcode or ""
    assert (await client.call(OrganUnitStatus(company_idcode=company))).is_audit == 1
    category = await client.call(product_spec(company, "LB1"))
    reg_id, category_code = category.category_reg_id or "", category.organunit_idcode or ""

    codes_file = tmp_path / "loopback-codes.txt"
    codes_file.write_text("".join(f"LB{n:04d}\n" for n in range(1, 201)))
    by_file = await client.call(
        UploadCodeFile(
            company_idcode=company, category_reg_id=reg_id, code_file=codes_file, version="2.0"
        )
    )
    by_range = await client.call(
        UploadCodePrefix(
            company_idcode=company,
            category_reg_id=reg_id,
            prefix_str="SN",
            start_num=1,
            end_num=1000,
            version="2.0",
        )
    )
    (record,) = (
        await client.call(
            CodeRecordById(company_idcode=company, uploadcode_id=by_range.uploadcode_id or "")
        )
    ).records
    assert (record.code_num, record.start_number, record.end_number) == (1000, 1, 1000)
    codes = (
        await client.call(
            UploadedCodes(company_idcode=company, uploadcode_id=by_file.uploadcode_id or "")
        )
    ).data
    assert codes == [f"{category_code}LB{n:04d}" for n in range(1, 201)]

    picture = await client.call(
        CodePicWithMargin(
            code=f"http://stest.idcode.org.cn/?code={codes[0]}",
            is_margin=1,
            qrcode_size=600,
            color=0,
        )
    )
    assert png_dimensions(picture.image_bytes() or b"") == (600, 600)

    review = await client.call(ExamineRecord(company_idcode=company, type=1))
    assert (review.examine_content, review.examine_status) == (UNIT_NAME, 1)

    batch = await client.call(
        CategoryBatchRegist(
            company_idcode=company,
            category_reg_list=[batch_item("LB-350"), batch_item("LB-750")],
        )
    )
    assert len(batch.batch_regist_list) == 2

    async with httpx.AsyncClient(base_url=base_url) as raw:
        stats = (await raw.get("/_sandbox/stats")).json()
    assert stats["requests"] == dict(sent.by_endpoint)
    assert stats["requests"] == dict.fromkeys(
        ("308", "309", "402", "406", "503", "505", "604", "608", "5011", "5013"), 1
    )
    assert stats["signature_failures"] == 0
    assert stats["submissions_by_name"]["309"] == {UNIT_NAME: 1}
    assert stats == sandbox.stats()
    assert sent.methods.pop("608") == {"GET"}  # documented "Web Http Get" only
    assert all(methods == {"POST"} for methods in sent.methods.values())


DROPPED = (httpx.RemoteProtocolError, httpx.ReadError)
"""How a connection closed by the server mid-exchange surfaces: an orderly close gives
RemoteProtocolError, a reset (the kernel had unread bytes) gives ReadError; both mean the same."""


async def test_a_lost_answer_over_a_real_socket_is_not_resent(
    served: tuple[Sandbox, str], transport: dict[str, Any]
) -> None:
    """drop_after over h11: the server closes the connection mid-answer (the client sees a
    RemoteProtocolError, or a ReadError when the close arrives as a reset); 309 is not resent
    although the client allows retries, and the unit exists once."""
    sandbox, base_url = served
    sandbox.faults.schedule(FaultKind.DROP_AFTER, endpoint=309)
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=base_url,
        retry=RetryPolicy(max_retries=3, backoff_base=0.0),
        **transport,
    ) as client:
        with pytest.raises(TransportError) as caught:
            await client.call(unit_spec())
    assert isinstance(caught.value.__cause__, DROPPED)
    stats = sandbox.stats()
    assert stats["requests"]["309"] == 1
    assert stats["submissions_by_name"]["309"] == {UNIT_NAME: 1}


async def test_a_timed_out_write_is_not_resent(
    served: tuple[Sandbox, str], transport: dict[str, Any]
) -> None:
    """A read timeout may hide a registration: 309 is not resent; a read is."""
    sandbox, base_url = served
    sandbox.faults.schedule(FaultKind.LATENCY, endpoint=309, seconds=0.5)
    async with IdcodeClient(
        access_token=TEST_ACCESS_TOKEN,
        auth_code=TEST_AUTH_CODE,
        base_url=base_url,
        retry=RetryPolicy(max_retries=2, backoff_base=0.0),
        **transport,
    ) as client:
        with pytest.raises(TimeoutError) as caught:
            await client.call(unit_spec(), timeout=0.1)
        assert caught.value.endpoint == 309
        assert requests_to(sandbox, 309) == 1

        registered = await client.call(unit_spec(name="超时后的单位", login_name="LOGIN-AFTER"))
        sandbox.faults.schedule(FaultKind.LATENCY, endpoint=308, seconds=0.5)
        status = await client.call(
            OrganUnitStatus(company_idcode=registered.organunit_idcode or ""), timeout=0.1
        )
    assert status.is_audit == 1
    assert requests_to(sandbox, 308) == 2


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_client_that_gives_up_leaves_no_error_in_the_server_log(
    served: tuple[Sandbox, str], transport: dict[str, Any]
) -> None:
    """A client timing out is ordinary traffic for the centre: no traceback should follow.

    Regression: the app used to let starlette's ClientDisconnect escape from parsing the
    request after a latency fault, and uvicorn logged "Exception in ASGI application".
    """
    sandbox, base_url = served
    errors = _Records()
    uvicorn_log = logging.getLogger("uvicorn.error")
    uvicorn_log.addHandler(errors)
    try:
        sandbox.faults.schedule(FaultKind.LATENCY, endpoint=306, seconds=0.3)
        async with IdcodeClient(
            access_token=TEST_ACCESS_TOKEN,
            auth_code=TEST_AUTH_CODE,
            base_url=base_url,
            **transport,
        ) as client:
            with pytest.raises(TimeoutError):
                await client.call(
                    CompanyInfoBase(company_idcode="i.86.110105.1"), timeout=0.05, retries=0
                )
        await anyio.sleep(0.6)  # the server wakes up from the delay and finds the client gone
    finally:
        uvicorn_log.removeHandler(errors)
    assert [r.getMessage() for r in errors.records] == []
