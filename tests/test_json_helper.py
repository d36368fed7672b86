"""The second process that flattens the last part of a big JSON export
(``importers/jsonworker.py``): the reader's tables, and its refusals, are those of one
process whatever the helper does (answers, refuses, cannot start, crashes, stalls), and
the helper runs the reader's own code, not what the working directory holds."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itsm_diag import cpus
from itsm_diag.importers import jsonworker
from jsonkit import same_tables, tables


class _Spy:
    """Every helper started, what each answered when asked (None: no whole answer), and
    whether each was stopped."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers: list[Any] = []
        self.helpers: list[jsonworker.Helper] = []
        init, columns = jsonworker.Helper.__init__, jsonworker.Helper.columns

        def started(helper: jsonworker.Helper, *args: Any) -> None:
            init(helper, *args)
            self.helpers.append(helper)

        def answered(helper: jsonworker.Helper) -> Any:
            got = columns(helper)
            self.answers.append(got)
            return got

        monkeypatch.setattr(jsonworker.Helper, "__init__", started)
        monkeypatch.setattr(jsonworker.Helper, "columns", answered)

    def answered(self) -> bool:
        return len(self.answers) == 1 and self.answers[0] is not None

    def all_reaped(self) -> bool:
        return all(h.proc.returncode is not None for h in self.helpers)


@pytest.fixture
def helped(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Spy]:
    """Every JSON file big enough for a helper, on a machine with two CPUs; after the
    test, every helper it started has been stopped and reaped."""
    monkeypatch.setattr(jsonworker, "MIN_BYTES", 0)
    monkeypatch.delenv("ITSM_DIAG_THREADS", raising=False)
    monkeypatch.setattr(cpus, "usable", lambda: 2)
    spy = _Spy(monkeypatch)
    yield spy
    assert spy.all_reaped(), "a helper outlived the read"


def _alone(path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The tables one process makes (``ITSM_DIAG_THREADS=1``: no helper)."""
    with monkeypatch.context() as patch:
        patch.setenv("ITSM_DIAG_THREADS", "1")
        return tables(path)


def _ticket(i: int, late: int = 30) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": 1000 + i, "subject": f"Printer {i % 7} offline", "status": "open",
        "requester_id": 50 + i % 4, "group_id": 7 + i % 2, "has_incidents": i % 2 == 0,
        "custom_fields": [{"id": 360001, "value": ["a", "b"][i % 2]},
                          {"id": 360002, "value": i if i % 3 else None}],
        "tags": ["vpn", "urgent"][: i % 3], "via": {"channel": "web", "source": {"from": {}}},
    }
    if i > late:
        # keys first seen after the cut: the helper's columns must land after the reader's
        record["late_field"] = f"x{i}"
        record["via"] = {"channel": "email", "source": {"rel": "late"}}
    if i % 11 == 0:
        record = {}  # a record without a field is a row all the same
    return record


def _ndjson(path: Path, records: list[Any], *, wrap: bool = False, crlf: bool = False,
            bom: bool = False) -> Path:
    lines = [json.dumps({"ticket": r} if wrap else r) for r in records]
    text = ("\r\n" if crlf else "\n").join(lines) + "\n\n  \n"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


@pytest.mark.parametrize("shape", [{}, {"wrap": True}, {"crlf": True, "bom": True}])
def test_ndjson_flattened_in_two_processes_is_flattened_in_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helped: _Spy, shape: dict[str, bool]
) -> None:
    path = _ndjson(tmp_path / "t.ndjson", [_ticket(i) for i in range(50)], **shape)
    got = tables(path)
    assert helped.answered() and helped.all_reaped()
    names, _, rows = helped.answers[0]
    assert "late_field" in names and 0 < rows < 50  # the helper read the last part
    same_tables(got, _alone(path, monkeypatch))
    frame = got[0][0]
    assert list(frame.columns).index("late_field") > list(frame.columns).index("tags")
    assert frame["late_field"].iloc[-1] == "x49" and len(frame) == 50


def test_a_page_flattened_in_two_processes_is_flattened_in_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helped: _Spy) -> None:
    tickets = [_ticket(i, late=50) or {"id": 9000 + i} for i in range(60)]
    page = {"tickets": tickets, "count": 60, "next_page": None,
            "metric_sets": [{"id": i, "ticket_id": t["id"], "reopens": i % 3,
                             "reply_time_in_minutes": {"calendar": i}}
                            for i, t in enumerate(tickets)],
            "users": [{"id": 50 + k, "name": f"User {k}"} for k in range(4)],
            "groups": [{"id": 7, "name": "Desk"}, {"id": 8, "name": "Network"}],
            "brands": [{"id": 1, "name": "Main"}]}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page, indent=1), encoding="utf-8")
    got = tables(path)
    assert helped.answered() and helped.all_reaped()
    assert 60 - helped.answers[0][2] <= 50  # the late keys are first seen by the helper
    same_tables(got, _alone(path, monkeypatch))
    frame = got[0][0]
    assert {"metric_set.reopens", "requester.name", "group.name"} <= set(frame.columns)
    assert frame["group.name"].dropna().isin(["Desk", "Network"]).all()


_CELL = st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["", " a ", "é", "x"])
_RECORD = st.dictionaries(
    st.sampled_from(["id", "a", "b", "c.d", "via"]),
    _CELL | st.lists(_CELL, max_size=2)
    | st.dictionaries(st.sampled_from(["x", "y"]), _CELL, max_size=2), max_size=4)


# each example starts a helper process: a few dozen show the cut anywhere in the records
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_RECORD, min_size=2, max_size=12), st.booleans())
def test_any_records_cut_anywhere_are_the_records_of_one_process(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        helped: _Spy, records: list[dict[str, Any]], as_page: bool) -> None:
    path = tmp_path_factory.mktemp("cut") / "t.json"
    if as_page:
        path.write_text(json.dumps({"tickets": records}), encoding="utf-8")
    else:
        _ndjson(path, records)
    share = len(records) and (len(records) - 1) / len(records)  # the helper: one record
    with monkeypatch.context() as patch:
        patch.setattr(jsonworker, "OWN_SHARE", share)
        got = tables(path)
    same_tables(got, _alone(path, monkeypatch))


@pytest.mark.parametrize(("late", "wanted"), [
    ("[1, 2]", "not a JSON object"),                      # a line that is no object
    ('{"id": 99, "x": ', "not valid JSON"),              # a corrupt line
    ('{"a": ' * 20 + "1" + "}" * 20, "nests objects"),   # nested too deep for a record
    ('{"id": 98} {"id": 99}', "Extra data"),             # two values on one line
])
def test_a_refusal_in_the_helpers_part_is_the_refusal_of_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helped: _Spy, late: str,
        wanted: str) -> None:
    path = tmp_path / "t.ndjson"
    lines = [json.dumps(_ticket(i)) for i in range(40)] + [late]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = tables(path)
    assert helped.answers == [None] and helped.all_reaped()  # the helper refused its part
    same_tables(got, _alone(path, monkeypatch))
    assert isinstance(got, str) and wanted in got
    page = tmp_path / "page.json"
    page.write_text('{"tickets": [' + ",".join([*lines[:40], '"no object"']) + "]}",
                    encoding="utf-8")
    same_tables(tables(page), _alone(page, monkeypatch))


def test_a_refusal_in_the_readers_part_stops_the_helper(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helped: _Spy) -> None:
    # the reader's own records refused while the helper works: the same error as one
    # process, and the helper stopped without its answer being awaited
    lines = [json.dumps(_ticket(i)) for i in range(40)]
    lines[3] = "[1, 2]"
    path = tmp_path / "t.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = tables(path)
    assert len(helped.helpers) == 1 and helped.answers == [] and helped.all_reaped()
    assert isinstance(got, str) and "record 4 is not a JSON object" in got
    same_tables(got, _alone(path, monkeypatch))


@pytest.mark.parametrize("where", [2, 38])
@pytest.mark.parametrize("page", [False, True])
def test_nesting_too_deep_is_the_files_refusal_with_a_helper_at_hand(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helped: _Spy, where: int,
        page: bool) -> None:
    # nesting past the depth guard's limit anywhere, in what would be the reader's part
    # or the helper's: the file's refusal, as in one process (the guard measures the
    # whole file before any record is parsed, so no helper is awaited)
    records: list[Any] = [_ticket(i) for i in range(40)]
    deep: Any = 1
    for _ in range(80):
        deep = [deep]
    records[where] = {"id": 1, "deep": deep}
    path = tmp_path / "t.json"
    if page:
        path.write_text(json.dumps({"tickets": records}), encoding="utf-8")
    else:
        _ndjson(path, records)
    got = tables(path)
    assert isinstance(got, str) and "nested too deeply to be a ticket export (8" in got
    assert got == _alone(path, monkeypatch)


@pytest.mark.parametrize("boot", [
    "raise SystemExit(3)",                                     # a crash
    "import sys; sys.stdout.write('not an Arrow stream')",     # garbage, exit status 0
    # a whole stream that says a row count its table does not have
    "import sys, pyarrow as pa; t = pa.table({'id': pa.array(['1'], pa.large_string())})"
    ".replace_schema_metadata({b'rows': b'7'}); w = pa.ipc.new_stream(sys.stdout.buffer, "
    "t.schema); w.write_table(t); w.close()",
    # columns without the rows the stream says it read
    "import sys, pyarrow as pa; t = pa.table({'id': pa.array([], pa.large_string())})"
    ".replace_schema_metadata({b'rows': b'16'}); w = pa.ipc.new_stream(sys.stdout.buffer, "
    "t.schema); w.write_table(t); w.close()",
    # a stream of columns that are not text
    "import sys, pyarrow as pa; t = pa.table({'id': pa.array([1])})"
    ".replace_schema_metadata({b'rows': b'1'}); w = pa.ipc.new_stream(sys.stdout.buffer, "
    "t.schema); w.write_table(t); w.close()",
])
def test_a_helper_without_a_whole_answer_leaves_its_records_to_the_reader(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helped: _Spy, boot: str) -> None:
    path = _ndjson(tmp_path / "t.ndjson", [_ticket(i) for i in range(40)])
    monkeypatch.setattr(jsonworker, "_BOOT", boot)
    got = tables(path)
    assert helped.answers == [None] and helped.all_reaped()
    same_tables(got, _alone(path, monkeypatch))
    assert len(got[0][0]) == 40


def test_a_stalled_helper_is_stopped_and_its_records_read_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helped: _Spy) -> None:
    path = _ndjson(tmp_path / "t.ndjson", [_ticket(i) for i in range(40)])
    monkeypatch.setattr(jsonworker, "_BOOT", "import time; time.sleep(60)")
    monkeypatch.setattr(jsonworker, "MIN_WAIT", 0.5)
    monkeypatch.setattr(jsonworker, "WAIT_FACTOR", 0.0)
    got = tables(path)
    assert helped.answers == [None] and helped.all_reaped()
    assert helped.helpers[0].proc.returncode != 0  # killed, not finished
    same_tables(got, _alone(path, monkeypatch))


def test_an_import_path_holding_a_path_object_still_starts_the_helper(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helped: _Spy) -> None:
    # sys.path.append(Path(...)) is legal (and ignored by imports): not a reason to fail
    path = _ndjson(tmp_path / "t.ndjson", [_ticket(i) for i in range(40)])
    monkeypatch.setattr(sys, "path", [*sys.path, tmp_path])
    got = tables(path)
    assert helped.answered()
    same_tables(got, _alone(path, monkeypatch))


def test_no_helper_when_none_can_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       helped: _Spy) -> None:
    path = _ndjson(tmp_path / "t.ndjson", [_ticket(i) for i in range(40)])
    with monkeypatch.context() as patch:
        patch.setattr(sys, "executable", str(tmp_path / "no-python-here"))
        got = tables(path)
    assert helped.answers == []  # nothing started, nothing awaited
    same_tables(got, _alone(path, monkeypatch))


def test_no_helper_when_no_thread_can_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            helped: _Spy) -> None:
    # the process started, the threads that feed and read it did not: it is stopped
    import threading

    started: list[jsonworker.Helper] = []
    real_start = jsonworker.Helper.start.__func__  # type: ignore[attr-defined]

    def start(cls: type[jsonworker.Helper], *args: Any) -> Any:
        got = real_start(cls, *args)
        started.append(got)
        return got

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    path = _ndjson(tmp_path / "t.ndjson", [_ticket(i) for i in range(40)])
    procs: list[Any] = []
    real_popen = jsonworker.subprocess.Popen

    def popen(*args: Any, **kwargs: Any) -> Any:
        procs.append(real_popen(*args, **kwargs))
        return procs[-1]

    with monkeypatch.context() as patch:
        patch.setattr(jsonworker.Helper, "start", classmethod(start))
        patch.setattr(jsonworker.subprocess, "Popen", popen)
        patch.setattr(threading.Thread, "start", refuse)
        got = tables(path)
    assert started == [None] and helped.answers == []
    assert len(procs) == 1 and procs[0].returncode is not None  # stopped and reaped
    same_tables(got, _alone(path, monkeypatch))


def test_no_helper_for_one_cpu_or_a_small_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ITSM_DIAG_THREADS", raising=False)
    monkeypatch.setattr(cpus, "usable", lambda: 2)
    assert jsonworker.wanted(jsonworker.MIN_BYTES)
    assert not jsonworker.wanted(jsonworker.MIN_BYTES - 1)
    monkeypatch.setattr(cpus, "usable", lambda: 1)
    assert not jsonworker.wanted(jsonworker.MIN_BYTES)
    monkeypatch.setattr(cpus, "usable", lambda: 8)
    monkeypatch.setenv("ITSM_DIAG_THREADS", "1")
    assert not jsonworker.wanted(jsonworker.MIN_BYTES)
    assert cpus.wanted(4) == 1
    monkeypatch.setenv("ITSM_DIAG_THREADS", "three")  # not a number: the CPUs decide
    assert cpus.wanted(4) == 4 and cpus.wanted(2) == 2
    assert jsonworker.wanted(jsonworker.MIN_BYTES)
    monkeypatch.setattr(sys, "frozen", True, raising=False)  # a bundled application
    assert not jsonworker.wanted(jsonworker.MIN_BYTES)


def _wanted_in_this_process() -> bool:
    return jsonworker.wanted(jsonworker.MIN_BYTES)


def test_batch_workers_read_big_json_without_a_helper(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # batch's pool runs a client a CPU: its workers start no helper of their own (a
    # spawned worker with the pool's initializer says so), the batch itself still works
    import multiprocessing
    import shutil
    from concurrent.futures import ProcessPoolExecutor

    from itsm_diag import api, batch

    monkeypatch.delenv("ITSM_DIAG_THREADS", raising=False)
    seen: dict[str, Any] = {}
    real_pool = batch.ProcessPoolExecutor

    def pool(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(batch, "ProcessPoolExecutor", pool)
    root = tmp_path / "clients"
    for name in ("acme", "globex"):
        shutil.copytree(Path("samples/zendesk"), root / name)
    rows = batch.run(root, tmp_path / "out", api.RunOptions(), "json", jobs=2)
    assert [r.error for r in rows] == [None, None]
    assert seen["initializer"] is jsonworker.turn_off
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=seen["initializer"]) as p:
        assert p.submit(_wanted_in_this_process).result() is False
    with ProcessPoolExecutor(1, mp_context=context) as p:  # without it: a big file would
        assert p.submit(_wanted_in_this_process).result() is (cpus.wanted(2) >= 2)


def test_the_helper_imports_nothing_from_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helped: _Spy) -> None:
    # an export's folder holding Python files: the helper runs isolated (-I) on the
    # reader's own import path, so what the folder holds is never imported
    marker = tmp_path / "imported"
    for name in ("json", "msgspec", "pyarrow", "itsm_diag"):
        (tmp_path / f"{name}.py").write_text(
            f"open({str(marker)!r}, 'a').write({name!r})\n", encoding="utf-8")
    path = _ndjson(tmp_path / "t.ndjson", [_ticket(i) for i in range(40)])
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", os.getcwd())])
    got = tables(path)
    assert helped.answered()
    assert not marker.exists()
    same_tables(got, _alone(path, monkeypatch))
