"""Every Python block of the READMEs and of ``docs/`` runs against a fresh sandbox.

Two kinds of block run:

* programs (``anyio.run(main)`` at the end, or no ``await`` at all) run as ``__main__``;
* fragments (top-level ``await``, or a use of ``client`` they do not define): the docs say
  they run inside an ``async def`` where ``client`` is an open
  :class:`~idcode_async.IdcodeClient`; they run like that here, ``client`` being the only
  name provided.

Every ``IdcodeClient`` a block builds without a ``transport=`` talks to the block's sandbox
in-process, whatever its ``base_url`` (the READMEs show the real test host); the credential
variables are set to the document's test key.  Blocks run in a scratch directory holding the
sample files under ``files/`` (``units.csv``) and ``codes.txt`` (:data:`CODES`).  A block marked
``<!-- not-run: reason -->`` is compiled only; a block whose client brings a transport of its
own that leaves the process (aiohttp, a real network) fails, asking for that marker.
"""

from __future__ import annotations

import ast
import inspect
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from idcode_async import IdcodeClient
from idcode_async._env import ENV_AUTH_CODE, ENV_TOKEN
from idcode_async.sandbox import TEST_ACCESS_TOKEN, TEST_AUTH_CODE, Sandbox

from .markdown import Block, blocks, doc_files

FILES = Path(__file__).with_name("files")

CODES = "".join(f"SN{n:08d}\n" for n in range(1, 1001)) + "X-17\nY-42\n"
"""``codes.txt``: one zero-padded run (a 5014 range) and two loose codes (a 5012 list)."""

IN_PROCESS = (httpx.ASGITransport, httpx.MockTransport)
"""Transports that never leave the process (a block may build its own sandbox's)."""

PYTHON = [b for path in doc_files() for b in blocks(path) if b.lang in ("python", "py")]


def _compile(block: Block) -> Any:
    return compile(
        block.code, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True
    )


def _uses_unbound_client(source: str) -> bool:
    """Whether ``source`` reads ``client`` without binding it (a fragment, not a program)."""
    loaded, bound = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return "client" in loaded - bound


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A seeded sandbox that every IdcodeClient built without a transport talks to."""
    for sample in FILES.iterdir():
        shutil.copy(sample, tmp_path / sample.name)
    (tmp_path / "codes.txt").write_text(CODES, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ENV_TOKEN, TEST_ACCESS_TOKEN)
    monkeypatch.setenv(ENV_AUTH_CODE, TEST_AUTH_CODE)
    with Sandbox(approval_delay=0, seeded=True) as instance:
        original: Callable[..., None] = IdcodeClient.__init__

        def to_sandbox(self: IdcodeClient, *args: Any, **kwargs: Any) -> None:
            transport = kwargs.setdefault("transport", instance.transport())
            if not isinstance(transport, IN_PROCESS):
                pytest.fail(
                    f"a block's client brings its own network transport ({transport!r}): "
                    "nothing may reach the centre from the tests; mark it <!-- not-run: … -->"
                )
            original(self, *args, **kwargs)

        monkeypatch.setattr(IdcodeClient, "__init__", to_sandbox)
        yield instance


@pytest.mark.parametrize("block", PYTHON, ids=[b.id for b in PYTHON])
def test_python_block(block: Block, request: pytest.FixtureRequest) -> None:
    code = _compile(block)
    if block.not_run is not None:
        return
    sandbox: Sandbox = request.getfixturevalue("sandbox")
    namespace: dict[str, Any] = {"__name__": "__main__"}
    is_fragment = code.co_flags & inspect.CO_COROUTINE or _uses_unbound_client(block.code)
    if not is_fragment:
        exec(code, namespace)
        return

    async def fragment() -> None:
        async with sandbox.client() as client:
            namespace["client"] = client
            result = eval(code, namespace)
            if inspect.isawaitable(result):
                await result

    anyio.run(fragment)


def test_blocks_are_found() -> None:
    """The collector sees the README's blocks (a broken fence parser would pass vacuously)."""
    readme = [b for b in PYTHON if b.path.name == "README.md"]
    assert len(readme) >= 10
    assert any("anyio.run(main)" in b.code for b in readme)


def test_not_run_marker_is_read(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- not-run: needs Redis -->\n```python\nx = 1\n```\n\n```python\ny = 2\n```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [(b.not_run, b.code) for b in found] == [("needs Redis", "x = 1\n"), (None, "y = 2\n")]


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("url = client.page_url(spec)", True),
        ("with SyncClient() as client:\n    client.call(spec)", False),
        ("def main(client):\n    return client.call(spec)", False),
        ("print(1)", False),
    ],
)
def test_fragments_are_blocks_that_read_an_unbound_client(source: str, fragment: bool) -> None:
    assert _uses_unbound_client(source) is fragment
