"""Uploading one-thing-one-code batches (seed §十, 5011–5014): the planner.

:func:`plan_upload` turns codes (an iterable, a path, or with :func:`plan_upload_async` an async
iterable) into the fewest requests: runs of consecutive numbers become 5013/5014 ranges, the
rest 5011 TXT files or, when small, 5012 lists.  Duplicates and codes the rules refuse are
reported, not sent.

>>> with plan_upload(f"SN{n:08d}" for n in range(1, 100_001)) as plan:
...     [(r.endpoint, r.count) for r in plan.requests]
[(5014, 100000)]

Where each decision is made, and argued:

* what is a code, what is refused and why: :mod:`.rules`; reading, BOM, blank lines, line
  numbers, ``str`` as a path: :mod:`.codes_input`;
* prefix + number, padded (5014) or not (5013), the ``A10`` ambiguity, long digit tails:
  :mod:`.numbering`;
* merging runs while streaming, out-of-order input, the window, never covering a code not in
  the input: :mod:`.runs`;
* duplicates in bounded memory (measured alternatives), exact confirmation: :mod:`.dedupe`;
* 5011 chunk files, size and SHA-256, temporary directory lifecycle: :mod:`.spool`;
* every default (minimum run, 9-digit numbers, 128-character codes, 100,000-code / 4 MiB
  files, 8 KB lists, …): :class:`PlanOptions`;
* sync and async entry points, the pipeline: :mod:`.planner`; the plan items: :mod:`.plan`.

Sending the plan, exactly once:

>>> result = await upload_codes(client, company_idcode, category_reg_id, "codes.txt",
...                             manifest="codes.manifest.db")            # doctest: +SKIP
>>> (await verify_upload(client, company_idcode, "codes.manifest.db")).ok  # doctest: +SKIP
True

* the durable per-request manifest, its states and keys, why SQLite: :mod:`.manifest`;
* sending, retries, resuming, the order of intent and request: :mod:`.executor`;
* settling a request whose answer was lost (502/505), what is decidable: :mod:`.reconcile`;
* records, codes, download links and the count check after the upload: :mod:`.followups`;
* ``idcode upload-codes``: :mod:`.cli`.
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
