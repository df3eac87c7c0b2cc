"""The one cattrs converter, and the decoding of the centre's JSON answers.

The document prints keys with stray spaces (``" is_authen"``, ``"batch_regist _list"``), spells
the envelope two ways (``result_code``/``ResultCode``), sends 20-digit IDs that are BigDecimal on
the server (beyond int64 and float), and returns ``null`` for empty lists.  All of that is
absorbed here, once, so that response classes can name fields exactly as documented.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar, cast, get_args, get_origin

import attrs
import cattrs

__all__ = ["converter", "decode_json", "normalise_keys", "structure"]

T = TypeVar("T")

_ENVELOPE_ALIASES = {"ResultCode": "result_code", "ResultMsg": "result_msg"}


def decode_json(content: bytes) -> Any:
    """Parse JSON keeping every number exact (big IDs as int, decimals as ``Decimal``)."""
    return json.loads(content, parse_float=Decimal)


def normalise_keys(value: Any) -> Any:
    """Strip and de-space every key at every depth; map ``ResultCode``/``ResultMsg``."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            clean = "".join(str(key).split())
            out[_ENVELOPE_ALIASES.get(clean, clean)] = normalise_keys(item)
        return out
    if isinstance(value, list):
        return [normalise_keys(item) for item in value]
    return value


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
        return [conv.structure(item, item_type) for item in items]

    return structure_list


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=False)
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
