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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itsm_diag.errors import InputError
from itsm_diag.importers import flatten, jsonfiles
from jsonkit import msgspec_refused, same_tables, tables


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
def test_msgspec_gives_the_standard_librarys_values(value: Any, indent: int | None,
                                                    ascii_only: bool) -> None:
    # what guards.loads rests on: where msgspec parses a text, its values are json's
    import msgspec

    data = json.dumps(value, indent=indent, ensure_ascii=ascii_only).encode()
    assert _typed(msgspec.json.decode(data)) == _typed(json.loads(data))


@settings(max_examples=200, deadline=None)
@given(st.recursive(_SCALAR | st.sampled_from([float("nan"), float("inf"), "<4100 digits>",
                                               "<5000 digits>"]),
                    lambda inner: st.lists(inner, max_size=3), max_leaves=10))
def test_guards_loads_gives_the_standard_librarys_values(value: Any) -> None:
    # msgspec first; NaN, infinities and integers past Python's text limit are refused by
    # it and read by the standard library (those past 4000 digits kept as their text)
    from itsm_diag.importers import guards

    text = json.dumps(value)
    for digits in (4100, 5000):
        text = text.replace(f'"<{digits} digits>"', "7" * digits)
    try:
        want = json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer past Python's limit
        want = json.loads(text, parse_int=lambda t: int(t) if len(t) <= 4000 else t)
    assert _typed(guards.loads(text)) == _typed(want)


def test_guards_loads_reads_a_raw_lone_surrogate_as_the_standard_library_does() -> None:
    # msgspec cannot encode the text to parse it (UnicodeEncodeError): json reads it
    from itsm_diag.importers import guards

    assert guards.loads('["a\ud800b", 1]') == ["a\ud800b", 1]


_NUMBER = st.from_regex(r"\A-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?\Z")


@settings(max_examples=500, deadline=None)
@given(_NUMBER)
def test_number_text_parses_to_the_same_value(text: str) -> None:
    import msgspec

    want = json.loads(text)
    try:
        got = msgspec.json.decode(text.encode())
    except msgspec.DecodeError:
        assert math.isinf(want)  # out of a double's range: the standard library reads it
    else:
        assert _typed(got) == _typed(want)


def _standard_library_only(text: str) -> Any:
    """What :func:`jsonfiles._parse` gives, or its error's text, with msgspec refusing
    everything: the reading before msgspec, the oracle."""
    with msgspec_refused():
        return _parsed(text)


def _parsed(text: str) -> Any:
    try:
        return jsonfiles._parse(text, Path("t.json"))
    except InputError as exc:
        return str(exc)


@pytest.mark.parametrize("data", [
    b'{"a": 1}\n{"b": 2}\n',
    b'\xef\xbb\xbf{"a": 1}\r\n\r\n  \n{"b": 2}',
    b'{"a": "x\xe2\x80\xa8y"}\n{"b": 1}',  # a raw U+2028 inside a string: one record
    b'{"id": 1234567890123456789012345678}\n{"id": 1}',
    b'[{"id": 1}, {"id": 2.5e3}]',
    b'{"a": 1} {"b": 2}\n{"c": 3}',  # two documents on a line: a corrupt line
    b'{"a": 1\n"b": 2}',  # a missing comma the joined lines would hide
    b'{"a": NaN}\n{"b": 1}',  # the standard library's extension
    b'[1e400]',
    b'{"a": "\\ud83d"}',  # half a character
    b'{"a": 1}\n{"b": ',  # cut short
])
def test_parse_gives_the_standard_librarys_reading(data: bytes) -> None:
    # msgspec first changes nothing: values, NDJSON or not, warnings and errors
    text = data.decode("utf-8-sig")
    assert _parsed(text) == _standard_library_only(text)


def test_ndjson_lines_end_at_line_breaks_only() -> None:
    # Python's text splitting also cut a line at a raw U+2028, and lost both halves
    docs, ndjson, warnings = jsonfiles._parse('{"a": "x\u2028y"}\r\n{"b": 1}', Path("t"))
    assert (docs, ndjson, warnings) == ([{"a": "x\u2028y"}, {"b": 1}], True, [])


def test_a_line_separator_inside_a_string_keeps_its_ndjson_record(tmp_path: Path) -> None:
    # Python's text splitting cut the record at the raw U+2028 and lost both halves
    path = tmp_path / "t.ndjson"
    lines = [json.dumps({"id": i, "subject": "a\u2028b"}, ensure_ascii=False)
             for i in range(3)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (table,) = jsonfiles.read_json(path)
    assert table.frame["subject"].tolist() == ["a\u2028b"] * 3
    assert table.warnings == []


def _read(path: Path, chunked: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    """read_json's table, or its error's text, read by parts (of a few lines) or whole."""
    with monkeypatch.context() as patch:
        if chunked:  # lines cut from the file, and records flattened, a few at a time
            patch.setattr(jsonfiles, "NDJSON_PART_BYTES", 40)
            patch.setattr(jsonfiles, "RECORDS_PER_PART", 2)
        else:
            patch.setattr(jsonfiles, "_ndjson_by_parts", lambda data, path: None)
        try:
            (table,) = jsonfiles.read_json(path)
        except InputError as exc:  # a clean error: anything else fails the test
            return str(exc)
    return table


_CELL = st.none() | st.integers(-5, 10**20) | st.sampled_from(["", " x", "y", "é", "a;b"])
_LINE_RECORD = st.dictionaries(st.sampled_from(["id", "a", "b", "c"]),
                               _CELL | st.dictionaries(st.sampled_from(["x", "y"]), _CELL,
                                                       max_size=2)
                               | st.lists(st.sampled_from(["t", "u"]), max_size=2),
                               max_size=4)


# the monkeypatch is used through its context(), undone within each example
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_LINE_RECORD | st.fixed_dictionaries({"ticket": _LINE_RECORD}),
                min_size=2, max_size=12),
       st.sampled_from(["\n", "\r\n", "\n\n  \n"]), st.booleans())
def test_ndjson_read_by_parts_is_the_ndjson_read_whole(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        records: list[dict[str, Any]], newline: str, bom: bool) -> None:
    # columns that first appear in a later part are empty in the earlier ones
    path = tmp_path_factory.mktemp("nd") / "t.ndjson"
    text = newline.join(json.dumps(r, ensure_ascii=False) for r in records) + "\n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    by_parts, whole = _read(path, True, monkeypatch), _read(path, False, monkeypatch)
    if isinstance(whole, str):
        assert by_parts == whole
        return
    assert by_parts.frame.equals(whole.frame)
    assert list(by_parts.frame.columns) == list(whole.frame.columns)
    assert (by_parts.delimiter, by_parts.warnings) == (whole.delimiter, whole.warnings)


def _ndjson(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "t.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("late", [
    '{"id": 9, "a": "x"',  # a corrupt last line: skipped with a warning
    '[1, 2]',  # not an object: named with its record
    '{"id": 9, "x": ' + '{"k": ' * 16 + '1' + '}' * 17,  # nested too deep: named
    '{"id": 9, "subject": "NaN as a number", "n": NaN}',  # read by the standard library
    '{"id": 9, "a": "x"}, {"id": 10}',  # two records on one line: the whole read has both
])
def test_a_problem_in_a_later_part_reads_as_the_whole_file_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, late: str) -> None:
    lines = [json.dumps({"id": i, "a": "v" * 30}) for i in range(150)] + [late]
    path = _ndjson(tmp_path, lines)
    monkeypatch.setattr(jsonfiles, "NDJSON_PART_BYTES", 200)
    assert jsonfiles._ndjson_by_parts(path.read_bytes(), path) is None
    by_parts, whole = _read(path, True, monkeypatch), _read(path, False, monkeypatch)
    if isinstance(whole, str):
        assert by_parts == whole and ("record 151" in whole or "line 151" in whole)
    else:
        assert by_parts.frame.equals(whole.frame) and by_parts.warnings == whole.warnings
    if late.endswith("{\"id\": 10}"):  # each line parsed alone: this one only in the array
        assert whole.frame["id"].tolist()[-2:] == ["9", "10"]


def test_parts_are_used_for_plain_ndjson_and_not_for_a_document(tmp_path: Path) -> None:
    path = _ndjson(tmp_path, [json.dumps({"id": i}) for i in range(3)])
    frame = jsonfiles._ndjson_by_parts(path.read_bytes(), path)
    assert frame is not None and frame["id"].tolist() == ["0", "1", "2"]
    document = json.dumps([{"id": 1}, {"id": 2}], indent=2).encode()
    assert jsonfiles._ndjson_by_parts(document, path) is None
    assert jsonfiles._ndjson_by_parts(b'{"id": 1}\n', path) is None
    # a form feed before the first record is no JSON white space: not read as NDJSON
    assert jsonfiles._ndjson_by_parts(b'\x0c\n{"id": 1}\n{"id": 2}\n', path) is None


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_LINE_RECORD, min_size=1, max_size=9), st.booleans())
def test_a_documents_records_flattened_by_parts_are_flattened_whole(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        records: list[dict[str, Any]], page: bool) -> None:
    # an API page or a bare array, its records flattened two at a time, each freed once
    # flattened: the frame of one part of them all
    path = tmp_path_factory.mktemp("doc") / "t.json"
    path.write_text(json.dumps({"tickets": records, "count": len(records)} if page
                               else records), encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(jsonfiles, "RECORDS_PER_PART", 2)
        by_parts = jsonfiles.read_json(path)
    whole = jsonfiles.read_json(path)
    assert len(by_parts) == len(whole)
    for a, b in zip(by_parts, whole, strict=True):
        assert a.frame.equals(b.frame) and list(a.frame.columns) == list(b.frame.columns)


def test_a_record_nested_too_deep_in_a_later_part_is_named(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep: Any = "x"
    for _ in range(16):
        deep = {"k": deep}
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"id": i} for i in range(5)] + [{"id": 5, "x": deep}]))
    monkeypatch.setattr(jsonfiles, "RECORDS_PER_PART", 2)
    with pytest.raises(InputError, match="record 6 nests objects more than 16 levels"):
        jsonfiles.read_json(path)


@pytest.mark.parametrize(("value", "cells"), [
    (["a", "b", ""], {"l": "a;b;"}),
    ([1, True, None, 2.0], {"l": "1;true;2"}),
    ([{"id": 5, "value": "x"}, {"id": "6", "value": 7}], {"l.5": "x", "l.6": "7"}),
    ([{"id": 5, "value": "x"}, "y"], {"l": '[{"id": 5, "value": "x"}, "y"]'}),
    (["y", {"id": 5, "value": "x"}], {"l": '["y", {"id": 5, "value": "x"}]'}),
    ([{"body": "hi"}], {"l": '[{"body": "hi"}]'}),
    ([[1], 2], {"l": "[[1], 2]"}),
    # a later item that is no custom field: the list's text, and no field of it as a cell
    ([{"id": 5, "value": "x"}, {"id": 6}], {"l": '[{"id": 5, "value": "x"}, {"id": 6}]'}),
    ([{"id": 5, "value": "x"}, {"id": 5, "value": [1, None, True]}], {"l.5": "1;true"}),
    ([{"id": 5.0, "value": {"a": "é"}}], {"l.5": '{"a": "é"}'}),
])
def test_list_cells(value: list[Any], cells: dict[str, str]) -> None:
    # a list whose first item is an object is tested for custom fields only: it can be
    # neither all text nor all scalars
    assert flatten.flatten_record({"l": value}, Path("t.json"), 0) == cells


@pytest.mark.parametrize("levels", [14, 15])
def test_an_empty_object_past_the_depth_limit_is_refused(levels: int) -> None:
    # the record is level 1 and "x" level 2; an empty object makes no cell, but one level
    # past the limit it is refused as any object is
    inner: Any = {}
    for _ in range(levels):
        inner = {"k": inner}
    record = {"id": 1, "x": inner}
    if levels + 2 <= flatten.MAX_DEPTH:
        assert flatten.flatten_record(record, Path("t.json"), 0) == {"id": "1"}
    else:
        with pytest.raises(InputError, match="nests objects more than 16 levels deep"):
            flatten.flatten_record(record, Path("t.json"), 0)


@pytest.mark.parametrize("data", [
    b'\xef\xbb\xbf[{"id": 1, "subject": "caf\xc3\xa9"}]',
    b'{"tickets": [{"id": 1, "n": 12345678901234567890123}], "count": 1}',
    b'[{"id": 1, "n": NaN}]',
    b'[{"id": 1, "s": "\xff"}]',  # not UTF-8: the error names the byte
    b'[{"id": 1}',  # cut short
    b'null',
])
def test_a_document_reads_as_the_standard_library_reads_it(tmp_path: Path,
                                                           data: bytes) -> None:
    # the document parsed from its bytes by msgspec, or (refused) from its text as before
    path = tmp_path / "t.json"
    path.write_bytes(data)
    with msgspec_refused():
        want = tables(path)
    same_tables(tables(path), want)


def _columns_one_at_a_time(rows: list[dict[str, str | None]]) -> tuple[list[str], list[Any]]:
    """The conversion the struct replaced: rows transposed in Python, a column at a time."""
    import pyarrow as pa

    names = list(dict.fromkeys(k for row in rows for k in row))
    return names, [pa.array([row.get(n) for row in rows], type=pa.large_string())
                   for n in names]


_CELL = st.none() | st.text(max_size=6)  # flattened cells are text or missing
_ROWS = st.lists(st.dictionaries(st.sampled_from(["id", "", "a.b", "é", "x y", "7"]), _CELL,
                                 max_size=6), max_size=12)


@settings(max_examples=300, deadline=None)
@given(_ROWS)
def test_records_become_the_columns_they_became_one_at_a_time(rows: list[Any]) -> None:
    # keys in the order first seen, a record without a key null there, the cells' text
    # as it was (empty text stays empty, not null), large_string columns
    names, arrays = flatten.arrow_columns(rows)
    want_names, want = _columns_one_at_a_time(rows)
    assert names == want_names
    assert [a.type for a in arrays] == [w.type for w in want]
    assert all(a.equals(w) for a, w in zip(arrays, want, strict=True))


@pytest.mark.parametrize("rows", [
    [{"id": "1", "s": "a\ud800"}],  # a lone surrogate: refused as it always was
    [{"id": "1"}, {"id\ud800": "2"}],  # in a key: the struct refuses the name itself
    [{"id": "1", "n": 2}],  # not text: only the flatten's cells are ever passed
])
def test_records_the_struct_refuses_convert_or_fail_as_before(rows: list[Any]) -> None:
    def outcome(convert: Any) -> Any:
        try:
            names, arrays = convert(rows)
        except Exception as exc:  # the outcome compared is the exception itself
            return type(exc), str(exc)
        return names, [a.to_pylist() for a in arrays]

    assert outcome(flatten.arrow_columns) == outcome(_columns_one_at_a_time)


def _whole_document(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """read_json with the document parsed at once (the record-at-a-time path off): its
    tables, or its error's text."""
    with monkeypatch.context() as patch:
        patch.setattr(jsonfiles, "_document_by_parts", lambda data, path: None)
        return tables(path)


_SIDE_ITEM = st.fixed_dictionaries({"id": st.integers(1, 4)}, optional={
    "name": st.sampled_from(["Ann", "Bo", ""]), "ticket_id": st.integers(1, 4),
    "reopens": _CELL})
_PAGE_VALUE = (st.lists(_LINE_RECORD | st.fixed_dictionaries({"ticket": _LINE_RECORD}),
                        max_size=5)
               | st.lists(_CELL, max_size=2) | _CELL)
# tickets whose ids and references the side-loads can match
_TICKET = st.fixed_dictionaries({"id": st.integers(1, 4)}, optional={
    "requester_id": st.integers(1, 4), "group_id": st.integers(1, 4), "a": _CELL,
    "via": st.dictionaries(st.sampled_from(["x", "y"]), _CELL, max_size=2)})
_PAGE = st.fixed_dictionaries(
    {"tickets": st.lists(_TICKET | st.fixed_dictionaries({"ticket": _TICKET}), max_size=5)},
    optional={"count": _CELL, "next_page": _CELL})


# the monkeypatch is used through its context(), undone within each example
@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_PAGE
       | st.dictionaries(st.sampled_from(["tickets", "results", "metric_sets", "users",
                                          "count", "next_page", "id"]), _PAGE_VALUE,
                         max_size=5)
       | st.lists(_LINE_RECORD | _CELL, max_size=5),
       st.dictionaries(st.sampled_from(["metric_sets", "users", "groups"]),
                       st.lists(_SIDE_ITEM, max_size=4), max_size=2),
       st.booleans())
def test_a_document_read_a_record_at_a_time_is_the_document_read_whole(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        doc: Any, sides: dict[str, Any], small_parts: bool) -> None:
    # pages with and without side-loads, bare arrays, single records, empty pages,
    # records that are not objects: the same tables, or the same error, either way
    if isinstance(doc, dict):
        doc = {**doc, **sides}
    path = tmp_path_factory.mktemp("page") / "t.json"
    path.write_text(json.dumps(doc, indent=1 if small_parts else None), encoding="utf-8")
    with monkeypatch.context() as patch:
        if small_parts:
            patch.setattr(jsonfiles, "RECORDS_PER_PART", 2)
        got = tables(path)
    same_tables(got, _whole_document(path, monkeypatch))


@pytest.mark.parametrize(("text", "used"), [
    ('{"tickets": [{"id": 1}, {"id": 2}], "count": 2}', True),
    ('\ufeff [ {"id": 1}, {"ticket": {"id": 2}} ]', True),
    ('{"tickets": [{"id": 1, "requester_id": 7}], "users": [{"id": 7, "name": "Ann"}]}',
     True),
    ('{"id": 1, "subject": "one ticket, not a page"}', False),
    ('{"tickets": [], "count": 0}', False),  # an empty page: the whole read returns none
    ('{"tickets": [{"id": 1}, 5]}', False),  # a record that is no object: named whole
    ('{"tickets": [{"id": 1, "n": NaN}]}', False),  # NaN: the standard library reads it
    ('{"tickets": [{"id": 1, "s": "\\ud800"}]}', False),  # a lone surrogate, mended whole
    ('{"schema_version": 1, "generated_by": "itsm-diag", "signs": [{"id": 1}]}', False),
    # what the record-at-a-time read has no use for is parsed all the same, so a value
    # the whole read refuses refuses the file here too
    ('{"tickets": [{"id": 1}], "next_page": "\udcff"}', False),
    ('{"tickets": [{"id": 1}], "brands": [{"id": 2, "name": "\udcff"}]}', False),
    ('{"tickets": [{"id": 1}], "metric_sets": [{"ticket_id": 1, "x": "\udcff"}]}', False),
    ('{"tickets": [{"id": 1}], "users": [{"id": 2, "name": "\udcff"}]}', False),
    ('{"tickets": [{"x": 1}], "metric_sets": [{"ticket_id": 1, "x": "\udcff"}]}', False),
    ('{"tickets": [{"id": 1}], "tags": ["a", "\udcff"], "count": 1}', False),
    ('{"tickets": [{"id": 1}], "results": [{"id": 2, "s": "\udcff"}]}', False),
])
def test_which_documents_are_read_a_record_at_a_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, used: bool) -> None:
    path = tmp_path / "t.json"
    # a lone surrogate stands for a byte that is not UTF-8 (written as such, raw)
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    assert (jsonfiles._document_by_parts(path.read_bytes(), path) is not None) == used
    same_tables(tables(path), _whole_document(path, monkeypatch))


def test_raw_values_say_when_they_have_been_parsed_whole() -> None:
    # a side-load the join read whole is not parsed again for its check; one it read in
    # part, or not at all, is; and reading it twice gives the same objects twice
    import msgspec

    raws = msgspec.json.decode(b'[{"id": 1}, {"id": 2}]', type=list[msgspec.Raw])
    values = jsonfiles._Parsed(raws, msgspec.json.decode)
    assert next(iter(values)) == {"id": 1} and not values.read
    assert list(values) == [{"id": 1}, {"id": 2}] and values.read
    assert list(values) == [{"id": 1}, {"id": 2}]
