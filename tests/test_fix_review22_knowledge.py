"""knowledge: an input without the knowledge field is no evidence of "no article"
(review 22d, finding 1), and the per-file grouping of sources it rests on.

Two ServiceNow incident lists of two teams: the EU list holds the ``knowledge`` flag
(about 40% ``true``), the US list view has no Knowledge column. Presence was judged once
over the whole run, so the 895 US incidents counted as "without article": 16% of 1,493,
triggered at high confidence, where the one file that can show a reference reads 234 of
598 = 39%, clear. Presence is now judged per input (tool and file): the US incidents are
left out, counted by file in a note. A Jira export without the custom field beside the
ServiceNow list is left out the same way.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from casekit import context_over
from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.report import Finding, Report
from itsm_diag.signs.common import sla_outcome
from shapes import sn_incident_rows

_WINDOW = {"since": "2026-07-01", "until": "2026-09-30"}


def _incidents(n: int, rng: np.random.Generator, base: int = 0) -> pd.DataFrame:
    """A ServiceNow incident list export (the review's ``sn_rows``)."""
    return sn_incident_rows(n, rng, base)


def _knowledge(report: Report) -> Finding:
    return next(c for c in report.checks if c.id == "knowledge")


def _recount(eu: pd.DataFrame) -> tuple[int, int]:
    """(with an article, resolved in the window) over the file that holds the field."""
    done = pd.to_datetime(eu["resolved_at"]) < pd.Timestamp("2026-10-01")
    return int((done & eu["knowledge"].eq("true")).sum()), int(done.sum())


@pytest.fixture(scope="module")
def two_lists(tmp_path_factory: pytest.TempPathFactory
              ) -> tuple[pd.DataFrame, Report, Report]:
    folder = tmp_path_factory.mktemp("kb")
    rng = np.random.default_rng(3)
    eu = _incidents(600, rng)
    eu["knowledge"] = np.where(rng.random(600) < 0.40, "true", "false")
    us = _incidents(900, rng, base=100000)  # a list view without the Knowledge column
    eu.to_csv(folder / "eu_incident.csv", index=False)
    us.to_csv(folder / "us_incident.csv", index=False)
    both = api.diagnose_paths([folder / "eu_incident.csv", folder / "us_incident.csv"],
                              api.RunOptions(**_WINDOW))
    alone = api.diagnose_paths([folder / "eu_incident.csv"], api.RunOptions(**_WINDOW))
    return eu, both, alone


def test_a_list_without_the_column_is_left_out_not_read_as_no_article(
        two_lists: tuple[pd.DataFrame, Report, Report]) -> None:
    eu, both, _ = two_lists
    with_article, resolved = _recount(eu)
    assert (with_article, resolved) == (234, 598)
    check = _knowledge(both)
    share = check.metrics["knowledge_share"]
    # was 234 / 1,493 = 16%, triggered
    assert (share.numerator, share.denominator) == (with_article, resolved)
    assert share.value == pytest.approx(0.3913, abs=1e-4)
    assert check.status == "clear"
    assert check.metrics["without_article"].value == resolved - with_article
    note = next(n for n in check.evidence.excluded if n.code == "no_field_files")
    assert note.count == 895
    assert "us_incident.csv: 895" in note.text
    assert "eu_incident.csv" not in note.text


def test_the_file_with_the_field_reads_alike_alone_and_beside_the_other(
        two_lists: tuple[pd.DataFrame, Report, Report]) -> None:
    _, both, alone = two_lists
    a, b = _knowledge(alone), _knowledge(both)
    assert a.status == b.status == "clear"
    assert a.metrics["knowledge_share"].value == b.metrics["knowledge_share"].value
    assert not [n for n in a.evidence.excluded if n.code == "no_field_files"]


def test_a_jira_export_without_the_field_is_left_out(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    sn = _incidents(600, rng)
    sn["knowledge"] = np.where(rng.random(600) < 0.40, "true", "false")
    sn.to_csv(tmp_path / "incident.csv", index=False)
    n = 600
    created = (pd.Timestamp("2026-07-01")
               + pd.to_timedelta(rng.uniform(0, 85 * 86400, n), unit="s")).floor("s")
    jira = pd.DataFrame({
        "Issue key": [f"ITSD-{i + 1}" for i in range(n)],
        "Issue Type": "Incident",
        "Summary": [f"VPN drops every hour on laptop {i}" for i in range(n)],
        "Status": "Done",
        "Status Category": "Done",
        "Priority": "Medium",
        "Created": created.strftime("%d/%b/%y %I:%M %p"),
        "Resolved": (created + pd.Timedelta(hours=5)).strftime("%d/%b/%y %I:%M %p"),
        "Updated": (created + pd.Timedelta(hours=5)).strftime("%d/%b/%y %I:%M %p"),
        "Resolution": "Done",
        "Reporter": "Pat Person",
        "Assignee": "Ann Agent",
        "Custom field (Request Type)": "Get IT help",
    })
    jira.to_csv(tmp_path / "jira.csv", index=False)
    report = api.diagnose_paths([tmp_path / "incident.csv", tmp_path / "jira.csv"],
                                api.RunOptions(**_WINDOW))
    check = _knowledge(report)
    with_article, resolved = _recount(sn)
    share = check.metrics["knowledge_share"]
    # was 234 / 1,198 = 19.5%, triggered
    assert (share.numerator, share.denominator) == (with_article, resolved)
    assert check.status == "clear"
    note = next(n for n in check.evidence.excluded if n.code == "no_field_files")
    assert "jira.csv" in note.text and note.count > 0


# ---- the per-file grouping every check can use -----------------------------------------


def _tickets(files: list[str], tools: list[str], ref: list[str | None]) -> pd.DataFrame:
    n = len(files)
    return m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: [f"T{i}" for i in range(n)],
        m.KIND: "incident",
        m.STATUS: "closed",
        m.OPENED_AT: pd.Timestamp("2024-01-05", tz="UTC"),
        m.SOURCE_TOOL: tools,
        m.SOURCE_FILE: files,
        m.KNOWLEDGE_REF: ref,
    }))


def test_source_holds_per_file_splits_two_exports_of_one_tool() -> None:
    t = _tickets(["a.csv", "a.csv", "b.csv", "b.csv", "c.csv"],
                 ["servicenow"] * 4 + ["jira"], ["KB1", None, None, None, None])
    ctx = context_over(t)
    by_tool = ctx.source_holds(m.KNOWLEDGE_REF)
    by_file = ctx.source_holds(m.KNOWLEDGE_REF, per_file=True)
    assert by_tool.tolist() == [True, True, True, True, False]
    assert by_file.tolist() == [True, True, False, False, False]
    split = ctx.by_source(pd.Series(True, index=t.index), m.KNOWLEDGE_REF, per_file=True)
    assert split.kept.tolist() == [True, True, False, False, False]
    assert (split.left_out, split.sources) == (3, "b.csv: 2; c.csv: 1")


def test_one_file_name_of_two_tools_is_two_inputs_named_by_tool() -> None:
    t = _tickets(["x.csv", "x.csv", "x.csv"], ["servicenow", "jira", "jira"],
                 ["KB1", None, None])
    ctx = context_over(t)
    codes, names = ctx.file_codes
    assert len(set(codes.tolist())) == 2
    split = ctx.by_source(pd.Series(True, index=t.index), m.KNOWLEDGE_REF, per_file=True)
    assert split.kept.tolist() == [True, False, False]
    assert split.sources == "x.csv (jira): 2"
    assert sorted(names) == ["x.csv (jira)", "x.csv (servicenow)"]


def test_a_table_without_files_groups_by_tool() -> None:
    t = _tickets(["a.csv"] * 3, ["servicenow", "servicenow", "jira"], ["KB1", None, None])
    ctx = context_over(t.drop(columns=[m.SOURCE_FILE]))
    assert ctx.source_holds(m.KNOWLEDGE_REF, per_file=True).tolist() == [True, True, False]


def test_the_sla_flag_without_due_is_judged_per_file() -> None:
    """The made-SLA flag with no due time is no SLA in a file none of whose flags is
    false without a due time (as before, by the per-file grouping now)."""
    t = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: ["A1", "A2", "A3", "B1", "B2"],
        m.KIND: "incident", m.STATUS: "closed",
        m.OPENED_AT: pd.Timestamp("2024-01-05", tz="UTC"),
        m.CLOSED_AT: pd.Timestamp("2024-01-06", tz="UTC"),
        m.SOURCE_TOOL: "servicenow",
        m.SOURCE_FILE: ["a.csv", "a.csv", "a.csv", "b.csv", "b.csv"],
        m.SLA_MET: [True, True, True, True, False],
        m.DUE_AT: [pd.Timestamp("2024-01-07", tz="UTC"), pd.NaT, pd.NaT, pd.NaT, pd.NaT],
    }))
    outcome = sla_outcome(context_over(t))
    assert outcome.no_sla.tolist() == [False, True, True, False, False]
