"""The workflow names the commands use, imported from their homes in one place.

The commands call public functions only; gathering the imports here keeps the rest of the
package independent of where the workflow packages keep them.
"""

from __future__ import annotations

from ..durable.store import StoreError, StoreLockedError
from ..registration import (
    DEFAULT_MAX_INTERVAL,
    DEFAULT_MIN_INTERVAL,
    BatchAbortedError,
    BatchSummary,
    InputFormatError,
    JournalError,
    JournalLockedError,
    LocalPacer,
    Progress,
    RowOutcome,
    SourceRow,
    open_results,
    read_units,
    register_units,
)
from ..registration.records import FIELDS
from ..registration.runner import DEFAULT_RETRY
from ..registration.validation import check_rows
from ..uploads import (
    CategoryRef,
    EntryState,
    ManifestError,
    ManifestMismatchError,
    PlanOptions,
    RejectReason,
    UnresolvedUploadError,
    UploadAbortedError,
    UploadManifest,
    UploadPlan,
    UploadProgress,
    UploadResult,
    plan_upload_async,
    upload_codes,
    verify_upload,
)
from ..uploads.executor import DEFAULT_GRACE
from ..uploads.followups import problems_text

__all__ = [
    "DEFAULT_GRACE",
    "DEFAULT_MAX_INTERVAL",
    "DEFAULT_MIN_INTERVAL",
    "DEFAULT_RETRY",
    "FIELDS",
    "BatchAbortedError",
    "BatchSummary",
    "CategoryRef",
    "EntryState",
    "InputFormatError",
    "JournalError",
    "JournalLockedError",
    "LocalPacer",
    "ManifestError",
    "ManifestMismatchError",
    "PlanOptions",
    "Progress",
    "RejectReason",
    "RowOutcome",
    "SourceRow",
    "StoreError",
    "StoreLockedError",
    "UnresolvedUploadError",
    "UploadAbortedError",
    "UploadManifest",
    "UploadPlan",
    "UploadProgress",
    "UploadResult",
    "check_rows",
    "open_results",
    "plan_upload_async",
    "problems_text",
    "read_units",
    "register_units",
    "upload_codes",
    "verify_upload",
]
