"""Round-trip properties: IDCode parse/format, content URLs, resolve-URL render/parse, §十四."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from idcode_async import ValidationError
from idcode_async.domain.idcode import PRODUCTION_RESOLVER, TEST_RESOLVER, CodeKind, IDCode
from idcode_async.domain.resolve import (
    ResolveUrl,
    build_resolve_url,
    parse_landing,
    parse_scan_query,
    scan_target,
    url_encode,
)

from .strategies import (
    USER_ALPHABET,
    appending_gotourls,
    catalog_codes,
    codes,
    item_codes,
    item_templates,
    main_codes,
    user_codes,
)

# IDCode: parse and format


@given(codes)
def test_format_then_parse_is_identity(code):
    assert IDCode.parse(str(code)) == code


@given(main_codes, st.none() | catalog_codes, user_codes)
def test_parse_then_format_is_identity_on_canonical_text(main, catalog, user):
    text = main if catalog is None else f"{main}/{catalog}/{user}"
    assert str(IDCode.parse(text)) == text


@given(main_codes, catalog_codes)
def test_base_code_form_is_the_category_code(main, catalog):
    code = IDCode.parse(f"{main}/{catalog}/")
    assert code == IDCode(main, catalog)
    assert code.base_code == f"{main}/{catalog}/"


@given(codes)
def test_parts_rebuild_the_code(code):
    parts = [code.main_code, code.catalog_code, code.user_code]
    assert "/".join(p for p in parts if p is not None) == code.full_code
    assert (
        code.kind
        is {1: CodeKind.MAIN, 2: CodeKind.CATEGORY, 3: CodeKind.ITEM}[
            sum(p is not None for p in parts)
        ]
    )


def _check_parse_outcome(text):
    """``text`` either parses to a code that formats back to it, or is a ValidationError."""
    try:
        code = IDCode.parse(text)
    except ValidationError as error:
        refused: ValidationError | None = error
    else:
        refused = None
    if refused is not None:
        assert refused.parameter == "code"
        return None
    expected = text.removesuffix("/") if code.kind is CodeKind.CATEGORY else text
    assert str(code) == expected
    return code


@given(st.text(max_size=60))
@example("i.86.101010.3/10.232324.11/")
@example("i.86.101010.3//")
def test_parse_of_any_text_is_exact_or_a_validation_error(text):
    _check_parse_outcome(text)


@given(codes, st.data())
def test_parse_of_a_mutated_code_is_exact_or_a_validation_error(code, data):
    text = str(code)
    at = data.draw(st.integers(0, len(text)))
    inserted = data.draw(st.sampled_from(["/", ".", "0", "a", "i", " ", "&", "单", ""]))
    cut = data.draw(st.integers(0, 2))
    mutated = text[:at] + inserted + text[at + cut :]
    parsed = _check_parse_outcome(mutated)
    if parsed is not None and mutated != text:
        assert str(parsed) != text or mutated == text + "/"


@given(item_codes, st.characters(exclude_characters=USER_ALPHABET))
def test_user_code_outside_unreserved_characters_is_refused(code, bad):
    with pytest.raises(ValidationError) as caught:
        IDCode.parse(f"{code}{bad}")
    assert caught.value.parameter == "code"


# Code content (§十一)


@given(codes, st.sampled_from([PRODUCTION_RESOLVER, TEST_RESOLVER]))
def test_content_url_round_trip(code, resolver):
    url = code.content_url(resolver)
    assert url == f"{resolver}?code={code}"
    assert IDCode.from_content_url(url) == code
    assert parse_scan_query(url) == code


# Resolve URLs (§十三): render a landing, read it back


@given(appending_gotourls())
def test_valid_gotourls_round_trip_through_parse(gotourl):
    assert str(ResolveUrl.parse(gotourl)) == gotourl
    assert ResolveUrl.parse(gotourl) == ResolveUrl(gotourl)


@given(appending_gotourls(), codes)
def test_registered_landing_reads_back(gotourl, code):
    landing = scan_target(gotourl, code)
    assert landing.startswith(gotourl)
    assert landing.endswith(str(code))
    assert parse_landing(gotourl, landing) == code
    assert ResolveUrl.parse(gotourl).matches_sample(landing)


@given(appending_gotourls(), item_codes)
def test_recorded_landing_reads_back(gotourl, code):
    landing = scan_target(gotourl, code, recorded=True)
    assert landing.endswith(f"{code.user_code}&BaseCode={code.category_code}/")
    assert parse_landing(gotourl, landing) == code


@given(appending_gotourls(), item_codes, st.booleans())
def test_landing_query_agrees_with_the_url_parser(gotourl, code, recorded):
    """What a web page reads from its query is what the URL-level parser reads."""
    landing = scan_target(gotourl, code, recorded)
    parameter = (
        gotourl.rsplit("&", 1)[-1].rsplit("?", 1)[-1][:-1] if gotourl.endswith("=") else "code"
    )
    assert parse_scan_query(landing, parameter=parameter) == code
    assert parse_landing(gotourl, landing + "&from=singlemessage") == code


@given(item_templates(), item_codes)
def test_template_landing_reads_back_with_the_category(gotourl, code):
    landing = scan_target(gotourl, code)
    assert "{" not in landing
    assert parse_landing(gotourl, landing, category=code.as_category()) == code
    assert ResolveUrl.parse(gotourl).matches_sample(landing)


@given(codes, st.sampled_from(["http://h.com/{fullCode}", "http://h.com/x/{fullCode}.html?a=1"]))
def test_full_code_template_reads_back_alone(code, gotourl):
    assert parse_landing(gotourl, scan_target(gotourl, code)) == code


@given(appending_gotourls(), codes, st.sampled_from(["{x}", " ", "单", "%G0", "{"]))
def test_gotourl_with_forbidden_text_is_refused(gotourl, code, bad):
    with pytest.raises(ValidationError) as caught:
        scan_target(gotourl + bad, code)
    assert caught.value.parameter == "gotourl"


# Nested encoding (§十四)


@given(st.text())
def test_url_encode_is_reversible_and_ascii(value):
    encoded = url_encode(value)
    assert encoded.isascii()
    assert unquote(encoded) == value
    assert not set(encoded) & set("/?&=#+ {}")


@given(st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=4))
def test_built_url_is_valid_and_carries_the_values(pairs):
    assume(all("{" not in n + v and "}" not in n + v for n, v in pairs))
    url = build_resolve_url("http://sp.example.com/m", pairs)
    ResolveUrl.parse(url)
    assert parse_qsl(urlsplit(url).query, keep_blank_values=True) == pairs


@given(st.text(), st.text())
def test_nested_url_decodes_in_two_steps(outer_value, inner_value):
    assume("{" not in outer_value + inner_value and "}" not in outer_value + inner_value)
    inner = build_resolve_url("http://www.idcode.org.cn/m", {"organunitname": inner_value})
    outer = build_resolve_url("http://sp.example.com/jump", {"to": inner, "v": outer_value})
    decoded = dict(parse_qsl(urlsplit(outer).query, keep_blank_values=True))
    assert decoded == {"to": inner, "v": outer_value}
    assert dict(parse_qsl(urlsplit(decoded["to"]).query, keep_blank_values=True)) == {
        "organunitname": inner_value
    }
