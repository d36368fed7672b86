"""A sampled export (review 13, #2).

Recurring clusters and duplicate pairs are counts of groups of tickets: a sample of a
fraction f keeps a pair with the chance f squared, and an every-10th sample of a desk
whose recurrence and trust triggered read both "clear, high" (score 2 -> 0, HEALTHY),
with no word. Ticket numbers of one sequence that step by one k >= 2 between nearly
all neighbours are now a shape (``every_nth``): recurrence is unknown and trust's
duplicate share is not measured, each with the numbers; a whole export, a random
sample and a numbering with holes are no such shape.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag import model as m
from itsm_diag.report import Report
from itsm_diag.signs import shape
from itsm_diag.writers.servicenow import write_servicenow


def _finding(report: Report, sign: str) -> Any:
    return next(s for s in [*report.signs, *report.checks] if s.id == sign)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A healthy desk (whose incidents name their problems) plus 40 recurring clusters
    of five incidents with no problem record, as the reviewer's ``mkrec.py`` made it,
    exported whole and as every 10th row of each table (``iloc[::10]``)."""
    root = tmp_path_factory.mktemp("sampled")
    data = synth.generate(12000, seed=11, end="2026-09-30", weeks=26,
                          conditions=synth.Conditions.none())
    whole = root / "whole"
    whole.mkdir()
    write_servicenow(data.tickets, data.events, whole, style="field", fmt="csv")
    incidents = pd.read_csv(whole / "incident.csv", dtype=str, keep_default_na=False)
    opened = pd.to_datetime(incidents["opened_at"])
    candidates = incidents.index[(opened >= "2026-07-05") & (opened <= "2026-09-20")]
    picked = np.random.default_rng(3).choice(candidates, size=200, replace=False)
    for k in range(40):
        rows = picked[k * 5:(k + 1) * 5]
        incidents.loc[rows, ["cmdb_ci", "category", "subcategory", "problem_id"]] = [
            f"APP-{k:03d}", "Software", "Error message", ""]
    incidents.to_csv(whole / "incident.csv", index=False)
    nth = root / "nth10"
    nth.mkdir()
    for path in whole.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.iloc[::10].to_csv(nth / path.name, index=False)
    return {"whole": whole, "nth10": nth}


@pytest.fixture(scope="module")
def reports(exports: dict[str, Path]) -> dict[str, Report]:
    return {name: api.diagnose_paths([path], api.RunOptions())
            for name, path in exports.items()}


def test_the_whole_export_triggers_recurrence_and_names_no_sample(
        reports: dict[str, Report]) -> None:
    whole = reports["whole"]
    assert _finding(whole, "recurrence").status == "triggered"
    assert "every_nth" not in whole.extract_shape
    trust = _finding(whole, "trust")
    assert any(row["signal"] == "duplicate_share" and row["value"] is not None
               for row in trust.evidence.tables["signals"])


def test_an_every_10th_sample_is_named_and_recurrence_is_unknown(
        reports: dict[str, Report]) -> None:
    sample = reports["nth10"]
    assert _finding(sample, "recurrence").status == "unknown"  # was "clear, high"
    nth = sample.extract_shape["every_nth"]
    assert nth["step"] == 10 and nth["prefix"] == "INC"
    assert nth["at_step"] >= 0.95 * nth["gaps"] >= 50
    note = next(n for n in sample.data_notes if "step by exactly 10" in n)
    assert f"over {nth['at_step']:,} of their {nth['gaps']:,} gaps" in note
    # how much of the export the stepped numbers hold: all of it here
    assert nth["sampled"] == nth["scope"] > 0
    assert (f"the numbers that step so hold {nth['sampled']:,} of the export's "
            f"{nth['scope']:,} incidents and requests") in " ".join(note.split())
    recurrence = _finding(sample, "recurrence")
    assert recurrence.status == "unknown"  # was "clear, high"
    assert "sample of one ticket in 10" in recurrence.reason
    trust = _finding(sample, "trust")
    duplicates = next(row for row in trust.evidence.tables["signals"]
                      if row["signal"] == "duplicate_share")
    assert duplicates["value"] is None
    assert any("Duplicates not measured" in e.text and "step by exactly 10" in e.text
               for e in trust.evidence.excluded)
    # a share of tickets with a chaser is no pair: it is still measured
    assert any(row["signal"] == "chaser_share" and row["value"] is not None
               for row in trust.evidence.tables["signals"])


def _frame(ids: list[str], source: str = "servicenow") -> tuple[pd.DataFrame, np.ndarray]:
    n = len(ids)
    frame = pd.DataFrame({
        m.TICKET_ID: pd.Series(ids, dtype=m.STRING_DTYPE),
        m.SOURCE_TOOL: pd.Categorical([source] * n),
        m.ASSIGNMENT_GROUP: pd.Series(["A", "B"] * (n // 2) + ["A"] * (n % 2),
                                      dtype=m.STRING_DTYPE),
        m.CHANNEL: pd.Categorical(["portal", "phone"] * (n // 2) + ["portal"] * (n % 2),
                                  categories=m.CHANNELS),
    })
    return frame, np.ones(n, dtype=bool)


def test_every_nth_is_read_from_the_numbers_in_any_order() -> None:
    rng = np.random.default_rng(3)
    numbers = np.arange(10_001, 10_001 + 2_000 * 7, 7)
    numbers[500:] += 1  # one hole in the numbering: one gap of 8
    ids = [f"RITM{x:07d}" for x in rng.permutation(numbers)]
    seen = shape._every_nth(*_frame(ids))
    assert seen is not None
    assert (seen.step, seen.at_step, seen.gaps, seen.prefix) == (7, 1_998, 1_999, "RITM")
    assert (seen.first, seen.last) == (f"RITM{numbers[0]:07d}", f"RITM{numbers[-1]:07d}")


@pytest.mark.parametrize("numbers", [
    np.arange(1, 3_001),  # a whole export
    np.sort(np.random.default_rng(5).choice(np.arange(1, 30_001), 3_000, replace=False)),
    np.arange(1, 50 * 10, 10),  # 49 gaps only: 50 tickets
    np.concatenate([np.arange(1, 600, 10), np.arange(600, 700)]),  # 60 of 159 at 10
])
def test_no_every_nth_without_one_step_over_nearly_every_gap(numbers: np.ndarray) -> None:
    assert shape._every_nth(*_frame([f"INC{x:07d}" for x in numbers])) is None


def test_sequences_are_read_apart_by_prefix_and_length() -> None:
    # Jira keys grow in length (SD-9, SD-10); two tables' numbers interleave in the file
    ids = [f"SD-{x}" for x in range(1, 3_000, 3)] + [f"INC{x:07d}" for x in range(1, 800)]
    seen = shape._every_nth(*_frame(ids, "jira"))
    assert seen is not None and (seen.prefix, seen.step, seen.gaps) == ("SD-", 3, 999)


# review rd13a #2: a sequence's gaps over all its rows; a sampled minority marks nothing

JIRA_SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "jira" / "jira_1.csv"


def test_sub_tasks_between_the_requests_are_no_sample() -> None:
    # a service-desk project whose automation makes a sub-task after every request:
    # the requests' keys step by 2, the sub-tasks (kind task, out of scope) fill them
    frame, _ = _frame([f"ITSM-{x}" for x in range(1, 2_401)], "jira")
    scope = np.arange(2_400) % 2 == 0
    assert shape._every_nth(frame, scope) is None  # was "one ticket in 2"
    # the same requests with their sub-tasks left out of the file are a sample
    seen = shape._every_nth(frame.iloc[::2].reset_index(drop=True), np.ones(1_200, bool))
    assert seen is not None and seen.step == 2


def test_a_jira_export_with_interleaved_sub_tasks_names_no_sample(
        tmp_path: Path) -> None:
    import csv

    with JIRA_SAMPLE.open(newline="", encoding="utf-8") as fh:
        head, *body = list(csv.reader(fh))
    kind, key, num = (head.index(c) for c in ("Issue Type", "Issue key", "Issue id"))
    summary = head.index("Summary")
    rows: list[list[str]] = []
    for row in body:
        if row[kind] not in ("Incident", "Service Request"):
            continue
        sub = list(row)
        sub[kind], sub[summary] = "Sub-task", f"Approval: {row[summary]}"
        rows += [list(row), sub]
    for i, row in enumerate(rows, start=1):
        row[key], row[num] = f"ITSM-{i}", str(10_000 + i)
    assert len(rows) > 2 * 300
    folder = tmp_path / "jsub"
    folder.mkdir()
    with (folder / "jira.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([head, *rows])
    report = api.diagnose_paths([folder], api.RunOptions())
    assert "every_nth" not in report.extract_shape  # was "one ticket in 2"
    assert not any("step by exactly" in n for n in report.data_notes)
    trust = _finding(report, "trust")
    assert any(row["signal"] == "duplicate_share" and row["value"] is not None
               for row in trust.evidence.tables["signals"])


def test_a_small_stepped_second_sequence_leaves_the_export_whole() -> None:
    # 3,000 incidents numbered whole, and 100 requests of a second tool in steps of 2
    whole, _ = _frame([f"INC{x:07d}" for x in range(1, 3_001)])
    side, _ = _frame([f"SD-{x}" for x in range(2, 202, 2)], "jira")
    both = pd.concat([whole, side], ignore_index=True)
    both[m.SOURCE_TOOL] = pd.Categorical(both[m.SOURCE_TOOL].astype(str))
    assert shape._every_nth(both, np.ones(len(both), dtype=bool)) is None
    # the side sequence alone is a sample, and it is named when it is most of the scope
    seen = shape._every_nth(both, np.arange(len(both)) >= 2_950)
    assert seen is not None and (seen.prefix, seen.step) == ("SD-", 2)


def test_a_stepped_second_prefix_leaves_recurrence_measured(
        exports: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "second_prefix"
    folder.mkdir()
    for path in exports["whole"].glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        if path.name == "sc_req_item.csv":  # 80 requests of a second numbering, by 2
            frame.loc[:79, "number"] = [f"REQ{x:07d}" for x in range(2, 162, 2)]
        frame.to_csv(folder / path.name, index=False)
    report = api.diagnose_paths([folder], api.RunOptions())
    assert "every_nth" not in report.extract_shape  # was REQ... "one ticket in 2"
    assert _finding(report, "recurrence").status == "triggered"
    trust = _finding(report, "trust")
    assert any(row["signal"] == "duplicate_share" and row["value"] is not None
               for row in trust.evidence.tables["signals"])


def test_an_incident_table_sampled_beside_whole_requests_is_named() -> None:
    # rd13c: every 10th incident (625) beside 3,479 whole requests read 15% of the export
    # and went unnamed, recurrence "clear" on 33 of 86 clusters; weighed as what it was
    # cut from (6,250) it is most of it
    ids = ([f"INC{x:07d}" for x in range(10, 6_260, 10)]
           + [f"RITM{x:07d}" for x in range(1, 3_480)])
    seen = shape._every_nth(*_frame(ids))
    assert seen is not None and (seen.prefix, seen.step) == ("INC", 10)
    assert (seen.sampled, seen.scope) == (625, 625 + 3_479)
    # ... while 80 requests in steps of 2 beside 3,000 whole incidents stand for 160
    ids = [f"INC{x:07d}" for x in range(1, 3_001)] + [f"REQ{x:07d}" for x in range(2, 162, 2)]
    assert shape._every_nth(*_frame(ids)) is None

