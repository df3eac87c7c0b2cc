"""After an upload: its records (503, 502), its codes (505, 504) and a check of the counts.

505 states no limit, but a JSON list of millions of codes is not something a server hands out
whole: the sandbox cuts at ``max_json_codes`` (100,000) and the real centre's cap is unknown,
so :func:`fetch_codes` compares the answer with the batch's ``code_num`` (503) and says whether
it is ``complete``; a whole large batch is :func:`download_url`'s (504, a ZIP file).
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from functools import partial
from typing import Literal

import anyio
import anyio.to_thread
import attrs

from .._client import IdcodeClient
from .._errors import IdcodeError, InvalidParameterError, NotFoundError
from .._logging import redact
from ..durable.engine import opened
from ..durable.store import Store
from ..endpoints import (
    CodeDownloadUrl,
    CodeRecord,
    CodeRecordById,
    UploadedCodes,
)
from ..endpoints.codes import CodeType
from .manifest import ManifestEntry, UploadManifest
from .reconcile import CategoryRef, baseline, candidates, category_records, remembered_category

__all__ = [
    "FetchedCodes",
    "RecordNotReadyError",
    "UploadVerificationError",
    "VerifiedRequest",
    "VerifyReport",
    "download_url",
    "fetch_codes",
    "record_by_id",
    "records_by_category",
    "verify_upload",
    "wait_for_record",
]


class RecordNotReadyError(IdcodeError):
    """503 did not show the batch (or its short codes) within the time allowed."""

    def __init__(self, uploadcode_id: str, timeout: float, waited_for: str) -> None:
        self.uploadcode_id = uploadcode_id
        self.timeout = timeout
        super().__init__(f"upload batch {uploadcode_id}: no {waited_for} after {timeout:g}s")


async def record_by_id(
    client: IdcodeClient, company_idcode: str, uploadcode_id: str
) -> CodeRecord | None:
    """The record of one batch (503), or ``None`` if the centre does not know it (yet).

    The document lists no "not found" code for 503; the sandbox answers 10000 (parameter
    error) and an empty record list is possible: both read as "not there".
    """
    try:
        answer = await client.call(
            CodeRecordById(company_idcode=company_idcode, uploadcode_id=uploadcode_id)
        )
    except (NotFoundError, InvalidParameterError):
        return None
    for record in answer.records:
        if record.uploadcode_id in (None, uploadcode_id):
            return record
    return None


async def wait_for_record(
    client: IdcodeClient,
    company_idcode: str,
    uploadcode_id: str,
    timeout: float = 60.0,
    *,
    interval: float = 1.0,
    transformed: bool = False,
) -> CodeRecord:
    """Poll 503 every ``interval`` seconds until the batch's record is there; return it.

    ``transformed=True`` also waits for ``trans_flag`` 1 (short codes generated), which 504
    and 505 need for ``code_type="0"``.  Raises :class:`RecordNotReadyError` after
    ``timeout`` seconds.
    """
    waited_for = "record with short codes" if transformed else "record"
    with anyio.move_on_after(timeout):
        while True:
            record = await record_by_id(client, company_idcode, uploadcode_id)
            if record is not None and (not transformed or record.trans_flag == 1):
                return record
            await anyio.sleep(interval)
    raise RecordNotReadyError(uploadcode_id, timeout, waited_for)


async def records_by_category(
    client: IdcodeClient, company_idcode: str, idcode_of_category: str, model_number_code: str
) -> list[CodeRecord]:
    """Every upload batch of a category (502); none is an empty list."""
    return await category_records(
        client, company_idcode, CategoryRef(idcode_of_category, model_number_code)
    )


@attrs.frozen
class FetchedCodes:
    """505's codes of one batch; ``complete`` when they are all of them."""

    codes: tuple[str, ...] = attrs.field(repr=lambda codes: f"<{len(codes)} codes>")
    code_num: int | None
    """The batch's size according to 503 (``None`` if 503 did not say)."""

    @property
    def complete(self) -> bool:
        return self.code_num is not None and len(self.codes) >= self.code_num

    @property
    def truncated(self) -> bool:
        """505 returned fewer codes than the batch holds (use :func:`download_url`)."""
        return self.code_num is not None and len(self.codes) < self.code_num


async def fetch_codes(
    client: IdcodeClient,
    company_idcode: str,
    uploadcode_id: str,
    *,
    code_type: CodeType = "1",
    code_num: int | None = None,
) -> FetchedCodes:
    """A batch's codes via 505: original codes (``code_type="1"``) or short codes ("0").

    ``code_num`` is the batch's size if known; otherwise 503 is asked, so that a cut answer
    is recognised (:attr:`FetchedCodes.truncated`).
    """
    answer = await client.call(
        UploadedCodes(
            company_idcode=company_idcode, uploadcode_id=uploadcode_id, code_type=code_type
        )
    )
    if code_num is None:
        record = await record_by_id(client, company_idcode, uploadcode_id)
        code_num = record.code_num if record is not None else None
    return FetchedCodes(tuple(answer.data), code_num)


async def download_url(
    client: IdcodeClient,
    company_idcode: str,
    uploadcode_id: str,
    *,
    password: str | None = None,
    code_type: CodeType | None = None,
) -> str:
    """504: the address of a ZIP holding the batch's codes; ``password`` (6–16 characters,
    checked before sending) unzips it and never appears in a ``repr`` or a log."""
    answer = await client.call(
        CodeDownloadUrl(
            company_idcode=company_idcode,
            uploadcode_id=uploadcode_id,
            password=password,
            code_type=code_type,
        )
    )
    if not answer.codefileurl_info:
        raise IdcodeError(f"504 answered no download address for batch {uploadcode_id}")
    return answer.codefileurl_info


VerifyStatus = Literal["ok", "mismatch", "missing", "error", "no_id"]


@attrs.frozen(kw_only=True)
class VerifiedRequest:
    """One request of the manifest (``entry``: its key, count, state, ``uploadcode_id`` …)
    against the centre's record of its batch."""

    entry: ManifestEntry
    server_count: int | None = None
    """503's ``code_num`` for the batch."""
    status: VerifyStatus | Literal["not_accepted"]
    detail: str | None = None


@attrs.frozen(kw_only=True)
class VerifyReport:
    """What :func:`verify_upload` found.  ``ok`` when everything agrees."""

    requests: tuple[VerifiedRequest, ...]
    expected_total: int
    """Codes in the plan (every request of the manifest)."""
    server_total: int
    """Sum of ``code_num`` over the batches 503 showed for accepted requests."""
    unexpected: tuple[CodeRecord, ...] = ()
    """Batches of the category newer than the baseline that no request of the manifest owns."""
    extra_checked: bool = False
    """Whether the category's batches could be listed for :attr:`unexpected`."""

    @property
    def problems(self) -> tuple[VerifiedRequest, ...]:
        return tuple(r for r in self.requests if r.status != "ok")

    @property
    def ok(self) -> bool:
        return (
            not self.problems and not self.unexpected and self.server_total == self.expected_total
        )

    def describe(self) -> str:
        counts = Counter(r.status for r in self.requests)
        parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        verdict = "verified" if self.ok else "NOT verified"
        text = (
            f"{verdict}: {len(self.requests)} requests ({parts}); centre holds "
            f"{self.server_total} of {self.expected_total} codes"
        )
        if self.extra_checked:
            text += f"; {len(self.unexpected)} unexpected batch(es) in the category"
        return text

    def raise_for_problems(self) -> None:
        if not self.ok:
            raise UploadVerificationError(self)


class UploadVerificationError(IdcodeError):
    """The centre's records do not match the manifest; ``report`` says where."""

    def __init__(self, report: VerifyReport) -> None:
        self.report = report
        super().__init__(report.describe())


async def verify_upload(
    client: IdcodeClient,
    company_idcode: str,
    manifest: Store[ManifestEntry] | str | os.PathLike[str],
    *,
    category: CategoryRef | None = None,
) -> VerifyReport:
    """Compare every request of ``manifest`` with the centre (503 per ``uploadcode_id``).

    A request that is not accepted, has no ID (version "1.0"), whose batch 503 does not know,
    or whose ``code_num`` differs from its count is a problem.  ``category`` (default: the one
    the manifest remembers from its run) lets 502 list batches that no request owns, were not
    there before the upload began (the baseline), and have the shape of one of *this
    manifest's* requests (count, ``upload_type``, range numbers): a second copy of one of ours.
    Other uploads to the same category, before or after, are not this manifest's business.
    A path is opened without taking the run lock, so a run may be going on; any other store
    (a shared run's Redis manifest) is read as it is.
    """
    async with opened(manifest, partial(UploadManifest, lock=False)) as store:
        entries = await anyio.to_thread.run_sync(store.entries)
        before = await anyio.to_thread.run_sync(baseline, store)
        if category is None:
            category = await anyio.to_thread.run_sync(remembered_category, store)
    checked = [await verify_uploaded_request(client, company_idcode, entry) for entry in entries]
    records: list[CodeRecord] | None = None
    if category is not None and before is not None:
        with contextlib.suppress(IdcodeError):
            records = await category_records(client, company_idcode, category)
    ours = {e.uploadcode_id for e in entries if e.uploadcode_id is not None}
    copies = {  # batches shaped like one of ours, newer than the baseline, owned by none
        r.uploadcode_id
        for entry in entries
        for r in candidates(entry, records or (), baseline=before, claimed=ours)
    }
    return VerifyReport(
        requests=tuple(checked),
        expected_total=sum(e.count for e in entries),
        server_total=sum(r.server_count or 0 for r in checked if r.status in ("ok", "mismatch")),
        unexpected=tuple(r for r in records or () if r.uploadcode_id in copies),
        extra_checked=records is not None,
    )


async def verify_uploaded_request(
    client: IdcodeClient, company_idcode: str, entry: ManifestEntry
) -> VerifiedRequest:
    """Compare one accepted request with the centre's record of its batch (503 ``code_num``)."""
    base = partial(VerifiedRequest, entry=entry)
    if not entry.accepted:
        return base(status="not_accepted", detail=entry.message)
    if entry.uploadcode_id is None:
        return base(status="no_id", detail="accepted without an uploadcode_id (version 1.0)")
    try:
        record = await record_by_id(client, company_idcode, entry.uploadcode_id)
    except IdcodeError as exc:
        return base(status="error", detail=redact(str(exc)))
    if record is None:
        return base(status="missing", detail="503 does not know the batch")
    status: VerifyStatus = "ok" if record.code_num == entry.count else "mismatch"
    return base(server_count=record.code_num, status=status)
