"""An independent reading of requests, for wire tests.

Nothing here imports the SDK's signer or encoder: requests are parsed back from the bytes that
would go on the wire (stdlib ``urllib`` and ``email``), and the signature is recomputed from the
document's three steps (seed §四), so a test fails if the SDK and the document disagree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl, urlsplit

import httpx

TEST_TOKEN = "J7X4LuOOfURXeAAEAAAAAABSK"
TEST_AUTH_CODE = "RORJOOfU4OJ44XUf4uuXU4JuRLeeRAX7"
FIXED_TIME = 1497587696789
BASE_URL = "https://apitest.idcode.org.cn"


@dataclass
class WireRequest:
    """A request as the centre would decode it."""

    method: str
    path: str
    content_type: str
    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


def read_request(request: httpx.Request) -> WireRequest:
    """Decode query, urlencoded form or multipart body into raw (decoded) values."""
    split = urlsplit(str(request.url))
    query = dict(parse_qsl(split.query, keep_blank_values=True, strict_parsing=False))
    content_type = request.headers.get("content-type", "")
    body = request.read()
    files: dict[str, tuple[str, bytes]] = {}
    if request.method == "GET":
        assert not body, "a GET request must not carry a body"
        fields = dict(query)
    elif content_type.startswith("application/x-www-form-urlencoded"):
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        names = [k for k, _ in pairs]
        assert len(names) == len(set(names)), f"duplicate form fields: {names}"
        fields = dict(pairs)
    elif content_type.startswith("multipart/form-data"):
        fields = {}
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True)
            assert isinstance(name, str)
            assert isinstance(payload, bytes)
            if filename is None:
                fields[name] = payload.decode("utf-8")
            else:
                files[name] = (filename, payload)
    else:
        raise AssertionError(f"unexpected content type {content_type!r} for {request.method}")
    return WireRequest(request.method, split.path, content_type, fields, files, query)


def document_hash(path: str, fields: dict[str, str], auth_code: str = TEST_AUTH_CODE) -> str:
    """Seed §四 step by step: sort by name, join raw values, append the code, MD5 upper-case."""
    signed = {k: v for k, v in fields.items() if k != "hash"}
    ordered = sorted(signed.items(), key=lambda kv: kv[0])
    text = path + "?" + "&".join(k + "=" + v for k, v in ordered) + auth_code
    return hashlib.md5(text.encode("utf-8")).hexdigest().upper()


def assert_signed(wire: WireRequest, *, token_in_json: bool = False) -> None:
    """The request carries a fresh 13-digit time and a hash the document's rule reproduces."""
    assert wire.fields["time"].isdigit()
    assert len(wire.fields["time"]) == 13
    if token_in_json:
        assert "access_token" not in wire.fields
    else:
        assert wire.fields["access_token"] == TEST_TOKEN
    assert wire.fields["hash"] == document_hash(wire.path, wire.fields)


def business_fields(wire: WireRequest) -> dict[str, str]:
    """The endpoint's own parameters: everything but access_token, time and hash."""
    return {k: v for k, v in wire.fields.items() if k not in {"access_token", "time", "hash"}}


async def exchange(
    client: object, router: object, spec: object, answer: dict[str, object] | str | bytes
) -> tuple[WireRequest, object]:
    """Send ``spec`` through ``client`` to a respx route answering ``answer``; return both ends.

    ``answer`` is a JSON object, or raw text/bytes (e.g. an HTML gateway page).
    """
    import respx

    from idcode_async import IdcodeClient

    assert isinstance(client, IdcodeClient)
    assert isinstance(router, respx.MockRouter)
    path = type(spec).path  # type: ignore[attr-defined]
    if isinstance(answer, dict):
        reply = httpx.Response(200, json=answer)
    else:
        raw = answer.encode() if isinstance(answer, str) else answer
        reply = httpx.Response(200, content=raw)
    route = router.route(path=path).mock(return_value=reply)
    result = await client.call(spec)  # type: ignore[call-overload]
    assert route.call_count == 1
    return read_request(route.calls.last.request), result
