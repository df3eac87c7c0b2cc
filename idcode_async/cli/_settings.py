"""What each command was asked to do, as typed settings (attrs): options parsed and checked.

The commands build these from their options; the functions that run a command take them, so
nothing below the click layer sees an option or a namespace.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, TypeVar

import attrs

from .._client import UPLOAD_TIMEOUT
from ..registration import DEFAULT_MAX_INTERVAL, DEFAULT_MIN_INTERVAL
from ..registration.runner import DEFAULT_RETRY
from ..uploads import CategoryRef, PlanOptions
from ..uploads.executor import DEFAULT_GRACE
from ._exit import CommandError
from ._options import ClientSettings, Credentials
from ._runtime import redis_url

__all__ = [
    "RedisSettings",
    "RedisUpload",
    "RegisterSettings",
    "UploadSettings",
    "copied",
    "redis_settings",
]

R = TypeVar("R", bound="RedisSettings")


@attrs.frozen(kw_only=True)
class RedisSettings:
    """``--redis``: the run is shared through Redis; ``--journal`` names it there."""

    url: str
    workers: int = 1
    lease: float | None = None


@attrs.frozen(kw_only=True)
class RedisUpload(RedisSettings):
    """``--redis``: the upload is shared through Redis under the name ``run``."""

    run: str


def copied(options: dict[str, Any], *names: str) -> dict[str, Any]:
    """The options that become settings of the same name, unchanged."""
    return {name: options[name] for name in names}


def redis_settings(options: dict[str, Any], kind: type[R], **extra: Any) -> R | None:
    """The ``--redis``/``--workers``/``--lease`` options as ``kind``, or None without
    ``--redis`` (``--redis`` alone: the URL in the variable)."""
    if options["redis"] is None:
        return None
    url = redis_url(options["redis"])
    return kind(url=url, workers=options["workers"], lease=options["lease"], **extra)


@attrs.frozen(kw_only=True)
class RegisterSettings:
    """Everything ``register-units`` was asked to do, checked."""

    input: str
    """A file name, or ``-`` for standard input."""
    journal: str | None
    out: Path | None = None
    encoding: str = "auto"
    strict_columns: bool = False
    min_interval: float = DEFAULT_MIN_INTERVAL
    max_interval: float = DEFAULT_MAX_INTERVAL
    concurrency: int = 1
    max_retries: int = DEFAULT_RETRY.max_retries
    dry_run: bool = False
    show: int = 20
    retry_failed: bool = False
    check_regions: bool = True
    progress: str = "auto"
    client: ClientSettings
    credentials: Credentials | None = None
    redis: RedisSettings | None = None
    resume: str = ""
    """The command line that resumes this run (no secret in it)."""

    def __attrs_post_init__(self) -> None:
        if self.max_interval < self.min_interval:
            raise CommandError(
                f"--max-interval ({self.max_interval:g}) is shorter than --min-interval "
                f"({self.min_interval:g})"
            )


@attrs.frozen(kw_only=True)
class UploadSettings:
    """Everything ``upload-codes`` was asked to do, checked."""

    codes: str
    """The code file, or ``-`` for standard input (then ``--manifest`` is required)."""
    manifest: Path
    options: PlanOptions
    plan_only: bool = False
    company_idcode: str | None = None
    category_reg_id: str | None = None
    interface_version: Literal["1.0", "2.0"] = "2.0"
    generate_type: Literal["0", "1"] | None = None
    verify: bool = False
    category: CategoryRef | None = None
    assume_not_uploaded: bool = False
    retry_failed: bool = False
    reconcile_grace: float = DEFAULT_GRACE
    upload_timeout: float = UPLOAD_TIMEOUT.read or 300.0
    progress: str = "auto"
    client: ClientSettings
    credentials: Credentials | None = None
    redis: RedisUpload | None = None
    resume: str = ""
