"""401/405/408 note 3: on success the centre appends CategoryIDcode (完整码号) to callback_url."""

from __future__ import annotations

import pytest

from idcode_async import ValidationError
from idcode_async.domain.idcode import IDCode
from idcode_async.domain.pages import CALLBACK_PARAMETER, parse_page_callback
from idcode_async.domain.resolve import build_resolve_url

CATEGORY = IDCode.parse("i.86.101010.3/10.232324.11")


@pytest.mark.parametrize(
    "callback",
    [
        "https://sp.example.com/idcode/done?CategoryIDcode=i.86.101010.3/10.232324.11",
        "https://sp.example.com/idcode/done?CategoryIDcode=i.86.101010.3%2F10.232324.11",
        "https://sp.example.com/idcode/done?CategoryIDcode=i.86.101010.3/10.232324.11/",
        "https://sp.example.com/done?state=abc&CategoryIDcode=i.86.101010.3/10.232324.11",
        "/idcode/done?CategoryIDcode=i.86.101010.3/10.232324.11#top",
        "CategoryIDcode=i.86.101010.3/10.232324.11&state=abc",
        "?CategoryIDcode=i.86.101010.3/10.232324.11",
        {"CategoryIDcode": "i.86.101010.3/10.232324.11", "state": "abc"},
    ],
)
def test_callback_yields_the_category_code(callback):
    assert parse_page_callback(callback) == CATEGORY


def test_callback_url_with_own_parameters_built_per_section_14():
    callback_url = build_resolve_url("https://sp.example.com/done", {"unit": "单位名称"})
    assert parse_page_callback(f"{callback_url}&{CALLBACK_PARAMETER}={CATEGORY}") == CATEGORY


@pytest.mark.parametrize(
    ("callback", "reason"),
    [
        ("https://sp.example.com/done?state=abc", "missing"),
        ("https://sp.example.com/done", "missing"),
        ("https://sp.example.com/done?categoryidcode=i.86.101010.3/10.232324.11", "missing"),
        ("https://sp.example.com/done?CategoryIDcode=", "is empty"),
        ("https://sp.example.com/done?CategoryIDcode=i.86.101010.3", r"main code\)"),
        (
            "https://sp.example.com/done?CategoryIDcode=i.86.101010.3/10.232324.11/201703233",
            r"item code\)",
        ),
        ("https://sp.example.com/done?CategoryIDcode=i.86.1010", "main code must be"),
        (
            "https://sp.example.com/done?CategoryIDcode=i.86.1.1/1.1.1&CategoryIDcode=i.86.1.1/1.1.2",
            "occurs 2 times",
        ),
    ],
)
def test_bad_callbacks_are_refused(callback, reason):
    with pytest.raises(ValidationError, match=reason) as caught:
        parse_page_callback(callback)
    assert caught.value.parameter == CALLBACK_PARAMETER
