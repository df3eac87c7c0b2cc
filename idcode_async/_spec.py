"""Endpoint specs: attrs classes whose fields are the document's request parameters.

A spec is data.  Its class carries the endpoint's number, path and method; its fields carry
the parameters, named exactly by their wire names and typed from the document.  The
:func:`endpoint` decorator checks the declaration once, works out how each field goes on the
wire, and enters the class in the registry.  Adding an endpoint is adding a class.
"""

from __future__ import annotations

import enum
import os
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Generic, Literal, TypeVar, get_args, get_origin

import attrs

from ._errors import UsageError, ValidationError
from ._registry import register
from ._wire import FileInput, UploadFile, WireParams, as_upload_file

__all__ = [
    "Endpoint",
    "FileRule",
    "PageEndpoint",
    "Response",
    "Spec",
    "blob_repr",
    "endpoint",
    "file_repr",
    "refuse_call_on_page",
    "secret",
]

Method = Literal["GET", "POST"]
Documented = Literal["GET", "POST", "GET/POST"]


@attrs.frozen(kw_only=True, slots=False)
class Response:
    """The envelope every answer carries: ``result_code`` (1 = success) and ``result_msg``.

    Not slotted, so that a response can also inherit a shared record's fields (306/601).
    """

    result_code: int = 1
    result_msg: str | None = None


R = TypeVar("R", bound=Response)
S = TypeVar("S", bound="Spec")


@attrs.frozen
class FileRule:
    """Documented limits of a file parameter (304/305 images: 5 MB, bmp/png/jpg/jpeg/gif)."""

    default_name: str
    max_bytes: int | None = None
    extensions: frozenset[str] | None = None


@attrs.frozen
class _FieldPlan:
    name: str
    kind: Literal["int", "str", "file", "other"]
    required: bool
    allowed: frozenset[Any] | None


class Spec:
    """Base of every endpoint spec (data and page interfaces alike)."""

    __slots__ = ()

    number: ClassVar[int]
    path: ClassVar[str]
    method: ClassVar[Method]
    documented_methods: ClassVar[frozenset[str]]
    writes: ClassVar[bool]
    """True when a call changes state on the centre: such calls are never retried blindly."""
    is_page: ClassVar[bool] = False
    upload: ClassVar[bool] = False
    """True for endpoints that carry bulk data; they get the longer upload timeout."""
    files: ClassVar[Mapping[str, FileRule]] = {}
    _plan: ClassVar[tuple[_FieldPlan, ...]] = ()

    def __attrs_post_init__(self) -> None:
        for plan in self._plan:
            value = getattr(self, plan.name)
            if value is None:
                if plan.required:
                    raise ValidationError(plan.name, "is required", endpoint=self.number)
                continue
            _check_type(self, plan, value)
        self._check()

    def _check(self) -> None:
        """Rules that involve several parameters; specs override it (e.g. 604, 605, 608)."""

    def wire(self) -> WireParams:
        """The unsigned parameters of this request; file paths are opened here."""
        fields: dict[str, str] = {}
        uploads: dict[str, UploadFile] = {}
        for plan in self._plan:
            value = getattr(self, plan.name)
            if value is None:
                continue
            if plan.kind == "file":
                uploads[plan.name] = _open_file(self, plan.name, value)
            else:
                fields[plan.name] = _text(value)
        return WireParams(fields, uploads)


class Endpoint(Spec, Generic[R]):
    """A data interface: ``await client.call(spec)`` returns its response class ``R``."""

    __slots__ = ()

    response_type: ClassVar[type[Response]]


class PageEndpoint(Spec):
    """A page interface (401/405/408/607): opened in the user's browser via a signed URL."""

    __slots__ = ()

    is_page: ClassVar[bool] = True


def file_repr(value: object) -> str:
    """attrs ``repr`` for file parameters: raw bytes by their size, never their content."""
    return f"<{len(value)} bytes>" if isinstance(value, bytes) else repr(value)


def blob_repr(value: object) -> str:
    """attrs ``repr`` for base64 images (logos, code pictures): their length, not their text."""
    return f"<{len(value)} base64 chars>" if isinstance(value, str) else repr(value)


def secret(value: object) -> str:
    """attrs ``repr`` for passwords: the field shows, its value never does."""
    return "'***'" if value is not None else "None"


def endpoint(
    number: int,
    path: str,
    documented: Documented,
    *,
    writes: bool,
    upload: bool = False,
    files: Mapping[str, FileRule] | None = None,
) -> Callable[[type[S]], type[S]]:
    """Declare an attrs spec class as endpoint ``number`` and enter it in the registry.

    ``documented`` is the method(s) the document allows.  For "Get/Post" endpoints we send
    POST: parameters, the access token and the hash then travel in the body and never in a
    URL, where access logs, proxies and httpx's own INFO log would keep them.
    """
    methods = frozenset(documented.split("/"))

    def declare(cls: type[S]) -> type[S]:
        if not _is_attrs_class(cls):
            raise TypeError(f"{cls.__name__}: apply @attrs.frozen before @endpoint")
        cls.number = number
        cls.path = path
        cls.documented_methods = methods
        cls.method = _chosen_method(cls, methods)
        cls.writes = writes
        cls.upload = upload
        cls.files = dict(files or {})
        cls._plan = _plan_fields(cls)
        if issubclass(cls, Endpoint):
            cls.response_type = _response_type_of(cls)
        register(cls)
        return cls

    return declare


def _is_attrs_class(cls: type) -> bool:
    return attrs.has(cls)


def _chosen_method(cls: type[Spec], methods: frozenset[str]) -> Method:
    """POST where allowed; but a page interface that allows GET is a plain browser link."""
    if "GET" in methods and (issubclass(cls, PageEndpoint) or "POST" not in methods):
        return "GET"
    return "POST"


def _plan_fields(cls: type[Spec]) -> tuple[_FieldPlan, ...]:
    hints = typing.get_type_hints(cls)
    plans = []
    for field in attrs.fields(typing.cast(Any, cls)):
        kind, allowed = _classify(hints[field.name])
        if kind == "file" and field.name not in cls.files:
            raise TypeError(f"{cls.__name__}.{field.name}: a file parameter needs a FileRule")
        plans.append(_FieldPlan(field.name, kind, field.default is attrs.NOTHING, allowed))
    return tuple(plans)


def _classify(tp: Any) -> tuple[Literal["int", "str", "file", "other"], frozenset[Any] | None]:
    args = [a for a in get_args(tp) if a is not type(None)] if _is_union(tp) else [tp]
    if len(args) == 1:
        (inner,) = args
        if inner is int:
            return "int", None
        if inner is str:
            return "str", None
        if get_origin(inner) is Literal:
            values = frozenset(get_args(inner))
            kind: Literal["int", "str"] = (
                "int" if all(isinstance(v, int) for v in values) else "str"
            )
            return kind, values
        if isinstance(inner, type) and issubclass(inner, enum.Enum):
            return "other", frozenset(inner)
    if tp == FileInput or set(args) >= {bytes, str}:
        return "file", None
    return "other", None


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (typing.Union, types.UnionType)


def _response_type_of(cls: type[Spec]) -> type[Response]:
    for base in getattr(cls, "__orig_bases__", ()):
        if get_origin(base) is Endpoint:
            (response,) = get_args(base)
            if isinstance(response, type) and issubclass(response, Response):
                return response
    raise TypeError(f"{cls.__name__} must subclass Endpoint[SomeResponse]")


def _check_type(spec: Spec, plan: _FieldPlan, value: Any) -> None:
    if plan.kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        expected = "an integer"
    elif plan.kind == "str":
        ok = isinstance(value, str)
        expected = "a string"
    elif plan.kind == "file":
        ok = isinstance(value, bytes | str | os.PathLike) or hasattr(value, "read")
        expected = "bytes, a path or a binary file"
    else:
        return
    if not ok:
        raise ValidationError(
            plan.name, f"must be {expected}, got {type(value).__name__}", endpoint=spec.number
        )
    if plan.kind == "file":
        problem = _extension_problem(spec.files[plan.name], _given_file_name(value))
        if problem:
            raise ValidationError(plan.name, problem, endpoint=spec.number)
    if plan.allowed is not None and value not in plan.allowed:
        shown = ", ".join(repr(v) for v in sorted(plan.allowed, key=str))
        raise ValidationError(
            plan.name, f"must be one of {shown}, got {value!r}", endpoint=spec.number
        )


def _text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    return value if isinstance(value, str) else str(value)


def _open_file(spec: Spec, name: str, value: FileInput) -> UploadFile:
    rule = spec.files[name]
    default_name = rule.default_name
    if isinstance(value, bytes) and rule.extensions is not None and "." not in default_name:
        default_name = f"{default_name}.{_sniff_image_format(value)}"
    try:
        upload = as_upload_file(value, default_name)
    except OSError as exc:
        raise ValidationError(
            name, f"cannot be read: {exc.strerror}", endpoint=spec.number
        ) from exc
    problem = _file_problem(rule, upload)
    if problem:
        if upload.owned and not isinstance(upload.content, bytes):
            upload.content.close()
        raise ValidationError(name, problem, endpoint=spec.number)
    return upload


def _file_problem(rule: FileRule, upload: UploadFile) -> str | None:
    if rule.max_bytes is not None and upload.size > rule.max_bytes:
        return f"is {upload.size} bytes; the document allows at most {rule.max_bytes}"
    return _extension_problem(rule, upload.filename)


def _given_file_name(value: Any) -> str | None:
    """The file name a path or a named file object carries; ``None`` for raw bytes."""
    if isinstance(value, bytes):
        return None
    name = (
        os.fspath(value) if isinstance(value, str | os.PathLike) else getattr(value, "name", None)
    )
    return os.path.basename(name) if isinstance(name, str) and name else None


def _extension_problem(rule: FileRule, filename: str | None) -> str | None:
    if rule.extensions is None or filename is None:
        return None
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix not in rule.extensions:
        allowed = ", ".join(sorted(rule.extensions))
        return f"must be one of these formats: {allowed} (file name {filename!r})"
    return None


_MAGIC = ((b"\x89PNG", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF8", "gif"), (b"BM", "bmp"))


def _sniff_image_format(content: bytes) -> str:
    """Name raw image bytes by their magic number, so the centre sees a proper extension."""
    for magic, extension in _MAGIC:
        if content.startswith(magic):
            return extension
    return "bin"


def refuse_call_on_page(spec: Spec) -> None:
    """Page interfaces answer with HTML for a browser; they have no JSON response to decode."""
    if spec.is_page:
        raise UsageError(
            f"endpoint {spec.number} is a page interface: open client.page_url(spec) in a browser"
        )
