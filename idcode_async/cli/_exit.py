"""Exit codes of every ``idcode`` command, and the one exception that carries them.

One contract, so that scripts treat every command alike; the docs site's table and the
``--help`` epilog are generated from the constants below and their docstrings.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "EXIT_ABORTED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PIPE",
    "EXIT_ROWS",
    "EXIT_USAGE",
    "CommandError",
    "exit_code_epilog",
]

EXIT_OK: Final = 0
"""Everything settled."""
EXIT_ROWS: Final = 1
"""Some rows or requests were invalid or failed (see the results)."""
EXIT_USAGE: Final = 2
"""Bad usage or input (options, input file, journal or manifest)."""
EXIT_ABORTED: Final = 3
"""The run stopped itself (token refused, centre unreachable, undecidable state)."""
EXIT_INTERRUPTED: Final = 130
"""Interrupted by Ctrl-C / SIGTERM; the journal or manifest is consistent: run again."""
EXIT_PIPE: Final = 141
"""Standard output was closed by its reader (``| head``); as a shell reports a SIGPIPE."""


class CommandError(Exception):
    """An expected failure: one ``error:`` line, at most one ``hint:`` line, an exit code."""

    def __init__(self, message: str, *, code: int = EXIT_USAGE, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.hint = hint


def exit_code_epilog() -> str:
    """The exit codes as ``--help`` shows them (one line each, click's no-rewrap block)."""
    rows = [
        (EXIT_OK, "everything settled"),
        (EXIT_ROWS, "some rows/requests invalid or failed (see the results)"),
        (EXIT_USAGE, "usage or input error"),
        (EXIT_ABORTED, "the run stopped itself (token refused, centre unreachable, undecidable)"),
        (EXIT_INTERRUPTED, "interrupted (Ctrl-C/SIGTERM): run the same command to resume"),
        (EXIT_PIPE, "standard output closed by its reader (e.g. | head)"),
    ]
    return "\b\nExit codes:\n" + "\n".join(f"  {code:>3}  {text}" for code, text in rows)
