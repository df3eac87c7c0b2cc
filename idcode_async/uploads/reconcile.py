"""Settling an upload whose answer was lost, from the centre's own records (502, 505).

An upload request that may have reached the centre (the process was killed after recording its
intent; a read timeout; a connection dropped after sending; an HTML 502 or a 5xx) is never sent
again blindly: the centre may have stored the batch, and a second request would store the codes
twice (the document's 506, "may return several short codes" for one code, implies it accepts
repeats; there is no interface to delete a batch).  With version 2.0 the lost answer carried
the ``uploadcode_id``, so the batch cannot be looked up by ID (503); it is looked for among the
category's batches instead.

What is decidable, and how:

1. **The category's batches** come from 502 (``idcode_of_category`` + ``model_number_code``;
   the caller may give them, else they are read from 403 by ``category_reg_id``).  Without
   them nothing is decidable: the run stops and says what to check.  A wrong category would
   make every request look absent, so it is cross-checked twice: a category given by the
   caller must agree with 403's (when 403 knows the registration), and 502's listing must
   contain at least one batch known to be in the category (the baseline's, or an accepted
   request's) whenever one is known; otherwise the listing is not trusted (undecidable).
2. **Candidates** for a request are the batches that are not in the *baseline* (the IDs listed
   before the manifest's first request, when 502 could be read then), not claimed by another
   request of the manifest, and whose shape fits: ``code_num`` equal to the request's count;
   ``upload_type`` 1 for 5011 and not 1 for the others (when the record has it); for ranges,
   ``start_number``/``end_number`` equal to ``start_num``/``end_num`` (when present).
3. **Content**: each candidate's codes are read with 505 and compared with the request's:
   every code 505 returns must belong to the request; when 505 returns the whole batch (not
   cut by its cap), the codes must be exactly the request's.  505 answers full codes
   (category code + user part); the category prefix is removed before comparing.
4. **Decision**: no confirmed candidate → the centre does not hold the request → **absent**,
   and it is safe to send it (again).  One or more → **found**: the request is accepted with
   the earliest such batch's ID, no resend (more than one means the codes are on the centre
   several times already; reported, never added to).  A candidate whose content cannot be
   read (505 fails) → **undecidable**.

What is not decidable, and the stance taken:

* A batch still being processed when 502 is read would look absent.  A request whose intent is
  recent (within ``grace`` seconds) is therefore looked for again after the grace period
  before it is declared absent.
* Without a baseline, a batch of the same codes uploaded earlier by someone else (or another
  manifest) is taken for ours.  That errs towards *not* uploading: the codes are on the centre
  either way.
* 505 may cut a large batch (its cap is not documented; the sandbox's is 100,000 codes): then
  only the codes it returned are compared, together with the count.  For a range, the prefix
  and the numbers of the returned codes are checked, which a different upload of the same
  numbers with another prefix fails.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence

import attrs

from .._client import IdcodeClient
from .._errors import NotFoundError
from ..durable.store import Store
from ..endpoints import CodeRecord, CodeRecordByCategory, IdcodeInfoBase
from .manifest import ManifestEntry, ManifestError
from .plan import CodeFile, CodeList, UploadRequest

__all__ = [
    "Absent",
    "CategoryRef",
    "Decision",
    "Found",
    "Undecidable",
    "baseline",
    "candidates",
    "category_records",
    "find_category",
    "fits",
    "matches_content",
    "remembered_category",
    "set_baseline",
    "strip_category",
]


@attrs.frozen
class CategoryRef:
    """What 502 needs to list a category's batches, and the prefix of its full codes.

    ``idcode_of_category`` is the category code (品类编码, 402's ``category_code``) and
    ``model_number_code`` the model number code; ``complete_code`` the category IDcode that
    505 puts before each user code (``i.86.…/10.…/``), when known.
    """

    idcode_of_category: str
    model_number_code: str
    complete_code: str | None = None

    def spellings(self) -> frozenset[str]:
        """The ways the category may be named: its code, and its IDcode in whole or in part.

        403 and 502 both call the parameter "category code" (品类编码/品类码) without saying
        whether the short code (``232324``) or the category IDcode is meant.
        """
        names = {self.idcode_of_category.strip().rstrip("/")}
        if self.complete_code:
            whole = self.complete_code.strip().rstrip("/")
            names.add(whole)
            if "/" in whole:
                names.add(whole.split("/", 1)[1])
        return frozenset(names)

    def agrees_with(self, other: CategoryRef) -> bool:
        """Whether ``other`` (e.g. 403's answer) names the same category as this one."""
        return (
            self.model_number_code.strip() == other.model_number_code.strip()
            and self.idcode_of_category.strip().rstrip("/") in other.spellings()
        )


def baseline(manifest: Store[ManifestEntry]) -> frozenset[str] | None:
    """Upload IDs of the category before the manifest's first request, if known."""
    ids = manifest.get_fact("baseline")
    return None if ids is None else frozenset(str(i) for i in ids)


def set_baseline(manifest: Store[ManifestEntry], ids: Iterable[str]) -> None:
    """Record the baseline; refused once any request was attempted (it would hold ours)."""
    if any(e.attempts for e in manifest.entries()):
        raise ManifestError("a baseline must be taken before the first request is sent")
    manifest.set_fact("baseline", sorted(ids))


def remembered_category(manifest: Store[ManifestEntry]) -> CategoryRef | None:
    """The category a run of ``manifest`` looked up (or was given), if any."""
    known = manifest.get_fact("category")
    if not isinstance(known, dict):
        return None
    return CategoryRef(
        known["idcode_of_category"], known["model_number_code"], known.get("complete_code")
    )


async def find_category(
    client: IdcodeClient, company_idcode: str, category_reg_id: str
) -> CategoryRef | None:
    """The category of ``category_reg_id`` from 403, or ``None`` if 403 does not know it."""
    try:
        answer = await client.call(
            IdcodeInfoBase(company_idcode=company_idcode, category_reg_id=category_reg_id)
        )
    except NotFoundError:
        return None
    for info in answer.base_idcode_list:
        reg_id = info.category_reg_id or info.category_reg_idstr
        if reg_id is not None and reg_id != category_reg_id:
            continue
        if info.category_code and info.model_number_code:
            return CategoryRef(info.category_code, info.model_number_code, info.complete_code)
    return None


async def category_records(
    client: IdcodeClient, company_idcode: str, category: CategoryRef
) -> list[CodeRecord]:
    """Every upload batch of the category (502); "no matching data" is an empty list."""
    try:
        answer = await client.call(
            CodeRecordByCategory(
                company_idcode=company_idcode,
                idcode_of_category=category.idcode_of_category,
                model_number_code=category.model_number_code,
            )
        )
    except NotFoundError:
        return []
    return answer.records


def strip_category(code: str, complete_code: str | None) -> str:
    """The user part of a full code as 505 answers it (category code + user code)."""
    if complete_code and code.startswith(complete_code):
        return code[len(complete_code) :]
    return code


def fits(record: CodeRecord, entry: ManifestEntry) -> bool:
    """Whether a batch record has the shape of the request (count, type, numbers)."""
    if record.code_num != entry.count:
        return False
    if record.upload_type is not None and (record.upload_type == 1) != (entry.endpoint == 5011):
        return False
    if entry.endpoint in (5013, 5014):
        for have, want in (
            (record.start_number, entry.start_num),
            (record.end_number, entry.end_num),
        ):
            if have is not None and have != want:
                return False
    return True


def candidates(
    entry: ManifestEntry,
    records: Iterable[CodeRecord],
    *,
    baseline: Container[str] | None,
    claimed: Container[str],
) -> list[CodeRecord]:
    """Batches that may be ``entry``'s, oldest first (see the module docstring, step 2)."""
    found = [
        r
        for r in records
        if r.uploadcode_id is not None
        and (baseline is None or r.uploadcode_id not in baseline)
        and r.uploadcode_id not in claimed
        and fits(r, entry)
    ]
    # Oldest first: by creation time, then by ID (shorter first, so numeric IDs sort as numbers).
    return sorted(
        found, key=lambda r: (r.create_code or 0, len(r.uploadcode_id or ""), r.uploadcode_id or "")
    )


def matches_content(
    returned: Sequence[str],
    request: UploadRequest,
    *,
    code_num: int,
    complete_code: str | None,
) -> bool:
    """Whether the codes 505 returned for a batch are the request's (step 3)."""
    if not returned:
        return False
    users = [strip_category(code, complete_code) for code in returned]
    contains: Callable[[str], bool]
    if isinstance(request, CodeFile | CodeList):
        members = set(request.codes())
        contains = members.__contains__
    else:
        contains = request.__contains__
    if not all(contains(user) for user in users):
        return False
    if len(users) >= code_num:  # the whole batch: exactly the request's codes
        return len(set(users)) == len(users) == request.count
    return True


@attrs.frozen
class Found:
    uploadcode_id: str
    others: tuple[str, ...] = ()
    """Further batches holding the same codes (uploaded more than once before)."""


@attrs.frozen
class Absent:
    pass


@attrs.frozen
class Undecidable:
    reason: str


Decision = Found | Absent | Undecidable
