"""Rules of a category registration, shared by 402, 406, 407 and the pages 401/405/408.

- ``industrycategory_id`` must be a known category, ``category_code`` its code (202/203) and
  ``codeuse_id`` its use (201); ``code_pay_type`` 2 (register) or 5 (record).  10000.
- ``gotourl``: empty 30001, malformed 30002 (see :mod:`.urls`); ``sample_url``, when given,
  must match it (30005).
- ``model_number`` is required; ``model_number_code``, when given, is 1–40 letters, digits,
  ``_`` or ``-`` (10000) because it becomes the last segment of the code.
- 50001 "存在相同的型号编码": the unit already has the same code (use, category and model
  number code).  50002 "重复申请": the unit already applied for the same category, model
  name and application type.

The category code is ``<unit code>/<use code>.<category code>.<model number code>/``, as in
the document's example ``i.86.101010.3/10.232324.11`` and the peers' live data; without a
model number code (407) the centre numbers the unit's categories itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

import attrs

from .errors import CentreError
from .records import Registration, Unit
from .reference_data import CODE_USES, category_by_id
from .urls import resolve_url_problem, sample_matches

__all__ = ["RegistrationRequest", "check_registration", "complete_code"]

_MODEL_CODE: Final = re.compile(r"^[0-9A-Za-z_\-]{1,40}$")
_USE_CODES: Final = {use.codeuse_id: use.codeuse_code for use in CODE_USES}


@attrs.frozen(kw_only=True)
class RegistrationRequest:
    """What one category registration asks for, whichever endpoint carried it."""

    via: int
    industrycategory_id: int
    codeuse_id: int
    category_code: str
    code_pay_type: int
    gotourl: str
    sample_url: str = ""
    model_number: str
    model_number_code: str = ""
    category_memo: str = ""
    model_number_en: str = ""
    introduction: str = ""


def check_gotourl(gotourl: str, sample_url: str) -> None:
    """30001/30002/30005 for a resolve URL and its sample URL (an empty sample is not checked)."""
    if not gotourl:
        raise CentreError(30001, "gotourl is empty")
    problem = resolve_url_problem(gotourl)
    if problem:
        raise CentreError(30002, problem)
    if sample_url and not sample_matches(sample_url, gotourl):
        raise CentreError(30005, "sample_url is not on the resolve URL's host")


def check_registration(
    unit: Unit, request: RegistrationRequest, existing: Iterable[Registration | RegistrationRequest]
) -> None:
    """Raise :class:`CentreError` unless ``request`` may be registered next to ``existing``."""
    category = category_by_id(request.industrycategory_id)
    if category is None:
        raise CentreError(10000, f"unknown industrycategory_id {request.industrycategory_id}")
    if request.codeuse_id not in _USE_CODES:
        raise CentreError(10000, f"unknown codeuse_id {request.codeuse_id}")
    if category.codeuse_id != request.codeuse_id:
        raise CentreError(10000, f"industrycategory_id is of code use {category.codeuse_id}")
    if request.category_code != category.industrycategory_code:
        raise CentreError(10000, "category_code is not the code of industrycategory_id")
    if request.code_pay_type not in (2, 5):
        raise CentreError(10000, "code_pay_type must be 2 (register) or 5 (record)")
    if not request.model_number:
        raise CentreError(10000, "model_number is required")
    if request.model_number_code and not _MODEL_CODE.match(request.model_number_code):
        raise CentreError(10000, "model_number_code must be 1-40 letters, digits, _ or -")
    check_gotourl(request.gotourl, request.sample_url)
    for other in existing:
        if other is request:
            continue
        same_category = (other.codeuse_id, other.category_code) == (
            request.codeuse_id,
            request.category_code,
        )
        if (
            request.model_number_code
            and same_category
            and other.model_number_code == request.model_number_code
        ):
            raise CentreError(50001, f"model_number_code {request.model_number_code!r} exists")
        if (other.industrycategory_id, other.model_number, other.code_pay_type) == (
            request.industrycategory_id,
            request.model_number,
            request.code_pay_type,
        ):
            raise CentreError(50002, "the same category and model was applied for already")


def complete_code(unit: Unit, request: RegistrationRequest, taken: set[str]) -> str:
    """The category code for ``request``; ``taken`` holds the unit's existing codes."""
    prefix = f"{unit.idcode}/{_USE_CODES[request.codeuse_id]}.{request.category_code}."
    if request.model_number_code:
        return f"{prefix}{request.model_number_code}/"
    serial = 1
    while f"{prefix}{serial}/" in taken:
        serial += 1
    return f"{prefix}{serial}/"
