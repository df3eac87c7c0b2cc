"""Figures for the one report: each benchmark appends JSON lines, ``report.py`` tabulates them.

A figure is one measured value with its goal.  The file is named by ``IDCODE_BENCH_RESULTS``
(``nox -s bench`` sets it); without it figures are only printed by their scripts.
"""

from __future__ import annotations

import json
import os
from typing import Literal

Goal = Literal["<=", ">=", "info"]


def record(
    bench: str,
    figure: str,
    value: float,
    *,
    unit: str = "",
    goal: Goal = "info",
    target: float | None = None,
) -> None:
    """Append one figure (``goal`` "<=" or ">=" against ``target``; "info" has no goal)."""
    path = os.environ.get("IDCODE_BENCH_RESULTS")
    if not path:
        return
    line = {
        "bench": bench,
        "figure": figure,
        "value": value,
        "unit": unit,
        "goal": goal,
        "target": target,
    }
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
