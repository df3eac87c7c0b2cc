"""The one cattrs converter, and the decoding of the centre's JSON answers.

The document prints keys with stray spaces (``" is_authen"``, ``"batch_regist _list"``), spells
the envelope two ways (``result_code``/``ResultCode``), sends 20-digit IDs that are BigDecimal on
the server (beyond int64 and float), and returns ``null`` for empty lists.  All of that is
absorbed here, once, so that response classes can name fields exactly as documented.

Answers are never trusted: numbers that would cost unbounded work to convert (``1e1000000``),
``NaN``/``Infinity`` and documents nested beyond the interpreter's limit are refused while
parsing, as ``ValueError``, before any conversion runs.  Integers beyond 4,300 digits are
already refused by the interpreter's own string-conversion limit.  A list or a string where the
document has an object is a mismatch, never an object with every field defaulted.
"""

from __future__ import annotations

import functools
import json
import operator
from collections import deque
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from decimal import Decimal
from itertools import chain, repeat
from typing import Any, Final, NamedTuple, TypeAlias, TypeVar, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn

__all__ = ["NestingError", "converter", "decode_json", "normalise_keys", "structure"]

T = TypeVar("T")

_ENVELOPE_ALIASES = {"ResultCode": "result_code", "ResultMsg": "result_msg"}


MAX_NUMBER_CHARS = 400
"""Longest decimal literal accepted; the document's numbers have at most about 20 digits."""
MAX_EXPONENT = 400
"""Largest decimal exponent accepted, so that turning a number into digits stays cheap."""


def _bounded_decimal(text: str) -> Decimal:
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a number of {len(text)} characters")
    exponent = text.lower().partition("e")[2].lstrip("+-")
    if len(exponent) > len(str(MAX_EXPONENT)):  # beyond what Decimal's context accepts
        raise ValueError("a number with an exponent beyond the accepted range")
    value = Decimal(text)
    if abs(value.adjusted()) > MAX_EXPONENT:
        raise ValueError("a number with an exponent beyond the accepted range")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class NestingError(ValueError):
    """The answer nests deeper than the caller accepts."""


def decode_json(
    content: bytes, *, max_depth: int | None = None, rows: Surveyed | None = None
) -> Any:
    """Parse JSON keeping every number exact (big IDs as int, decimals as ``Decimal``), with
    every key cleaned as :func:`normalise_keys` does.

    Raises ``ValueError`` (or ``RecursionError`` for absurd nesting) for anything that is not
    plain, bounded JSON, and :class:`NestingError` for containers nested beyond ``max_depth``.
    The hooks run only for decimals and constants, so ordinary answers parse at ``json.loads``
    speed.  An answer of many objects is parsed without a per-object hook and its keys are
    checked afterwards, once per distinct key at each depth (:func:`_survey`); only objects
    holding a key to clean are rebuilt, and only keys that clean to the same name (where the
    document order decides) make it parse again with the hook.  Either way the keys come out
    exactly as the hook makes them.  With orjson installed (:data:`_strict_loads`) it parses
    first and the survey cleans its keys; ``json`` parses whatever it cannot take exactly.
    ``rows`` receives what the checks learnt of the body's long lists, for :func:`structure`.
    """
    body = _strict_loads(content)
    if body is not _REFUSED:
        if _flat(body) and (max_depth is None or max_depth >= 1):
            finding = "collided" if _collides(body) else None
        elif _fewer_than(content, (b"{", b"["), _WALKED_CONTAINERS):
            finding = _walk(body, max_depth, exact=True, rows=rows)
        else:
            finding = _survey(body, max_depth, keys=True, exact=True, rows=rows)
        if finding is None:
            return body
        if rows is not None:  # what it learnt is of a body now dropped
            rows.clear()
        if finding == "deep":
            raise NestingError(f"containers nested beyond {max_depth} levels")
        # "collided" or "inexact": the standard parser below decides, exactly as without orjson
    few_objects = _fewer_than(content, (b"{",), _HOOKED_OBJECTS)
    body = _parse(content, cleaning=few_objects)
    shallow = max_depth is None or _fewer_than(content, (b"[", b"{"), max_depth)
    if few_objects and shallow:  # keys cleaned by the hook, too few brackets to nest too deep
        return body
    bound = None if shallow else max_depth
    finding = _survey(body, bound, keys=not few_objects, rows=rows)
    if finding == "collided":
        if rows is not None:
            rows.clear()
        body = _parse(content, cleaning=True)
        finding = _survey(body, bound, keys=False, rows=rows)
    if finding == "deep":
        raise NestingError(f"containers nested beyond {max_depth} levels")
    return body


_REFUSED: Any = object()


def _orjson_loads(content: bytes) -> Any:
    """orjson's parse, or ``_REFUSED`` for anything it does not accept (left to ``json``)."""
    try:
        return _orjson.loads(content)
    except _orjson.JSONDecodeError:
        return _REFUSED


def _no_fast_parser(content: bytes) -> Any:
    return _REFUSED


try:  # the optional "speedups" extra
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised by installs without the extra
    _strict_loads: Callable[[bytes], Any] = _no_fast_parser
else:
    _strict_loads = _orjson_loads
"""A parser about three times as fast as ``json``, used first when installed (orjson).

It refuses what the hardening refuses (``NaN``, integers beyond 64 bits, lone surrogates,
anything but UTF-8, nesting beyond 1,024) and then ``json`` parses the same bytes, so every
refusal and every exact big number comes out as without it.  Its floats are not exact: an
answer holding one is parsed again by ``json`` (``Decimal``).  Keys are cleaned by the survey.
"""


_HOOKED_OBJECTS = 1024
"""An answer with fewer objects is parsed with the cleaning hook at once: a call per object
costs less than a survey of keys (and, for the document's stray-space keys, a second parse).
505's codes are one object; 502's records are one object each."""


def _fewer_than(content: bytes, brackets: tuple[bytes, ...], limit: int) -> bool:
    """Whether ``content`` holds fewer than ``limit`` of ``brackets``, found by memchr-speed
    ``find`` and stopping at the limit (brackets inside strings count too: an upper bound)."""
    seen = 0
    for bracket in brackets:
        position = content.find(bracket)
        while position != -1:
            seen += 1
            if seen >= limit:
                return False
            position = content.find(bracket, position + 1)
    return True


def _parse(content: bytes, *, cleaning: bool) -> Any:
    """``json.loads(content, …)`` with the hardening hooks (and, ``cleaning``, the key-cleaning
    hook :func:`_clean_object`), through a decoder made once.

    Given hooks, ``json.loads`` builds a decoder and its scanner on every call (about 3 µs,
    half the parse of a small answer); the text is decoded from bytes as it does it.
    """
    text = content.decode(json.detect_encoding(content), "surrogatepass")
    return _DECODERS[cleaning].decode(text)


_CONTAINERS = (dict, list)


def _survey(
    body: Any,
    max_depth: int | None,
    *,
    keys: bool,
    exact: bool = False,
    rows: Surveyed | None = None,
) -> str | None:
    """Check the nesting of ``body`` and, with ``keys``, clean its keys in place.

    ``"deep"`` when containers nest beyond ``max_depth``; ``"collided"`` when two keys of one
    object clean to the same name (the caller parses again with the hook, which knows their
    order); with ``exact``, ``"inexact"`` when a value is a float (orjson's, not exact);
    otherwise ``None``.  Walks one depth at a time without recursion; each depth's keys and
    value types are gathered by C-level iteration (``set``, ``chain``, ``map``), so a list of
    100,000 flat records costs a few passes at C speed rather than a Python call per record.

    A depth that is exactly the objects of one list (502's and 403's records) is gathered as
    each object's key order and value types instead; with ``rows``, those are kept for the
    list so that building its records (:func:`_adopter`) does not gather them again.
    """
    if exact and type(body) is float:
        return "inexact"
    containers = [body] if type(body) in _CONTAINERS else []
    depth = 0
    parent: list[Any] | None = None  # the one list whose objects this depth is
    dicts: list[Any] = []
    lists: list[Any] = []
    while containers:
        depth += 1
        if max_depth is not None and depth > max_depth:
            return "deep"
        if parent is not None:
            dicts, lists = containers, []
            orders = set(map(tuple, dicts))
            types = set(map(tuple, map(map, repeat(type), map(dict.values, dicts))))
            depth_keys = set(chain.from_iterable(orders)) if keys else set()
            kinds = set(chain.from_iterable(types))
        else:
            dicts = [value for value in containers if type(value) is dict]
            lists = [value for value in containers if type(value) is list]
            depth_keys = set(chain.from_iterable(dicts)) if keys else set()
            kinds = set(map(type, _children(dicts, lists)))
        clean = {key: _clean_key(key) for key in depth_keys}
        dirty = {key for key, cleaned in clean.items() if cleaned != key}
        if dirty and _collided(dicts, dirty, clean):
            return "collided"
        if parent is not None and rows is not None and not dirty:
            rows[id(parent)] = Gathered(parent, frozenset({dict}), orders, types)
        if exact and float in kinds:
            return "inexact"
        if dict not in kinds and list not in kinds:
            break
        containers = [child for child in _children(dicts, lists) if type(child) in _CONTAINERS]
        parent = lists[0] if not dicts and len(lists) == 1 and kinds == {dict} else None
    if rows is not None and not dicts and len(lists) == 1:  # the last depth: one list of values
        rows[id(lists[0])] = Gathered(lists[0], frozenset(kinds), None, None)
    return None


class Gathered(NamedTuple):
    """What the checks of a parsed answer learnt of one of its lists, so that structuring it
    does not gather it again."""

    items: list[Any]
    """The list itself: kept, so that its ``id`` cannot name another list meanwhile."""
    kinds: frozenset[type]
    """The types of its items."""
    orders: set[tuple[str, ...]] | None
    """For a list of objects, the distinct key orders of its objects ..."""
    types: set[tuple[type, ...]] | None
    """... and the distinct tuples of their values' types."""


Surveyed: TypeAlias = dict[int, Gathered]
"""What was learnt of an answer's lists, by their ``id``."""

_GATHERED_ITEMS = 64
"""Shorter lists are not worth remembering: checking them again costs less."""


def _gathered(items: list[Any]) -> Gathered | None:
    """What the checks learnt of ``items`` in the :func:`structure` call running here."""
    rows = _SURVEYED.get()
    gathered = rows.get(id(items)) if rows else None
    return gathered if gathered is not None and gathered.items is items else None


_WALKED_CONTAINERS = 256
"""An orjson-parsed answer with fewer brackets is checked object by object (:func:`_walk`):
a single answer (306's one flat object) costs a pass over its few keys rather than the
survey's set and chain machinery, which pays off only across many objects."""

_SCALARS = frozenset({str, int, bool, type(None)})
"""Values both parsers produce exactly as they are, holding nothing to check further."""


def _walk(
    body: Any, max_depth: int | None, *, exact: bool, rows: Surveyed | None = None
) -> str | None:
    """What :func:`_survey` finds (and the same in-place key cleaning), one container at a
    time: for answers of few containers, where the survey's per-depth machinery dominates.
    With ``rows``, the item types of each long list are kept (505's 100,000 codes).

    Breadth first, like the survey, so that a finding nearer the top wins as it does there
    (a float beside a list nested too deeply is parsed again exactly, then refused as deep).
    """
    pending = deque([(body, 1)] if type(body) in _CONTAINERS else [])
    if exact and type(body) is float:
        return "inexact"
    while pending:
        value, depth = pending.popleft()
        if max_depth is not None and depth > max_depth:
            return "deep"
        if type(value) is dict:
            if _collides(value):
                return "collided"
            children: Any = value.values()
            kinds = set(map(type, children))
        else:
            children = value
            # a list of text (505's codes) is recognised at C speed by join, twice as fast
            kinds = ({str} if value else set()) if _all_text(value) else set(map(type, value))
        if rows is not None and type(value) is list and len(value) >= _GATHERED_ITEMS:
            rows[id(value)] = Gathered(value, frozenset(kinds), None, None)
        if kinds <= _SCALARS:
            continue
        if exact and float in kinds:
            return "inexact"
        pending.extend((child, depth + 1) for child in children if type(child) in _CONTAINERS)
    return None


def _flat(body: Any) -> bool:
    """Whether ``body`` is one object of plain values (306's answer, most answers' envelope):
    its keys are all there is to check, without :func:`_walk`'s queue or a bracket count."""
    return type(body) is dict and set(map(type, body.values())) <= _SCALARS


def _collides(value: dict[str, Any]) -> bool:
    """Clean the keys of one object in place, in order; ``True`` (and ``value`` as it was)
    when two of its keys clean to the same name."""
    keys = list(value)
    known = list(map(_KNOWN_KEYS.get, keys))  # None for a key not seen before
    if known == keys:
        return False
    cleaned = list(map(_clean_key, keys)) if None in known else cast(list[str], known)
    if cleaned == keys:
        return False
    renamed = dict(zip(cleaned, value.values(), strict=True))
    if len(renamed) != len(value):
        return True
    value.clear()
    value.update(renamed)
    return False


def _collided(dicts: list[dict[str, Any]], dirty: set[str], clean: dict[str, str]) -> bool:
    """Clean the keys of each object holding one of ``dirty`` (``clean`` maps every key of this
    depth), in place and in order; stop at an object where two keys clean to one name."""
    rename = clean.__getitem__
    for value in dicts:
        if dirty.isdisjoint(value):
            continue
        cleaned = dict(zip(map(rename, value), value.values(), strict=True))
        if len(cleaned) != len(value):
            return True
        value.clear()
        value.update(cleaned)
    return False


def _children(dicts: list[dict[str, Any]], lists: list[list[Any]]) -> Iterator[Any]:
    return chain(chain.from_iterable(map(dict.values, dicts)), chain.from_iterable(lists))


def _clean_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Each object as the parser builds it, keys already cleaned (see :func:`normalise_keys`).

    Doing it inside the parser costs one call per object and nothing per list item: the way for
    answers of few objects (505's 100,000 codes are one), and for objects whose keys collide.
    """
    return {_clean_key(key): item for key, item in pairs}


def _decoder(hook: Callable[[list[tuple[str, Any]]], Any] | None) -> json.JSONDecoder:
    return json.JSONDecoder(
        parse_float=_bounded_decimal, parse_constant=_refuse_constant, object_pairs_hook=hook
    )


_DECODERS = {False: _decoder(None), True: _decoder(_clean_object)}
"""Shared like ``json``'s own default decoder: a decoder keeps no state between parses."""


def normalise_keys(value: Any) -> Any:
    """Strip and de-space every key at every depth; map ``ResultCode``/``ResultMsg``.

    Long lists of plain values (505's codes) are returned as they are, without a call per
    item: only objects and lists inside are walked.
    """
    if isinstance(value, dict):
        return {_clean_key(key): normalise_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        if not any(isinstance(item, dict | list) for item in value):
            return value
        return [normalise_keys(item) for item in value]
    return value


def _clean_key(key: str) -> str:
    """One key without white space; short keys are remembered, because answers repeat them."""
    clean = _KNOWN_KEYS.get(key)
    if clean is None:
        clean = _cleaned(key)
        # a peer's absurd or endless keys are cleaned, never kept
        if len(key) <= _CACHED_KEY_CHARS and len(_KNOWN_KEYS) < _CACHED_KEYS:
            _KNOWN_KEYS[key] = clean
    return clean


def _cleaned(key: str) -> str:
    clean = "".join(key.split())
    return _ENVELOPE_ALIASES.get(clean, clean)


_CACHED_KEY_CHARS = 64
"""The document's keys are short names; longer ones are not worth keeping in the cache."""
_CACHED_KEYS = 4096
"""Most keys remembered: the document names a few hundred; a hostile peer's are not kept."""
_KNOWN_KEYS: dict[str, str] = {}
"""Each short key seen, with its cleaned form: a plain dictionary, so that a whole object's
keys are looked up at C speed (``map(_KNOWN_KEYS.get, keys)``)."""


def _exact_text(value: Any, _: type) -> str:
    """IDs and text: JSON numbers become their exact decimal digits, never a float rendering."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)
    raise ValueError(f"expected text or number, got {type(value).__name__}")


def _lenient_int(value: Any, _: type) -> int:
    """Integers may arrive as numbers or digit strings."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value.strip())
    raise ValueError(f"expected an integer, got {value!r}")


def _optional_int(value: Any, _: type) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _lenient_int(value, int)


def _optional_text(value: Any, _: type) -> str | None:
    """``str | None`` fields directly, without cattrs' generic union dispatch per value."""
    return None if value is None else _exact_text(value, str)


def _is_list(tp: Any) -> bool:
    return get_origin(tp) is list


def _list_hook(conv: cattrs.Converter) -> Any:
    def structure_list(value: Any, tp: Any) -> list[Any]:
        (item_type,) = get_args(tp) or (Any,)
        if value is None or value == "":
            return []
        items = [value] if isinstance(value, dict) else value
        if not isinstance(items, list):
            raise ValueError(f"expected a list, got {type(value).__name__}")
        if item_type is str and _all_text(items):
            return items  # 505's codes: already what the response holds
        hook = conv.get_structure_hook(item_type)  # resolved once, not once per item
        return [hook(item, item_type) for item in items]

    return structure_list


def _text_only(items: list[Any]) -> bool:
    """:func:`_all_text`, or what the checks of the answer already learnt of ``items``."""
    gathered = _gathered(items)
    return _all_text(items) if gathered is None else gathered.kinds <= {str}


def _all_text(items: list[Any]) -> bool:
    """Whether every item is text, checked at C speed (``join`` refuses anything else)."""
    try:
        "".join(items)
    except TypeError:
        return False
    return True


def _object_hook_factory(conv: cattrs.Converter) -> Any:
    def factory(cl: type) -> Any:
        generated: Any = make_dict_structure_fn(cl, conv)

        def structure_object(value: Any, tp: Any) -> Any:
            if not isinstance(value, dict):
                raise ValueError(f"expected an object, got {type(value).__name__}")
            return generated(value, tp)

        return structure_object

    return factory


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
    conv.register_structure_hook_factory(attrs.has, _object_hook_factory(conv))
    conv.register_structure_hook(str, _exact_text)
    conv.register_structure_hook(int, _lenient_int)
    conv.register_structure_hook_func(lambda tp: tp == (int | None), _optional_int)
    conv.register_structure_hook_func(lambda tp: tp == (str | None), _optional_text)
    conv.register_structure_hook_func(_is_list, _list_hook(conv))
    return conv


converter = _make_converter()
"""The SDK's single converter: responses are structured with it, nothing else."""


def structure(body: dict[str, Any], response_type: type[T], *, rows: Surveyed | None = None) -> T:
    """Structure a normalised body into a response class (unknown keys ignored).

    The generated fast path (:func:`_fast_hook`) builds the answer; when it meets anything
    it does not handle, the converter structures the body again with cattrs' detailed
    validation, which raises the error that names the offending field.  ``rows`` is what
    :func:`decode_json` learnt of the same body's lists of objects.
    """
    if not attrs.has(response_type):
        raise TypeError(f"{response_type!r} is not an attrs class")
    known = _SURVEYED.set(rows)
    try:
        return cast(T, _fast_hook(response_type)(body))
    except Exception:  # the detailed path below decides, and names the field
        pass
    finally:
        _SURVEYED.reset(known)
    return cast(T, converter.structure(body, response_type))


_SURVEYED: ContextVar[Surveyed | None] = ContextVar("_SURVEYED", default=None)
"""The ``rows`` of the :func:`structure` call running in this context (thread or task)."""


# --- the fast path ------------------------------------------------------------------------------
#
# cattrs' generated functions call one hook per field through its dispatch, and wrap each in
# detailed-validation bookkeeping: about 3x ``json.loads`` for 100,000 upload records (502).
# The functions below are generated once per class, test the common case inline (``type(v) is
# str``) and hand every other value to the very hooks the converter registers, so that a success
# is the converter's own result.  Anything unexpected raises, and ``structure`` falls back to the
# converter for its detailed error.

_MISSING: Any = object()
_INLINE = {
    str: ("str", _exact_text),
    int: ("int", _lenient_int),
    str | None: ("str", _optional_text),
    int | None: ("int", _optional_int),
}
"""Field types tested inline: (the Python type that passes as it is, the hook for the rest)."""
_OPTIONAL = (str | None, int | None)


class _UnhandledError(Exception):
    """A value the fast path leaves to the converter."""


@functools.cache
def _fast_hook(tp: Any) -> Callable[[Any], Any]:
    """A one-argument structuring function for ``tp``, generated once per type."""
    if attrs.has(tp):
        return _fast_class(tp)
    if get_origin(tp) is list:
        return _fast_list(tp)
    if tp in _INLINE:
        return _bound(_INLINE[tp][1], tp)
    convert = converter.get_structure_hook(tp)
    return _bound(convert, tp)


def _bound(hook: Callable[[Any, Any], Any], tp: Any) -> Callable[[Any], Any]:
    def structure_value(value: Any) -> Any:
        return hook(value, tp)

    return structure_value


def _fast_list(tp: Any) -> Callable[[Any], list[Any]]:
    """:func:`_list_hook`'s rules (``null``/``""`` empty, a lone object one item), fast items."""
    (item_type,) = get_args(tp) or (Any,)
    if item_type is Any:
        return _bound(converter.get_structure_hook(tp), tp)
    item_hook = _fast_hook(item_type)
    adopt = _adopter(item_type) if attrs.has(item_type) else None

    def structure_list(value: Any) -> list[Any]:
        if value is None or value == "":
            return []
        items = [value] if isinstance(value, dict) else value
        if type(items) is not list:
            raise _UnhandledError
        if item_type is str and _text_only(items):
            return items
        if adopt is not None and (adopted := adopt(items)) is not None:
            return adopted
        return list(map(item_hook, items))

    return structure_list


def _fast_class(cl: type) -> Callable[[Any], Any]:
    """Source for ``cl``: one ``get`` per field, inline type checks, defaults as attrs has them."""
    attrs.resolve_types(cl)
    if _is_plain(cl) and all(map(_by_name, attrs.fields(cl))):
        return _by_present_keys(cl)
    names: dict[str, Any] = {"_cl": cl, "_M": _MISSING, "_UnhandledError": _UnhandledError}
    lines = [
        "def structure_object(o):",
        "    if type(o) is not dict:",
        "        raise _UnhandledError",
        "    g = o.get",
    ]
    assigned: list[tuple[Any, str]] = []  # (field, the variable holding its value)
    for index, field in enumerate(attrs.fields(cl)):
        if not field.init:
            continue
        tp = field.type
        var = f"v{index}"
        default = field.default
        if default is None and tp in _OPTIONAL:  # missing and null both give None: one get
            kind, hook = _INLINE[tp]
            names[f"h{index}"], names[f"t{index}"] = hook, tp
            lines += [
                f"    {var} = g({field.name!r})",
                f"    if {var} is not None and type({var}) is not {kind}:",
                f"        {var} = h{index}({var}, t{index})",
            ]
            assigned.append((field, var))
            continue
        if default is attrs.NOTHING:
            lines += [
                f"    {var} = g({field.name!r}, _M)",
                f"    if {var} is _M:",
                "        raise _UnhandledError",
            ]
        elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
            if default.takes_self:
                return _bound(converter.get_structure_hook(cl), cl)
            names[f"f{index}"] = default.factory
            lines += [
                f"    {var} = g({field.name!r}, _M)",
                f"    if {var} is _M:",
                f"        {var} = f{index}()",
                "    else:",
            ]
        else:
            names[f"d{index}"] = default
            lines += [
                f"    {var} = g({field.name!r}, _M)",
                f"    if {var} is _M:",
                f"        {var} = d{index}",
                "    else:",
            ]
        indent = "    " if default is attrs.NOTHING else "        "
        if tp in _INLINE:
            kind, hook = _INLINE[tp]
            names[f"h{index}"], names[f"t{index}"] = hook, tp
            none_ok = f"{var} is not None and " if tp in _OPTIONAL else ""
            lines += [
                f"{indent}if {none_ok}type({var}) is not {kind}:",
                f"{indent}    {var} = h{index}({var}, t{index})",
            ]
        else:
            names[f"h{index}"] = _fast_hook(tp)
            lines.append(f"{indent}{var} = h{index}({var})")
        assigned.append((field, var))
    if _is_plain(cl):  # the instance dictionary at once: what __init__ would store
        names["_new"], names["_set"] = object.__new__, object.__setattr__
        stored = ", ".join(f"{field.name!r}: {var}" for field, var in assigned)
        lines += ["    r = _new(_cl)", f"    _set(r, '__dict__', {{{stored}}})", "    return r"]
    else:
        arguments = ", ".join(f"{field.alias}={var}" for field, var in assigned)
        lines.append(f"    return _cl({arguments})")
    exec("\n".join(lines), names)  # source built above from the class's own fields
    generated: Callable[[Any], Any] = names["structure_object"]
    return generated


def _by_name(field: Any) -> bool:
    """Whether :func:`_by_present_keys` can build ``field``: a type tested inline, and a
    default (if any) that is a value rather than a factory."""
    return field.type in _INLINE and not isinstance(field.default, attrs.Factory)  # type: ignore[arg-type]


_KINDS: dict[str, type] = {"str": str, "int": int}

Shape = tuple[tuple[str, ...], tuple[type, ...]]
"""An answer object's keys in order, and the types of its values."""

_MOST_SHAPES: Final = 32
"""Plans kept per class (:func:`_by_present_keys`); past it they are learnt again."""

_UNPLANNED: Any = object()


def _by_present_keys(cl: type) -> Callable[[Any], Any]:
    """The structuring function of a plain class (:func:`_is_plain`) whose fields are all
    tested inline (:func:`_by_name`): what :func:`_fast_class`'s source does, done by the keys
    the answer holds rather than by the fields the class has.

    The record starts as the defaults, in field order; each key of the answer that names a
    field replaces its default, through the field's hook unless its type is taken as it is.
    306's answer holds 14 of its class's 34 fields: the 20 it lacks cost nothing.

    An answer's *shape* (its keys in order and their values' types) decides everything but
    the hooks' own results, and a client meets the same few shapes call after call.  So the
    first answer of a shape whose keys are all fields, required ones included, is structured
    key by key and leaves a plan: the fields whose values pass through a hook.  Every later
    answer of that shape is copied over the defaults at C speed and only those fields go
    through their hooks: the same record, without a Python step per key (for 306, about 330
    of the 8,900 interpreter steps of a call over aiohttp, issue 13).  Plans are bounded per
    class.
    """
    fields = attrs.fields(cl)
    template = {f.name: _MISSING if f.default is attrs.NOTHING else f.default for f in fields}
    checks = {
        field.name: (
            _KINDS[_INLINE[field.type][0]],
            field.type in _OPTIONAL,
            _INLINE[field.type][1],
            field.type,
        )
        for field in fields
    }
    required = frozenset(field.name for field in fields if field.default is attrs.NOTHING)
    new, set_attribute = object.__new__, object.__setattr__
    plans: dict[Shape, tuple[tuple[str, Any, Any], ...] | None] = {}

    def structure_object(o: Any) -> Any:
        if type(o) is not dict:
            raise _UnhandledError
        shape = (tuple(o), tuple(map(type, o.values())))
        plan = plans.get(shape, _UNPLANNED)
        record = template.copy()
        if plan is None or plan is _UNPLANNED:
            for name, value in o.items():
                check = checks.get(name)
                if check is None:
                    continue
                if type(value) is not check[0] and (value is not None or not check[1]):
                    value = check[2](value, check[3])
                record[name] = value
            if required and _MISSING in record.values():
                raise _UnhandledError
            if plan is _UNPLANNED:
                learn(shape)
        else:
            record.update(o)
            for name, hook, tp in plan:
                record[name] = hook(record[name], tp)
        made: Any = new(cl)
        set_attribute(made, "__dict__", record)
        return made

    def learn(shape: Shape) -> None:
        """Keep the plan of a shape whose keys are all fields, or ``None`` for a shape that
        keeps the key-by-key path (not when it is longer than any plan: a peer's key list)."""
        names, kinds = shape
        plan: tuple[tuple[str, Any, Any], ...] | None = None
        if checks.keys() >= set(names) and required <= set(names):
            plan = tuple(
                (name, checks[name][2], checks[name][3])
                for name, kind in zip(names, kinds, strict=True)
                if kind is not checks[name][0] and (kind is not type(None) or not checks[name][1])
            )
        elif len(names) > len(checks):
            return
        if len(plans) >= _MOST_SHAPES:  # shapes chosen afresh answer after answer
            plans.clear()
        plans[shape] = plan

    return structure_object


# --- lists of records: the parsed objects become the records ---------------------------------
#
# A list of 100,000 flat records (502, 403) is the one answer where building objects costs as
# much as parsing.  When every record of a list has exactly its class's documented keys, in one
# order, and every value already has its field's type (text for ``str``, an integer for
# ``int``, ``None`` where optional), the parsed objects are exactly the records' attribute
# dictionaries: each record is created empty and given its parsed object as ``__dict__``, so
# nothing is copied or checked per field.  The checks run at C speed over the whole list, once
# per distinct key order and type combination.  Anything else (a missing or unknown key, a
# number as text) takes the per-record path above, with the same result.

_ACCEPTED: dict[Any, frozenset[type]] = {
    str: frozenset({str}),
    int: frozenset({int}),
    str | None: frozenset({str, type(None)}),
    int | None: frozenset({int, type(None)}),
}
"""The values a field of each type holds as they are (``bool`` is not ``int`` here)."""

_SAMPLES: dict[Any, Any] = {str: "", int: 0, str | None: None, int | None: None}


@functools.cache
def _is_plain(cl: type) -> bool:
    """Whether ``cl``'s ``__init__`` only stores its arguments, one instance-dictionary entry
    per field under the field's name: no validators, converters, hooks or own ``__new__``,
    every field an ``__init__`` argument and nothing else stored.  Such a record can be
    created empty and given its finished dictionary, which is what ``__init__`` leaves."""
    fields = attrs.fields(attrs.resolve_types(cl))
    if not fields or any(
        not field.init or field.validator is not None or field.converter is not None
        for field in fields
    ):
        return False
    hooks = ("__attrs_post_init__", "__attrs_pre_init__")
    if any(hasattr(cl, hook) for hook in hooks) or cast(Any, cl).__new__ is not object.__new__:
        return False
    try:  # what __init__ stores must be exactly the fields, in the instance dictionary
        stored = vars(cl(**{field.alias: _sample(field) for field in fields}))
    except TypeError:  # slotted: no instance dictionary
        return False
    return list(stored) == [field.name for field in fields]


def _sample(field: Any) -> Any:
    """Some value for ``field`` (its default, else one of its type), to see what is stored."""
    if field.default is attrs.NOTHING:
        return _SAMPLES.get(field.type)
    if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
        return None
    return field.default


def _adopter(cl: type) -> Callable[[list[Any]], list[Any] | None] | None:
    """For a plain record class (:func:`_is_plain`) whose fields all hold text or integers,
    the list builder described above."""
    fields = attrs.fields(attrs.resolve_types(cl))
    if not _is_plain(cl) or any(field.type not in _ACCEPTED for field in fields):
        return None
    names = frozenset(field.name for field in fields)
    accepted = {field.name: _ACCEPTED[field.type] for field in fields}
    size = len(fields)

    def adopt(items: list[Any]) -> list[Any] | None:
        gathered = _gathered(items)
        types: set[tuple[type, ...]] | None = None
        if gathered is not None and gathered.orders is not None:  # by the survey already
            orders, types = gathered.orders, gathered.types
        elif not items or set(map(type, items)) != {dict}:
            return None
        else:
            orders = set(map(tuple, items))
        if len(orders) != 1:
            return None
        (order,) = orders
        if len(order) != size or not names.issuperset(order):
            return None
        allowed = [accepted[name] for name in order]
        if types is None:
            types = set(map(tuple, map(map, repeat(type), map(dict.values, items))))
        for kinds in types:
            if not all(map(operator.contains, allowed, kinds)):
                return None
        records: list[Any] = list(map(object.__new__, repeat(cl, len(items))))
        deque(map(object.__setattr__, records, repeat("__dict__"), items), maxlen=0)
        return records

    return adopt
