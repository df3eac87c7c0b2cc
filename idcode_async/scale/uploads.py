"""Code uploads (5011–5014, seed §十) on several workers: load a plan once, drain it anywhere.

The operator plans the codes once, loads the plan as an upload run and takes the 502 baseline,
before any worker may claim (:func:`prepare_upload`).  Workers rebuild each claimed request
(:func:`materialise`) and settle it with the upload executor's own session.

**The chunks reach the workers in Redis.**  A 5011 chunk's bytes (a 5012 list's
``code_list_str``) are a blob beside their request, deleted once it is accepted.  A shared
directory would make "any machine that reaches the Redis" untrue and add a second thing to keep
consistent; replanning on every worker would need the code file on every machine.  The cost is
Redis memory for the unsent payload (10 million random 14-character codes are about 160 MiB),
so :func:`load_upload` refuses chunks over ``max_chunk_bytes`` (16 MiB by default; Redis's own
limit is 512 MiB), and a worker checks each chunk's SHA-256 and size before sending it.

**Pace.**  The document gives no pause rule for 5011–5014 (only for 309): uploads are paced
only if :func:`~.drain.drain_run` is given a ``pacer``, should the centre start throttling.
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import anyio
import anyio.to_thread
import attrs

from .._client import TEST_BASE_URL, IdcodeClient
from ..pacing import Pacer
from ..uploads.codes_input import AsyncCodeSource
from ..uploads.executor import UploadSession
from ..uploads.followups import VerifyReport, verify_upload
from ..uploads.manifest import (
    EntryState,
    ManifestEntry,
    ManifestMismatchError,
    describe_request,
    request_key,
)
from ..uploads.options import PlanOptions
from ..uploads.plan import (
    CodeFile,
    CodeList,
    FixedLengthRange,
    PrefixRange,
    UploadPlan,
    UploadRequest,
)
from ..uploads.planner import plan_upload_async
from ..uploads.reconcile import CategoryRef
from ..uploads.spool import Workspace
from ._redis import SyncRedis, connection
from .keys import check_run_id, loader_id, token_id
from .redis_uploads import RedisUploadManifest
from .runs import RunConfig, client_for, read_config, record_config

__all__ = [
    "DEFAULT_MAX_CHUNK_BYTES",
    "UnusableError",
    "UploadLoadReport",
    "load_upload",
    "materialise",
    "prepare_upload",
    "upload_session",
    "verify_upload_run",
]

DEFAULT_MAX_CHUNK_BYTES: Final = 16 * 1024 * 1024
"""Largest 5011 chunk (bytes) a run accepts into Redis; the planner's default is 4 MiB."""


@attrs.frozen(kw_only=True)
class UploadLoadReport:
    run_id: str
    requests: int
    codes: int
    new: int
    accepted: int
    """Requests accepted by earlier workers of the run (a resumed run)."""
    blob_bytes: int
    """Payload stored in Redis for unsent 5011/5012 requests."""
    requeued: int = 0
    retried: int = 0
    duplicates: int = 0
    rejected: int = 0


def _payload(request: UploadRequest) -> str:
    """The bytes a worker needs besides the request's parameters, as text (codes are ASCII)."""
    if isinstance(request, CodeFile):
        return request.path.read_bytes().decode("ascii")
    if isinstance(request, CodeList):
        return request.code_list_str
    return ""


def load_upload(
    redis: SyncRedis | str,
    plan: UploadPlan,
    run_id: str,
    config: RunConfig,
    *,
    max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES,
) -> UploadLoadReport:
    """Store ``plan`` as the upload run ``run_id`` (claimable once :func:`prepare_upload` has
    taken the baseline).  The same plan loaded again resumes, also after a load that died
    part-way: requests already stored keep their states (accepted ones their blobs deleted),
    missing ones are stored.  The run records its plan's fingerprint (the SHA-256 of every
    request key) with its settings, so another plan, target or token is refused.
    """
    check_run_id(run_id)
    big = [r for r in plan.requests if isinstance(r, CodeFile) and r.size > max_chunk_bytes]
    if big:
        raise ValueError(
            f"{len(big)} 5011 chunk(s) exceed {max_chunk_bytes} bytes (largest "
            f"{max(r.size for r in big)}): plan with smaller chunks (max_file_bytes) or raise "
            "max_chunk_bytes; every chunk is held in Redis until it is accepted"
        )
    keys = "\n".join(sorted(request_key(r) for r in plan.requests))
    config = attrs.evolve(config, plan=hashlib.sha256(keys.encode("utf-8")).hexdigest())
    with connection(redis) as client:
        store = RedisUploadManifest(client, run_id, worker=loader_id())
        same = ("target", "company_idcode", "category_reg_id", "version", "plan")
        record_config(store, config, same, ManifestMismatchError)
        new = accepted = blob_bytes = 0
        for seq, request in enumerate(plan.requests, start=1):
            payload = _payload(request)
            created, state = store.load(describe_request(request, seq), payload)
            new += created
            if state is EntryState.ACCEPTED:
                accepted += 1
            else:
                blob_bytes += len(payload)
        return UploadLoadReport(
            run_id=run_id,
            requests=len(plan.requests),
            codes=plan.count,
            new=new,
            accepted=accepted,
            blob_bytes=blob_bytes,
            duplicates=plan.duplicates.count,
            rejected=plan.rejected.count,
        )


async def prepare_upload(
    redis_url: str,
    company_idcode: str,
    category_reg_id: str,
    codes: AsyncCodeSource,
    run_id: str,
    *,
    access_token: str,
    auth_code: str,
    base_url: str = TEST_BASE_URL,
    options: PlanOptions | None = None,
    category: CategoryRef | None = None,
    max_chunk_bytes: int = DEFAULT_MAX_CHUNK_BYTES,
    retry_failed: bool = False,
    **settings: Any,
) -> UploadLoadReport:
    """Plan ``codes``, load the run, take the 502 baseline, and open the run to workers.

    The baseline (the category's batches before the run's first request, which tells a lost
    answer's batch from older ones) is taken here, once, by the operator, before any worker can
    claim: a worker taking it could list a batch another worker had just uploaded.
    ``settings`` are :class:`~.runs.RunConfig`'s (``version``, ``generate_type``, ``lease``,
    ``grace`` …).
    """
    options = options if options is not None else PlanOptions()
    config = RunConfig(
        kind="upload",
        target=base_url,
        token_id=token_id(access_token),
        company_idcode=company_idcode,
        category_reg_id=category_reg_id,
        newline=options.file_newline,
        **settings,
    )
    with await plan_upload_async(codes, options=options) as plan:
        report = await anyio.to_thread.run_sync(
            lambda: load_upload(redis_url, plan, run_id, config, max_chunk_bytes=max_chunk_bytes)
        )
        with connection(redis_url) as sync:
            store = RedisUploadManifest(sync, run_id, worker=loader_id())
            async with client_for(config, access_token, auth_code) as client:
                await upload_session(client, store, config, category=category).take_baseline()
            requeued, retried = await anyio.to_thread.run_sync(
                lambda: store.requeue(retry_failed=retry_failed)
            )
            await anyio.to_thread.run_sync(sync.hset, store.keys.meta, "ready", "1")
    return attrs.evolve(report, requeued=requeued, retried=retried)


def upload_session(
    client: IdcodeClient,
    store: RedisUploadManifest,
    config: RunConfig,
    *,
    category: CategoryRef | None = None,
    pacer: Pacer | None = None,
) -> UploadSession:
    """The upload executor on the shared manifest, with the run's settings; a worker fills its
    ``requests`` with the requests it claims."""
    return UploadSession(
        client=client,
        store=store,
        company_idcode=config.company_idcode,
        category_reg_id=config.category_reg_id,
        generate_type=config.generate_type,
        version=config.version,
        category=category,
        assume_not_uploaded=config.assume_not_uploaded,
        grace=config.grace,
        retry=config.retry,
        pacer=pacer,
    )


class UnusableError(Exception):
    """A claimed request a worker cannot send (its payload is missing or altered)."""


def materialise(
    entry: ManifestEntry, store: RedisUploadManifest, workspace: Workspace, newline: str
) -> UploadRequest:
    """The plan request of ``entry``, its 5011 chunk written to ``workspace`` and checked."""
    request: UploadRequest
    if entry.endpoint in (5013, 5014):  # a wrong or missing number fails the key check below
        bounds = (entry.prefix_str or "", entry.start_num or 0, entry.end_num or 0)
        five_013 = entry.endpoint == 5013
        request = PrefixRange(*bounds) if five_013 else FixedLengthRange(*bounds, entry.length or 0)
    else:
        text = store.blob(entry.key)
        if text is None:
            raise UnusableError("its payload is not in Redis (the run was loaded incompletely)")
        data = text.encode("ascii")
        if len(data) != entry.size or hashlib.sha256(data).hexdigest() != entry.sha256:
            raise UnusableError("its payload in Redis does not match the plan (SHA-256 or size)")
        if entry.endpoint == 5012:
            request = CodeList(tuple(text.split(",")))
        else:
            path = workspace.path / f"{entry.seq:06d}-{entry.sha256[:16]}.txt"
            path.write_bytes(data)
            request = CodeFile(
                path=path,
                count=entry.count,
                size=entry.size,
                sha256=entry.sha256 or "",
                first_code=entry.first_code,
                last_code=entry.last_code,
                newline=newline,
                workspace=workspace,
            )
    if request_key(request) != entry.key:
        raise UnusableError("the request rebuilt from Redis does not match its key")
    return request


async def verify_upload_run(
    client: IdcodeClient, redis_url: str, run_id: str, *, category: CategoryRef | None = None
) -> VerifyReport:
    """:func:`~idcode_async.uploads.verify_upload` for a shared run: 503 per accepted
    ``uploadcode_id`` (whichever worker recorded it), and 502 for batches no request owns."""
    with connection(redis_url) as sync:
        config = await anyio.to_thread.run_sync(read_config, sync, run_id, "upload")
        store = RedisUploadManifest(sync, run_id, worker="verify")
        return await verify_upload(client, config.company_idcode, store, category=category)
