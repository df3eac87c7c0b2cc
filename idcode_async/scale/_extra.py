"""The ``redis`` extra, checked where it is needed: a module that talks to Redis or arq calls
:func:`require` at import time, so that a missing extra fails at once with the command that
fixes it, not with a bare ``ModuleNotFoundError`` deep in a job."""

from __future__ import annotations

import importlib

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(ImportError):
    """redis or arq is not installed; the message says how to install them."""


def require(module: str) -> None:
    """Import ``module`` (``redis``, ``arq``) or explain the extra."""
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"the scale-out helpers need {module!r}, which is not installed: "
            'install idcode-async[redis] (pip install "idcode-async[redis]")'
        ) from exc
