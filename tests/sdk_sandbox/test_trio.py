"""The SDK and the in-process sandbox under trio (anyio), not only asyncio.

httpx's ASGITransport runs the Starlette app on whichever event loop drives the client, and
the SDK (backoff sleeps) and the sandbox (its state lock, latency faults) use anyio
primitives only, so the same flow runs under both backends.
"""

from __future__ import annotations

import anyio
import pytest

from idcode_async import RetryPolicy
from idcode_async.endpoints import (
    CodePicWithMargin,
    CodeRecordById,
    OrganUnitStatus,
    UploadCodePrefix,
    UploadedCodes,
)
from idcode_async.sandbox import FaultKind, Sandbox

from .helpers import UNIT_NAME, png_dimensions, product_spec, unit_spec


async def small_flow(sandbox: Sandbox) -> str:
    """309 → 308 (busy once, retried after an anyio sleep) → 406 → 5013 → 503 → 505 → 604."""
    sandbox.faults.schedule(FaultKind.BUSY, endpoint=308)
    sandbox.faults.schedule(FaultKind.LATENCY, endpoint=503, seconds=0.01)
    async with sandbox.client(retry=RetryPolicy(max_retries=1, backoff_base=0.01)) as client:
        company = (await client.call(unit_spec())).organunit_idcode or ""
        assert (await client.call(OrganUnitStatus(company_idcode=company))).is_audit == 1
        category = await client.call(product_spec(company))
        batch = await client.call(
            UploadCodePrefix(
                company_idcode=company,
                category_reg_id=category.category_reg_id or "",
                start_num=1,
                end_num=50,
                version="2.0",
            )
        )
        batch_id = batch.uploadcode_id or ""
        (record,) = (
            await client.call(CodeRecordById(company_idcode=company, uploadcode_id=batch_id))
        ).records
        assert record.code_num == 50
        codes = (
            await client.call(UploadedCodes(company_idcode=company, uploadcode_id=batch_id))
        ).data
        assert codes[-1] == f"{category.organunit_idcode}50"
        picture = await client.call(
            CodePicWithMargin(
                code=f"http://stest.idcode.org.cn/?code={codes[0]}",
                is_margin=1,
                qrcode_size=400,
                color=1,
            )
        )
        assert png_dimensions(picture.image_bytes() or b"") == (400, 400)
    return company


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_a_small_flow_runs_under_each_backend(backend: str) -> None:
    """The same flow under trio and asyncio; the sandbox counted it the same way."""
    with Sandbox() as sandbox:
        company = anyio.run(small_flow, sandbox, backend=backend)
        stats = sandbox.stats()
    assert company.startswith("i.86.110105.")
    assert stats["requests"]["308"] == 2  # the busy answer and the retry
    assert stats["faults"]["busy"] == 1
    assert stats["faults"]["latency"] == 1
    assert stats["submissions_by_name"]["309"] == {UNIT_NAME: 1}
    assert stats["signature_failures"] == 0
