"""Uploading one-thing-one-code batches (seed §十, 5011–5014): the planner.

:func:`plan_upload` turns codes (an iterable, a path, or with :func:`plan_upload_async` an async
iterable) into the fewest requests: runs of consecutive numbers become 5013/5014 ranges, the
rest 5011 TXT files or, when small, 5012 lists.  Duplicates and codes the rules refuse are
reported, not sent.
"""

from __future__ import annotations

from .codes_input import AsyncCodeSource, CodeSource
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
from .rules import RejectReason

__all__ = [
    "AsyncCodeSource",
    "CodeFile",
    "CodeList",
    "CodeSource",
    "DuplicateCode",
    "DuplicateReport",
    "FixedLengthRange",
    "PlanOptions",
    "PrefixRange",
    "RejectReason",
    "RejectedCode",
    "RejectedReport",
    "UploadPlan",
    "UploadPlanner",
    "UploadRequest",
    "plan_upload",
    "plan_upload_async",
]
