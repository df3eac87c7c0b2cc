"""Settling a row whose answer was lost, by asking the centre (307) whether the unit exists.

A 309 request that may have reached the centre (read timeout, dropped connection, a gateway's
HTML page, a 5xx) is never sent again blindly: the centre may have created the unit, and a
second request would at best be refused with 10007 and at worst register twice under a
slightly different name.  Instead 307 is asked for the exact unit name:

- found: the row is settled: ``registered`` if one of our requests for that name may have
  reached the centre (it was us), ``existing`` otherwise; either way with the unit's main
  code (307's ``organunit_oid``);
- not found: no request of ours created it, so sending (again) is safe.

307's answer is checked here as well: only a unit whose name equals the row's (white space
collapsed) counts, whatever the centre's idea of "exact" is.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._client import IdcodeClient
from .._errors import NotFoundError
from ..endpoints import CompanySearch, OrganUnitInfo
from .records import normalise_name

__all__ = ["find_unit", "pick_unit"]


async def find_unit(client: IdcodeClient, name: str) -> OrganUnitInfo | None:
    """The unit named exactly ``name`` according to 307, or ``None``.

    "No matching data" (10006) is an answer, not an error; any other failure propagates, and
    the row stays unsettled.
    """
    try:
        answer = await client.call(CompanySearch(company_name=name, search_type="1"))
    except NotFoundError:
        return None
    return pick_unit(answer.organunit_list, name)


def pick_unit(units: Iterable[OrganUnitInfo], name: str) -> OrganUnitInfo | None:
    """The unit among 307's answer whose name is ``name``; one with a main code preferred."""
    wanted = normalise_name(name)
    matches = [u for u in units if normalise_name(u.organunit_name or "") == wanted]
    with_code = [u for u in matches if u.organunit_oid]
    best = with_code or matches
    return best[0] if best else None
