"""What the rules refuse before sending (seed §十: 5011 lines, 5012 ``"1,2,3"`` lists)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcode_async.uploads.rules import RejectReason, check_code


@pytest.mark.parametrize(
    "code",
    ["A1", "i.86.101010.3/10.232324.11/201703233", "!", "~", "a-b_c", "x?y&z#w%", "0" * 128],
)
def test_acceptable_codes(code):
    assert check_code(code, 128) is None


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("A 1", RejectReason.WHITESPACE),
        ("A\t1", RejectReason.WHITESPACE),
        ("A\u30001", RejectReason.WHITESPACE),  # ideographic space inside
        ("A,1", RejectReason.COMMA),
        ("编码1", RejectReason.NOT_PRINTABLE_ASCII),
        ("A\x001", RejectReason.NOT_PRINTABLE_ASCII),
        ("A\x7f", RejectReason.NOT_PRINTABLE_ASCII),
        ("\ufeffA1", RejectReason.NOT_PRINTABLE_ASCII),
        ("A" * 129, RejectReason.TOO_LONG),
    ],
)
def test_rejected_codes(code, reason):
    assert check_code(code, 128) is reason


def test_first_failing_rule_names_the_reason():
    # whitespace before comma before non-ASCII before length
    assert check_code("é, x" + "A" * 200, 128) is RejectReason.WHITESPACE
    assert check_code("é,x" + "A" * 200, 128) is RejectReason.COMMA
    assert check_code("é" + "A" * 200, 128) is RejectReason.NOT_PRINTABLE_ASCII


def test_max_length_is_configurable():
    assert check_code("ABCD", 4) is None
    assert check_code("ABCDE", 4) is RejectReason.TOO_LONG


def test_reasons_have_descriptions():
    for reason in RejectReason:
        assert reason.description


@given(st.text(min_size=1, max_size=20))
def test_a_code_is_accepted_exactly_when_every_rule_holds(code):
    acceptable = len(code) <= 10 and all("!" <= c <= "~" and c != "," for c in code)
    assert (check_code(code, 10) is None) == acceptable


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1))
def test_printable_ascii_without_comma_is_accepted(code):
    assert (check_code(code, 10_000) is None) == ("," not in code)
