"""The ``redis`` extra, imported only by the modules that need it.

``import idcode_async`` (and ``import idcode_async.scale``) never imports redis or arq: the
scale-out is optional, and a single-machine batch must work on the core install.  The modules
that talk to Redis call :func:`require` at import time, so a missing extra fails at once, with
the command that fixes it, rather than with a bare ``ModuleNotFoundError`` deep in a job.
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["MissingExtraError", "require"]

INSTALL_HINT = 'pip install "idcode-async[redis]"'


class MissingExtraError(ImportError):
    """redis or arq is not installed; the message says how to install them."""


def require(module: str) -> ModuleType:
    """Import ``module`` (``redis``, ``redis.asyncio``, ``arq`` …) or explain the extra."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"the scale-out helpers need {module.split('.')[0]!r}, which is not installed: "
            f"install idcode-async[redis] ({INSTALL_HINT})"
        ) from exc
