"""Review 18, defects 1 and 2: a caller's own DataFrame goes through one documented entry,
``api.diagnose_frames``, read as the files are: typed as the model types it, a repeated
ticket id kept once (it was counted as more tickets and flipped trust: 4,000 tickets
diagnosed as 4,300, duplicate share 0 -> 19.1%), and what it cannot read refused with a
typed error naming the column (it failed deep in pandas, or as an untyped ModelError).
The caller's frames are never changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.errors import InputError, ItsmDiagError, UsageError
from itsm_diag.render.json import render
from itsm_diag.signs.base import input_file

SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "servicenow"
STR = [c for c, f in m.TICKET_SCHEMA.items() if f == "string"]
CAT = [c for c, f in m.TICKET_SCHEMA.items() if f.startswith("category")]
TS = list(m.TIMESTAMP_COLUMNS)


@pytest.fixture(scope="module")
def file_route() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """The sample's tickets and events as the importers read them, and the file route's
    report."""
    loaded = api._load([SAMPLE], api.RunOptions())
    report = json.loads(render(api.diagnose_paths([SAMPLE], api.RunOptions())))
    return loaded.tickets, loaded.events, report


def _same(frame: pd.DataFrame, before: pd.DataFrame) -> bool:
    return bool(frame.equals(before) and frame.index.equals(before.index)
                and list(frame.dtypes) == list(before.dtypes)
                and list(frame.columns) == list(before.columns))


def _without_inputs(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "inputs"}


VARIANTS: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] = {
    "as_read": lambda t: t,
    "object_text": lambda t: t.astype({c: object for c in STR}),
    "python_strings": lambda t: t.astype({c: "string[python]" for c in STR}),
    "naive_utc": lambda t: t.assign(**{c: t[c].dt.tz_localize(None) for c in TS}),
    "naive_ns": lambda t: t.assign(**{c: t[c].dt.tz_localize(None).astype("datetime64[ns]")
                                      for c in TS}),
    "aware_berlin": lambda t: t.assign(**{c: t[c].dt.tz_convert("Europe/Berlin")
                                          for c in TS}),
    "categories_as_object": lambda t: t.astype({c: object for c in CAT}),
    "categories_reordered": lambda t: t.assign(kind=t["kind"].cat.reorder_categories(
        list(t["kind"].cat.categories)[::-1])),
    "plain_numbers": lambda t: t.assign(**{c: t[c].astype("float64") for c in (
        m.PRIORITY, m.REASSIGNMENT_COUNT, m.REOPEN_COUNT, m.TIME_SPENT_HOURS)}),
    "empty_columns_left_out": lambda t: t.drop(columns=[c for c in t.columns
                                                        if t[c].isna().all()]),
    "extra_column": lambda t: t.assign(my_note="x"),
    "non_range_index": lambda t: t.set_index(pd.Index(np.arange(len(t)) * 3 + 7)),
    "ticket_id_also_index": lambda t: t.set_index(t[m.TICKET_ID].astype(object),
                                                  drop=False),
    "slice": lambda t: pd.concat([t, t.iloc[:0]]).iloc[:],
    "columns_reordered": lambda t: t[list(t.columns)[::-1]],
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_frame_gives_the_file_routes_report(file_route, variant: str) -> None:
    tickets, events, expected = file_route
    frame = VARIANTS[variant](tickets.copy(deep=True))
    before, events_before = frame.copy(deep=True), events.copy(deep=True)
    got = json.loads(render(api.diagnose_frames(frame, events, api.RunOptions())))
    assert _without_inputs(got) == _without_inputs(expected)
    # one input per source file, as the files were read
    assert [(i["path"], i["tool"], i["rows"]) for i in got["inputs"]] == [
        (input_file(i["path"]), i["tool"], i["rows"]) for i in expected["inputs"]]
    assert (got["score"], got["tickets"]["total"]) == (4, 2500)
    assert _same(frame, before) and _same(events, events_before)


def test_repeated_ticket_ids_are_kept_once(file_route) -> None:
    tickets, events, expected = file_route
    incidents = tickets[tickets[m.KIND] == "incident"]
    frame = pd.concat([tickets, incidents.iloc[-300:]], ignore_index=True)
    before = frame.copy(deep=True)
    got = json.loads(render(api.diagnose_frames(frame, events)))
    # before: conform_tickets + engine.diagnose counted every row (2,800 tickets)
    assert got["tickets"] == expected["tickets"]
    assert got["tickets"]["total"] == 2500
    assert (got["score"], got["band"]) == (expected["score"], expected["band"])
    trust = {s["id"]: s for s in got["signs"]}["trust"]
    trust_file = {s["id"]: s for s in expected["signs"]}["trust"]
    assert trust["status"] == trust_file["status"]
    assert trust["metrics"]["duplicate_share"]["value"] == pytest.approx(
        trust_file["metrics"]["duplicate_share"]["value"])
    for a, b in zip(got["signs"], expected["signs"], strict=True):
        assert a["status"] == b["status"], a["id"]
        for key, metric in b["metrics"].items():
            if isinstance(metric, dict) and isinstance(metric.get("value"), float):
                assert a["metrics"][key]["value"] == pytest.approx(metric["value"],
                                                                  rel=1e-9), key
    # the file route's note, from the same code (registry.combine)
    assert got["data_notes"][0].startswith(
        "300 ticket ids appear in more than one input row")
    assert "(300 other rows dropped)" in got["data_notes"][0]
    assert _same(frame, before)


def test_naive_times_are_read_in_the_runs_zone(file_route) -> None:
    """A naive time is a wall-clock time in ``tz``, as an export's is under --tz."""
    options = api.RunOptions(tz="Europe/Berlin")
    loaded = api._load([SAMPLE], options)
    expected = json.loads(render(api.diagnose_paths([SAMPLE], options)))
    frame = loaded.tickets.assign(**{c: loaded.tickets[c].dt.tz_convert(
        "Europe/Berlin").dt.tz_localize(None) for c in TS})
    got = json.loads(render(api.diagnose_frames(frame, loaded.events, options)))
    assert _without_inputs(got) == _without_inputs(expected)
    assert got["window"] == expected["window"]


def test_two_tools_are_kept_apart_as_files_are() -> None:
    jira = SAMPLE.parent / "jira"
    expected = json.loads(render(api.diagnose_paths([jira, SAMPLE], api.RunOptions())))
    frames = [api._load([p], api.RunOptions()) for p in (jira, SAMPLE)]
    tickets = pd.concat([f.tickets for f in frames], ignore_index=True)
    events = pd.concat([f.events for f in frames], ignore_index=True)
    got = json.loads(render(api.diagnose_frames(tickets, events)))
    assert got["tickets"] == expected["tickets"]
    assert [(s["id"], s["status"]) for s in got["signs"]] == [
        (s["id"], s["status"]) for s in expected["signs"]]
    assert got["score"] == expected["score"]
    assert any("source:id" in n for n in got["data_notes"])


def _small() -> pd.DataFrame:
    return pd.DataFrame({
        "ticket_id": ["INC1", "INC2"], "kind": ["incident", "request"],
        "status": ["closed", "open"],
        "opened_at": pd.to_datetime(["2026-03-02 09:00", "2026-03-03 10:00"], utc=True),
        "priority": [1, 3],
    })


REFUSED: dict[str, tuple[Callable[[pd.DataFrame], object], type, str | None, str]] = {
    # name: (make the frame, error class, column, words the message or hint holds)
    "status_outside_vocabulary": (lambda t: t.assign(status=["Closed", "open"]),
                                  InputError, "status", "resolved, closed, cancelled"),
    "kind_outside_vocabulary": (lambda t: t.assign(kind=["Incident", "request"]),
                                InputError, "kind", "incident, request, change"),
    "times_as_text": (lambda t: t.assign(opened_at=["2026-03-02", "2026-03-03"]),
                      InputError, "opened_at", "pandas.to_datetime"),
    "priority_as_words": (lambda t: t.assign(priority=["high", "low"]), InputError,
                          "priority", "whole numbers"),
    "sla_as_words": (lambda t: t.assign(sla_met=["yes", "no"]), InputError, "sla_met",
                     "True or False"),
    "missing_id": (lambda t: t.assign(ticket_id=["INC1", None]), InputError, "ticket_id",
                   "1 row of the tickets frame has no ticket id"),
    "no_kind_column": (lambda t: t.drop(columns=["kind"]), InputError, "kind",
                       "ticket_id, kind, status, opened_at"),
    "no_opened_column": (lambda t: t.drop(columns=["opened_at"]), InputError, "opened_at",
                         "ticket_id, kind, status, opened_at"),
    "column_twice": (lambda t: pd.concat([t, t[["status"]]], axis=1), InputError,
                     "status", "twice"),
    "column_name_not_text": (lambda t: t.assign(**{"x": 1}).rename(columns={"x": 3}),
                             InputError, "3", "must be text"),
    "no_rows": (lambda t: t.iloc[:0], InputError, None, "no rows"),
    "not_a_frame": (lambda t: t.to_dict("records"), UsageError, None, "not list"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_what_cannot_be_read_is_a_typed_error_naming_the_column(case: str) -> None:
    make, kind, column, words = REFUSED[case]
    frame = make(_small())
    with pytest.raises(kind) as caught:
        api.diagnose_frames(frame)  # type: ignore[arg-type]
    exc = caught.value
    assert isinstance(exc, ItsmDiagError)  # what the command line and a host catch
    assert exc.column == column
    assert exc.hint
    assert words in str(exc)
    assert "\n" not in str(exc)


def test_events_frame_is_checked_too() -> None:
    events = pd.DataFrame({"ticket_id": ["INC1"], "at": pd.to_datetime(["2026-03-02"]),
                           "kind": ["comment"], "mood": ["good"]})
    with pytest.raises(InputError) as caught:
        api.diagnose_frames(_small(), events)
    assert caught.value.column == "mood"
    with pytest.raises(InputError) as caught:
        api.diagnose_frames(_small(), events.drop(columns=["mood"]).assign(kind=["note"]))
    assert caught.value.column == "kind" and "comment, status" in str(caught.value)


@pytest.mark.parametrize("option", [{"mapping": "glpi"}, {"source": "jira"},
                                    {"date_format": "dayfirst"}, {"max_file_mb": 5.0}])
def test_file_options_are_refused_for_frames(option: dict) -> None:
    with pytest.raises(UsageError, match="diagnose_frames reads the canonical columns"):
        api.diagnose_frames(_small(), options=api.RunOptions(**option))
