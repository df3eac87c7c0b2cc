"""``idcode demo``: the document's flows (section 五), end to end, with a readable summary.

By default the demo starts the in-process sandbox and walks every flow: dictionaries, unit
registration (309), review (308/608), completion (305), category registration (406, 402), code
uploads by all four methods (5011–5014), records and codes back (502/503/505), a code picture
(604) written to a PNG file and a signed page URL (401).  Against a real centre (``--base-url``
with ``IDCODE_ACCESS_TOKEN`` / ``IDCODE_AUTH_CODE``) it runs the read-only steps unless
``--allow-writes`` is given.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import attrs

from ._client import IdcodeClient
from ._errors import ValidationError
from ._logging import redact
from ._spec import Endpoint, Response
from .domain.idcode import IDCode
from .domain.resolve import scan_target
from .endpoints import (
    Addresses,
    AddressInfo,
    CategoryApplyPage,
    CategoryBatchRegist,
    CategoryRegItem,
    CodePicWithMargin,
    CodeRecordByCategory,
    CodeRecordById,
    CodeUses,
    CompanyInfoBase,
    CompanyModify,
    ExamineRecord,
    IdcodeInfoSearch,
    IndustryCategories,
    OrganUnitStatus,
    ProductCategoryRegister,
    Trades,
    UnitRegist,
    UnitTypes,
    UploadCodeFile,
    UploadCodeFixedLength,
    UploadCodeList,
    UploadCodePrefix,
    UploadCodeResponse,
    UploadedCodes,
)

__all__ = ["DemoStep", "print_summary", "sandbox_demo", "walk_flows"]

R = TypeVar("R", bound=Response)

_FILE_CODES = b"".join(f"BOX{n:05d}\n".encode() for n in (7, 19, 23, 42, 99))

LANDING = "https://sp.example.com/scan.aspx?id="
"""The demo's resolve URL: a scan lands at ``…?id=<code>`` (seed §十三, example 2)."""


@attrs.frozen
class DemoStep:
    """One line of the summary: which endpoint, what was asked, what came back."""

    endpoint: str
    action: str
    result: str


@attrs.define
class _Recorder:
    """Calls the centre and notes one summary line per call."""

    client: IdcodeClient
    steps: list[DemoStep] = attrs.field(factory=list)

    async def call(
        self,
        endpoint: str,
        action: str,
        spec: Endpoint[R],
        describe: Callable[[R], str],
        *,
        retries: int | None = None,
    ) -> R:
        result = await self.client.call(spec, retries=retries)
        self.steps.append(DemoStep(endpoint, action, describe(result)))
        return result

    def note(self, endpoint: str, action: str, result: str) -> None:
        self.steps.append(DemoStep(endpoint, action, result))


async def walk_flows(
    client: IdcodeClient,
    *,
    out_dir: Path,
    writes: bool = True,
    company_idcode: str | None = None,
    advance_review: Callable[[float], None] | None = None,
) -> list[DemoStep]:
    """Walk the document's flows with ``client``; return what was done, step by step.

    ``advance_review`` moves the sandbox's clock past its review delay; against a real centre
    review is a person's work, so the demo reports the state it finds instead.
    """
    rec = _Recorder(client)
    await _dictionaries(rec)
    if not writes:
        if company_idcode:
            await _read_unit(rec, company_idcode)
        return rec.steps
    unit = await _register_unit(rec, advance_review)
    category = await _register_categories(rec, unit)
    await _upload_codes(rec, unit, category, out_dir)
    url = client.page_url(
        CategoryApplyPage(
            company_idcode=unit,
            gotourl=LANDING,
            sample_url=scan_target(LANDING, f"{category.catalog_root}/1"),
            callback_url="https://sp.example.com/idcode/callback",
        )
    )
    rec.note("401", "signed page URL (credentials masked)", _shorten(redact(url), 96))
    return rec.steps


async def _dictionaries(rec: _Recorder) -> None:
    await rec.call(
        "101",
        "all regions",
        Addresses(),
        lambda r: f"{len(r.address_list)} regions, e.g. {_first_region(r.address_list)}",
    )
    await rec.call(
        "105",
        "unit types",
        UnitTypes(),
        lambda r: (
            f"{len(r.unit_type_list)} types, e.g. "
            + (
                f"{r.unit_type_list[0].code} {r.unit_type_list[0].unit_type_name}"
                if r.unit_type_list
                else "none"
            )
        ),
    )
    await rec.call(
        "201",
        "code uses (people, things, events)",
        CodeUses(),
        lambda r: f"{len(r.codeuse_list)} uses",
    )
    await rec.call(
        "202",
        "industry categories",
        IndustryCategories(),
        lambda r: f"{len(r.industrycategory_list)} categories",
    )


def _first_region(regions: list[AddressInfo]) -> str:
    named = [r for r in regions if r.address_name]
    return f"{named[0].address_id} {named[0].address_name}" if named else "none"


async def _read_unit(rec: _Recorder, company_idcode: str) -> None:
    await rec.call(
        "306",
        f"unit {company_idcode}",
        CompanyInfoBase(company_idcode=company_idcode),
        lambda r: f"{r.organunit_name} (status {r.status_id})",
    )
    await rec.call(
        "308",
        "unit status",
        OrganUnitStatus(company_idcode=company_idcode),
        lambda r: f"is_authen={r.is_authen} is_audit={r.is_audit}",
    )
    await rec.call(
        "404",
        "registered categories",
        IdcodeInfoSearch(company_idcode=company_idcode),
        lambda r: f"{len(r.base_idcode_list)} categories",
    )


async def _register_unit(rec: _Recorder, advance_review: Callable[[float], None] | None) -> str:
    licence = "91110105MA" + secrets.token_hex(4).upper()
    registered = await rec.call(
        "309",
        "register a unit (Beijing, Chaoyang)",
        UnitRegist(
            login_name=licence,
            organunit_name=f"北京演示科技有限公司{licence[-4:]}",
            code=1,
            province_id=110000,
            city_id=110000,
            area_id=110105,
            linkman="张三",
            linkphone="13800138000",
            gotourl=LANDING,
        ),
        lambda r: f"main code {r.organunit_idcode}, login {r.login_name}",
        retries=0,  # a write: never resent blindly
    )
    unit = registered.organunit_idcode or ""
    status = OrganUnitStatus(company_idcode=unit)
    await rec.call("308", "review state", status, lambda r: f"is_audit={r.is_audit}")
    if advance_review is not None:
        advance_review(24 * 3600)
        rec.note("--", "sandbox clock", "advanced one day (the review delay)")
    await rec.call("308", "review state", status, lambda r: f"is_audit={r.is_audit}")
    await rec.call(
        "608",
        "unit review record",
        ExamineRecord(company_idcode=unit, type=1),
        lambda r: f"status {r.examine_status}: {r.examine_content}",
    )
    trades = await rec.client.call(Trades())
    trade_id = next((t.trade_id for t in trades.trade_list if t.trade_id), 1)
    await rec.call(
        "305",
        "complete the unit's details",
        CompanyModify(
            company_idcode=unit,
            trade_id=trade_id,
            organunit_address="北京市朝阳区建国路 1 号",
            unit_size_type=1,
        ),
        lambda r: r.result_msg or "ok",
    )
    return unit


@attrs.frozen
class _Category:
    reg_id: str
    code: str
    model_number_code: str

    @property
    def catalog_root(self) -> str:
        return self.code.rstrip("/")


async def _register_categories(rec: _Recorder, unit: str) -> _Category:
    categories = await rec.client.call(IndustryCategories())
    product = (
        next((c for c in categories.industrycategory_list if c.codeuse_id == 10), None)
        or categories.industrycategory_list[0]
    )
    model_code = "BW" + secrets.token_hex(2).upper()
    registered = await rec.call(
        "406",
        f"register a product category ({product.industrycategory_name})",
        ProductCategoryRegister(
            company_idcode=unit,
            industrycategory_id=product.industrycategory_id or 0,
            category_code=product.industrycategory_code or "",
            model_number="保温杯 500ml",
            model_number_code=model_code,
            code_pay_type="2",
            gotourl=LANDING,
            sample_url=LANDING + "demo",
        ),
        lambda r: f"category {r.organunit_idcode}, reg id {r.category_reg_id}",
    )
    batch = [
        CategoryRegItem(
            industrycategory_id=product.industrycategory_id or 0,
            codeuse_id=10,
            category_code=product.industrycategory_code or "",
            code_pay_type=2,
            gotourl=LANDING,
            model_number=f"保温杯 {size}ml",
            model_number_code=f"{model_code}-{size}",
        )
        for size in (350, 750)
    ]
    await rec.call(
        "402",
        "register two more models in one batch",
        CategoryBatchRegist(company_idcode=unit, category_reg_list=batch),
        lambda r: "reg ids " + ", ".join(str(x.category_reg_id) for x in r.batch_regist_list),
    )
    return _Category(
        registered.category_reg_id or "", registered.organunit_idcode or "", model_code
    )


async def _upload_codes(rec: _Recorder, unit: str, category: _Category, out_dir: Path) -> None:
    target: dict[str, Any] = {
        "company_idcode": unit,
        "category_reg_id": category.reg_id,
        "version": "2.0",
    }
    uploads: list[tuple[str, str, Endpoint[UploadCodeResponse]]] = [
        ("5011", "upload a TXT file of 5 codes", UploadCodeFile(code_file=_FILE_CODES, **target)),
        (
            "5012",
            "upload a list of 3 codes",
            UploadCodeList(code_list_str="A1001,A1002,A1003", **target),
        ),
        (
            "5013",
            "upload the range SN1…SN1000000",
            UploadCodePrefix(prefix_str="SN", start_num=1, end_num=1_000_000, **target),
        ),
        (
            "5014",
            "upload LOT000001…LOT000500 (zero-padded)",
            UploadCodeFixedLength(prefix_str="LOT", start_num=1, end_num=500, length=6, **target),
        ),
    ]
    ids = [
        (
            await rec.call(endpoint, action, spec, lambda r: f"upload id {r.uploadcode_id}")
        ).uploadcode_id
        or ""
        for endpoint, action, spec in uploads
    ]
    await rec.call(
        "502",
        "upload records of the category",
        CodeRecordByCategory(
            company_idcode=unit,
            idcode_of_category=category.catalog_root,
            model_number_code=category.model_number_code,
        ),
        lambda r: f"{len(r.records)} records, {sum(x.code_num or 0 for x in r.records)} codes",
    )
    await rec.call(
        "503",
        "the range upload by its id",
        CodeRecordById(company_idcode=unit, uploadcode_id=ids[2]),
        lambda r: f"{r.records[0].code_num if r.records else 0} codes",
    )
    codes = await rec.call(
        "505",
        "codes of the TXT upload",
        UploadedCodes(company_idcode=unit, uploadcode_id=ids[0]),
        lambda r: ", ".join(r.data[:3]) + (" …" if len(r.data) > 3 else ""),
    )
    first = _as_code(codes.data[0] if codes.data else "", category)
    picture = await rec.client.call(
        CodePicWithMargin(code=first.content_url(), is_margin=1, qrcode_size=400, color=0)
    )
    image = picture.image_bytes()
    if image is None:
        rec.note("604", f"code picture of {first}", "the centre returned no picture")
        return
    folder = anyio.Path(out_dir)
    await folder.mkdir(parents=True, exist_ok=True)
    path = folder / "code-604.png"
    await path.write_bytes(image)
    size = (await path.stat()).st_size
    rec.note("604", f"code picture of {first}", f"{path} ({size} bytes)")


def _as_code(text: str, category: _Category) -> IDCode:
    """505 lists full codes; a bare user code is completed with the category code."""
    try:
        return IDCode.parse(text)
    except ValidationError:
        return IDCode.parse(category.catalog_root).with_user_code(text or "1")


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_summary(title: str, steps: list[DemoStep]) -> None:
    """The demo's summary table (rich when installed, plain lines otherwise)."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        for step in steps:
            print(f"  {step.endpoint:>5}  {step.action:<44} {step.result}")
        return
    table = Table(title=title, show_lines=False)
    table.add_column("#", justify="right", style="cyan")
    table.add_column("what")
    table.add_column("what came back", style="green")
    for step in steps:
        table.add_row(step.endpoint, step.action, step.result)
    Console().print(table)


async def sandbox_demo(out_dir: Path) -> list[DemoStep]:
    """Every flow against an in-process sandbox (needs the ``sandbox`` extra)."""
    from .sandbox import Sandbox

    sandbox = Sandbox()
    async with sandbox.client() as client:
        steps = await walk_flows(client, out_dir=out_dir, advance_review=sandbox.advance_time)
    stats = sandbox.stats()
    total = sum(stats["requests"].values())
    steps.append(
        DemoStep(
            "--",
            "sandbox",
            f"{total} requests verified, {stats['signature_failures']} signature failures",
        )
    )
    return steps
