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
from decimal import Decimal
from typing import Any, TypeVar, cast, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn

__all__ = ["converter", "decode_json", "normalise_keys", "structure"]

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


def decode_json(content: bytes) -> Any:
    """Parse JSON keeping every number exact (big IDs as int, decimals as ``Decimal``), with
    every key cleaned as :func:`normalise_keys` does.

    Raises ``ValueError`` (or ``RecursionError`` for absurd nesting) for anything that is not
    plain, bounded JSON; the hooks run only for decimals and constants, so ordinary answers
    parse at ``json.loads`` speed.
    """
    return json.loads(
        content,
        parse_float=_bounded_decimal,
        parse_constant=_refuse_constant,
        object_pairs_hook=_clean_object,
    )


def _clean_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Each object as the parser builds it, keys already cleaned (see :func:`normalise_keys`).

    Doing it inside the parser costs one call per object and nothing per list item, so a 505
    answer of 100,000 codes decodes at about ``json.loads`` speed.
    """
    return {_clean_key(key): item for key, item in pairs}


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
    """One key without white space; short keys are cached, because records repeat them."""
    if len(key) > _CACHED_KEY_CHARS:  # a peer's absurd key is cleaned, never kept
        return _cleaned(key)
    return _cached_clean(key)


def _cleaned(key: str) -> str:
    clean = "".join(key.split())
    return _ENVELOPE_ALIASES.get(clean, clean)


_CACHED_KEY_CHARS = 64
"""The document's keys are short names; longer ones are not worth keeping in the cache."""
_cached_clean = functools.lru_cache(maxsize=1024)(_cleaned)


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
        if item_type is str and set(map(type, items)) <= {str}:
            return items  # 505's codes: already what the response holds (checked at C speed)
        hook = conv.get_structure_hook(item_type)  # resolved once, not once per item
        return [hook(item, item_type) for item in items]

    return structure_list


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
    conv.register_structure_hook_func(_is_list, _list_hook(conv))
    return conv


converter = _make_converter()
"""The SDK's single converter: responses are structured with it, nothing else."""


def structure(body: dict[str, Any], response_type: type[T]) -> T:
    """Structure a normalised body into a response class (unknown keys ignored)."""
    if not attrs.has(response_type):
        raise TypeError(f"{response_type!r} is not an attrs class")
    return cast(T, converter.structure(body, response_type))
