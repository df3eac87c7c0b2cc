"""Scale-out: batch registration across workers and machines, one shared pace (arq + Redis).

Large service providers run one access token from several workers.  The centre's pause between
submissions (309: 0.5–1 s) applies to the token, so the workers must share one pace and one
exactly-once journal.  This package provides them on Redis, and runs the single-machine batch
runner (:func:`idcode_async.registration.register_units`) unchanged inside each worker:

- :mod:`.redis_pacer`: :class:`RedisPacer`, the batch ``Pacer`` with its state in Redis (one
  atomic Lua script per step, Redis time, leases), keyed by a hash of the access token;
- :mod:`.redis_journal`: :class:`RedisJournal`, the batch ``Journal`` with rows claimed under
  leases, so that a crashed worker's rows are taken over (and reconciled with 307 first);
- :mod:`.runs`: a run's settings, loading rows (:func:`load_run`), :func:`progress`, results;
- :mod:`.drain`: one worker's loop (:func:`drain_run`);
- :mod:`.redis_uploads`, :mod:`.uploads`: code uploads (5011–5014) on several workers, with
  the same claims and the upload executor's reconciliation (:func:`enqueue_upload`);
- :mod:`.arq_jobs`: arq worker functions, settings, :func:`enqueue_registration` and
  :func:`enqueue_upload`;
- :mod:`.cli`: ``idcode register-units --redis URL --workers N`` and ``idcode worker``;
- :mod:`.local`: a throwaway ``redis-server`` on 127.0.0.1 for tests and trials.

Redis is the ``redis`` extra (``pip install "idcode-async[redis]"``).  Importing this package
imports neither redis nor arq; the names below are loaded on first use, and a missing extra
raises :class:`MissingExtraError` saying what to install.  See ``docs/scale-out.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._lazy import MissingExtraError

if TYPE_CHECKING:
    from .arq_jobs import (
        EnqueuedRun,
        EnqueuedUpload,
        WorkerSettings,
        enqueue_registration,
        enqueue_upload,
        register_units_job,
        upload_chunks_job,
        worker_settings,
    )
    from .drain import DrainSummary, ScaleError, drain_run
    from .redis_journal import ClaimView, LeaseLostError, RedisJournal, RunCounts
    from .redis_pacer import PaceConflictError, RedisPacer, SlotRecord
    from .redis_uploads import RedisUploadManifest, UploadCounts
    from .runs import LoadReport, RunConfig, RunProgress, load_run, progress, run_results
    from .uploads import (
        UploadDrainSummary,
        UploadLoadReport,
        UploadRunConfig,
        drain_upload,
        load_upload,
        prepare_upload,
        upload_progress,
        verify_upload_run,
    )

__all__ = [
    "ClaimView",
    "DrainSummary",
    "EnqueuedRun",
    "EnqueuedUpload",
    "LeaseLostError",
    "LoadReport",
    "MissingExtraError",
    "PaceConflictError",
    "RedisJournal",
    "RedisPacer",
    "RedisUploadManifest",
    "RunConfig",
    "RunCounts",
    "RunProgress",
    "ScaleError",
    "SlotRecord",
    "UploadCounts",
    "UploadDrainSummary",
    "UploadLoadReport",
    "UploadRunConfig",
    "WorkerSettings",
    "drain_run",
    "drain_upload",
    "enqueue_registration",
    "enqueue_upload",
    "load_run",
    "load_upload",
    "prepare_upload",
    "progress",
    "register_units_job",
    "run_results",
    "upload_chunks_job",
    "upload_progress",
    "verify_upload_run",
    "worker_settings",
]

_HOMES = {
    "EnqueuedRun": "arq_jobs",
    "EnqueuedUpload": "arq_jobs",
    "enqueue_upload": "arq_jobs",
    "upload_chunks_job": "arq_jobs",
    "RedisUploadManifest": "redis_uploads",
    "UploadCounts": "redis_uploads",
    "UploadDrainSummary": "uploads",
    "UploadLoadReport": "uploads",
    "UploadRunConfig": "uploads",
    "drain_upload": "uploads",
    "load_upload": "uploads",
    "prepare_upload": "uploads",
    "upload_progress": "uploads",
    "verify_upload_run": "uploads",
    "WorkerSettings": "arq_jobs",
    "enqueue_registration": "arq_jobs",
    "register_units_job": "arq_jobs",
    "worker_settings": "arq_jobs",
    "DrainSummary": "drain",
    "ScaleError": "drain",
    "drain_run": "drain",
    "ClaimView": "redis_journal",
    "LeaseLostError": "redis_journal",
    "RedisJournal": "redis_journal",
    "RunCounts": "redis_journal",
    "PaceConflictError": "redis_pacer",
    "RedisPacer": "redis_pacer",
    "SlotRecord": "redis_pacer",
    "LoadReport": "runs",
    "RunConfig": "runs",
    "RunProgress": "runs",
    "load_run": "runs",
    "progress": "runs",
    "run_results": "runs",
}


def __getattr__(name: str) -> Any:
    """Import the module holding ``name`` on first use (and redis/arq with it)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
