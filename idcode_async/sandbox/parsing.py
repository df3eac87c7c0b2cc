"""Reading a request's parameters the way the centre does: decoded, from query and body.

GET parameters come from the query string.  POST parameters come from an
``application/x-www-form-urlencoded`` body or, with files, a ``multipart/form-data`` body; a
query string on a POST is merged in too (the document's 304 example posts a multipart form to
a URL that carries the text parameters).  A name given twice is refused: which value would be
signed is then ambiguous.  ``+`` decodes to a space, as in every form decoder.

The urlencoded and query parts are decoded here with the standard library; multipart bodies
go through Starlette's parser (python-multipart), which spools large files to disk, so a
large code file (5011) is never held in memory whole.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import attrs
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request

__all__ = ["ParsedRequest", "parse_request"]

_MAX_FIELDS = 1000
_MAX_TEXT_PART = 16 * 1024 * 1024


@attrs.define
class ParsedRequest:
    """Decoded text parameters, file parameters, and what went wrong, if anything."""

    params: dict[str, str] = attrs.field(factory=dict)
    files: dict[str, UploadFile] = attrs.field(factory=dict)
    problem: str | None = None
    form: FormData | None = None

    async def close(self) -> None:
        """Release spooled multipart files."""
        if self.form is not None:
            await self.form.close()


def _merge(parsed: ParsedRequest, pairs: list[tuple[str, str]]) -> None:
    for name, value in pairs:
        if name in parsed.params or name in parsed.files:
            parsed.problem = f"parameter {name!r} given more than once"
        parsed.params[name] = value


def _decode_pairs(text: str) -> list[tuple[str, str]]:
    return parse_qsl(
        text, keep_blank_values=True, encoding="utf-8", errors="strict", max_num_fields=None
    )


async def parse_request(request: Request) -> ParsedRequest:
    """Decode every parameter of ``request``; problems are reported, never raised."""
    parsed = ParsedRequest()
    try:
        _merge(parsed, _decode_pairs(request.scope.get("query_string", b"").decode("latin-1")))
    except UnicodeDecodeError:
        parsed.problem = "query string is not valid UTF-8 once decoded"
    if request.method != "POST":
        return parsed
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        await _read_multipart(request, parsed)
        return parsed
    body = await request.body()
    if content_type == "application/x-www-form-urlencoded":
        try:
            _merge(parsed, _decode_pairs(body.decode("utf-8")))
        except UnicodeDecodeError:
            parsed.problem = "form body is not valid UTF-8"
    elif body:
        parsed.problem = f"unsupported content type {content_type or '(none)'!r}"
    return parsed


async def _read_multipart(request: Request, parsed: ParsedRequest) -> None:
    try:
        form = await request.form(
            max_files=_MAX_FIELDS, max_fields=_MAX_FIELDS, max_part_size=_MAX_TEXT_PART
        )
    except (HTTPException, MultiPartException) as exc:
        parsed.problem = f"malformed multipart body: {exc}"
        return
    parsed.form = form
    texts: list[tuple[str, str]] = []
    for name, value in form.multi_items():
        if isinstance(value, UploadFile):
            if name in parsed.files or name in parsed.params:
                parsed.problem = f"parameter {name!r} given more than once"
            parsed.files[name] = value
        else:
            texts.append((name, value))
    _merge(parsed, texts)
