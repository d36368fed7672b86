"""The JSON reader's quick paths give what the plain ones give.

msgspec parses a document where it can (the standard library reads what it refuses),
and the records are flattened into columns; both are checked against the standard
library and the record-at-a-time flatten on generated documents.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from itsm_diag.importers import jsonfiles


def _typed(value: Any) -> Any:
    """``value`` with every number's type and a zero's sign spelled out: ``1 == 1.0`` and
    ``0.0 == -0.0`` in Python, but not in a flattened cell."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, float):
        return ("float", repr(value), math.copysign(1.0, value))
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return ("int", value)
    return value


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
                max_size=6)
_SCALAR = (st.none() | st.booleans() | st.integers() | st.integers(-10**40, 10**40)
           | st.floats(allow_nan=False, allow_infinity=False) | _TEXT)
_JSON = st.recursive(_SCALAR, lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_TEXT, inner, max_size=3), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(_JSON, st.sampled_from([None, 2]), st.booleans())
def test_quick_parse_gives_the_standard_librarys_values(value: Any, indent: int | None,
                                                        ascii_only: bool) -> None:
    data = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()
    quick = jsonfiles._quick_parse(data)
    assert quick is not None  # nothing here is refused: integers of any size included
    assert quick[1] is False
    assert _typed(quick[0]) == _typed(json.loads(data))


_NUMBER = st.from_regex(r"\A-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?\Z")


@settings(max_examples=500, deadline=None)
@given(_NUMBER)
def test_number_text_parses_to_the_same_value(text: str) -> None:
    want = json.loads(text)
    quick = jsonfiles._quick_parse(text.encode())
    if quick is None:
        assert math.isinf(want)  # out of a double's range: the standard library reads it
    else:
        assert _typed(quick[0]) == _typed(want)


@pytest.mark.parametrize(("data", "want"), [
    (b'{"a": 1}\n{"b": 2}\n', [{"a": 1}, {"b": 2}]),
    (b'\xef\xbb\xbf{"a": 1}\r\n\r\n  \n{"b": 2}', [{"a": 1}, {"b": 2}]),
    (b'{"a": "x\xe2\x80\xa8y"}\n{"b": 1}', [{"a": "x\u2028y"}, {"b": 1}]),
    (b'{"id": 1234567890123456789012345678}\n{"id": 1}',
     [{"id": 1234567890123456789012345678}, {"id": 1}]),
])
def test_ndjson_is_read_by_the_quick_parse(data: bytes, want: list[Any]) -> None:
    assert jsonfiles._quick_parse(data) == (want, True)


@pytest.mark.parametrize("data", [
    b'{"a": 1} {"b": 2}\n{"c": 3}',  # two documents on a line: a corrupt line
    b'{"a": 1\n"b": 2}',  # a missing comma the joined lines would hide
    b'{"a": NaN}\n{"b": 1}',  # the standard library's extension
    b'[1e400]',
    b'{"a": "\\ud83d"}',  # half a character (mended before the parse)
    b'{"a": 1}\n{"b": ',  # cut short
])
def test_what_the_quick_parse_refuses_is_left_to_the_standard_library(data: bytes) -> None:
    assert jsonfiles._quick_parse(data) is None


def test_a_line_separator_inside_a_string_keeps_its_ndjson_record(tmp_path: Path) -> None:
    # Python's text splitting cut the record at the raw U+2028 and lost both halves
    path = tmp_path / "t.ndjson"
    lines = [json.dumps({"id": i, "subject": "a\u2028b"}, ensure_ascii=False)
             for i in range(3)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (table,) = jsonfiles.read_json(path)
    assert table.frame["subject"].tolist() == ["a\u2028b"] * 3
    assert table.warnings == []
