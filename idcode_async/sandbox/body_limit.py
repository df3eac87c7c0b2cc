"""The request body cap: a body larger than ``SandboxConfig.max_body_bytes`` is answered 413.

The centre's document states no request size limit beyond 5 MB per image (40001); a front
web server caps bodies anyway, and so does the sandbox, so that one oversized POST cannot
make it hold the body in memory.  A declared ``Content-Length`` over the cap is refused
before a byte of the body is read; a body without one (chunked) is counted as it arrives and
refused once it passes the cap.  Either way the answer is HTTP 413 with the document's
failure envelope (``result_code`` 0, as for 405) and ``Connection: close``, because the rest
of the body is never read.

The default cap (:data:`DEFAULT_MAX_BODY_BYTES`) admits the largest 5011 chunk the SDK sends
by default (``PlanOptions.max_file_bytes``, 4 MiB, plus the multipart framing and the text
parameters), with room to spare.
"""

from __future__ import annotations

import json
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_MAX_BODY_BYTES", "BodyTooLargeError", "limit_body", "refuse_body"]

DEFAULT_MAX_BODY_BYTES: Final = 8 * 1024 * 1024
"""8 MiB: twice the SDK's default 5011 chunk file (4 MiB)."""

_FAILURE = json.dumps(
    {"result_code": 0, "result_msg": "失败"}, ensure_ascii=False, separators=(",", ":")
).encode()


class BodyTooLargeError(Exception):
    """Raised by ``receive`` once a body passes the cap; the reader answers with
    :func:`refuse_body` (API paths do; the ``/_sandbox/`` routes read no body)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(f"request body larger than {max_bytes} bytes")
        self.max_bytes = max_bytes


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length" and value.strip().isdigit():
            return int(value)
    return None


async def refuse_body(send: Send, max_bytes: int) -> None:
    """Answer 413 and close the connection (the rest of the body is never read)."""
    reason = str(BodyTooLargeError(max_bytes)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json;charset=UTF-8"),
                (b"content-length", str(len(_FAILURE)).encode()),
                (b"connection", b"close"),
                (b"x-sandbox-reason", reason),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _FAILURE})


def limit_body(app: ASGIApp, max_bytes: int) -> ASGIApp:
    """``app`` behind the body cap."""

    async def capped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared > max_bytes:
            await refuse_body(send, max_bytes)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise BodyTooLargeError(max_bytes)
            return message

        await app(scope, counting_receive, send)

    return capped
