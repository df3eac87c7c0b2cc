"""Retries against the sandbox's faults (README "Retries and timeouts").

Reads are retried on anything transient; writes only when the centre provably did not act
(it answered busy, or the connection was never made).  A dropped connection after the request
went out, or an HTML gateway page, may hide a registration that happened: such a write is
never resent, and the sandbox's counters show exactly one arrival.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from idcode_async import (
    BusyError,
    IdcodeClient,
    NotFoundError,
    ResponseDecodeError,
    RetryPolicy,
    TimeoutError,
    TransportError,
)
from idcode_async._signing import current_millis
from idcode_async.endpoints import CodeRecordById, CompanyInfoBase, CompanySearch, UploadCodeFile
from idcode_async.sandbox import FaultKind, Sandbox

from .helpers import UNIT_NAME, Category, Unit, requests_to, unit_spec

RETRYING = RetryPolicy(max_retries=2, backoff_base=0.0)
"""Two retries without waiting, so that the tests stay fast."""


@pytest.fixture
async def retrying(sandbox: Sandbox) -> AsyncIterator[tuple[IdcodeClient, list[httpx.Request]]]:
    """A client that retries, and the requests it sent (as signed, one per attempt).

    Its clock ticks one millisecond per signature, so that every attempt has its own
    ``time`` even when two attempts fall in the same millisecond.
    """
    sent: list[httpx.Request] = []
    ticks = itertools.count(current_millis())

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with sandbox.client(
        retry=RETRYING, clock=lambda: next(ticks), event_hooks={"request": [record]}
    ) as client:
        yield client, sent


def signed_fields(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


async def is_registered(client: IdcodeClient, name: str) -> bool:
    """What a caller does after an uncertain write: read the centre's state (307, exact)."""
    try:
        found = await client.call(CompanySearch(company_name=name, search_type="1"))
    except NotFoundError:
        return False
    return [u.organunit_name for u in found.organunit_list] == [name]


# --- reads --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [FaultKind.BUSY, FaultKind.HTML_502, FaultKind.DROP_BEFORE])
async def test_a_read_is_retried_and_succeeds(
    sandbox: Sandbox,
    retrying: tuple[IdcodeClient, list[httpx.Request]],
    unit: Unit,
    kind: FaultKind,
) -> None:
    """306 after one busy answer, gateway page or dropped connection: the second try wins."""
    client, sent = retrying
    sandbox.faults.schedule(kind, endpoint=306)
    info = await client.call(CompanyInfoBase(company_idcode=unit.idcode))
    assert info.organunit_oid == unit.idcode
    assert requests_to(sandbox, 306) == 2
    assert sandbox.stats()["faults"][kind.value] == 1
    first, second = (signed_fields(r) for r in sent)
    assert first["time"] != second["time"]
    assert first["hash"] != second["hash"]


async def test_a_read_gives_up_after_max_retries(
    sandbox: Sandbox, retrying: tuple[IdcodeClient, list[httpx.Request]], unit: Unit
) -> None:
    """Three busy answers for 306 with two retries allowed: BusyError after three requests."""
    client, _ = retrying
    sandbox.faults.schedule(FaultKind.BUSY, endpoint=306, times=3)
    with pytest.raises(BusyError) as caught:
        await client.call(CompanyInfoBase(company_idcode=unit.idcode))
    assert (caught.value.code, caught.value.endpoint) == (-1, 306)
    assert requests_to(sandbox, 306) == 3


# --- writes -------------------------------------------------------------------------------------


async def test_a_busy_write_is_retried_because_the_centre_did_nothing(
    sandbox: Sandbox, retrying: tuple[IdcodeClient, list[httpx.Request]]
) -> None:
    """-1 means the centre did not process the request: resending 309 is safe."""
    client, _ = retrying
    sandbox.faults.schedule(FaultKind.BUSY, endpoint=309)
    answer = await client.call(unit_spec())
    assert answer.organunit_idcode
    stats = sandbox.stats()
    assert stats["requests"]["309"] == 2
    assert stats["submissions_by_name"]["309"] == {UNIT_NAME: 1}


async def test_an_html_502_on_a_write_is_raised_not_retried(
    sandbox: Sandbox, retrying: tuple[IdcodeClient, list[httpx.Request]]
) -> None:
    """A gateway page says nothing about what the centre did: 309 is not resent."""
    client, sent = retrying
    sandbox.faults.schedule(FaultKind.HTML_502, endpoint=309)
    with pytest.raises(ResponseDecodeError) as caught:
        await client.call(unit_spec())
    error = caught.value
    assert (error.status_code, error.is_html, error.endpoint) == (502, True, 309)
    stats = sandbox.stats()
    assert len(sent) == 1
    assert stats["requests"]["309"] == 1
    assert len(stats["submission_starts_ms"]["309"]) == 1  # one submission went over the wire
    assert stats["submissions_by_name"]["309"] == {}  # … and the gateway stopped it
    assert not await is_registered(client, UNIT_NAME)


async def test_a_dropped_connection_on_a_write_is_not_retried(
    sandbox: Sandbox, retrying: tuple[IdcodeClient, list[httpx.Request]]
) -> None:
    """drop_before: the request was sent and the connection died; the client cannot tell
    it from drop_after, so 309 is not resent: TransportError, one request."""
    client, sent = retrying
    sandbox.faults.schedule(FaultKind.DROP_BEFORE, endpoint=309)
    with pytest.raises(TransportError) as caught:
        await client.call(unit_spec())
    assert not isinstance(caught.value, TimeoutError)
    assert caught.value.endpoint == 309
    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert len(sent) == 1
    assert requests_to(sandbox, 309) == 1
    assert sandbox.stats()["submissions_by_name"]["309"] == {}
    assert not await is_registered(client, UNIT_NAME)


async def test_a_write_whose_answer_was_lost_happened_exactly_once(
    sandbox: Sandbox, retrying: tuple[IdcodeClient, list[httpx.Request]]
) -> None:
    """drop_after: the centre registered the unit, the answer was lost; no second 309 is
    sent, and reading the centre (307) shows the unit once."""
    client, _ = retrying
    sandbox.faults.schedule(FaultKind.DROP_AFTER, endpoint=309)
    with pytest.raises(TransportError):
        await client.call(unit_spec())
    stats = sandbox.stats()
    assert stats["requests"]["309"] == 1
    assert stats["submissions_by_name"]["309"] == {UNIT_NAME: 1}
    assert await is_registered(client, UNIT_NAME)


async def test_a_busy_file_upload_is_resent_whole(
    sandbox: Sandbox,
    retrying: tuple[IdcodeClient, list[httpx.Request]],
    unit: Unit,
    category: Category,
    tmp_path: Path,
) -> None:
    """5011 streams its file from a path; the retry after -1 must send the file from the
    start again, or the centre would count fewer codes (or none: 59999)."""
    client, sent = retrying
    codes_file = tmp_path / "codes.txt"
    codes_file.write_text("".join(f"R{n}\n" for n in range(1, 101)))
    sandbox.faults.schedule(FaultKind.BUSY, endpoint=5011)
    answer = await client.call(
        UploadCodeFile(
            company_idcode=unit.idcode,
            category_reg_id=category.reg_id,
            code_file=codes_file,
            version="2.0",
        )
    )
    (record,) = (
        await client.call(
            CodeRecordById(company_idcode=unit.idcode, uploadcode_id=answer.uploadcode_id or "")
        )
    ).records
    assert record.code_num == 100
    assert requests_to(sandbox, 5011) == 2
    uploads = [r for r in sent if r.url.path.endswith("/upload/codefile")]
    assert len(uploads) == 2
    assert uploads[0].headers["content-length"] == uploads[1].headers["content-length"]
