"""Endpoint specs: attrs classes whose fields are the document's request parameters.

A spec is data.  Its class carries the endpoint's number, path and method; its fields carry
the parameters, named exactly by their wire names and typed from the document.  The
:func:`endpoint` decorator checks the declaration once, works out how each field goes on the
wire, and enters the class in the registry.  Adding an endpoint is adding a class.
"""

from __future__ import annotations

import enum
import functools
import os
import types
import typing
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, ClassVar, Final, Generic, Literal, TypeVar, get_args, get_origin
from urllib.parse import urlencode

import attrs

from ._errors import UsageError, ValidationError
from ._file_params import FileRefusedError, file_shape_problem, open_file
from ._spec_source import METHODS, FieldPlan, FullPath, compiled_methods, is_compiled
from ._validators import int_problem, parameter_problem, shown
from ._wire import FileInput, UploadFile, WireParams

__all__ = [
    "MAX_QUERY_LENGTH",
    "Endpoint",
    "FileRule",
    "PageEndpoint",
    "Response",
    "Spec",
    "blob_repr",
    "checked_arguments",
    "documented_default",
    "endpoint",
    "file_repr",
    "refuse_call_on_page",
    "register",
    "registry",
    "require_bindable",
    "require_spec",
    "secret",
    "secret_values",
]

Method = Literal["GET", "POST"]
Documented = Literal["GET", "POST", "GET/POST"]

MAX_QUERY_LENGTH: Final = 8000
"""Most characters the percent-encoded parameters of a URL-borne request may take.

608 (documented GET only) and the page interfaces 401/408/607 (a browser link) carry their
parameters in the URL.  Servers and browsers cap a request line near 8 KiB (Tomcat's and
nginx's defaults, 8,192 bytes); 8,000 characters for the spec's own parameters leaves room for
the path, ``access_token``, ``time`` and ``hash`` under that cap, and far exceeds any
legitimate value (the longest are the resolve, sample and callback URLs).
"""


@attrs.frozen(kw_only=True, slots=False)
class Response:
    """The envelope every answer carries: ``result_code`` (1 = success) and ``result_msg``.

    Not slotted, so that a response can also inherit a shared record's fields (306/601).
    """

    result_code: int = 1
    result_msg: str | None = None


R = TypeVar("R", bound=Response)
S = TypeVar("S", bound="Spec")
T = TypeVar("T")


@attrs.frozen
class FileRule:
    """Documented limits of a file parameter (304/305 images: 5 MB, bmp/png/jpg/jpeg/gif)."""

    default_name: str
    max_bytes: int | None = None
    extensions: frozenset[str] | None = None


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
    _plan: ClassVar[tuple[FieldPlan, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """The methods :func:`endpoint` compiles are written for the class it declares (its
        fields, its method): a subclass that is not declared itself inherits what it would
        without them, so it runs the loops below over its own plan, as before compiling."""
        super().__init_subclass__(**kwargs)
        for name in METHODS:
            inherited = [vars(base)[name] for base in cls.__mro__[1:] if name in vars(base)]
            if name not in vars(cls) and is_compiled(inherited[0]):
                setattr(cls, name, next(m for m in inherited if not is_compiled(m)))

    def __attrs_post_init__(self) -> None:
        for plan in self._plan:
            value = getattr(self, plan.name)
            if value is None:
                if plan.required:
                    raise ValidationError(plan.name, "is required", endpoint=self.number)
                continue
            _check_type(self, plan, value)
        self._check()
        if self.method == "GET":
            _check_query_length(self)

    def _check(self) -> None:
        """Rules that involve several parameters; specs override it (e.g. 604, 605, 608)."""

    def wire(self) -> WireParams:
        """The unsigned parameters of this request; file paths are opened here.

        Files are checked again on opening (a path may have become a FIFO since the spec was
        built); if one is refused, the files already opened for this request are closed.
        """
        uploads: dict[str, UploadFile] = {}
        try:
            for plan in self._plan:
                value = getattr(self, plan.name)
                if value is not None and plan.kind == "file":
                    uploads[plan.name] = _open_file(self, plan.name, value)
        except BaseException:
            WireParams({}, uploads).close()
            raise
        return WireParams(self._text_fields(), uploads)

    def _text_fields(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        for plan in self._plan:
            value = getattr(self, plan.name)
            if value is not None and plan.kind != "file":
                fields[plan.name] = _text(value)
        return fields


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


def secret_values(spec: Spec) -> tuple[str, ...]:
    """The values of ``spec``'s password parameters (the fields whose repr is :func:`secret`)."""
    fields = attrs.fields(typing.cast(Any, type(spec)))
    values = (getattr(spec, field.name) for field in fields if field.repr is secret)
    return tuple(value for value in values if isinstance(value, str))


_REQUIRED: Final = "idcode.required"


def documented_default(value: Any) -> Any:
    """A required parameter with a documented default (305's ``unit_size_type``: "必填，默认为 1").

    Callers may leave it out and the default is sent; ``None`` (which elsewhere means "not
    sent") is refused, because the document requires the parameter on the wire.
    """
    return attrs.field(default=value, metadata={_REQUIRED: True})


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
        _compile(cls)
        checked_arguments(cls, endpoint=number)
        if issubclass(cls, Endpoint):
            cls.response_type = _response_type_of(cls)
        register(cls)
        return cls

    return declare


def checked_arguments(cls: type[T], *, endpoint: int, prefix: str = "") -> type[T]:
    """Make missing, unknown or positional arguments of an attrs class a ValidationError.

    attrs' ``__init__`` raises a plain ``TypeError`` for them; a spec (and 402's item) reports
    them like every other bad value, under the parameter's name (``prefix`` + name).  The
    wrapper costs nothing on the way in: only when ``__init__`` raises ``TypeError`` are the
    arguments compared with the fields.  A ``TypeError`` with the arguments in order is a bug
    and is not hidden.
    """
    init = cls.__init__
    fields = attrs.fields(typing.cast(Any, cls))
    names = frozenset(field.name for field in fields)
    required = tuple(field.name for field in fields if field.default is attrs.NOTHING)

    @functools.wraps(init)
    def checked_init(*args: Any, **kwargs: Any) -> None:
        # ``self`` is args[0]: the arguments are passed on as they came, no tuple rebuilt
        try:
            init(*args, **kwargs)
        except TypeError:
            problem = _arguments_problem(names, required, args[1:], kwargs)
            if problem is None:
                raise
            name, reason = problem
            raise ValidationError(prefix + name, reason, endpoint=endpoint) from None

    cls.__init__ = checked_init  # type: ignore[method-assign]
    return cls


def _arguments_problem(
    names: frozenset[str], required: tuple[str, ...], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[str, str] | None:
    if args:
        return "*args", f"parameters are passed by name; got {len(args)} positional argument(s)"
    unknown = sorted(set(kwargs) - names, key=str)
    if unknown:
        # a name a caller made up is quoted safely: cut, and any surrogate escaped
        name = str(unknown[0])[:60].encode("utf-8", "backslashreplace").decode("utf-8")
        return name, "is not a parameter of this endpoint"
    missing = [name for name in required if name not in kwargs]
    if missing:
        return missing[0], "is required"
    return None


def _compile(cls: type[Spec]) -> None:
    """Give ``cls`` its own checks and wire parameters (:mod:`idcode_async._spec_source`):
    the same steps as :class:`Spec`'s loops, without deciding per call what the class decides.
    A method the class (or a base between it and :class:`Spec`) defines itself is kept."""
    full = FullPath(
        _check_type, _check_query_length, _text, _open_file, WireParams, ValidationError
    )
    methods = compiled_methods(
        f"{cls.__module__}.{cls.__qualname__}", cls._plan, url_borne=cls.method == "GET", full=full
    )
    for name, method in methods.items():
        if getattr(cls, name) is getattr(Spec, name):
            setattr(cls, name, method)


def _is_attrs_class(cls: type) -> bool:
    return attrs.has(cls)


def _chosen_method(cls: type[Spec], methods: frozenset[str]) -> Method:
    """POST where allowed; but a page interface that allows GET is a plain browser link."""
    if "GET" in methods and (issubclass(cls, PageEndpoint) or "POST" not in methods):
        return "GET"
    return "POST"


def _plan_fields(cls: type[Spec]) -> tuple[FieldPlan, ...]:
    hints = typing.get_type_hints(cls)
    plans = []
    for field in attrs.fields(typing.cast(Any, cls)):
        kind, allowed = _classify(hints[field.name])
        if kind == "file" and field.name not in cls.files:
            raise TypeError(f"{cls.__name__}.{field.name}: a file parameter needs a FileRule")
        required = field.default is attrs.NOTHING or bool(field.metadata.get(_REQUIRED))
        plans.append(FieldPlan(field.name, kind, required, allowed))
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


def _check_query_length(spec: Spec) -> None:
    """A URL-borne request must fit a request line (:data:`MAX_QUERY_LENGTH`)."""
    fields = spec._text_fields()
    length = len(urlencode(fields))
    if length > MAX_QUERY_LENGTH:
        longest = max(fields, key=lambda name: len(fields[name]))
        raise ValidationError(
            longest,
            f"makes the URL too long: endpoint {spec.number} carries its parameters in the "
            f"URL, whose encoded parameters take {length} characters; at most "
            f"{MAX_QUERY_LENGTH} are allowed",
            endpoint=spec.number,
        )


def _check_type(spec: Spec, plan: FieldPlan, value: Any) -> None:
    problem = _type_problem(plan, value)
    if problem is None and plan.kind == "file":
        rule = spec.files[plan.name]
        problem = file_shape_problem(value) or _extension_problem(
            rule, _given_file_name(value, rule)
        )
    if problem is None and plan.allowed is not None and not _allowed(value, plan.allowed):
        choices = ", ".join(repr(v) for v in sorted(plan.allowed, key=str))
        problem = f"must be one of {choices}, got {shown(value)}"
    if problem is not None:
        raise ValidationError(plan.name, problem, endpoint=spec.number)


def _allowed(value: Any, allowed: frozenset[Any]) -> bool:
    try:
        return value in allowed
    except TypeError:  # unhashable: certainly not one of the documented values
        return False


def _type_problem(plan: FieldPlan, value: Any) -> str | None:
    """Wrong Python type, or a value of the right type that cannot be written on the wire."""
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
        return None
    if not ok:
        return f"must be {expected}, got {type(value).__name__}"
    if plan.kind == "int":
        return int_problem(value)
    if plan.kind == "str":
        return parameter_problem(value)
    return None


def _text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return str(value.value)
    return value if isinstance(value, str) else str(value)


def _open_file(spec: Spec, name: str, value: FileInput) -> UploadFile:
    """Open and measure a file parameter (see :mod:`idcode_async._file_params`)."""
    rule = spec.files[name]
    default_name = rule.default_name
    if isinstance(value, bytes) and rule.extensions is not None and "." not in default_name:
        default_name = f"{default_name}.{_sniff_image_format(value)}"
    try:
        upload = open_file(value, default_name, rule.max_bytes)
    except FileRefusedError as exc:
        raise ValidationError(name, str(exc), endpoint=spec.number) from None
    unnamed = upload.filename == default_name and "." not in default_name
    if unnamed and isinstance(upload.content, bytes) and rule.extensions is not None:
        # an unnamed stream that could not seek was read into memory: name it by its bytes
        upload = attrs.evolve(
            upload, filename=f"{default_name}.{_sniff_image_format(upload.content)}"
        )
    problem = _extension_problem(rule, upload.filename)
    if problem:
        WireParams({}, {name: upload}).close()
        raise ValidationError(name, problem, endpoint=spec.number)
    return upload


def _given_file_name(value: Any, rule: FileRule) -> str | None:
    """The file name a path or a named file object carries; for raw bytes, the name they will
    be sent under (an image rule names them by their magic number), so bytes of no allowed
    format are refused when the spec is built, not only when it is sent."""
    if isinstance(value, bytes):
        if rule.extensions is None or "." in rule.default_name:
            return None
        return f"{rule.default_name}.{_sniff_image_format(value)}"
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


def require_spec(value: object) -> None:
    """``value`` must be a built spec: a class, ``None`` or any other object is a UsageError.

    ``client.call(UnitRegist)`` (the class, not an instance) would otherwise fail deep inside
    with an ``AttributeError`` or ``TypeError`` about ``wire()``.
    """
    if isinstance(value, Spec):  # the common case first: a class is no instance of Spec
        return
    if isinstance(value, type) and issubclass(value, Spec):
        raise UsageError(
            f"{value.__name__} is a spec class: pass an instance, {value.__name__}(...)"
        )
    raise UsageError(f"expected an endpoint spec, got {type(value).__name__}")


def require_bindable(spec_type: object) -> None:
    """``client.bind`` takes a data interface's class (or a function building its spec)."""
    if isinstance(spec_type, Spec) or not callable(spec_type):
        raise UsageError(
            f"bind() takes an endpoint class such as UnitRegist, got {type(spec_type).__name__}"
        )
    if isinstance(spec_type, type) and not issubclass(spec_type, Endpoint):
        if issubclass(spec_type, PageEndpoint):
            raise UsageError(
                f"endpoint {spec_type.number} is a page interface: use client.page_url(spec)"
            )
        raise UsageError(f"bind() takes an endpoint class, got {spec_type.__name__}")


def refuse_call_on_page(spec: Spec) -> None:
    """Page interfaces answer with HTML for a browser; they have no JSON response to decode."""
    if spec.is_page:
        raise UsageError(
            f"endpoint {spec.number} is a page interface: open client.page_url(spec) in a browser"
        )


_SPECS: dict[int, type[Spec]] = {}

registry: Mapping[int, type[Spec]] = MappingProxyType(_SPECS)
"""Read-only mapping from endpoint number (``309``, ``5011``…) to its spec class, filled by
:func:`endpoint` as the endpoint modules load."""


def register(cls: type[Spec]) -> None:
    """Enter a spec class; two classes may not claim one number."""
    number = cls.number
    if number in _SPECS and _SPECS[number] is not cls:
        raise TypeError(
            f"endpoint {number} declared twice: {_SPECS[number].__name__}, {cls.__name__}"
        )
    _SPECS[number] = cls
