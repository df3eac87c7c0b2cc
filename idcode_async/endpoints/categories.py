"""Section 七: code uses and industry categories (201–204), the dictionaries of category work.

A category registration (section 九) names its use (``codeuse_id``, from 201) and its industry
category (``industrycategory_id``, from 202–204); these endpoints list the values to choose from.
"""

from __future__ import annotations

import attrs

from .._spec import Endpoint, Response, endpoint

__all__ = [
    "CodeUseInfo",
    "CodeUses",
    "CodeUsesResponse",
    "IndustryCategories",
    "IndustryCategoriesByParent",
    "IndustryCategoriesResponse",
    "IndustryCategoryInfo",
    "ProductIndustryCategories",
]


@attrs.frozen(kw_only=True, slots=False)
class CodeUseInfo:
    """One use of a code for a person, an event or a thing (CodeUseInfo, 201)."""

    codeuse_id: int | None = None
    codeuse_name: str | None = None
    codeuse_code: str | None = None
    type_id: int | None = None
    """Person, event or thing (人事物类型)."""


@attrs.frozen(kw_only=True)
class CodeUsesResponse(Response):
    """201's answer: every code use, in ``codeuse_list``."""

    codeuse_list: list[CodeUseInfo] = attrs.field(factory=list)


@endpoint(201, "/sp/idcode/codeuse", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class CodeUses(Endpoint[CodeUsesResponse]):
    """201: every use (用途) of a person, event or thing code."""


@attrs.frozen(kw_only=True, slots=False)
class IndustryCategoryInfo:
    """One industry category (IndustryCategoryInfo), as 202, 203 and 204 return it."""

    industrycategory_id: int | None = None
    industrycategory_name: str | None = None
    industrycategory_id_parent: int | None = None
    industrycategory_level: int | None = None
    industrycategory_code: str | None = None
    codeuse_id: int | None = None
    """The use (201) this category belongs to."""
    industrycategory_isdel: int | None = None
    """Whether the category is deleted."""
    type_id: int | None = None
    """Person, event or thing (人事物类型)."""
    check_format: str | None = None
    """A regular expression for the entry's value; the document uses it only for ID cards."""


@attrs.frozen(kw_only=True)
class IndustryCategoriesResponse(Response):
    """The answer of 202, 203 and 204: categories in ``industrycategory_list``."""

    industrycategory_list: list[IndustryCategoryInfo] = attrs.field(factory=list)


@endpoint(202, "/sp/idcode/industrycategory", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class IndustryCategories(Endpoint[IndustryCategoriesResponse]):
    """202: every industry category at every level."""


@endpoint(203, "/sp/idcode/industrycategory/parent/id", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class IndustryCategoriesByParent(Endpoint[IndustryCategoriesResponse]):
    """203: the children of one category; ``industrycategory_id_parent=0`` lists the first level.

    Unlike 102/104, the document does not mark the parent ID as required (必填), so it may be
    left out; the centre then decides what to list.
    """

    industrycategory_id_parent: int | None = None


@endpoint(204, "/sp/idcode/industrycategory/product", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class ProductIndustryCategories(Endpoint[IndustryCategoriesResponse]):
    """204: the industry categories of products (the ones 405/406 register under)."""
