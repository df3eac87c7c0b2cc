"""Section 七: code uses (201) and industry categories (202–204)."""

from __future__ import annotations

from collections.abc import Iterable

from .context import ApiRoute, Call, get_post
from .jsontypes import JsonObject
from .reference_data import CODE_USES, INDUSTRY_CATEGORIES, PRODUCT_CODEUSE_ID, IndustryCategory
from .serialize import reference_list

__all__ = ["ROUTES"]


def _categories(categories: Iterable[IndustryCategory]) -> JsonObject:
    return {"industrycategory_list": reference_list(categories)}


async def code_uses(call: Call) -> JsonObject:
    """201: every use of codes for people, matters and things."""
    return {"codeuse_list": reference_list(CODE_USES)}


async def all_categories(call: Call) -> JsonObject:
    """202: every industry category."""
    return _categories(INDUSTRY_CATEGORIES)


async def categories_by_parent(call: Call) -> JsonObject:
    """203: children of ``industrycategory_id_parent`` (0 or absent: the first level).

    203 documents no 10006, so an unknown parent gives an empty list.
    """
    parent = call.integer("industrycategory_id_parent", default=0)
    return _categories(c for c in INDUSTRY_CATEGORIES if c.industrycategory_id_parent == parent)


async def product_categories(call: Call) -> JsonObject:
    """204: the categories of products (code use 10)."""
    return _categories(c for c in INDUSTRY_CATEGORIES if c.codeuse_id == PRODUCT_CODEUSE_ID)


ROUTES = (
    ApiRoute(201, "/sp/idcode/codeuse", get_post, code_uses),
    ApiRoute(202, "/sp/idcode/industrycategory", get_post, all_categories),
    ApiRoute(203, "/sp/idcode/industrycategory/parent/id", get_post, categories_by_parent),
    ApiRoute(204, "/sp/idcode/industrycategory/product", get_post, product_categories),
)
