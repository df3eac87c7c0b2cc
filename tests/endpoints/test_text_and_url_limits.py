"""Text and number parameters that cannot be written, and URLs that would be too long.

Each is refused when the spec is built, as a ValidationError naming the parameter, before
anything is signed or sent: lone surrogates (which UTF-8 cannot encode), control characters
(NUL and the other C0 controls but tab, line feed and carriage return, and DEL), integers past
Python's int/str digit limit, and URL-borne requests (608, 401, 408, 607) whose encoded
parameters exceed MAX_QUERY_LENGTH.
"""

from __future__ import annotations

import sys
import traceback
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from idcode_async import ValidationError, registry
from idcode_async._spec import MAX_QUERY_LENGTH
from idcode_async.endpoints import (
    CategoryApplyPage,
    CategoryRecordPage,
    CompanyGotoUrl,
    ExamineRecord,
    LoginPage,
    LoginVerify,
)

from ..wire import TEST_AUTH_CODE, TEST_TOKEN
from .samples import fields_of, samples

SAMPLES = samples()
ONE_MB = "x" * 1_000_000

TEXT_FIELDS = [
    (number, plan.name)
    for number in sorted(SAMPLES)
    for plan in registry[number]._plan
    if plan.kind == "str" and plan.allowed is None
]
INT_FIELDS = [
    (number, plan.name)
    for number in sorted(SAMPLES)
    for plan in registry[number]._plan
    if plan.kind == "int" and plan.allowed is None
]


def _all_text(exc: BaseException) -> str:
    """Everything an exception shows: str, repr, args, its chain and formatted traceback."""
    parts = ["".join(traceback.format_exception(exc))]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.parametrize(("number", "name"), TEXT_FIELDS)
def test_a_lone_surrogate_is_refused_by_name(number, name):
    with pytest.raises(ValidationError) as info:
        registry[number](**{**fields_of(SAMPLES[number]), name: "abc\ud800def"})
    assert (info.value.parameter, info.value.endpoint) == (name, number)
    assert "\ud800" not in _all_text(info.value)


@pytest.mark.parametrize(("number", "name"), TEXT_FIELDS)
@pytest.mark.parametrize("control", ["\x00", "\x0b", "\x1f", "\x7f"])
def test_a_control_character_is_refused_by_name(number, name, control):
    with pytest.raises(ValidationError) as info:  # by this rule, or the parameter's own first
        registry[number](**{**fields_of(SAMPLES[number]), name: f"abc{control}def"})
    assert (info.value.parameter, info.value.endpoint) == (name, number)
    assert control not in str(info.value)


def test_a_control_character_is_named_by_code_and_position():
    with pytest.raises(ValidationError, match=r"control character U\+0000 at position 4,") as info:
        CompanyGotoUrl(login_name="9111\x00evil", login_pwd="secret")
    assert info.value.parameter == "login_name"


@pytest.mark.parametrize(("number", "name"), TEXT_FIELDS)
def test_tab_and_line_ends_are_not_control_characters_to_refuse(number, name):
    refusal = ""
    try:
        registry[number](**{**fields_of(SAMPLES[number]), name: "a\tb\r\nc"})
    except ValidationError as exc:  # some parameters have a pattern that refuses them
        refusal = str(exc)
    assert "control character" not in refusal


@pytest.mark.parametrize(("number", "name"), INT_FIELDS)
@pytest.mark.parametrize("sign", [1, -1])
def test_an_integer_past_the_digit_limit_is_refused_by_name(number, name, sign):
    huge = sign * 10 ** (sys.get_int_max_str_digits() + 5)
    with pytest.raises(ValidationError, match=r"digits|between") as info:  # 605: range first
        registry[number](**{**fields_of(SAMPLES[number]), name: huge})
    assert (info.value.parameter, info.value.endpoint) == (name, number)


@pytest.mark.parametrize(
    ("spec_type", "field", "others"),
    [
        (LoginVerify, "login_pswd", {"login_name": "91110105MA01ABCD12"}),
        (CompanyGotoUrl, "login_pwd", {"login_name": "91110105MA01ABCD12"}),
    ],
)
async def test_a_password_with_a_surrogate_never_shows(client, router, spec_type, field, others):
    """The refusal carries the position, never the text (nor token or auth code)."""
    route = router.route().mock(return_value=httpx.Response(200, json={"result_code": 1}))
    password = "Pa55word\ud800tail"
    with pytest.raises(ValidationError) as info:
        await client.call(spec_type(**others, **{field: password}))
    text = _all_text(info.value)
    for secret in ("Pa55word", "tail", TEST_TOKEN, TEST_AUTH_CODE):
        assert secret not in text
    assert "position 8" in text
    assert not route.called


async def test_608_with_a_1_mb_value_is_refused_before_sending(client, router):
    route = router.route().mock(return_value=httpx.Response(200, json={"result_code": 1}))
    with pytest.raises(ValidationError, match=str(MAX_QUERY_LENGTH)) as info:
        await client.call(ExamineRecord(company_idcode=ONE_MB))
    assert (info.value.parameter, info.value.endpoint) == ("company_idcode", 608)
    assert not route.called


@pytest.mark.parametrize(
    ("build", "parameter"),
    [
        (lambda: LoginPage(callback_url="https://sp.example.com/" + ONE_MB), "callback_url"),
        (
            lambda: CategoryApplyPage(
                company_idcode="i.86.110105.1",
                gotourl="http://www.example.com/scan.aspx?id=",
                sample_url="http://www.example.com/" + ONE_MB,
                callback_url="https://sp.example.com/cb",
            ),
            "sample_url",
        ),
        (
            lambda: CategoryRecordPage(
                company_idcode="i.86.110105.1",
                gotourl="http://www.example.com/" + ONE_MB,
                sample_url="http://www.example.com/a",
                callback_url="https://sp.example.com/cb",
            ),
            "gotourl",
        ),
    ],
    ids=["607", "401", "408"],
)
def test_page_links_with_1_mb_values_are_refused(build, parameter):
    with pytest.raises(ValidationError, match=str(MAX_QUERY_LENGTH)) as info:
        build()
    assert info.value.parameter == parameter


def _callback_of_encoded_length(length: int) -> str:
    """A 607 callback URL whose encoded parameters take exactly ``length`` characters."""
    prefix = "https://sp.example.com/"
    overhead = len(urlencode({"callback_url": prefix}))
    return prefix + "a" * (length - overhead)


def test_the_url_limit_is_inclusive(client):
    at_limit = LoginPage(callback_url=_callback_of_encoded_length(MAX_QUERY_LENGTH))
    assert len(urlencode({"callback_url": at_limit.callback_url})) == MAX_QUERY_LENGTH
    link = urlsplit(client.page_url(at_limit))
    assert link.path == LoginPage.path
    with pytest.raises(ValidationError, match=f"{MAX_QUERY_LENGTH + 1} characters"):
        LoginPage(callback_url=_callback_of_encoded_length(MAX_QUERY_LENGTH + 1))


def test_post_endpoints_carry_long_values_in_the_body():
    """Only URL-borne requests have the limit: a long 5012 code list goes in the body."""
    spec = SAMPLES[5012]
    long_list = ",".join(f"c{i}" for i in range(10_000))
    built = type(spec)(**{**fields_of(spec), "code_list_str": long_list})
    assert built.code_list_str == long_list


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("model_number", "型号\ud800", "surrogate"),
        ("category_code", "\udcff", "surrogate"),
        ("industrycategory_id", 10**5000, "digits"),
    ],
    ids=["surrogate-text", "surrogate-only", "huge-integer"],
)
def test_402_items_refuse_unwritable_values_by_name(name, value, match):
    """402's items travel inside json_str: the same rules, named by the item's field."""
    item = SAMPLES[402].category_reg_list[0]
    with pytest.raises(ValidationError, match=match) as info:
        type(item)(**{**fields_of(item), name: value})
    assert (info.value.parameter, info.value.endpoint) == (f"category_reg_list[].{name}", 402)
