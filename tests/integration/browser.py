"""Just enough of a web browser to walk a page interface the way an operator's browser does.

A page flow crosses two sites: the SP's app redirects to the centre's page (here the
sandbox), the page's form is submitted, and the centre redirects back to the app.  The
:class:`Browser` does each step the way the HTML and HTTP specifications say a browser does,
one hop at a time so that tests can look at every hop:

* redirects: ``Location`` resolved against the current URL; 303 (and 301/302 after a POST)
  becomes a GET without a body, 307/308 repeat the request (RFC 9110 §15.4);
* forms: the one ``<form>`` of the page is read with the stdlib HTML parser; its data set is
  built as HTML's "constructing the entry list" does (named, enabled controls; hidden values
  as served; a ``<select>`` sends its selected option, else its first; unchecked boxes send
  nothing), a ``required`` control left empty stops the submission, and the data go to the
  resolved ``action`` with the form's ``method``, URL-encoded in UTF-8.

Nothing here knows the SDK or the sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import httpx

__all__ = ["Browser", "Control", "HtmlForm", "parse_form"]

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TEXT_TYPES = frozenset({"text", "password", "email", "tel", "url", "search", "number", ""})


@dataclass
class Control:
    """One form control: an ``<input>``, a ``<select>`` or a ``<textarea>``."""

    tag: str
    name: str
    type: str = ""
    value: str = ""
    required: bool = False
    disabled: bool = False
    checked: bool = False
    options: list[tuple[str, bool]] = field(default_factory=list)
    """A select's options: (value, selected)."""


@dataclass
class HtmlForm:
    """A ``<form>`` as served: its ``action``, ``method`` and controls, in document order."""

    action: str
    method: str
    controls: list[Control] = field(default_factory=list)

    def control(self, name: str) -> Control:
        found = [c for c in self.controls if c.name == name]
        assert len(found) == 1, f"the form has {len(found)} controls named {name!r}"
        return found[0]

    def entries(self, typed: Mapping[str, str]) -> list[tuple[str, str]]:
        """The data set the browser submits after the user typed or chose ``typed``.

        The user can only type into text-like inputs and textareas, and only choose one of
        a select's options; anything else in ``typed`` is a test mistake.
        """
        names = {c.name for c in self.controls}
        unknown = set(typed) - names
        assert not unknown, f"the form has no control named {sorted(unknown)}"
        entries: list[tuple[str, str]] = []
        for c in self.controls:
            if c.disabled or not c.name:
                continue
            if c.tag == "select":
                offered = [value for value, _ in c.options]
                if c.name in typed:
                    assert typed[c.name] in offered, f"{typed[c.name]!r} is not an option"
                    value = typed[c.name]
                else:
                    selected = [value for value, chosen in c.options if chosen]
                    value = (selected or offered or [""])[0]
            elif c.tag == "textarea" or c.type in _TEXT_TYPES:
                value = typed.get(c.name, c.value)
            elif c.type in ("checkbox", "radio"):
                assert c.name not in typed, "tick boxes by checked=, not by typing"
                if not c.checked:
                    continue
                value = c.value or "on"
            elif c.type == "hidden":
                assert c.name not in typed, f"{c.name!r} is hidden: the user cannot change it"
                value = c.value
            else:  # submit, button, reset, image, file: not part of this data set
                continue
            if c.required and not value:
                raise AssertionError(f"the browser refuses to submit: {c.name!r} is required")
            entries.append((c.name, value))
        return entries


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._select: Control | None = None
        self._textarea: Control | None = None
        self._option: list[str] | None = None
        self._option_attrs: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form":
            self.forms.append(HtmlForm(a.get("action") or "", (a.get("method") or "get").upper()))
            return
        if not self.forms:
            return
        controls = self.forms[-1].controls

        def control(kind: str) -> Control:
            return Control(
                tag=tag,
                name=a.get("name") or "",
                type=kind,
                value=a.get("value") or "",
                required="required" in a,
                disabled="disabled" in a,
                checked="checked" in a,
            )

        if tag == "input":
            controls.append(control((a.get("type") or "text").lower()))
        elif tag == "select":
            self._select = control("select")
            controls.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option, self._option_attrs = [], a
        elif tag == "textarea":
            self._textarea = control("textarea")
            controls.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option.append(data)
        elif self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._select is not None and self._option is not None:
            value = self._option_attrs.get("value")
            label = "".join(self._option).strip()
            selected = "selected" in self._option_attrs
            self._select.options.append((label if value is None else value, selected))
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def parse_form(page: str) -> HtmlForm:
    """The one form of ``page``."""
    parser = _FormParser()
    parser.feed(page)
    parser.close()
    assert len(parser.forms) == 1, f"expected one <form>, found {len(parser.forms)}"
    return parser.forms[0]


class Browser:
    """Requests through ``http`` (which routes hosts to apps), one hop at a time."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.history: list[httpx.Response] = []

    async def _send(self, method: str, url: str, body: bytes | None = None) -> httpx.Response:
        headers = {"Accept": "text/html,application/json"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = await self.http.request(
            method, url, content=body, headers=headers, follow_redirects=False
        )
        self.history.append(response)
        return response

    async def get(self, url: str) -> httpx.Response:
        """Open ``url`` (the address bar or a link)."""
        return await self._send("GET", url)

    async def follow(self, response: httpx.Response) -> httpx.Response:
        """The next hop of a redirect."""
        assert response.status_code in _REDIRECTS, f"not a redirect: {response.status_code}"
        target = urljoin(str(response.url), response.headers["Location"])
        request = response.request
        if response.status_code in (307, 308):
            return await self._send(request.method, target, request.content or None)
        if response.status_code == 303 or request.method == "POST":
            return await self._send("GET", target)
        return await self._send(request.method, target)

    async def submit(self, page: httpx.Response, typed: Mapping[str, str]) -> httpx.Response:
        """Fill in the page's form with ``typed`` and submit it."""
        assert "html" in page.headers.get("content-type", ""), "not an HTML page"
        form = parse_form(page.text)
        body = urlencode(form.entries(typed), encoding="utf-8")
        action = urljoin(str(page.url), form.action or str(page.url))
        if form.method == "GET":
            scheme, netloc, path, _, _ = urlsplit(action)
            return await self._send("GET", urlunsplit((scheme, netloc, path, body, "")))
        assert form.method == "POST", f"unknown form method {form.method}"
        return await self._send("POST", action, body.encode("ascii"))
