"""Records as the document prints them: field names and JSON types per endpoint.

Where the document types an ID as BigDecimal (403/409 ``category_reg_id``/``organunit_id``,
502/503 ``uploadcode_id``…) it is a JSON number with all 20 digits; where it types it String
(306/307/601 ``organunit_id``, 402's list, 5011 ``data.uploadcode_id``) it is a string; the
``*_idstr`` twins are always strings.  Keys are the clean names; the stray spaces the document
prints (``" is_authen"``, ``"batch_regist _list"``) are typesetting, not protocol.
"""

from __future__ import annotations

from typing import Any

import attrs

from .jsontypes import JsonObject, JsonValue
from .records import Registration, Unit
from .review import APPROVED, beijing_time, unit_status_id
from .state import State
from .uploads import Upload

__all__ = ["base_idcode_info", "code_record", "reference_list", "unit_info"]


def reference_list(records: Any, **computed: Any) -> list[JsonValue]:
    """Reference records (1xx, 2xx) as the document prints them: their fields are named as on
    the wire; ``computed`` adds members worked out from a record (``name=function``)."""
    return [
        {**attrs.asdict(record), **{key: get(record) for key, get in computed.items()}}
        for record in records
    ]


def unit_info(state: State, unit: Unit) -> JsonObject:
    """306/307/601's unit record (``organunit_id`` a string, ``qrcode_color`` 1 = colour)."""
    review = state.unit_review(unit)
    approved_ms = (unit.review_started_ms or 0) + state.delay_ms
    text = unit.text
    return {
        "organunit_id": str(unit.organunit_id),
        "organunit_idstr": str(unit.organunit_id),
        "plateformrole_id": 4,
        "province_id": unit.province_id,
        "city_id": unit.city_id,
        "area_id": unit.area_id,
        "trade_id": unit.trade_id,
        "status_id": unit_status_id(review),
        "issc": -4,
        "organunit_name": unit.organunit_name,
        "organunit_name_en": text.get("organunit_name_en", ""),
        "organunit_address": text.get("organunit_address", ""),
        "organunit_address_en": text.get("organunit_address_en", ""),
        "organunit_oid": unit.idcode,
        "unittype_id": unit.unittype_id,
        "linkman": text.get("linkman", ""),
        "linkphone": text.get("linkphone", ""),
        "fax": text.get("fax", ""),
        "email": text.get("email", ""),
        "finallyexam_date": beijing_time(approved_ms) if review == APPROVED else "",
        "linkman_en": text.get("linkman_en", ""),
        "organization_code": unit.organization_code,
        "code_pay_type": unit.certificate_type,
        "unit_workaddress": text.get("unit_workaddress", ""),
        "unit_workaddress_en": text.get("unit_workaddress_en", ""),
        "unit_size_type_id": unit.unit_size_type_id,
        "registered_capital": unit.registered_capital,
        "unit_icon": unit.logo_name,
        "qrcode_color": 1 if unit.colour else 0,
        "qrcode_logo": 1 if unit.qrcode_logo else 0,
        "gotourl": unit.gotourl,
        "url_status": 1 if unit.gotourl else 0,
    }


def base_idcode_info(registration: Registration, *, refined: bool) -> JsonObject:
    """403/404 ``base_idcode_list`` entry; ``refined`` adds 409/410's ``regist_type``."""
    info: JsonObject = {
        "category_reg_id": registration.category_reg_id,
        "category_reg_idstr": str(registration.category_reg_id),
        "organunit_id": registration.unit.organunit_id,
        "organunit_idstr": str(registration.unit.organunit_id),
        "bill_number": registration.bill_number,
        "guid_number": registration.guid_number,
        "codeuse_id": str(registration.codeuse_id),
        "category_code": registration.category_code,
        "category_memo": registration.category_memo,
        "model_number": registration.model_number,
        "model_number_code": registration.model_number_code,
        "code_pay_type": registration.code_pay_type,
        "model_number_en": registration.model_number_en,
        "introduction": registration.introduction,
        "complete_code": registration.complete_code,
        "detail_para": "",
        "picture_name": "",
    }
    if refined:
        info["regist_type"] = -1 if registration.code_pay_type == 5 else 1
    return info


def code_record(state: State, upload: Upload) -> JsonObject:
    """502/503 ``CodeRecord`` (the field table's ``codesegment_id``, not the example's
    ``code_segment_id``)."""
    registration = upload.registration
    transformed = state.short_codes_ready(upload)
    return {
        "uploadcode_id": upload.uploadcode_id,
        "organunit_id": registration.unit.organunit_id,
        "ioidcategory_id": registration.ioidcategory_id,
        "code_type": 1 if registration.codeuse_id == 10 else 2,
        "codesegment_id": 1,
        "code_num": upload.count,
        "upload_type": upload.upload_type,
        "code_file_name": upload.file_name,
        "iftrans": 1,
        "trans_flag": 1 if transformed else 0,
        "transdown_lb_picname": "",
        "trans_file_name": "",
        "start_number": upload.start_number,
        "end_number": upload.end_number,
        "transdown_qr_picname": "",
        "create_code": upload.created_ms,
    }
