"""Section 十: one-thing-one-code uploads (5011–5014) and their queries (502–506).

Upload rules the document leaves open, decided here:

- A code's user part is 1–64 characters among letters, digits, ``.``, ``_``, ``-`` (59999
  otherwise, or 10000 for a 5013/5014 prefix, whose endpoints document no 59999).  A line or
  list item may also be given as the full code (category code + user part).
- 5011: the file must be named ``*.txt`` (40002), be UTF-8 (40003 "文件错误"; a BOM is
  allowed), one code per line (CRLF or LF, blank lines ignored); no code at all is 59999.
- 5012: ``code_list_str`` is comma-separated; empty or absent 50004; an empty item 59999.
- 5013/5014: ``0 <= start_num <= end_num <= 2147483647`` (502's ``start_number`` is a Java
  int); 5014's ``length`` must hold ``end_num``'s digits.
- A code already uploaded may be uploaded again (see :mod:`.uploads`).
- 505 answers at most ``SandboxConfig.max_json_codes`` codes, the first ones in upload order;
  when it cuts, the header ``X-Sandbox-Truncated: <returned>/<total>`` says so, and the whole
  batch is available through 504's download.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Final, Literal

from starlette.datastructures import UploadFile

from .context import ApiRoute, Call, get_post, post_only
from .errors import CentreError
from .jsontypes import JsonObject, JsonValue
from .records import Download, Registration
from .serialize import code_record
from .uploads import CODE_PATTERN, Upload

__all__ = ["ROUTES"]

_MAX_NUMBER: Final = 2**31 - 1
_CHUNK: Final = 64 * 1024


def _options(call: Call) -> tuple[str, str]:
    generate_type = call.text("generate_type", "1")
    version = call.text("version", "1.0")
    if generate_type not in ("0", "1"):
        raise CentreError(10000, "generate_type must be 1 (sequential) or 0 (random)")
    if version not in ("1.0", "2.0"):
        raise CentreError(10000, "version must be 1.0 or 2.0")
    return generate_type, version


def _target(call: Call) -> Registration:
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    return state.require_registration(call.require("category_reg_id"), unit)


def _user_part(code: str, registration: Registration) -> str | None:
    """The user part of an uploaded code, or ``None`` if it is not a valid code."""
    if code.startswith(registration.complete_code):
        code = code[len(registration.complete_code) :]
    return code if CODE_PATTERN.match(code) else None


def _store(
    call: Call,
    registration: Registration,
    method: Literal[5011, 5012, 5013, 5014],
    count: int,
    *,
    upload_id: int | None = None,
    prefix: str = "",
    start: int = 0,
    end: int = 0,
    length: int = 0,
    codes: list[str] | None = None,
    file: Path | None = None,
    file_name: str = "",
) -> JsonObject:
    state = call.state
    generate_type, version = _options(call)
    upload = Upload(
        uploadcode_id=upload_id or state.next_id("upload"),
        registration=registration,
        method=method,
        count=count,
        created_ms=state.now_ms(),
        generate_type=generate_type,
        version=version,
        short_base=state.reserve_short_codes(count),
        prefix=prefix,
        start=start,
        end=end,
        length=length,
        codes=codes,
        file=file,
        file_name=file_name,
    )
    upload.shuffle(state.rng)
    state.uploads[upload.uploadcode_id] = upload
    if version == "2.0":
        return {"data": {"uploadcode_id": str(upload.uploadcode_id)}}
    return {}


async def _spool(upload: UploadFile, path: Path, registration: Registration) -> int:
    """Copy the codes of a TXT file to ``path``, checking each; return how many there were."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    count = 0
    pending = ""
    with path.open("w", encoding="utf-8") as out:

        def take(line: str) -> None:
            nonlocal count
            line = line.strip()
            if not line:
                return
            user = _user_part(line, registration)
            if user is None:
                raise CentreError(59999, f"line {count + 1}: {line[:80]!r} is not a code")
            out.write(user + "\n")
            count += 1

        while True:
            chunk = await upload.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                raise CentreError(40003, "code file is not UTF-8") from None
            lines = (pending + text).split("\n")
            pending = lines.pop()
            for line in lines:
                take(line)
            if not chunk:
                break
        take(pending)
    if count == 0:
        raise CentreError(59999, "code file holds no code")
    return count


async def upload_file(call: Call) -> JsonObject:
    """5011: a TXT file of codes (``code_file``), counted and checked line by line."""
    _options(call)
    registration = _target(call)
    upload = call.files.get("code_file")
    if upload is None:
        raise CentreError(10000, "code_file is required")
    name = upload.filename or ""
    if not name.lower().endswith(".txt"):
        raise CentreError(40002, f"code file {name!r} is not a .txt file")
    upload_id = call.state.next_id("upload")
    path = call.state.temp_path(f"{upload_id}.txt")
    try:
        count = await _spool(upload, path, registration)
    except CentreError:
        path.unlink(missing_ok=True)
        raise
    return _store(call, registration, 5011, count, upload_id=upload_id, file=path, file_name=name)


async def upload_list(call: Call) -> JsonObject:
    """5012: codes as one comma-separated parameter."""
    _options(call)
    registration = _target(call)
    text = call.text("code_list_str")
    if not text.strip():
        raise CentreError(50004, "code_list_str is empty")
    codes = []
    for item in text.split(","):
        user = _user_part(item.strip(), registration)
        if user is None:
            raise CentreError(59999, f"{item[:80]!r} is not a code")
        codes.append(user)
    return _store(call, registration, 5012, len(codes), codes=codes)


def _range(call: Call, *, fixed_length: bool) -> tuple[str, int, int, int]:
    prefix = call.text("prefix_str")
    if prefix and not CODE_PATTERN.match(prefix):
        raise CentreError(10000, "prefix_str holds characters a code cannot")
    start, end = call.require_int("start_num"), call.require_int("end_num")
    if not 0 <= start <= end <= _MAX_NUMBER:
        raise CentreError(10000, f"need 0 <= start_num <= end_num <= {_MAX_NUMBER}")
    length = call.require_int("length") if fixed_length else 0
    if fixed_length and not len(str(end)) <= length <= 19:
        raise CentreError(10000, "length must hold end_num's digits (and be at most 19)")
    if len(prefix) + max(length, len(str(end))) > 64:
        raise CentreError(10000, "codes would be longer than 64 characters")
    return prefix, start, end, length


async def upload_prefix(call: Call) -> JsonObject:
    """5013: prefix + numbers ``start_num``..``end_num``, stored as a range."""
    _options(call)
    registration = _target(call)
    prefix, start, end, _ = _range(call, fixed_length=False)
    return _store(call, registration, 5013, end - start + 1, prefix=prefix, start=start, end=end)


async def upload_fixed_length(call: Call) -> JsonObject:
    """5014: as 5013, numbers zero-padded to ``length`` digits."""
    _options(call)
    registration = _target(call)
    prefix, start, end, length = _range(call, fixed_length=True)
    return _store(
        call,
        registration,
        5014,
        end - start + 1,
        prefix=prefix,
        start=start,
        end=end,
        length=length,
    )


async def records_by_category(call: Call) -> JsonObject:
    """502: upload batches of a category (``code_record_list``; ``code_record_tab`` null).

    ``idcode_of_category`` is the category code (202's ``industrycategory_code``), its catalog
    part or the whole category code; ``model_number_code`` the model number code, or the last
    segment of a category numbered by the centre (407).
    """
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    wanted = call.require("idcode_of_category").strip().rstrip("/")
    model = call.require("model_number_code").strip()
    records: list[JsonValue] = []
    for registration in state.registrations_of(unit):
        names = {
            registration.category_code,
            registration.catalog_code,
            registration.complete_code.rstrip("/"),
        }
        last = registration.catalog_code.rsplit(".", 1)[-1]
        if wanted in names and model in (registration.model_number_code, last):
            records.extend(code_record(state, u) for u in state.uploads_of(registration))
    return {"code_record_tab": None, "code_record_list": records}


def _upload(call: Call) -> Upload:
    state = call.state
    unit = state.require_unit(call.require("company_idcode"))
    batch_id = call.require("uploadcode_id").strip()
    upload = state.uploads.get(int(batch_id)) if batch_id.isdigit() else None
    if upload is None or upload.registration.unit is not unit:
        raise CentreError(10000, f"no upload batch {batch_id!r} for this unit")
    return upload


def _code_type(call: Call, upload: Upload) -> int:
    code_type = call.integer("code_type", default=1, allowed=(0, 1))
    if upload.file is not None and not upload.file.exists():
        raise CentreError(50007, "the uploaded file is gone")
    if code_type == 0 and not call.state.short_codes_ready(upload):
        raise CentreError(50013, "short codes are not generated yet")
    return 1 if code_type is None else code_type


async def record_by_id(call: Call) -> JsonObject:
    """503: one upload batch by id (``code_record_tab``; ``code_record_list`` null)."""
    upload = _upload(call)
    return {"code_record_list": None, "code_record_tab": [code_record(call.state, upload)]}


async def download_url(call: Call) -> JsonObject:
    """504: a link on the sandbox to a ZIP of the batch's code content (resolver + code)."""
    password = call.text("password")
    if password and len(password) < 6:
        raise CentreError(50005, "password is shorter than 6 characters")
    if len(password) > 16:
        raise CentreError(50006, "password is longer than 16 characters")
    upload = _upload(call)
    code_type = _code_type(call, upload)
    token = call.state.token()
    call.state.downloads[token] = Download(
        uploadcode_id=upload.uploadcode_id, code_type=code_type, password=password or None
    )
    return {"codefileurl_info": call.link(f"/_sandbox/files/{token}/{upload.uploadcode_id}.zip")}


async def codes_json(call: Call) -> JsonObject:
    """505: the batch's codes (full codes, or short codes with ``code_type`` 0)."""
    upload = _upload(call)
    codes = upload.full_codes() if _code_type(call, upload) == 1 else upload.short_codes()
    limit = call.state.config.max_json_codes
    data: list[JsonValue] = []
    for code in codes:
        if len(data) == limit:
            call.headers["X-Sandbox-Truncated"] = f"{limit}/{upload.count}"
            break
        data.append(code)
    return {"data": data}


async def short_codes_of(call: Call) -> JsonObject:
    """506: short codes of an original code, one per batch (and position) that holds it."""
    state = call.state
    code = call.require("code").strip()
    found: list[JsonValue] = []
    for registration in state.registrations.values():
        prefix = registration.complete_code
        if not code.startswith(prefix) or len(code) == len(prefix):
            continue
        user = code[len(prefix) :]
        for upload in state.uploads_of(registration):
            if state.short_codes_ready(upload):
                found.extend(upload.short_code_at(i) for i in upload.index_of(user))
    return {"data": found}


_UPLOAD_REQUIRED = ("company_idcode", "category_reg_id")
_RANGE_REQUIRED = (*_UPLOAD_REQUIRED, "start_num", "end_num")
_BATCH_REQUIRED = ("company_idcode", "uploadcode_id")

ROUTES = (
    ApiRoute(5011, "/sp/idcode/upload/codefile", post_only, upload_file, _UPLOAD_REQUIRED),
    ApiRoute(5012, "/sp/idcode/upload/codelist", get_post, upload_list, _UPLOAD_REQUIRED),
    ApiRoute(5013, "/sp/idcode/upload/codeprefix", get_post, upload_prefix, _RANGE_REQUIRED),
    ApiRoute(
        5014,
        "/sp/idcode/upload/fixedlength",
        get_post,
        upload_fixed_length,
        (*_RANGE_REQUIRED, "length"),
    ),
    ApiRoute(
        502,
        "/sp/idcode/upload/coderecord",
        get_post,
        records_by_category,
        ("company_idcode", "idcode_of_category", "model_number_code"),
    ),
    ApiRoute(503, "/sp/idcode/upload/codeinfo", get_post, record_by_id, _BATCH_REQUIRED),
    ApiRoute(504, "/sp/idcode/uploadcode", get_post, download_url, _BATCH_REQUIRED),
    ApiRoute(505, "/sp/idcode/uploadcode/json", get_post, codes_json, _BATCH_REQUIRED),
    ApiRoute(506, "/sp/idcode/shortcode/search", get_post, short_codes_of, ("code",)),
)
