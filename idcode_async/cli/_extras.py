"""Commands that need an optional extra say so in one line instead of an ImportError."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import Final

from ._exit import EXIT_USAGE, CommandError

__all__ = ["SANDBOX_MODULES", "require_extra"]

SANDBOX_MODULES: Final = ("starlette", "multipart", "segno")


def require_extra(extra: str, modules: Sequence[str]) -> None:
    """A usage error with the install command when a module of ``extra`` is missing."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise CommandError(
            f"this command needs the {extra!r} extra (missing: {', '.join(missing)})",
            code=EXIT_USAGE,
            hint=f"pip install 'idcode-async[{extra}]'",
        )
