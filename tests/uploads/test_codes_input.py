"""Reading codes: paths, iterables, async iterables; BOM, newlines, line numbers."""

from __future__ import annotations

import pytest

from idcode_async import UsageError
from idcode_async.uploads.codes_input import MAX_LINE, open_source, strip_marks


def lines_of(source):
    with open_source(source) as lines:
        return list(lines)


def test_str_and_pathlike_are_paths(tmp_path):
    path = tmp_path / "codes.txt"
    path.write_bytes(b"A1\nA2\n")
    assert lines_of(str(path)) == ["A1\n", "A2\n"]
    assert lines_of(path) == ["A1\n", "A2\n"]


def test_file_bom_and_all_newline_styles(tmp_path):
    path = tmp_path / "codes.txt"
    path.write_bytes(b"\xef\xbb\xbfA1\r\nA2\rA3\nA4")
    assert [line.strip() for line in lines_of(path)] == ["A1", "A2", "A3", "A4"]


def test_undecodable_bytes_survive_as_surrogates(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes("A1\n编码\n".encode("gbk"))
    lines = lines_of(path)
    assert lines[0] == "A1\n"
    assert not lines[1].strip().isascii()


def test_iterables_pass_through():
    assert lines_of(["A1", "A2"]) == ["A1", "A2"]
    assert lines_of(c for c in ("B",)) == ["B"]


@pytest.mark.parametrize("source", [b"A1\nA2", bytearray(b"A1"), 42])
def test_non_code_sources_are_refused(source):
    with pytest.raises(UsageError):
        lines_of(source)


def test_async_iterables_are_refused_by_the_sync_reader():
    async def codes():
        yield "A1"

    with pytest.raises(UsageError, match="plan_upload_async"):
        lines_of(codes())


def test_missing_file_raises_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        lines_of(tmp_path / "nope.txt")


@pytest.mark.parametrize(
    ("raw", "code"),
    [(" A1 ", "A1"), ("\ufeffA1", "A1"), ("\ufeff \ufeffA1\u3000\n", "A1"), ("\ufeff", "")],
)
def test_strip_marks(raw, code):
    assert strip_marks(raw) == code


def test_over_long_file_lines_are_never_held_whole(tmp_path):
    path = tmp_path / "big.txt"
    long_code = "Z" * (3 * MAX_LINE)
    spaced = " " * (2 * MAX_LINE) + "A1" + " " * (2 * MAX_LINE)
    split = "B1" + " " * (2 * MAX_LINE) + "C2"
    path.write_text("\n".join(["A0", long_code, spaced, split, "A9"]) + "\n")
    lines = [line.strip() for line in lines_of(path)]
    assert len(lines) == 5  # line numbers stay right
    assert lines[0] == "A0"
    assert lines[4] == "A9"
    assert lines[1] == "Z" * MAX_LINE  # a stand-in: still too long for any code
    assert lines[2] == "A1"  # only whitespace was skipped: the code is intact
    assert lines[3].startswith("B1")
    assert " " in lines[3]
    assert all(len(line) <= MAX_LINE + 2 for line in lines)


def test_an_open_text_file_is_read_in_bounded_lines_and_left_open():
    import io

    text = io.StringIO("A0\n" + "Z" * (3 * MAX_LINE) + "\nA9\n")
    lines = [line.strip() for line in lines_of(text)]
    assert lines == ["A0", "Z" * MAX_LINE, "A9"]  # the over-long line never held whole
    assert not text.closed
