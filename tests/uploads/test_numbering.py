"""A code as ``prefix_str`` + number: the 5013 (unpadded) and 5014 (zero-padded) spellings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcode_async.uploads.numbering import UNPADDED, format_code, split_code


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("A10", ("A", UNPADDED, 10)),
        ("A7", ("A", UNPADDED, 7)),
        ("A0", ("A", UNPADDED, 0)),
        ("A007", ("A", 3, 7)),
        ("A00", ("A", 2, 0)),
        ("7", ("", UNPADDED, 7)),
        ("007", ("", 3, 7)),
        ("i.86.101010.3/10.232324.11/201703233", ("i.86.101010.3/10.232324.11/", 0, 201703233)),
        ("X1Y22", ("X1Y", UNPADDED, 22)),  # only the trailing digit run
        ("ABC", None),
        ("A1-", None),
    ],
)
def test_split_at_the_longest_trailing_digit_run(code, expected):
    assert split_code(code, 9) == expected


def test_long_digit_tails_keep_the_last_digits_as_the_number():
    # start_num/end_num are int: nine digits always fit a Java int
    assert split_code("SN1234567890123", 9) == ("SN1234", UNPADDED, 567890123)
    assert split_code("SN1234000000123", 9) == ("SN1234", 9, 123)
    assert split_code("20240601000000001", 9) == ("20240601", 9, 1)


@pytest.mark.parametrize(
    ("prefix", "width", "number", "code"),
    [("A", UNPADDED, 10, "A10"), ("A", 3, 7, "A007"), ("", 5, 0, "00000"), ("B", 0, 0, "B0")],
)
def test_format_code(prefix, width, number, code):
    assert format_code(prefix, width, number) == code


codes_ending_in_digits = st.builds(
    lambda head, tail: head + tail,
    st.text(alphabet="AB-/.1", max_size=5),
    st.text(alphabet="0123456789", min_size=1, max_size=14),
)


@given(codes_ending_in_digits, st.integers(min_value=1, max_value=12))
def test_format_inverts_split(code, max_digits):
    prefix, width, number = split_code(code, max_digits)
    assert format_code(prefix, width, number) == code
    assert width == UNPADDED or width <= max_digits
    assert number < 10**max_digits
