"""``register-units --out``: the results file, refused when it is another file of the run and
naming itself when it cannot be written.

The writer truncates its file when opened: ``--out units.csv`` would replace the input with
the results, and ``--out run.db`` would empty the journal, losing what earlier runs settled
(and with it the exactly-once guarantee for rows in doubt).  A full disk or ``/proc/version``
fails on a later write with a bare ``OSError``, so every call names the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..registration import RowOutcome, open_results
from ._exit import EXIT_USAGE, CommandError

__all__ = ["ResultsOut", "check_out_path"]

T = TypeVar("T")


def check_out_path(out: Path, **others: str | None) -> None:
    """A usage error when ``out`` is the same file as one of ``others`` (option → path)."""
    for option, other in others.items():
        if other and other != "-" and _same_file(out, Path(other)):
            raise CommandError(
                f"--out {out} is the {option} file: writing the results would destroy it",
                code=EXIT_USAGE,
                hint="give --out a file of its own",
            )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet: compare where they would be
        return a.resolve() == b.resolve()


class ResultsOut:
    """The results writer of :func:`open_results`, whose failures name ``--out``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._writer = self._call(open_results, path)

    def write(self, outcome: RowOutcome) -> None:
        self._call(self._writer.write, outcome)

    def close(self) -> None:
        self._call(self._writer.close)

    def _call(self, action: Callable[..., T], *args: object) -> T:
        try:
            return action(*args)
        except OSError as exc:
            raise CommandError(
                f"--out {self.path}: cannot write the results: {exc.strerror or exc}",
                code=EXIT_USAGE,
            ) from None
