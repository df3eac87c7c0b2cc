"""The registry: endpoint number → spec class, filled by the ``@endpoint`` decorator."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._spec import Spec

__all__ = ["register", "registry"]

_SPECS: dict[int, type[Spec]] = {}

registry: Mapping[int, type[Spec]] = MappingProxyType(_SPECS)
"""Read-only mapping from endpoint number (``309``, ``5011``…) to its spec class."""


def register(cls: Any) -> None:
    """Enter a spec class; two classes may not claim one number."""
    number = cls.number
    if number in _SPECS and _SPECS[number] is not cls:
        raise TypeError(
            f"endpoint {number} declared twice: {_SPECS[number].__name__}, {cls.__name__}"
        )
    _SPECS[number] = cls
