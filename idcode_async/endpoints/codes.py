"""Section 十: one-thing-one-code uploads and queries (5011–5014, 502–506).

A unit uploads the codes it generated for a registered category (5011 a TXT file, 5012 a
comma-separated list, 5013/5014 a numbered range), then looks its uploads up by category (502)
or by upload ID (503), and fetches the codes back as a download link (504) or as JSON (505).
506 maps an original code to the short codes the centre generated for it.

``generate_type`` is how the centre numbers the short codes ("1" in sequence, "0" at random;
default "1"); ``version`` "2.0" makes the upload answer with the new ``uploadcode_id``.  IDs that
are BigDecimal on the server (``category_reg_id``, ``uploadcode_id`` …) are exact strings.
"""

from __future__ import annotations

from typing import Literal

import attrs

from .._spec import Endpoint, FileRule, Response, endpoint, file_repr, secret
from .._validators import fail, length, non_blank
from .._wire import FileInput

__all__ = [
    "CodeDownloadUrl",
    "CodeDownloadUrlResponse",
    "CodeListResponse",
    "CodeRecord",
    "CodeRecordByCategory",
    "CodeRecordById",
    "CodeRecordsResponse",
    "ShortCodeSearch",
    "UploadCodeData",
    "UploadCodeFile",
    "UploadCodeFixedLength",
    "UploadCodeList",
    "UploadCodePrefix",
    "UploadCodeResponse",
    "UploadedCodes",
]

GenerateType = Literal["0", "1"]
"""Short-code numbering: "1" in sequence (the centre's default), "0" at random."""

Version = Literal["1.0", "2.0"]
"""Upload interface version: "2.0" answers with ``data.uploadcode_id`` (default "1.0")."""

CodeType = Literal["0", "1"]
"""504/505: "1" the original codes (default), "0" the short codes."""


@attrs.frozen(kw_only=True)
class UploadCodeData:
    """The ``data`` object of a version 2.0 upload answer."""

    uploadcode_id: str | None = None
    """ID of the upload batch (BigDecimal on the server); what 503–505 take."""


@attrs.frozen(kw_only=True)
class UploadCodeResponse(Response):
    """5011–5014: the envelope, plus ``data`` when ``version="2.0"`` was asked for."""

    data: UploadCodeData | None = None

    @property
    def uploadcode_id(self) -> str | None:
        """The new upload batch ID (version 2.0 only; ``None`` for version 1.0)."""
        return self.data.uploadcode_id if self.data is not None else None


def _check_range(spec: UploadCodePrefix | UploadCodeFixedLength) -> None:
    """5013/5014: the numbers run from ``start_num`` up to ``end_num``, never negative."""
    if spec.start_num < 0:
        raise fail(spec, "start_num", "must not be negative")
    if spec.end_num < spec.start_num:
        raise fail(spec, "end_num", f"must not be less than start_num ({spec.start_num})")


@endpoint(
    5011,
    "/sp/idcode/upload/codefile",
    "POST",
    writes=True,
    upload=True,
    files={"code_file": FileRule("codes.txt", extensions=frozenset({"txt"}))},
)
@attrs.frozen(kw_only=True)
class UploadCodeFile(Endpoint[UploadCodeResponse]):
    """5011: upload generated codes as a TXT file (multipart; the file part is not signed).

    ``code_file`` is raw bytes, a path or an open binary file; paths and files are streamed to
    the centre, never read whole.  A file with an undocumented format answers 40002, a bad
    content 59999 (:class:`~idcode_async.UploadError`).
    """

    company_idcode: str = attrs.field(validator=non_blank)
    category_reg_id: str = attrs.field(validator=non_blank)
    code_file: FileInput = attrs.field(repr=file_repr)
    generate_type: GenerateType | None = None
    version: Version | None = None


@endpoint(5012, "/sp/idcode/upload/codelist", "GET/POST", writes=True, upload=True)
@attrs.frozen(kw_only=True)
class UploadCodeList(Endpoint[UploadCodeResponse]):
    """5012: upload generated codes as one comma-separated string (``"1,2,3"``).

    The table does not mark ``code_list_str`` required, but it is the upload itself and the
    centre answers 50004 (empty code array) without it: it is required here, and a string that
    holds no code between its commas is refused before sending.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    category_reg_id: str = attrs.field(validator=non_blank)
    code_list_str: str = attrs.field(validator=non_blank)
    generate_type: GenerateType | None = None
    version: Version | None = None

    def _check(self) -> None:
        if not any(code.strip() for code in self.code_list_str.split(",")):
            raise fail(self, "code_list_str", "holds no code (50004: empty code array)")


@endpoint(5013, "/sp/idcode/upload/codeprefix", "GET/POST", writes=True, upload=True)
@attrs.frozen(kw_only=True)
class UploadCodePrefix(Endpoint[UploadCodeResponse]):
    """5013: upload the codes ``prefix_str + n`` for every n from ``start_num`` to ``end_num``."""

    company_idcode: str = attrs.field(validator=non_blank)
    category_reg_id: str = attrs.field(validator=non_blank)
    prefix_str: str | None = None
    start_num: int
    end_num: int
    generate_type: GenerateType | None = None
    version: Version | None = None

    def _check(self) -> None:
        _check_range(self)


@endpoint(5014, "/sp/idcode/upload/fixedlength", "GET/POST", writes=True, upload=True)
@attrs.frozen(kw_only=True)
class UploadCodeFixedLength(Endpoint[UploadCodeResponse]):
    """5014: like 5013, with each number zero-padded on the left to ``length`` digits.

    ``length`` must hold the largest number: ``end_num=1000`` needs at least 4 digits.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    category_reg_id: str = attrs.field(validator=non_blank)
    prefix_str: str | None = None
    start_num: int
    end_num: int
    length: int
    generate_type: GenerateType | None = None
    version: Version | None = None

    def _check(self) -> None:
        _check_range(self)
        digits = len(str(self.end_num))
        if self.length < digits:
            raise fail(
                self, "length", f"must be at least {digits}, the digits of end_num {self.end_num}"
            )


@attrs.frozen(kw_only=True, slots=False)
class CodeRecord:
    """One upload batch (CodeRecord), as 502 and 503 describe it.

    The table names the segment ID ``codesegment_id``, the example JSON ``code_segment_id``:
    both are kept.  ``code_type``: 1 product code, 2 non-product code.  ``upload_type``: 1 by
    5011, 2 by 5012/5013, 3 special business.  ``trans_flag``: 1 converted, 0 not.
    ``create_code`` (upload time) is a Long.
    """

    uploadcode_id: str | None = None
    organunit_id: str | None = None
    ioidcategory_id: str | None = None
    code_type: int | None = None
    codesegment_id: int | None = None
    code_segment_id: int | None = None
    code_num: int | None = None
    upload_type: int | None = None
    code_file_name: str | None = None
    iftrans: int | None = None
    trans_flag: int | None = None
    transdown_lb_picname: str | None = None
    trans_file_name: str | None = None
    start_number: int | None = None
    end_number: int | None = None
    transdown_qr_picname: str | None = None
    create_code: int | None = None


@attrs.frozen(kw_only=True)
class CodeRecordsResponse(Response):
    """502/503: upload records, in ``code_record_list`` (502) or ``code_record_tab`` (503).

    The document prints one object where 502 says it "returns several"; both keys decode to
    lists (an object becomes a one-item list, ``null`` an empty one).
    """

    code_record_tab: list[CodeRecord] = attrs.field(factory=list)
    code_record_list: list[CodeRecord] = attrs.field(factory=list)

    @property
    def records(self) -> list[CodeRecord]:
        """The records, whichever of the two keys carried them."""
        return self.code_record_list or self.code_record_tab


@endpoint(502, "/sp/idcode/upload/coderecord", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class CodeRecordByCategory(Endpoint[CodeRecordsResponse]):
    """502: the uploads of one category, found by its category code and model number code."""

    company_idcode: str = attrs.field(validator=non_blank)
    idcode_of_category: str = attrs.field(validator=non_blank)
    model_number_code: str = attrs.field(validator=non_blank)


@endpoint(503, "/sp/idcode/upload/codeinfo", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class CodeRecordById(Endpoint[CodeRecordsResponse]):
    """503: one upload batch by its ``uploadcode_id`` (from 502 or a version 2.0 upload)."""

    company_idcode: str = attrs.field(validator=non_blank)
    uploadcode_id: str = attrs.field(validator=non_blank)


@attrs.frozen(kw_only=True)
class CodeDownloadUrlResponse(Response):
    codefileurl_info: str | None = None
    """Where to download the batch's codes."""


@endpoint(504, "/sp/idcode/uploadcode", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class CodeDownloadUrl(Endpoint[CodeDownloadUrlResponse]):
    """504: a download address for the codes of one upload batch.

    ``password`` (6–16 characters, optional) protects the archive; it never shows in ``repr``.
    The centre answers 50005/50006 for a password too short or too long, 50013 when no short
    codes were generated.
    """

    company_idcode: str = attrs.field(validator=non_blank)
    uploadcode_id: str = attrs.field(validator=non_blank)
    password: str | None = attrs.field(default=None, repr=secret, validator=length(6, 16))
    code_type: CodeType | None = None


@attrs.frozen(kw_only=True)
class CodeListResponse(Response):
    """505/506: ``data`` is a list of codes (List<String>)."""

    data: list[str] = attrs.field(factory=list)


@endpoint(505, "/sp/idcode/uploadcode/json", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class UploadedCodes(Endpoint[CodeListResponse]):
    """505: the codes of one upload batch as JSON (original or short codes)."""

    company_idcode: str = attrs.field(validator=non_blank)
    uploadcode_id: str = attrs.field(validator=non_blank)
    code_type: CodeType | None = None


@endpoint(506, "/sp/idcode/shortcode/search", "GET/POST", writes=False)
@attrs.frozen(kw_only=True)
class ShortCodeSearch(Endpoint[CodeListResponse]):
    """506: the short codes of one original code (possibly several)."""

    code: str = attrs.field(validator=non_blank)
