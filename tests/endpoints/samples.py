"""One well-formed spec for every registered endpoint (data and page interfaces).

The data interfaces reuse the SDK-against-sandbox builders; the four page interfaces are built
here from the document's parameter tables (401/405/408/607).
"""

from __future__ import annotations

from typing import Any, Final

import httpx

from idcode_async import Spec, registry
from idcode_async._auth import WIRE_EXTENSION, IdcodeAuth
from idcode_async.endpoints import (
    CategoryApplyPage,
    CategoryRecordPage,
    LoginPage,
    ProductCategoryApplyPage,
)

from ..sdk_sandbox.helpers import CALLBACK_URL, GOTOURL, SAMPLE_URL, data_specs
from ..wire import BASE_URL, TEST_AUTH_CODE, TEST_TOKEN, WireRequest, read_request

UNIT: Final = "i.86.110105.1"
REG_ID: Final = "10040000000000000001"
UPLOAD_ID: Final = "10050000000000000001"


def samples() -> dict[int, Spec]:
    """A fresh valid spec per endpoint number (files as bytes, so nothing needs closing)."""
    pages: dict[int, Spec] = {
        401: CategoryApplyPage(
            company_idcode=UNIT, gotourl=GOTOURL, sample_url=SAMPLE_URL, callback_url=CALLBACK_URL
        ),
        405: ProductCategoryApplyPage(
            company_idcode=UNIT,
            industrycategory_id="232324",
            code_pay_type="2",
            gotourl=GOTOURL,
            sample_url=SAMPLE_URL,
            callback_url=CALLBACK_URL,
        ),
        408: CategoryRecordPage(
            company_idcode=UNIT, gotourl=GOTOURL, sample_url=SAMPLE_URL, callback_url=CALLBACK_URL
        ),
        607: LoginPage(callback_url=CALLBACK_URL),
    }
    every: dict[int, Spec] = {**data_specs(UNIT, REG_ID, UPLOAD_ID), **pages}
    assert set(every) == set(registry), "a registered endpoint has no sample"
    return every


def signed_wire(spec: Spec) -> WireRequest:
    """Build, sign and encode ``spec`` with the public signer; read it back independently."""
    wire = spec.wire()
    try:
        template = httpx.Request(
            spec.method, BASE_URL + spec.path, extensions={WIRE_EXTENSION: wire}
        )
        auth = IdcodeAuth(TEST_TOKEN, TEST_AUTH_CODE)
        request = next(auth.auth_flow(template))
        request.read()
        return read_request(request)
    finally:
        wire.close()


def fields_of(spec: Spec) -> dict[str, Any]:
    """The spec's parameters by name, as its constructor takes them."""
    import attrs

    return {f.name: getattr(spec, f.name) for f in attrs.fields(type(spec))}
