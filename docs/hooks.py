"""mkdocs hooks: pages built from the README and from the code, so no text exists twice.

Directives (HTML comments, so the Markdown sources read normally on their own):

* ``<!-- include: README.md#Quick start -->`` — the body of that ``## `` section of a file at
  the repository root (``include?:`` when the section may not exist yet: then nothing).
  Links into ``docs/`` are rewritten relative to the page; other repository links become text.
* ``<!-- result-codes: en -->`` … ``<!-- /result-codes -->`` — the result-code table, generated
  from the SDK's code → exception map (``idcode_async._errors``) and the document's messages
  as the sandbox transcribed them (``idcode_async.sandbox.messages``).  It is kept in the page
  (so it reads on GitHub too); ``python docs/hooks.py`` rewrites it and the tests and the
  build fail when it is out of date.
* ``<!-- exit-codes -->`` / ``<!-- exit-codes: zh -->`` — the CLI's exit codes, from
  ``idcode_async.cli._exit`` (values and their docstrings).
* ``<!-- cli-help: register-units -->`` — that command's ``--help``, from the click command.

Docstrings cross-reference with Sphinx roles (``:class:`~idcode_async.x.Name```), which
mkdocstrings leaves as text: :func:`on_page_content` shows each as the code name it points
to (the last part, as ``~`` asks, or the whole path).

``ARRIVING`` pages (written on other branches) are dropped from the nav until they exist.
"""

from __future__ import annotations

import ast
import itertools
import logging
import posixpath
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from idcode_async._errors import RESULT_CODES
from idcode_async.cli.app import cli
from idcode_async.sandbox import messages

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
ARRIVING = frozenset({"testing.md"})

log = logging.getLogger("mkdocs.hooks.idcode")

_DIRECTIVE = re.compile(r"^<!--\s*(?P<name>[\w?-]+)(?::\s*(?P<arg>.*?))?\s*-->\s*$", re.M)
_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)#\s][^)\s]*)\)")


def section(file: str, title: str) -> str | None:
    """The body of the ``## title`` section of a root file (up to the next ``## ``)."""
    lines = (ROOT / file).read_text(encoding="utf-8").splitlines()
    try:
        start = lines.index(f"## {title}") + 1
    except ValueError:
        return None
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return "\n".join(lines[start:end]).strip("\n") + "\n"


_FRAGMENT = re.compile(r"^ *```python\n(?:(?!^ *```).*\n)*?.*(\bawait\b|\bclient\.)", re.M)
_FRAGMENT_NOTE = {
    "en": "Snippets on this page that use `await` run inside an `async def` where `client` is an "
    "open `IdcodeClient`, as in the [Quick start]({quickstart}).",
    "zh": "本页中含 `await` 的代码片段运行在 `async def` 之中，`client` 是已打开的 "
    "`IdcodeClient`，见[快速开始]({quickstart})。",
}


def fragment_note(body: str, file: str, page_path: str) -> str:
    """A note for included sections whose snippets use ``await`` or ``client``: fragments."""
    if not _FRAGMENT.search(body) or page_path.endswith("quickstart.md"):
        return ""
    lang = "zh" if "zh" in file else "en"
    quickstart = posixpath.relpath(
        "zh/quickstart.md" if lang == "zh" else "quickstart.md", posixpath.dirname(page_path) or "."
    )
    return "!!! note\n    " + _FRAGMENT_NOTE[lang].format(quickstart=quickstart) + "\n\n"


def relink(text: str, page_path: str) -> str:
    """Rewrite repository-relative links for a page at ``page_path`` (docs-relative)."""
    page_dir = posixpath.dirname(page_path)

    def one(match: re.Match[str]) -> str:
        target = match["target"]
        if "://" in target or target.startswith("mailto:"):
            return match[0]
        if target.startswith("docs/"):
            relative = posixpath.relpath(target.removeprefix("docs/"), page_dir or ".")
            return f"[{match['text']}]({relative})"
        return f"{match['text']} (`{target}` in the repository)"

    def to_page(match: re.Match[str]) -> str:
        page = _section_pages(file_of_anchors).get(match["slug"])
        if page is None:
            return match[0]
        return f"[{match['text']}]({posixpath.relpath(page, page_dir or '.')})"

    file_of_anchors = "README.zh-CN.md" if page_path.startswith("zh/") else "README.md"
    return _ANCHOR.sub(to_page, _LINK.sub(one, text))


_ANCHOR = re.compile(r"\[(?P<text>[^\]]+)\]\(#(?P<slug>[^)\s]+)\)")


def _slug(title: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    kept = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -_")
    return kept.replace(" ", "-")


def _section_pages(file: str) -> dict[str, str]:
    """Anchor of each ``## `` section of ``file`` -> the docs page that includes it.

    An in-README link such as ``[Retries and timeouts](#retries-and-timeouts)`` then points
    at that section's own page on the site.
    """
    pages: dict[str, str] = {}
    for page in sorted(DOCS.rglob("*.md")):
        for match in _DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            target, _, title = (match["arg"] or "").strip().partition("#")
            if match["name"] in ("include", "include?") and target == file:
                pages[_slug(title)] = page.relative_to(DOCS).as_posix()
    return pages


def result_code_rows() -> Iterator[tuple[int, str, str]]:
    """(code, exception class, the document's message) for every documented code."""
    for code, family in sorted(RESULT_CODES.items(), key=lambda item: abs(item[0])):
        yield code, family.__name__, messages.message(0, code)


def result_code_table(lang: str = "en") -> str:
    head = (
        "| 返回值代码 | 异常 | 文档中的提示信息 |"
        if lang == "zh"
        else "| Result code | Exception | The document's message |"
    )
    rows = [head, "| ---: | --- | --- |"]
    rows += [f"| `{code}` | `{name}` | {text} |" for code, name, text in result_code_rows()]
    return "\n".join(rows) + "\n"


def exit_code_rows() -> list[tuple[str, int, str]]:
    """(name, value, docstring) of each ``EXIT_*`` constant of the CLI support module."""
    source = (ROOT / "idcode_async" / "cli" / "_exit.py").read_text(encoding="utf-8")
    body = ast.parse(source).body
    rows = []
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id.startswith("EXIT_")
            and isinstance(node.value, ast.Constant)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
        ):
            rows.append((node.target.id, int(node.value.value), str(after.value.value)))
    return rows


def exit_code_table(lang: str = "en") -> str:
    head = "| 退出码 | 名称 | 含义 |" if lang == "zh" else "| Exit code | Name | Meaning |"
    rows = [head, "| ---: | --- | --- |"]
    rows += [f"| `{value}` | `{name}` | {doc} |" for name, value, doc in exit_code_rows()]
    return "\n".join(rows) + "\n"


def cli_help(command: str) -> str:
    """``idcode COMMAND --help`` as click prints it (80 columns)."""
    words = command.split() if command else []
    result = CliRunner().invoke(cli, [*words, "--help"], terminal_width=80, env={"COLUMNS": "80"})
    if result.exit_code != 0:
        raise ValueError(f"idcode {command} --help: exit {result.exit_code}: {result.output}")
    return f"```text\n{result.stdout.rstrip()}\n```\n"


def expand(markdown: str, page_path: str) -> str:
    """Apply the directives of one page."""

    def one(match: re.Match[str]) -> str:
        name, arg = match["name"], (match["arg"] or "").strip()
        if name in ("include", "include?"):
            file, _, title = arg.partition("#")
            body = section(file, title)
            if body is None:
                if name == "include?":
                    return ""
                raise ValueError(f"{page_path}: no section '## {title}' in {file}")
            return fragment_note(body, file, page_path) + relink(body, page_path)
        if name == "exit-codes":
            return exit_code_table(arg or "en")
        if name == "cli-help":
            return cli_help(arg)
        return match[0]

    return _DIRECTIVE.sub(one, markdown)


_TABLE = re.compile(
    r"^<!--\s*result-codes:\s*(?P<lang>\w+)\s*-->\n(?P<table>.*?)^<!--\s*/result-codes\s*-->",
    re.M | re.S,
)


def refresh_result_codes(markdown: str) -> str:
    """``markdown`` with each result-code table between its markers regenerated."""

    def one(match: re.Match[str]) -> str:
        lang = match["lang"]
        table = result_code_table(lang)
        return f"<!-- result-codes: {lang} -->\n\n{table}\n<!-- /result-codes -->"

    return _TABLE.sub(one, markdown)


def _drop_arriving(nav: Any, docs_dir: Path) -> Any:
    if isinstance(nav, list):
        kept = [_drop_arriving(item, docs_dir) for item in nav]
        return [item for item in kept if item is not None]
    if isinstance(nav, dict):
        kept = {key: _drop_arriving(value, docs_dir) for key, value in nav.items()}
        return {key: value for key, value in kept.items() if value is not None} or None
    if isinstance(nav, str) and nav in ARRIVING and not (docs_dir / nav).exists():
        log.info("nav: %s is not written yet; left out", nav)
        return None
    return nav


def on_config(config: Any) -> Any:
    config["nav"] = _drop_arriving(config["nav"], Path(config["docs_dir"]))
    return config


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if refresh_result_codes(markdown) != markdown:
        raise ValueError(
            f"{page.file.src_uri}: result-code table out of date: python docs/hooks.py"
        )
    return expand(markdown, page.file.src_uri)


_ROLE = re.compile(r":(?:class|func|meth|mod|attr|exc|data|obj|const):<code>(~?)([^<]+)</code>")


def _role_as_code(match: re.Match[str]) -> str:
    target = match.group(2).lstrip(".")
    return f"<code>{target.rsplit('.', 1)[-1] if match.group(1) else target}</code>"


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return _ROLE.sub(_role_as_code, html)


def main() -> None:
    """Rewrite the result-code tables of the pages that have them."""
    for page in sorted((ROOT / "docs").rglob("*.md")):
        text = page.read_text(encoding="utf-8")
        fresh = refresh_result_codes(text)
        if fresh != text:
            page.write_text(fresh, encoding="utf-8")
            print(f"updated {page.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
