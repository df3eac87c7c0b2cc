"""Scale-out: registration and code uploads across workers and machines (arq + Redis).

Large service providers run one access token from several workers.  The centre's pause between
submissions (309: 0.5–1 s) applies to the token, so the workers must share one pace
(:mod:`.redis_pacer`) and one exactly-once store (:mod:`.leased_store`, the rows of 309 and the
requests of 5011–5014 as its two item kinds).  An operator loads a run (:mod:`.runs`,
:mod:`.uploads`); arq jobs (:mod:`.arq_jobs`) drain it, each with one claim loop
(:mod:`.drain`) that runs the single-machine workflows unchanged.  See ``docs/scale-out.md``.

Redis is the ``redis`` extra (``pip install "idcode-async[redis]"``).  Importing this package
imports neither redis nor arq (the CLI checks run ids on the core install): the names below are
loaded on first use, and a missing extra raises :class:`MissingExtraError`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._extra import MissingExtraError

if TYPE_CHECKING:  # the names for type checkers, re-exported ("X as X")
    from .arq_jobs import WorkerCredentials as WorkerCredentials
    from .arq_jobs import WorkerSettings as WorkerSettings
    from .arq_jobs import drain_run_job as drain_run_job
    from .arq_jobs import enqueue_jobs as enqueue_jobs
    from .arq_jobs import enqueue_registration as enqueue_registration
    from .arq_jobs import enqueue_upload as enqueue_upload
    from .arq_jobs import serve as serve
    from .drain import drain_run as drain_run
    from .errors import RunKindError as RunKindError
    from .errors import ScaleError as ScaleError
    from .leased_store import RunCounts as RunCounts
    from .redis_journal import LeaseLostError as LeaseLostError
    from .redis_journal import RedisJournal as RedisJournal
    from .redis_pacer import PaceConflictError as PaceConflictError
    from .redis_pacer import RedisPacer as RedisPacer
    from .redis_uploads import RedisUploadManifest as RedisUploadManifest
    from .runs import RunConfig as RunConfig
    from .runs import load_run as load_run
    from .runs import progress as progress
    from .runs import run_results as run_results
    from .uploads import load_upload as load_upload
    from .uploads import prepare_upload as prepare_upload
    from .uploads import verify_upload_run as verify_upload_run

_MODULES = {  # module: the names it gives this package, loaded on first use
    "arq_jobs": "WorkerCredentials WorkerSettings drain_run_job enqueue_jobs enqueue_registration "
    "enqueue_upload serve",
    "drain": "drain_run",
    "errors": "RunKindError ScaleError",
    "leased_store": "RunCounts",
    "redis_journal": "LeaseLostError RedisJournal",
    "redis_pacer": "PaceConflictError RedisPacer",
    "redis_uploads": "RedisUploadManifest",
    "runs": "RunConfig load_run progress run_results",
    "uploads": "load_upload prepare_upload verify_upload_run",
}
_HOMES = {name: module for module, names in _MODULES.items() for name in names.split()}

__all__ = ["MissingExtraError", *_HOMES]


def __getattr__(name: str) -> Any:
    """Import the module holding ``name`` on first use (and redis/arq with it)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
