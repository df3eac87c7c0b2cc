"""Uploading one-thing-one-code batches (seed §十, 5011–5014): plan, send once, check.

:func:`plan_upload` turns codes (an iterable, a path, or with :func:`plan_upload_async` an async
iterable) into the fewest requests: runs of consecutive numbers become 5013/5014 ranges, the
rest 5011 TXT files or, when small, 5012 lists.  Duplicates and codes the rules refuse are
reported, not sent.

>>> with plan_upload(f"SN{n:08d}" for n in range(1, 100_001)) as plan:
...     [(r.endpoint, r.count) for r in plan.requests]
[(5014, 100000)]

>>> result = await upload_codes(client, company_idcode, category_reg_id, "codes.txt",
...                             manifest="codes.manifest.db")            # doctest: +SKIP
>>> (await verify_upload(client, company_idcode, "codes.manifest.db")).ok  # doctest: +SKIP
True

Each module argues its own decisions: what a code is (:mod:`.rules`) and how it is read
(:mod:`.codes_input`); ranges (:mod:`.numbering`, :mod:`.ranges`); duplicates in bounded memory
(:mod:`.dedupe`); 5011 files (:mod:`.spool`); every default (:class:`PlanOptions`); the
pipeline (:mod:`.planner`) and its items (:mod:`.plan`).  Sending exactly once: the durable
manifest (:mod:`.manifest`), the run (:mod:`.executor`), a lost answer settled from the
centre's records (:mod:`.reconcile`), and the checks after it (:mod:`.followups`).
"""

from __future__ import annotations

from .codes_input import AsyncCodeSource, CodeSource
from .executor import (
    UnresolvedRequest,
    UnresolvedUploadError,
    UploadAbortedError,
    UploadProgress,
    UploadResult,
    upload_codes,
)
from .followups import (
    FetchedCodes,
    RecordNotReadyError,
    UploadVerificationError,
    VerifiedRequest,
    VerifyReport,
    download_url,
    fetch_codes,
    record_by_id,
    records_by_category,
    verify_upload,
    wait_for_record,
)
from .manifest import (
    EntryState,
    ManifestEntry,
    ManifestError,
    ManifestMismatchError,
    UploadManifest,
    request_key,
)
from .options import PlanOptions
from .plan import (
    CodeFile,
    CodeList,
    DuplicateCode,
    DuplicateReport,
    FixedLengthRange,
    PrefixRange,
    RejectedCode,
    RejectedReport,
    UploadPlan,
    UploadRequest,
)
from .planner import UploadPlanner, plan_upload, plan_upload_async
from .reconcile import CategoryRef
from .rules import RejectReason

__all__ = [
    "AsyncCodeSource",
    "CategoryRef",
    "CodeFile",
    "CodeList",
    "CodeSource",
    "DuplicateCode",
    "DuplicateReport",
    "EntryState",
    "FetchedCodes",
    "FixedLengthRange",
    "ManifestEntry",
    "ManifestError",
    "ManifestMismatchError",
    "PlanOptions",
    "PrefixRange",
    "RecordNotReadyError",
    "RejectReason",
    "RejectedCode",
    "RejectedReport",
    "UnresolvedRequest",
    "UnresolvedUploadError",
    "UploadAbortedError",
    "UploadManifest",
    "UploadPlan",
    "UploadPlanner",
    "UploadProgress",
    "UploadRequest",
    "UploadResult",
    "UploadVerificationError",
    "VerifiedRequest",
    "VerifyReport",
    "download_url",
    "fetch_codes",
    "plan_upload",
    "plan_upload_async",
    "record_by_id",
    "records_by_category",
    "request_key",
    "upload_codes",
    "verify_upload",
    "wait_for_record",
]
