"""A stateful local emulation of the IDcode centre's whole SP API, for tests and demos.

>>> from idcode_async.sandbox import Sandbox
>>> sandbox = Sandbox(approval_delay=0)
>>> transport = sandbox.transport()          # in-process, for httpx
>>> sandbox.faults.busy_probability = 0.3    # faults at runtime
>>> sandbox.stats()["signature_failures"]
0

All 47 endpoints of the document answer at their documented paths and methods, with the
documented envelopes, field names and result codes; every request's signature is verified by
an implementation independent of the SDK's (:mod:`.verifier`).  ``GET /_sandbox/stats``
reports what was received (:mod:`.stats`); :mod:`.serve` runs it over loopback HTTP.

Modules: :mod:`.config` settings · :mod:`.clock` wall and centre time · :mod:`.verifier`
signature check · :mod:`.parsing` request decoding · :mod:`.faults` fault injection ·
:mod:`.stats` counters · :mod:`.body_limit` the 413 cap · :mod:`.seeded` the document's
example unit · :mod:`.reference_data` regions, trades, categories ·
:mod:`.state`, :mod:`.records`, :mod:`.registrations`, :mod:`.uploads`, :mod:`.review` the
centre's memory and rules · :mod:`.pictures`, :mod:`.zipstream` PNG and ZIP output ·
:mod:`.pages`, :mod:`.urls` page interfaces and URL rules · ``handlers_*`` one per section of
the document · :mod:`.app` routing and pipeline · :mod:`.inspection` ``/_sandbox/`` routes ·
:mod:`.core` the :class:`Sandbox` · :mod:`.serve` uvicorn on 127.0.0.1.
"""

from __future__ import annotations

from .config import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, SandboxConfig
from .core import SANDBOX_BASE_URL, Sandbox, create_app
from .faults import ConnectionDropped, FaultKind, Faults
from .stats import StatsSnapshot

__all__ = [
    "SANDBOX_BASE_URL",
    "TEST_ACCESS_TOKEN",
    "TEST_AUTH_CODE",
    "ConnectionDropped",
    "FaultKind",
    "Faults",
    "Sandbox",
    "SandboxConfig",
    "StatsSnapshot",
    "create_app",
]
