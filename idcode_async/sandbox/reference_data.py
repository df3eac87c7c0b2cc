"""The dictionaries the centre serves (sections 六 and 七): regions, trades, unit types, code
uses and industry categories.

Regions are real GB/T 2260 codes: the 34 provincial-level divisions and a small set of cities
and districts chosen to exercise the 101 note: the municipalities (Beijing, Tianjin, Shanghai,
Chongqing) have no city level, so their districts hang directly under the province
(Beijing Chaoyang: 110000/110000/110105); Dongguan and Zhongshan have no district level
(Dongguan: 440000/441900/441900); Taiwan, Hong Kong and Macau have neither.

Trades follow the sections and some divisions of GB/T 4754-2017.  Unit types, code uses and
industry categories are the sandbox's own small, plausible tables: the document prints no
values for them, only their shapes (105, 201–204).  Two fixed points come from the document:
code use 10 is "product" (406: ``codeuse_id`` is always 10) and the category code ``232324``
of its example code ``i.86.101010.3/10.232324.11``.
"""

from __future__ import annotations

from typing import Final

import attrs

__all__ = [
    "CODE_USES",
    "INDUSTRY_CATEGORIES",
    "NO_CITY_LEVEL",
    "NO_DISTRICT_LEVEL",
    "PRODUCT_CODEUSE_ID",
    "REGIONS",
    "TRADES",
    "UNIT_TYPES",
    "CodeUse",
    "IndustryCategory",
    "Region",
    "Trade",
    "UnitType",
    "category_by_id",
    "region_by_id",
    "region_problem",
    "trade_by_id",
]


@attrs.frozen
class Region:
    """One administrative division (101/102 ``AreaInfo``); ``address_id`` is the GB/T code."""

    address_id: int
    address_name: str
    address_level: int
    address_id_parent: int

    @property
    def address_code(self) -> str:
        return f"{self.address_id:06d}"


@attrs.frozen
class Trade:
    """One trade (103/104 ``TradeInfo``)."""

    trade_id: int
    trade_name: str
    trade_level: int
    trade_id_parent: int


@attrs.frozen
class UnitType:
    """One unit type (105 ``UnitTypeInfo``); ``code`` is what 301/309 take as ``code``."""

    code: int
    unit_type_name: str


@attrs.frozen
class CodeUse:
    """One use of codes (201 ``CodeUseInfo``); ``type_id`` 1 person, 2 matter, 3 thing."""

    codeuse_id: int
    codeuse_name: str
    codeuse_code: str
    type_id: int


@attrs.frozen
class IndustryCategory:
    """One industry category (202–204 ``IndustryCategoryInfo``)."""

    industrycategory_id: int
    industrycategory_name: str
    industrycategory_id_parent: int
    industrycategory_level: int
    industrycategory_code: str
    codeuse_id: int
    type_id: int
    check_format: str = ""
    industrycategory_isdel: int = 0


def _provinces() -> list[Region]:
    names = {
        110000: "北京市",
        120000: "天津市",
        130000: "河北省",
        140000: "山西省",
        150000: "内蒙古自治区",
        210000: "辽宁省",
        220000: "吉林省",
        230000: "黑龙江省",
        310000: "上海市",
        320000: "江苏省",
        330000: "浙江省",
        340000: "安徽省",
        350000: "福建省",
        360000: "江西省",
        370000: "山东省",
        410000: "河南省",
        420000: "湖北省",
        430000: "湖南省",
        440000: "广东省",
        450000: "广西壮族自治区",
        460000: "海南省",
        500000: "重庆市",
        510000: "四川省",
        520000: "贵州省",
        530000: "云南省",
        540000: "西藏自治区",
        610000: "陕西省",
        620000: "甘肃省",
        630000: "青海省",
        640000: "宁夏回族自治区",
        650000: "新疆维吾尔自治区",
        710000: "台湾省",
        810000: "香港特别行政区",
        820000: "澳门特别行政区",
    }
    return [Region(code, name, 1, 0) for code, name in names.items()]


_CITIES: Final = (
    (130100, "石家庄市", 130000),
    (320100, "南京市", 320000),
    (320500, "苏州市", 320000),
    (330100, "杭州市", 330000),
    (370200, "青岛市", 370000),
    (420100, "武汉市", 420000),
    (440100, "广州市", 440000),
    (440300, "深圳市", 440000),
    (441900, "东莞市", 440000),
    (442000, "中山市", 440000),
    (510100, "成都市", 510000),
)

_DISTRICTS: Final = (
    (110101, "东城区", 110000),
    (110102, "西城区", 110000),
    (110105, "朝阳区", 110000),
    (110106, "丰台区", 110000),
    (110108, "海淀区", 110000),
    (120101, "和平区", 120000),
    (120103, "河西区", 120000),
    (310101, "黄浦区", 310000),
    (310104, "徐汇区", 310000),
    (310115, "浦东新区", 310000),
    (500101, "万州区", 500000),
    (500103, "渝中区", 500000),
    (130102, "长安区", 130100),
    (320102, "玄武区", 320100),
    (320506, "吴中区", 320500),
    (330102, "上城区", 330100),
    (330106, "西湖区", 330100),
    (370202, "市南区", 370200),
    (420102, "江岸区", 420100),
    (440103, "荔湾区", 440100),
    (440104, "越秀区", 440100),
    (440106, "天河区", 440100),
    (440303, "罗湖区", 440300),
    (440304, "福田区", 440300),
    (440305, "南山区", 440300),
    (510104, "锦江区", 510100),
)

REGIONS: Final[tuple[Region, ...]] = (
    *_provinces(),
    *(Region(code, name, 2, parent) for code, name, parent in _CITIES),
    *(Region(code, name, 3, parent) for code, name, parent in _DISTRICTS),
)
"""Every region 101 returns, provinces first."""

NO_CITY_LEVEL: Final = frozenset({110000, 120000, 310000, 500000, 710000, 810000, 820000})
"""101 note: provinces whose units give ``city_id = province_id``."""

NO_DISTRICT_LEVEL: Final = frozenset({441900, 442000, 710000, 810000, 820000})
"""101 note: cities whose units give ``area_id = city_id``."""

_REGION_INDEX: Final = {region.address_id: region for region in REGIONS}


def region_by_id(address_id: int) -> Region | None:
    """The region with this GB/T code, if the sandbox knows it."""
    return _REGION_INDEX.get(address_id)


def region_problem(province_id: int, city_id: int, area_id: int) -> str | None:
    """Why a unit's (province, city, area) triple is not a place the centre knows, or ``None``.

    Follows the 101 note: no-city provinces repeat the province as city, no-district cities
    repeat the city as area; otherwise each level must be a child of the level above.
    """
    province = region_by_id(province_id)
    if province is None or province.address_level != 1:
        return f"unknown province_id {province_id}"
    if province_id in NO_CITY_LEVEL:
        if city_id != province_id:
            return f"province {province_id} has no city level: city_id must be {province_id}"
    else:
        city = region_by_id(city_id)
        if city is None or city.address_level != 2 or city.address_id_parent != province_id:
            return f"city_id {city_id} is not a city of province {province_id}"
    if city_id in NO_DISTRICT_LEVEL:
        return None if area_id == city_id else f"city {city_id} has no district level"
    area = region_by_id(area_id)
    if area is None or area.address_level != 3 or area.address_id_parent != city_id:
        return f"area_id {area_id} is not a district of {city_id}"
    return None


_SECTIONS: Final = (
    "农、林、牧、渔业",
    "采矿业",
    "制造业",
    "电力、热力、燃气及水生产和供应业",
    "建筑业",
    "批发和零售业",
    "交通运输、仓储和邮政业",
    "住宿和餐饮业",
    "信息传输、软件和信息技术服务业",
    "金融业",
    "房地产业",
    "租赁和商务服务业",
    "科学研究和技术服务业",
    "水利、环境和公共设施管理业",
    "居民服务、修理和其他服务业",
    "教育",
    "卫生和社会工作",
    "文化、体育和娱乐业",
    "公共管理、社会保障和社会组织",
    "国际组织",
)

_DIVISIONS: Final = (
    (1, 1, "农业"),
    (1, 2, "林业"),
    (1, 3, "畜牧业"),
    (1, 4, "渔业"),
    (3, 13, "农副食品加工业"),
    (3, 14, "食品制造业"),
    (3, 15, "酒、饮料和精制茶制造业"),
    (3, 17, "纺织业"),
    (3, 26, "化学原料和化学制品制造业"),
    (3, 27, "医药制造业"),
    (3, 39, "计算机、通信和其他电子设备制造业"),
    (6, 51, "批发业"),
    (6, 52, "零售业"),
    (9, 64, "互联网和相关服务"),
    (9, 65, "软件和信息技术服务业"),
)

TRADES: Final[tuple[Trade, ...]] = (
    *(Trade(index, name, 1, 0) for index, name in enumerate(_SECTIONS, start=1)),
    *(Trade(100 + division, name, 2, section) for section, division, name in _DIVISIONS),
)
"""GB/T 4754 sections (ids 1–20) and divisions (id 100 + division number)."""

_TRADE_INDEX: Final = {trade.trade_id: trade for trade in TRADES}


def trade_by_id(trade_id: int) -> Trade | None:
    """The trade with this id, if the sandbox knows it."""
    return _TRADE_INDEX.get(trade_id)


UNIT_TYPES: Final[tuple[UnitType, ...]] = (
    UnitType(1, "企业"),
    UnitType(2, "事业单位"),
    UnitType(3, "机关"),
    UnitType(4, "社会团体"),
    UnitType(5, "民办非企业单位"),
    UnitType(6, "个体工商户"),
    UnitType(9, "其他"),
)

PRODUCT_CODEUSE_ID: Final = 10
"""406: the use of product categories is always 10."""

CODE_USES: Final[tuple[CodeUse, ...]] = (
    CodeUse(10, "产品", "10", 3),
    CodeUse(20, "设备设施", "20", 3),
    CodeUse(40, "票证", "40", 2),
    CodeUse(50, "活动", "50", 2),
    CodeUse(70, "人员", "70", 1),
    CodeUse(91, "文档资料", "91", 2),
)

_ID_CARD_FORMAT: Final = r"^\d{17}[\dXx]$"

INDUSTRY_CATEGORIES: Final[tuple[IndustryCategory, ...]] = (
    IndustryCategory(10, "食品", 0, 1, "10", 10, 3),
    IndustryCategory(1010, "乳制品", 10, 2, "1010", 10, 3),
    IndustryCategory(101010, "液体乳", 1010, 3, "101010", 10, 3),
    IndustryCategory(101020, "乳粉", 1010, 3, "101020", 10, 3),
    IndustryCategory(1020, "饮料", 10, 2, "1020", 10, 3),
    IndustryCategory(102010, "瓶装饮用水", 1020, 3, "102010", 10, 3),
    IndustryCategory(102020, "茶饮料", 1020, 3, "102020", 10, 3),
    IndustryCategory(20, "农产品", 0, 1, "20", 10, 3),
    IndustryCategory(2010, "水果", 20, 2, "2010", 10, 3),
    IndustryCategory(201010, "苹果", 2010, 3, "201010", 10, 3),
    IndustryCategory(2020, "茶叶", 20, 2, "2020", 10, 3),
    IndustryCategory(202010, "绿茶", 2020, 3, "202010", 10, 3),
    IndustryCategory(23, "日用品", 0, 1, "23", 10, 3),
    IndustryCategory(2323, "洗涤用品", 23, 2, "2323", 10, 3),
    IndustryCategory(232324, "洗衣液", 2323, 3, "232324", 10, 3),
    IndustryCategory(232325, "洗洁精", 2323, 3, "232325", 10, 3),
    IndustryCategory(30, "电子产品", 0, 1, "30", 10, 3),
    IndustryCategory(3010, "通信设备", 30, 2, "3010", 10, 3),
    IndustryCategory(301010, "智能手机", 3010, 3, "301010", 10, 3),
    IndustryCategory(60, "设备", 0, 1, "60", 20, 3),
    IndustryCategory(6010, "特种设备", 60, 2, "6010", 20, 3),
    IndustryCategory(601010, "电梯", 6010, 3, "601010", 20, 3),
    IndustryCategory(601020, "压力容器", 6010, 3, "601020", 20, 3),
    IndustryCategory(70, "票证", 0, 1, "70", 40, 2),
    IndustryCategory(7010, "电子票", 70, 2, "7010", 40, 2),
    IndustryCategory(701010, "门票", 7010, 3, "701010", 40, 2),
    IndustryCategory(80, "身份证件", 0, 1, "80", 70, 1),
    IndustryCategory(8010, "居民身份证", 80, 2, "8010", 70, 1, _ID_CARD_FORMAT),
    IndustryCategory(12000000, "企业文档", 0, 1, "12000000", 91, 2),
)
"""A three-level tree per code use; 204 lists those of use 10 (products)."""

_CATEGORY_INDEX: Final = {c.industrycategory_id: c for c in INDUSTRY_CATEGORIES}


def category_by_id(industrycategory_id: int) -> IndustryCategory | None:
    """The industry category with this id, if the sandbox knows it."""
    return _CATEGORY_INDEX.get(industrycategory_id)
