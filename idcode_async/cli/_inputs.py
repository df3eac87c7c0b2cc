"""The input file a command reads: a regular file, or ``-`` for standard input.

Checked before anything is opened, so that the message says what is wrong: a directory, a
missing file, or a device or pipe (``/dev/zero`` would be read for ever, a FIFO without a
writer waits for ever); standard input closed by the caller is said so too.
"""

from __future__ import annotations

import stat
import sys
from pathlib import Path
from typing import BinaryIO

from ._exit import EXIT_USAGE, CommandError

__all__ = ["check_input_file", "stdin_bytes"]

STDIN = "-"


def check_input_file(name: str) -> None:
    """A usage error unless ``name`` is ``-`` or a regular file (symlinks followed)."""
    if name == STDIN:
        return
    try:
        mode = Path(name).stat().st_mode
    except FileNotFoundError:
        raise CommandError(f"{name}: no such file", code=EXIT_USAGE) from None
    except OSError as exc:
        raise CommandError(f"{name}: {exc.strerror or exc}", code=EXIT_USAGE) from None
    if stat.S_ISDIR(mode):
        raise CommandError(f"{name}: is a directory, not a file", code=EXIT_USAGE)
    if not stat.S_ISREG(mode):
        raise CommandError(
            f"{name}: not a regular file (a device, pipe or socket)",
            code=EXIT_USAGE,
            hint=f"give '{STDIN}' to read standard input",
        )


def stdin_bytes(what: str) -> BinaryIO:
    """Standard input as bytes, or a usage error when the caller closed it (``<&-``)."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise CommandError(f"standard input is closed: nothing to read the {what} from")
    return stream  # type: ignore[no-any-return]
