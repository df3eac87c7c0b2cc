"""The site's generated parts: result codes, exit codes, CLI help, README sections.

The tables are built from the code when the site is built (``docs/hooks.py``); these tests
hold them to the SDK's behaviour and, where the document itself is at hand, to the document.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from idcode_async._errors import ApiError, error_for_code
from idcode_async.cli import _exit

from .hooks import load_hooks
from .markdown import ROOT

hooks = load_hooks()

SEED_NAME = "000_e4863a31e409548b.txt"


def _seed() -> Path | None:
    """The centre's document, when a copy of the shared folder is beside the checkout."""
    candidates = [Path(os.environ["IDCODE_SEED"])] if "IDCODE_SEED" in os.environ else []
    candidates += [p / "shared" / "seed" / SEED_NAME for p in ROOT.parents]
    return next((p for p in candidates if p.is_file()), None)


def _table_rows(table: str) -> list[list[str]]:
    lines = table.strip().splitlines()[2:]
    return [[cell.strip().strip("`") for cell in line.strip("|").split("|")] for line in lines]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_result_code_table_is_what_the_sdk_raises(lang: str) -> None:
    rows = _table_rows(hooks.result_code_table(lang))
    assert len(rows) == 32  # -1 and the 31 documented five-digit codes
    for code, name, message in rows:
        raised = error_for_code(int(code), message, 306)
        assert type(raised).__name__ == name
        assert type(raised) is not ApiError
        assert message


@pytest.mark.parametrize("page", ["docs/errors.md", "docs/zh/errors.md"])
def test_result_code_tables_in_the_pages_are_current(page: str) -> None:
    text = (ROOT / page).read_text(encoding="utf-8")
    assert hooks.result_code_table("zh" if "/zh/" in page else "en") in text
    assert hooks.refresh_result_codes(text) == text, "run: python docs/hooks.py"


def test_a_stale_table_is_refreshed() -> None:
    stale = "<!-- result-codes: en -->\n| old |\n<!-- /result-codes -->\n"
    assert hooks.refresh_result_codes(stale) == (
        f"<!-- result-codes: en -->\n\n{hooks.result_code_table()}\n<!-- /result-codes -->\n"
    )


def test_result_code_table_matches_the_document() -> None:
    seed = _seed()
    if seed is None:
        pytest.skip("the centre's document (shared/seed) is not beside this checkout")
    text = re.sub(r"\s+", "", seed.read_text(encoding="utf-8"))
    documented = set(re.findall(r"^(-1|\d{5}) ", seed.read_text(encoding="utf-8"), re.M))
    rows = _table_rows(hooks.result_code_table())
    assert {code for code, _, _ in rows} == documented
    for code, _, message in rows:
        assert code + re.sub(r"\s+", "", message) in text, code


def test_exit_code_table_is_the_cli_contract() -> None:
    rows = hooks.exit_code_rows()
    constants = {n: getattr(_exit, n) for n in dir(_exit) if n.startswith("EXIT_")}
    assert {name: value for name, value, _ in rows} == constants
    assert all(doc for _, _, doc in rows)
    assert "| `130` | `EXIT_INTERRUPTED` |" in hooks.exit_code_table()


def test_cli_help_is_the_commands() -> None:
    text = hooks.cli_help("register-units")
    assert text.startswith("```text\nUsage: idcode register-units")
    assert "--journal" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_include_takes_a_readme_section_and_relinks() -> None:
    body = hooks.expand("<!-- include: README.md#Batch unit registration (309) -->", "batch.md")
    assert "register_units" in body
    assert "](scale-out.md)" in body
    assert "](docs/" not in body
    zh = hooks.expand("<!-- include: README.zh-CN.md#错误与返回值代码 -->", "zh/errors.md")
    assert "](errors.md)" in zh


def test_include_of_a_missing_section() -> None:
    with pytest.raises(ValueError, match="no section"):
        hooks.expand("<!-- include: README.md#No such section -->", "x.md")
    assert hooks.expand("<!-- include?: README.md#No such section -->", "x.md") == ""


def test_repository_links_become_text() -> None:
    assert hooks.relink("see [the examples](examples/README.md).", "web.md") == (
        "see the examples (`examples/README.md` in the repository)."
    )


@pytest.mark.parametrize(
    "page", sorted((ROOT / "docs").rglob("*.md")), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_every_page_expands(page: Path) -> None:
    """Every directive resolves (``mkdocs build --strict`` in ``nox -s docs`` checks the rest)."""
    relative = page.relative_to(ROOT / "docs").as_posix()
    expanded = hooks.expand(page.read_text(encoding="utf-8"), relative)
    assert not re.search(r"^<!--\s*(include|exit-codes|cli-help)", expanded, re.M)


def test_readme_starts_with_the_two_commands_then_the_chinese_link() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert lines[2] == "```bash"
    assert lines[5] == "```"
    assert "](README.zh-CN.md)" in lines[7]


def test_arriving_pages_wait_for_their_file(tmp_path: Path) -> None:
    nav = [{"Home": "index.md"}, {"Testing your app": "testing.md"}, {"Ref": [{"a": "a.md"}]}]
    assert hooks._drop_arriving(nav, tmp_path) == [{"Home": "index.md"}, {"Ref": [{"a": "a.md"}]}]
    (tmp_path / "testing.md").write_text("# Testing\n", encoding="utf-8")
    assert hooks._drop_arriving(nav, tmp_path) == nav


def test_pages_with_awaiting_snippets_say_where_they_run() -> None:
    batch = hooks.expand("<!-- include: README.md#Batch unit registration (309) -->", "batch.md")
    assert batch.startswith("!!! note\n    Snippets on this page that use `await`")
    assert "(quickstart.md)" in batch
    zh = hooks.expand("<!-- include: README.zh-CN.md#码上传（5011–5014） -->", "zh/uploads.md")
    assert zh.startswith("!!! note\n    本页中含 `await`")
    codes = hooks.expand("<!-- include: README.md#Development -->", "development.md")
    assert "!!! note" not in codes


def test_sphinx_roles_in_docstrings_show_as_code_names() -> None:
    html = (
        "see :class:<code>~idcode_async.registration.SqliteJournal</code>, "
        ":func:<code>idcode_async.upload_codes</code> and :mod:<code>.verifier</code>"
    )
    assert hooks.on_page_content(html, None, None, None) == (
        "see <code>SqliteJournal</code>, <code>idcode_async.upload_codes</code> and "
        "<code>verifier</code>"
    )
