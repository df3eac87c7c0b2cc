"""The signing hook: an ``httpx.Auth`` that signs every request leaving the client (seed §四).

Each attempt passes through :meth:`IdcodeAuth.auth_flow`, so a retried request is re-signed
with a fresh ``time``.  Requests built by the dispatcher carry their unsigned parameters in a
request extension; requests made directly with ``client.get(..., params=…)`` or
``client.post(..., data=…)`` are signed from their query string or form body.

Only the centre gets signed requests: with a ``base_url`` the hook signs requests for that
origin (scheme, host, port) and passes every other request through untouched, so fetching a
picture URL from 603 or a download link from 504 with the same client never leaks the token.
A request the hook signs is marked (:data:`SIGNED_EXTENSION`) so that the client can refuse
to carry it across origins on a redirect; a hop that must not be signed is marked
:data:`UNSIGNED_EXTENSION`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Mapping
from typing import Any
from urllib.parse import parse_qsl

import httpx

from ._credentials import checked_base_url
from ._errors import UsageError
from ._form import form_request, query_request
from ._origin import Origin, origin_of
from ._scrub import Scrubber
from ._signing import HASH_PARAM, TIME_PARAM, current_millis, sign
from ._wire import UploadFile, WireParams

__all__ = [
    "SIGNED_EXTENSION",
    "UNSIGNED_EXTENSION",
    "WIRE_EXTENSION",
    "IdcodeAuth",
    "encoded_request",
]

WIRE_EXTENSION = "idcode.wire"
"""Request extension under which the dispatcher passes the unsigned :class:`WireParams`."""
SIGNED_EXTENSION = "idcode.signed"
"""Set (``True``) on every request the hook signed."""
UNSIGNED_EXTENSION = "idcode.unsigned"
"""Set (``True``) on a request that must go out as built, never signed (a redirect hop of an
unsigned request, which a foreign host could otherwise point at the centre)."""

TOKEN_PARAM = "access_token"
JSON_PARAM = "json_str"
_SIGNING_PARAMS = frozenset({TOKEN_PARAM, TIME_PARAM, HASH_PARAM})
_BODY_HEADERS = (b"content-length", b"content-type", b"transfer-encoding")


class IdcodeAuth(httpx.Auth):
    """Adds ``access_token``, ``time`` and ``hash`` to the centre's requests; keeps both secrets.

    ``base_url`` scopes signing to that URL's origin (the client always passes its own); without
    it every request is signed, which only suits a transport that talks to the centre alone.
    """

    def __init__(
        self,
        access_token: str,
        auth_code: str,
        *,
        clock: Callable[[], int] = current_millis,
        base_url: httpx.URL | str | None = None,
    ) -> None:
        if not isinstance(access_token, str) or not isinstance(auth_code, str):
            raise UsageError("access_token and auth_code must be text")
        if not access_token or not auth_code:
            raise UsageError("access_token and auth_code are both required")
        if not _encodable(access_token) or not _encodable(auth_code):
            raise UsageError("access_token and auth_code must be encodable as UTF-8")
        if not callable(clock):
            raise UsageError(f"clock must be a function, not {type(clock).__name__}")
        self._access_token = access_token
        self._auth_code = auth_code
        self._clock = clock
        self.scope: Origin | None = None
        self._in_scope: dict[int, httpx.URL] = {}
        """Endpoint URLs (the client's, one object per path) already found in ``scope``: an
        ``httpx.URL`` is immutable, and the object is kept, so its id is not reused."""
        if base_url is not None:
            self.scope_to(base_url)

    def scope_to(self, base_url: httpx.URL | str) -> None:
        """Sign only requests for the origin of ``base_url`` from now on."""
        self.scope = origin_of(checked_base_url(base_url))
        self._in_scope.clear()

    def signs(self, request: httpx.Request) -> bool:
        """Whether this hook would sign ``request`` (it is for the centre's origin)."""
        if request.extensions.get(UNSIGNED_EXTENSION):
            return False
        return self.scope is None or origin_of(request.url) == self.scope

    def __repr__(self) -> str:
        return "IdcodeAuth(access_token='***', auth_code='***')"

    def scrubber(self, *more: str) -> Scrubber:
        """A :class:`Scrubber` of both credentials and ``more`` (a spec's passwords)."""
        return Scrubber((self._access_token, self._auth_code, *more))

    def signed_fields(self, path: str, wire: WireParams) -> dict[str, str]:
        """The text fields to send: the spec's, the token (or 402's ``json_str``), time, hash."""
        fields = dict(wire.fields)
        if wire.json_envelope is not None:
            envelope = {TOKEN_PARAM: self._access_token, **wire.json_envelope}
            fields[JSON_PARAM] = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
        else:
            fields[TOKEN_PARAM] = self._access_token
        fields[TIME_PARAM] = str(self._clock())
        fields[HASH_PARAM] = sign(path, fields, self._auth_code)
        return fields

    def dispatched_request(
        self,
        method: str,
        url: httpx.URL,
        wire: WireParams,
        headers: list[tuple[bytes, bytes]],
        extensions: dict[str, Any],
    ) -> httpx.Request:
        """The signed request of one dispatched attempt, built once (no template to copy).

        The client sends it past :meth:`auth_flow`; it is the request :meth:`auth_flow` would
        make of ``build_request(method, url)`` carrying ``wire``.  ``extensions`` is the
        caller's own new dict, completed here (``wire``, the signed mark) rather than copied.
        """
        if self.scope is not None and self._in_scope.get(id(url)) is not url:
            if origin_of(url) != self.scope:
                raise UsageError("an endpoint request may only be sent to the centre's origin")
            if len(self._in_scope) > 256:  # URLs made afresh on every call
                self._in_scope.clear()
            self._in_scope[id(url)] = url
        fields = self.signed_fields(url.path, wire)
        extensions[WIRE_EXTENSION] = wire
        extensions[SIGNED_EXTENSION] = True
        return _encoded(method, url, fields, wire.files, headers, extensions)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        wire = request.extensions.get(WIRE_EXTENSION)
        if not self.signs(request):
            if isinstance(wire, WireParams):
                raise UsageError("an endpoint request may only be sent to the centre's origin")
            yield request
            return
        if not isinstance(wire, WireParams):
            wire = _wire_from_request(request)
        yield signed_request(request, self.signed_fields(request.url.path, wire), wire.files)


def signed_request(
    template: httpx.Request, fields: Mapping[str, str], files: Mapping[str, UploadFile]
) -> httpx.Request:
    """Encode signed fields as the document wants: query (GET), form, or multipart with files."""
    headers = [(k, v) for k, v in template.headers.raw if k.lower() not in _BODY_HEADERS]
    url = template.url.copy_with(query=None) if template.url.query else template.url
    return encoded_request(template.method, url, fields, files, headers, template.extensions)


def encoded_request(
    method: str,
    url: httpx.URL,
    fields: Mapping[str, str],
    files: Mapping[str, UploadFile],
    headers: list[tuple[bytes, bytes]],
    extensions: Mapping[str, Any],
) -> httpx.Request:
    """One signed ``httpx.Request``: ``fields`` in the query of a GET, else a form, or a
    multipart body when there are ``files``; marked :data:`SIGNED_EXTENSION`."""
    marked = {**extensions, SIGNED_EXTENSION: True}
    return _encoded(method, url, fields, files, headers, marked)


def _encoded(
    method: str,
    url: httpx.URL,
    fields: Mapping[str, str],
    files: Mapping[str, UploadFile],
    headers: list[tuple[bytes, bytes]],
    marked: dict[str, Any],
) -> httpx.Request:
    if method == "GET":
        return query_request(url, fields, headers, marked)
    if files:
        for upload in files.values():
            upload.rewind()
        return httpx.Request(
            method,
            url,
            data=dict(fields),
            files={name: (f.filename, f.content) for name, f in files.items()},
            headers=headers,
            extensions=marked,
        )
    return form_request(method, url, fields, headers, marked)


def _body_of(request: httpx.Request) -> bytes:
    """The form body, also of a redirect hop that carries the original request's stream."""
    try:
        return request.content
    except httpx.RequestNotRead:
        return request.read()


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _wire_from_request(request: httpx.Request) -> WireParams:
    """Unsigned parameters of a request built by hand (query or urlencoded form body)."""
    content_type = request.headers.get("content-type", "")
    has_body = bool(content_type) or request.headers.get("content-length", "0") != "0"
    if request.method == "GET" or not has_body:
        pairs = list(request.url.params.multi_items())
    elif content_type.startswith("application/x-www-form-urlencoded"):
        pairs = parse_qsl(_body_of(request).decode("utf-8"), keep_blank_values=True)
    else:
        raise UsageError(
            "only query or form requests can be signed as built; send files through "
            "client.call(spec)"
        )
    return WireParams({k: v for k, v in pairs if k not in _SIGNING_PARAMS})
