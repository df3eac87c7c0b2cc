"""Fenced code blocks of the Markdown docs, with the marker comment written above each.

A block is preceded (directly, or with one blank line between) by an optional HTML comment
``<!-- not-run: reason -->``: such a block is compiled but not executed, and the reason is
visible to anyone reading the Markdown source.  Fences inside list items (indented) count.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

__all__ = ["ROOT", "Block", "blocks", "doc_files"]

ROOT = Path(__file__).resolve().parents[2]

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>```+|~~~+)(?P<lang>[\w+-]*)\s*$")
_NOT_RUN = re.compile(r"^\s*<!--\s*not-run:\s*(?P<reason>.+?)\s*-->\s*$")


@attrs.frozen
class Block:
    """One fenced block: where it is, its language, its code and its not-run reason."""

    path: Path
    line: int
    """1-based line of the opening fence."""
    lang: str
    code: str
    not_run: str | None = None

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"


def blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path``, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening or not opening["lang"]:
            i += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        j = i + 1
        while j < len(lines) and lines[j].strip() != fence:
            body.append(lines[j][indent:] if lines[j][:indent].strip() == "" else lines[j])
            j += 1
        if j == len(lines):
            raise ValueError(f"{path}:{i + 1}: unclosed code fence")
        found.append(Block(path, i + 1, opening["lang"], "\n".join(body) + "\n", _marker(lines, i)))
        i = j + 1
    return found


def _marker(lines: list[str], fence_index: int) -> str | None:
    for back in (1, 2):
        k = fence_index - back
        if k < 0:
            return None
        if match := _NOT_RUN.match(lines[k]):
            return match["reason"]
        if lines[k].strip():
            return None
    return None


def doc_files() -> list[Path]:
    """The executed documents: both READMEs and every page under ``docs/``."""
    readmes = [ROOT / "README.md", ROOT / "README.zh-CN.md"]
    pages = sorted((ROOT / "docs").rglob("*.md"))
    return [p for p in readmes if p.exists()] + pages
