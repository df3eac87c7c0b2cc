"""The Chinese docs show the same code as the English ones.

Every code block of ``README.zh-CN.md`` and ``docs/zh/`` is one of the English blocks (the
READMEs' and ``docs/``'s), and the Chinese README shows its blocks in the English order.  The
Chinese Python blocks also run, like every block (``test_blocks.py``).
"""

from __future__ import annotations

from .markdown import ROOT, Block, blocks

ENGLISH = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md"))]
CHINESE = [ROOT / "README.zh-CN.md", *sorted((ROOT / "docs" / "zh").glob("*.md"))]


def _english() -> list[Block]:
    return [b for path in ENGLISH for b in blocks(path)]


def test_chinese_blocks_are_english_blocks() -> None:
    english = {(b.lang, b.code) for b in _english()}
    foreign = [b.id for path in CHINESE for b in blocks(path) if (b.lang, b.code) not in english]
    assert foreign == []


def test_chinese_readme_keeps_the_english_order_and_covers_its_sections() -> None:
    english = [(b.lang, b.code) for b in blocks(ROOT / "README.md")]
    chinese = [(b.lang, b.code) for b in blocks(ROOT / "README.zh-CN.md")]
    positions = [english.index(block) for block in chinese]
    assert positions == sorted(positions)
    python = [code for lang, code in chinese if lang == "python"]
    assert len(python) >= 4  # quick start, errors, batch registration, uploads
