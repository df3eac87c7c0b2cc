"""Settings of one sandbox: keys, timings, limits, faults and the seed of its randomness."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import attrs

from .body_limit import DEFAULT_MAX_BODY_BYTES
from .clock import wall_clock_ms
from .faults import Faults

__all__ = ["TEST_ACCESS_TOKEN", "TEST_AUTH_CODE", "TEST_RESOLVER", "SandboxConfig"]

TEST_ACCESS_TOKEN: Final = "J7X4LuOOfURXeAAEAAAAAABSK"
"""The document's public test key (seed §三/§四)."""

TEST_AUTH_CODE: Final = "RORJOOfU4OJ44XUf4uuXU4JuRLeeRAX7"
"""The system authorisation code that goes with the test key (seed §四)."""

TEST_RESOLVER: Final = "http://stest.idcode.org.cn/?code="
"""Code content = resolver + code (seed §十一 note, test environment)."""


def _default_keys() -> dict[str, str]:
    return {TEST_ACCESS_TOKEN: TEST_AUTH_CODE}


@attrs.frozen(kw_only=True)
class SandboxConfig:
    """Everything a sandbox instance is configured with; ``attrs.evolve`` makes variants."""

    keys: Mapping[str, str] = attrs.field(factory=_default_keys)
    """Access token → system authorisation code.  Defaults to the document's test key."""
    disabled_keys: frozenset[str] = frozenset()
    """Access tokens answered with 10002 (key disabled), whether or not they are in ``keys``."""
    approval_delay: float = 2.0
    """Seconds of centre time between a review starting and its verdict (308/608)."""
    time_skew: float = 600.0
    """How far (seconds) a request's ``time`` may be from the wall clock before 10000."""
    verify_code_ttl: float = 300.0
    """Seconds a 302/303 verification code stays valid (then 20001)."""
    verify_code_interval: float = 60.0
    """Seconds before the same phone may ask for another code (else 20003)."""
    short_code_delay: float = 0.0
    """Seconds of centre time before an upload's short codes exist (else 50013 for them)."""
    max_image_bytes: int = 5 * 1024 * 1024
    """304/305 images: at most 5 MB (40001)."""
    max_body_bytes: int = attrs.field(
        default=DEFAULT_MAX_BODY_BYTES, validator=attrs.validators.ge(1)
    )
    """Request bodies over this many bytes are answered HTTP 413 (see :mod:`.body_limit`);
    the default admits the SDK's largest 5011 chunk."""
    max_json_codes: int = 100_000
    """505 answers at most this many codes; the header ``X-Sandbox-Truncated`` says when."""
    reject_marker: str | None = "REJECT"
    """A unit name or resolve URL containing this text fails its review (status -1)."""
    resolver: str = TEST_RESOLVER
    """Prefix of code content in generated pictures and download files."""
    seed: int = 0
    """Seed of the centre's own randomness (verification codes, random short codes)."""
    seeded: bool = False
    """Start from the document's example unit ``i.86.120103.1021`` and its categories
    instead of an empty centre (see :mod:`.seeded`)."""
    faults: Faults = attrs.field(factory=Faults)
    """Initial fault settings; the running sandbox's are ``sandbox.faults``."""
    clock: Callable[[], int] = wall_clock_ms
    """Wall clock in epoch milliseconds (inject a fake one for deterministic tests)."""
    pascal_case_endpoints: frozenset[int] = frozenset()
    """Endpoints answering ``ResultCode``/``ResultMsg`` instead of ``result_code``/``result_msg``
    (the document allows both spellings)."""
