"""From an answer's bytes to a response object or a typed error (seed §五, result codes).

The body decides, not its label: a JSON object with a result code is the centre's answer even
when a Java or ASP.NET backend labels it ``text/html``; a body that is markup is a gateway page.
Only an integer result code of exactly 1 is success (``true`` is not ``1``).
"""

from __future__ import annotations

import re
from typing import Any

import cattrs

from ._converter import NestingError, Surveyed, decode_json, structure
from ._errors import HttpStatusError, ResponseDecodeError, error_for_code
from ._spec import Response

__all__ = ["decode_answer"]

_CODE_TEXT = re.compile(r"-?\d{1,10}")
_CODE_RANGE = range(-(2**31), 2**31)


def decode_answer(
    content: bytes, *, status: int, endpoint: int, response_type: type[Response]
) -> Response:
    """Decode one answer of ``endpoint``; raise the result code's exception unless it is 1."""
    rows: Surveyed = {}
    body = _parse(content, status, endpoint, rows)
    code = _result_code(body.get("result_code"), status, endpoint)
    if code != 1:
        raise error_for_code(code, _message(body.get("result_msg")), endpoint, body)
    try:
        return structure(body, response_type, rows=rows)
    except (cattrs.BaseValidationError, ValueError, TypeError, RecursionError) as exc:
        problem = _describe(exc)
    raise ResponseDecodeError(
        f"the answer does not match the documented fields: {problem}",
        status_code=status,
        endpoint=endpoint,
    )


_INVALID: Any = object()
_TOO_DEEP: Any = object()


def _loads(content: bytes, rows: Surveyed) -> Any:
    """The parsed body (keys cleaned), ``_TOO_DEEP`` or ``_INVALID``.

    The parser's error (it may quote the body) is dropped.
    """
    try:
        return decode_json(content, max_depth=MAX_DEPTH, rows=rows)
    except (RecursionError, NestingError):  # beyond the parser's own limit, or ours
        return _TOO_DEEP
    except ValueError:
        return _INVALID


MAX_DEPTH = 32
"""Deepest nesting accepted; the document's answers are at most a few levels deep."""


def _parse(content: bytes, status: int, endpoint: int, rows: Surveyed) -> dict[str, Any]:
    body = _loads(content, rows)
    if body is _INVALID:
        raise _not_json(content, status, endpoint)
    if body is _TOO_DEEP:
        raise ResponseDecodeError(
            f"HTTP {status}: the answer is nested too deeply", status_code=status, endpoint=endpoint
        )
    if not isinstance(body, dict):
        if status >= 400:
            raise HttpStatusError(status, endpoint=endpoint)
        raise ResponseDecodeError(
            f"HTTP {status}: expected a JSON object", status_code=status, endpoint=endpoint
        )
    return body


def _not_json(content: bytes, status: int, endpoint: int) -> Exception:
    if content.lstrip()[:1] == b"<":
        return ResponseDecodeError(
            f"HTTP {status}: an HTML page instead of JSON",
            status_code=status,
            endpoint=endpoint,
            is_html=True,
        )
    if status >= 400:
        return HttpStatusError(status, endpoint=endpoint)
    return ResponseDecodeError(
        f"HTTP {status}: the answer is not JSON", status_code=status, endpoint=endpoint
    )


def _result_code(value: Any, status: int, endpoint: int) -> int:
    if value is None:
        if status >= 400:
            raise HttpStatusError(status, endpoint=endpoint)
        raise ResponseDecodeError(
            f"HTTP {status}: the answer has no result_code", status_code=status, endpoint=endpoint
        )
    if type(value) is int and value in _CODE_RANGE:
        return value
    if isinstance(value, str) and _CODE_TEXT.fullmatch(value.strip()):
        return int(value.strip())
    raise ResponseDecodeError(
        f"HTTP {status}: result_code of type {type(value).__name__} is not a documented code",
        status_code=status,
        endpoint=endpoint,
    )


def _message(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None or isinstance(value, dict | list) else str(value)


_MAX_PROBLEM_CHARS = 500


def _describe(exc: BaseException) -> str:
    """What did not match, shortened: the peer chooses the values quoted in it."""
    if isinstance(exc, cattrs.BaseValidationError):
        text = "; ".join(str(e) for e in cattrs.transform_error(exc))
    elif isinstance(exc, RecursionError):
        text = "nested too deeply"
    else:
        text = str(exc)
    return text if len(text) <= _MAX_PROBLEM_CHARS else text[:_MAX_PROBLEM_CHARS] + "…"
