"""The ``idcode`` command: a click group with one module per command (the ``cli`` extra).

Each command turns its options into typed settings (attrs) and calls the library's public
functions; nothing outside this package sees click.  ``python -m idcode_async`` and the
``idcode`` script are both :func:`main`, which says how to install the extra when click is
missing instead of failing with an ImportError.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence

from .._version import __version__
from ._exit import EXIT_OK, EXIT_USAGE

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``idcode`` script and ``python -m idcode_async``; the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    missing = [name for name in ("click", "rich") if importlib.util.find_spec(name) is None]
    if missing:
        if words == ["--version"]:  # answers on a core install too, as packagers check it
            print(f"idcode-async {__version__}")
            return EXIT_OK
        print(
            f"error: the idcode command needs the 'cli' extra ({', '.join(missing)})",
            file=sys.stderr,
        )
        print("hint: pip install 'idcode-async[cli]'", file=sys.stderr)
        return EXIT_USAGE
    # The commands import click and rich (the cli extra): only now is it known they are there.
    from .app import main as run

    return run(argv)
