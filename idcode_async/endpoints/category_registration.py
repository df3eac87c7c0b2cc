"""Section 九: category registration and record (401–410).

A unit with a main code registers (注册, ``code_pay_type`` 2) or records (备案, 5) categories
under it; each becomes a category code such as ``i.86.101010.3/10.232324.11`` that resolves to
the unit's ``gotourl`` (formats: seed §十三).  It can be done in the user's browser (the page
interfaces 401, 405, 408), or by data interfaces: in bulk (402), for a product (406) or for
anything else (407).  403/404 and their refinements 409/410 read the registrations back.

Every registration is a write: a repeated submission is refused (50001/50002), so none is
retried blindly.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Final, Literal, cast

import attrs

from .._errors import ValidationError
from .._spec import Endpoint, PageEndpoint, Response, checked_arguments, endpoint
from .._validators import (
    Validator,
    fail,
    int_problem,
    non_blank,
    parameter_problem,
    shown,
    url,
)
from .._wire import WireParams

__all__ = [
    "BaseIdcodeInfo",
    "BaseIdcodeInfo2",
    "BatchRegistInfo",
    "CategoryApplyPage",
    "CategoryBatchRegist",
    "CategoryBatchRegistResponse",
    "CategoryRecordPage",
    "CategoryRegItem",
    "CategoryRegisterResponse",
    "IdcodeInfo2Response",
    "IdcodeInfoBase",
    "IdcodeInfoBase2",
    "IdcodeInfoResponse",
    "IdcodeInfoSearch",
    "IdcodeInfoSearch2",
    "OtherCategoryRegister",
    "ProductCategoryApplyPage",
    "ProductCategoryRegister",
]

_PRODUCT_CODEUSE: Final = "10"
"""The code use of products: fixed for 406, excluded from 407 (seed 406/407 tables)."""


# --- 401 / 408: the page interfaces for one category, in the user's browser ---------------


@endpoint(401, "/sp/idcode/category/apply", "GET/POST", writes=True)
@attrs.frozen(kw_only=True)
class CategoryApplyPage(PageEndpoint):
    """401: the centre's page where the user registers a category (注册).

    Open ``client.page_url(spec)`` in the user's browser.  On success the centre sends the
    browser to ``callback_url`` with ``CategoryIDcode`` (the full category code) appended.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    """The unit's main code (单位主码)."""
    gotourl: str = attrs.field(validator=[non_blank, url])
    """The resolve URL: where a scan of the category's codes lands (seed §十三)."""
    sample_url: str = attrs.field(validator=[non_blank, url])
    """An example of the URL a scan lands on; it must match ``gotourl`` (30005)."""
    callback_url: str = attrs.field(validator=[non_blank, url])
    """Where the centre sends the browser back, with ``CategoryIDcode`` appended."""


@endpoint(408, "/sp/idcode/category/record", "GET/POST", writes=True)
@attrs.frozen(kw_only=True)
class CategoryRecordPage(PageEndpoint):
    """408: the centre's page where the user records a category (备案), 401's twin.

    Recorded codes resolve with ``code=<user part>&BaseCode=<category code>/`` (seed §十三;
    the 408 notes point to §十四, a slip of the document).
    """

    company_idcode: str = attrs.field(validator=non_blank)
    """The unit's main code (单位主码)."""
    gotourl: str = attrs.field(validator=[non_blank, url])
    """The resolve URL (seed §十三)."""
    sample_url: str = attrs.field(validator=[non_blank, url])
    """An example of the URL a scan lands on; it must match ``gotourl`` (30005)."""
    callback_url: str = attrs.field(validator=[non_blank, url])
    """Where the centre sends the browser back, with ``CategoryIDcode`` appended."""


# --- 402: batch registration, its parameters in one json_str -------------------------------

_ITEMS = "category_reg_list"
_BATCH_ENDPOINT = 402


def _item_error(name: str, reason: str) -> ValidationError:
    """An item does not know its place in the list yet: ``category_reg_list[].<name>``."""
    return ValidationError(f"{_ITEMS}[].{name}", reason, endpoint=_BATCH_ENDPOINT)


def _item_rule(
    kind: type[int] | type[str],
    *,
    required: bool = True,
    allowed: Collection[Any] | None = None,
    rules: Sequence[Validator] = (),
) -> Validator:
    """Presence, JSON type and documented values of one item field.

    An item is not a :class:`~idcode_async.Spec`, so nothing checks its types for it; and its
    types decide the JSON (Integer fields are numbers, String fields strings), so they matter.
    ``rules`` are the shared validators, re-raised under the item's parameter name.
    """
    expected = "an integer" if kind is int else "a string"

    def check(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        name = attribute.name
        if value is None:
            if required:
                raise _item_error(name, "is required")
            return
        if isinstance(value, bool) or not isinstance(value, kind):
            raise _item_error(name, f"must be {expected}, got {type(value).__name__}")
        problem = int_problem(value) if isinstance(value, int) else parameter_problem(value)
        if problem is not None:
            raise _item_error(name, problem)
        if allowed is not None and value not in allowed:
            choices = ", ".join(repr(v) for v in allowed)
            raise _item_error(name, f"must be one of {choices}, got {shown(value)}")
        for rule in rules:
            try:
                rule(instance, attribute, value)
            except ValidationError as exc:
                raise _item_error(name, exc.reason) from None

    return check


_required_int = _item_rule(int)
_required_text = _item_rule(str, rules=[non_blank])
_required_url = _item_rule(str, rules=[non_blank, url])


@attrs.frozen(kw_only=True)
class CategoryRegItem:
    """One category to register or record in a 402 batch (an element of ``category_reg_list``).

    Fields are the document's, in its order; their types are the JSON types 402 documents.
    The item is checked when it is built; the batch then names a failing item by its index.
    """

    industrycategory_id: int = attrs.field(validator=_required_int)
    """The category ID, from 202/203 (Integer)."""
    codeuse_id: int = attrs.field(validator=_required_int)
    """The code use, from 201 (Integer)."""
    category_code: str = attrs.field(validator=_required_text)
    """The category code, from 202/203."""
    category_memo: str | None = attrs.field(default=None, validator=_item_rule(str, required=False))
    """A description of the category."""
    code_pay_type: Literal[2, 5] = attrs.field(validator=_item_rule(int, allowed=(2, 5)))
    """2 register (注册), 5 record (备案)."""
    gotourl: str = attrs.field(validator=_required_url)
    """The resolve URL (seed §十三)."""
    sample_url: str | None = attrs.field(
        default=None, validator=_item_rule(str, required=False, rules=[url])
    )
    """An example of the URL a scan lands on; optional here, unlike 406/407."""
    model_number: str = attrs.field(validator=_required_text)
    """The model name (型号名称)."""
    model_number_code: str = attrs.field(validator=_required_text)
    """The model code (型号编码); one the unit already has is refused (50001)."""


checked_arguments(CategoryRegItem, endpoint=_BATCH_ENDPOINT, prefix=f"{_ITEMS}[].")


def _item_json(item: CategoryRegItem) -> dict[str, Any]:
    """An item as 402's JSON: document order, unsent (``None``) fields left out."""
    fields = attrs.fields(CategoryRegItem)
    return {f.name: value for f in fields if (value := getattr(item, f.name)) is not None}


def _freeze_items(items: Sequence[CategoryRegItem]) -> tuple[CategoryRegItem, ...]:
    """Keep the batch as a tuple, so that a checked spec cannot change afterwards."""
    if isinstance(items, list | tuple):
        return tuple(items)
    # Anything else (None, a string…) is kept as given, for the checks to name.
    return cast(tuple[CategoryRegItem, ...], items)


def _check_items(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A non-empty list of valid items; a failing item is named by its index."""
    if value is None:
        return  # reported as missing by the spec
    if not isinstance(value, tuple):
        raise fail(
            instance, _ITEMS, f"must be a list of CategoryRegItem, got {type(value).__name__}"
        )
    if not value:
        raise fail(instance, _ITEMS, "must hold at least one item")
    for index, item in enumerate(value):
        if not isinstance(item, CategoryRegItem):
            reason = f"must be a CategoryRegItem, got {type(item).__name__}"
            raise fail(instance, f"{_ITEMS}[{index}]", reason)
        try:
            attrs.validate(item)  # again: items built with validators disabled arrive unchecked
        except ValidationError as exc:
            parameter = exc.parameter.replace(f"{_ITEMS}[]", f"{_ITEMS}[{index}]", 1)
            raise fail(instance, parameter, exc.reason) from None


@attrs.frozen(kw_only=True, slots=False)
class BatchRegistInfo:
    """One registered category of a 402 batch: its category ID and new registration ID."""

    industrycategory_id: str | None = None
    """A String in this answer, although an Integer in the request."""
    category_reg_id: str | None = None
    """The registration's key (主键 ID), kept as exact text."""


@attrs.frozen(kw_only=True)
class CategoryBatchRegistResponse(Response):
    """402's answer (BatchRegistResult); the document prints the key as "batch_regist _list"."""

    batch_regist_list: list[BatchRegistInfo] = attrs.field(factory=list)


@endpoint(402, "/sp/idcode/category/batchregist", "POST", writes=True)
@attrs.frozen(kw_only=True)
class CategoryBatchRegist(Endpoint[CategoryBatchRegistResponse]):
    """402: register or record several categories of one unit in one request.

    On the wire its only parameters are ``json_str``, ``time`` and ``hash``: the unit code, the
    items and the access token all travel inside ``json_str`` (seed 402), which is signed.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    """The unit's main code (单位主码)."""
    category_reg_list: tuple[CategoryRegItem, ...] = attrs.field(
        converter=_freeze_items, validator=_check_items
    )
    """The categories, at least one; a list or tuple of :class:`CategoryRegItem`."""

    def wire(self) -> WireParams:
        """No form fields of its own: the auth hook builds ``json_str`` from this envelope."""
        envelope = {
            "company_idcode": self.company_idcode,
            _ITEMS: [_item_json(item) for item in self.category_reg_list],
        }
        return WireParams({}, json_envelope=envelope)


# --- 403 / 404 / 409 / 410: the registrations of a unit ------------------------------------


@attrs.frozen(kw_only=True, slots=False)
class BaseIdcodeInfo:
    """One category registration (BaseIDcodeInfo), as 403/404 answer it.

    The document prints " category_reg_idstr " and " organunit_idstr " with stray spaces; the
    converter reads them as the clean names.  ``category_reg_id`` and ``organunit_id`` are
    BigDecimal on the server (20 digits): kept as exact text, like their ``*_idstr`` twins.
    """

    category_reg_id: str | None = None
    category_reg_idstr: str | None = None
    organunit_id: str | None = None
    organunit_idstr: str | None = None
    bill_number: str | None = None
    """The batch (批次号; the example says order) number."""
    guid_number: str | None = None
    """The serial number (流水号)."""
    codeuse_id: str | None = None
    """The code use; a String here, although 201 lists it as an Integer."""
    category_code: str | None = None
    category_memo: str | None = None
    model_number: str | None = None
    model_number_code: str | None = None
    code_pay_type: int | None = None
    """2 registered (注册), 5 recorded (备案)."""
    model_number_en: str | None = None
    introduction: str | None = None
    complete_code: str | None = None
    """The full category code (完整码号)."""
    detail_para: str | None = None
    picture_name: str | None = None
    """The product picture."""


@attrs.frozen(kw_only=True)
class IdcodeInfoResponse(Response):
    """403/404's answer: the matching registrations."""

    base_idcode_list: list[BaseIdcodeInfo] = attrs.field(factory=list)


@attrs.frozen(kw_only=True, slots=False)
class _ExactMatch:
    """403/409's parameters: a unit and the filters its registrations must match exactly."""

    company_idcode: str = attrs.field(validator=non_blank)
    """The unit's main code (单位主码)."""
    idcode_of_category: str | None = None
    """The category code (品类编码)."""
    model_number_code: str | None = None
    category_reg_id: str | None = None
    """The registration's key (主键 ID), as text (a String in this table)."""


@attrs.frozen(kw_only=True, slots=False)
class _ByType:
    """404/410's parameters: a unit and which of its registrations to list."""

    company_idcode: str = attrs.field(validator=non_blank)
    """The unit's main code (单位主码)."""
    search_type: Literal[0, 1, 2] | None = None
    """0 all (the centre's default), 1 registered (注册), 2 recorded (备案)."""


@endpoint(403, "/sp/idcode/idcodeinfo/base", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class IdcodeInfoBase(_ExactMatch, Endpoint[IdcodeInfoResponse]):
    """403: a unit's category registrations, matched exactly on the optional filters."""


@endpoint(404, "/sp/idcode/idcodeinfo/search", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class IdcodeInfoSearch(_ByType, Endpoint[IdcodeInfoResponse]):
    """404: every category registration of a unit, optionally only those registered or recorded."""


@attrs.frozen(kw_only=True, slots=False)
class BaseIdcodeInfo2(BaseIdcodeInfo):
    """A registration as 409/410 answer it: 403's fields plus the refined ``regist_type``."""

    regist_type: int | None = None
    """1 general standard QR code, 2 commodity QR code, 3 pesticide QR code, -1 recorded."""


@attrs.frozen(kw_only=True)
class IdcodeInfo2Response(Response):
    """409/410's answer: the matching registrations, with ``regist_type``."""

    base_idcode_list: list[BaseIdcodeInfo2] = attrs.field(factory=list)


@endpoint(409, "/sp/idcode/idcodeinfo/base2", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class IdcodeInfoBase2(_ExactMatch, Endpoint[IdcodeInfo2Response]):
    """409: 403 with the application type refined (``regist_type``)."""


@endpoint(410, "/sp/idcode/idcodeinfo/search2", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class IdcodeInfoSearch2(_ByType, Endpoint[IdcodeInfo2Response]):
    """410: 404 with the application type refined (``regist_type``)."""


# --- 405 / 406 / 407: one category, for products or anything else --------------------------


@endpoint(405, "/sp/idcode/category/apply/product", "POST", writes=True)
@attrs.frozen(kw_only=True)
class ProductCategoryApplyPage(PageEndpoint):
    """405: the centre's page for registering or recording a product category.

    Documented POST only: submit ``client.page_form(spec)`` from the user's browser (an
    auto-submitting form).  Open only to some users, unlike 401.  On success the centre sends
    the browser to ``callback_url`` with ``CategoryIDcode`` appended.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    """The unit's main code (单位主码)."""
    industrycategory_id: str = attrs.field(validator=non_blank)
    """The category ID, from 202/203/204 (a String in this table)."""
    code_pay_type: Literal["2", "5"]
    """Application type: "2" register (注册), "5" record (备案); a String in this table."""
    gotourl: str = attrs.field(validator=[non_blank, url])
    """The resolve URL (seed §十三)."""
    sample_url: str = attrs.field(validator=[non_blank, url])
    """An example of the URL a scan lands on; it must match ``gotourl`` (30005)."""
    callback_url: str = attrs.field(validator=[non_blank, url])
    """Where the centre sends the browser back, with ``CategoryIDcode`` appended."""


@attrs.frozen(kw_only=True)
class CategoryRegisterResponse(Response):
    """406/407's answer (CompanyIDcode): the new category code and its registration ID."""

    organunit_idcode: str | None = None
    """The category code (品类 IDcode 码); 406 documents that it ends with "/"."""
    category_reg_id: str | None = None
    """The registration's key (BigDecimal on the server), kept as exact text."""


@endpoint(406, "/sp/idcode/idcodeinfo/reg/product", "POST", writes=True)
@attrs.frozen(kw_only=True)
class ProductCategoryRegister(Endpoint[CategoryRegisterResponse]):
    """406: register or record a product category; its code use is always "10".

    A model code the unit already has is refused (50001).
    """

    company_idcode: str = attrs.field(validator=non_blank)
    """The unit's main code (单位主码)."""
    codeuse_id: Literal["10"] = _PRODUCT_CODEUSE
    """The code use: fixed at "10" (products) and required, so it is always sent."""
    industrycategory_id: int
    """The category ID, from 202/203/204 (an Integer in this table)."""
    category_code: str = attrs.field(validator=non_blank)
    model_number: str = attrs.field(validator=non_blank)
    """The model name (型号名称)."""
    model_number_code: str = attrs.field(validator=non_blank)
    """The model code (型号编码)."""
    code_pay_type: Literal["2", "5"]
    """Application type: "2" register (注册), "5" record (备案); a String in this table."""
    gotourl: str = attrs.field(validator=[non_blank, url])
    """The resolve URL (seed §十三)."""
    sample_url: str = attrs.field(validator=[non_blank, url])
    """An example of the URL a scan lands on; it must match ``gotourl`` (30005)."""

    def _check(self) -> None:
        if self.codeuse_id is None:
            raise fail(self, "codeuse_id", f"is required (always {_PRODUCT_CODEUSE!r})")


@endpoint(407, "/sp/idcode/idcodeinfo/reg/other", "POST", writes=True)
@attrs.frozen(kw_only=True)
class OtherCategoryRegister(Endpoint[CategoryRegisterResponse]):
    """407: register or record a category that is not a product (people, things, events…).

    Products go through 406; so ``codeuse_id`` here is anything but "10".  A repeated
    application is refused (50002).
    """

    company_idcode: str = attrs.field(validator=non_blank)
    """The unit's main code (单位主码)."""
    codeuse_id: str = attrs.field(validator=non_blank)
    """The code use, from 201, other than "10" (a String in this table)."""
    industrycategory_id: int
    """The category ID, from 202/203 (an Integer in this table)."""
    category_code: str = attrs.field(validator=non_blank)
    model_number: str = attrs.field(validator=non_blank)
    """The name (名称)."""
    model_number_en: str | None = None
    """The English name."""
    introduction: str | None = None
    """A short introduction (简介)."""
    code_pay_type: Literal[2, 5]
    """2 register (注册), 5 record (备案); an Integer in this table, unlike 405/406."""
    gotourl: str = attrs.field(validator=[non_blank, url])
    """The resolve URL (seed §十三)."""
    sample_url: str = attrs.field(validator=[non_blank, url])
    """An example of the URL a scan lands on; it must match ``gotourl`` (30005)."""

    def _check(self) -> None:
        if self.codeuse_id.strip() == _PRODUCT_CODEUSE:
            raise fail(self, "codeuse_id", "must not be '10': product categories go through 406")
