"""The scale-out errors, importable without the ``redis`` extra: the CLI maps them to its
exit codes on every install, and a run id of the wrong kind is a user's mistake, not a bug."""

from __future__ import annotations

from typing import Literal

from .._errors import IdcodeError

__all__ = ["KIND_NAMES", "Kind", "RunKindError", "ScaleError"]

Kind = Literal["run", "upload"]
KIND_NAMES: dict[Kind, str] = {"run": "a registration", "upload": "an upload"}


class ScaleError(IdcodeError):
    """A worker cannot take part in a run (wrong access token, no such run)."""


class RunKindError(ScaleError):
    """The run id names a run of the other kind (an upload run given to a registration
    command, or the reverse): its items would read as an empty run of the asked kind."""

    def __init__(self, run_id: str, kind: Kind) -> None:
        self.run_id, self.kind = run_id, kind
        found, asked = KIND_NAMES[kind], KIND_NAMES["upload" if kind == "run" else "run"]
        super().__init__(f"run {run_id!r} is {found} run, not {asked} run")
