"""The knobs of the upload planner, with the reason behind each default.

Every option changes what the plan contains (and nothing else), so two runs with equal options
over equal input give equal plans.  Where files go (``spool_dir``) is not an option: it changes
paths, not the plan, and is a keyword of :func:`~idcode_async.uploads.plan_upload`.
"""

from __future__ import annotations

from typing import Literal

import attrs
from attrs import validators as v

__all__ = ["PlanOptions"]


def _holds_longest_code(instance: PlanOptions, attribute: attrs.Attribute[int], value: int) -> None:
    """A file or a list must be able to hold the longest acceptable code."""
    if value < instance.max_code_length:
        raise ValueError(
            f"{attribute.name} ({value}) must be at least max_code_length "
            f"({instance.max_code_length}): every accepted code must fit"
        )


@attrs.frozen(kw_only=True)
class PlanOptions:
    """How :func:`plan_upload` turns codes into 5011–5014 requests (seed §十).

    ``min_run_length`` (default 1,000)
        A run of consecutive numbers becomes a 5013/5014 range only if it covers at least this
        many codes.  A range costs one request whatever its size; a short run left in the
        remainder costs only its bytes in a 5011 file that is sent anyway (and rarely an extra
        file).  Below ~1 % of a file chunk (tens of KB) the bytes saved are worth less than a
        round trip and another upload batch on the centre's side (502 lists every batch).
        ``1`` turns every run, even a single code, into a range.
    ``max_number_digits`` (default 9)
        The document types ``start_num``/``end_num`` as ``int``; the centre runs Java, whose
        ``int`` stops at 2,147,483,647, so 9 digits always fit.  Longer digit tails keep their
        last 9 digits as the number and move the rest into ``prefix_str`` (still a range).
    ``max_code_length`` (default 128)
        The document sets no maximum.  A limit catches what is not a code (binary data, lines
        merged by a lost newline) before sending.  128 is far above every serial scheme in use
        (GS1 AI 21 ≤ 20, ISO/IEC 15459 ≤ 50, a full IDcode with category ≈ 40) and keeps the
        resolver URL + code (seed §十三) small enough for a compact QR symbol.  At most 4,096,
        well under the 65,536 characters of a file line the reader holds at once.
    ``max_file_codes`` / ``max_file_bytes`` (default 100,000 codes / 4 MiB)
        One 5011 TXT file per chunk of the remainder.  The only upload limit the document
        states is 5 MB (40001, images): staying under it keeps a file within the centre's
        multipart limit; a failed upload resends one chunk, not the batch.
    ``max_list_bytes`` (default 8,192)
        Upper bound of a 5012 ``code_list_str`` (the codes joined with commas, in bytes).  5012
        is GET/POST: 8 KB is the common request-line limit (Tomcat ``maxHttpHeaderSize``,
        nginx ``large_client_header_buffers``), the list is signed (seed §四: the MD5 runs over
        it), and 59999 rejects a whole list, so small lists keep a rejection cheap.
    ``max_list_requests`` (default 1)
        The remainder goes as 5012 lists only if it fits in this many lists; otherwise as 5011
        files.  With 1, 5012 is chosen only when it costs no more requests than a file.  Lists
        are signed and need no temporary file or multipart body, so raising this trades a few
        requests for that.
    ``file_newline`` (default ``"\\r\\n"``)
        Line separator inside 5011 files; the last line has none.  The document does not say;
        CRLF is read correctly by ``readLine``, by ``split("\\r\\n")`` and by
        ``split("\\n")`` + trim alike, LF only by the first and the last.
    ``max_open_runs`` (default 4,096)
        How many short runs (not yet ranges) are kept open for codes that arrive out of order.
        When more are open, the oldest goes to the remainder.  Sorted, reverse-sorted,
        interleaved and locally shuffled input merges fully; a run scattered over more than
        this window degrades to file lines (correct, only less compact).  An open run costs
        ~550 bytes (random codes each open one), so a full window is ~2.2 MiB, a share the
        uploading process can afford under its 64 MiB (issue 13): room for 4,096 interleaved
        series, or a shuffle of blocks of ~16,000 consecutive codes (such a block peaks at a
        quarter of its size in open runs).
    ``max_examples`` (default 100)
        How many duplicate and rejected lines the plan lists (counts are always complete).
    """

    min_run_length: int = attrs.field(default=1000, validator=v.ge(1))
    max_number_digits: int = attrs.field(default=9, validator=[v.ge(1), v.le(18)])
    max_code_length: int = attrs.field(default=128, validator=[v.ge(1), v.le(4096)])
    max_file_codes: int = attrs.field(default=100_000, validator=v.ge(1))
    max_file_bytes: int = attrs.field(default=4 * 1024 * 1024, validator=_holds_longest_code)
    max_list_bytes: int = attrs.field(default=8192, validator=_holds_longest_code)
    max_list_requests: int = attrs.field(default=1, validator=v.ge(0))
    file_newline: Literal["\r\n", "\n"] = attrs.field(
        default="\r\n", validator=v.in_(("\r\n", "\n"))
    )
    max_open_runs: int = attrs.field(default=4096, validator=v.ge(1))
    max_examples: int = attrs.field(default=100, validator=v.ge(0))
