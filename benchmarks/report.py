"""Assemble the figures written by the benchmarks into one markdown table (``nox -s bench``).

Run: ``python benchmarks/report.py RESULTS.jsonl``.  Each line is one figure from
``_results.record``; the table lists every figure with its goal and whether it was met.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def verdict(line: dict[str, Any]) -> str:
    goal, target, value = line["goal"], line["target"], line["value"]
    if goal == "info" or target is None:
        return ""
    met = value <= target if goal == "<=" else value >= target
    return "met" if met else "**missed**"


def shown(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"


def table(lines: list[dict[str, Any]]) -> str:
    rows = [
        "| benchmark | figure | value | goal | |",
        "|---|---|---|---|---|",
    ]
    for line in lines:
        unit = f" {line['unit']}" if line["unit"] else ""
        goal = "" if line["goal"] == "info" else f"{line['goal']} {shown(line['target'])}{unit}"
        rows.append(
            f"| {line['bench']} | {line['figure']} | {shown(line['value'])}{unit} "
            f"| {goal} | {verdict(line)} |"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    args = parser.parse_args()
    text = args.results.read_text(encoding="utf-8") if args.results.exists() else ""
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    print(table(lines) if lines else "no figures were recorded")


if __name__ == "__main__":
    main()
