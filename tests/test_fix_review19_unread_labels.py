"""Unread vocabulary labels are named, not called missing (review 19a, D6 and D7).

A German Jira exports its priorities as ``Höchste`` .. ``Niedrigste``; a desk renames its
top two ``Sev 1`` / ``Sev 2``. The reading leaves such a priority empty (never guessed)
and keeps the tool's label in ``priority_raw``. sla-by-priority was right to be unknown,
but said "The export has no value at all in priority" (every ticket fills it) and "229
tickets done in the window have no priority; left out" (they carry ``Sev 1``/``Sev 2``):
the client was sent to add a field the tool fills. It now counts the tickets whose
priority it could not read, names the labels with their counts and says what reads them
(a leading number, or a mapping's ``values.priority``). The ownership and channels checks
and the action list word an unread status or channel the same way, through one helper
(``checks._common.unread``).

The action list's note on open tickets with an unread status said "a status the
export's mapping does not read" for exports a built-in importer read (D7): it now names
the tool, and the mapping only when one read them.

Every figure is recounted from the files the test writes, with pandas.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from itsm_diag import api, config, synth
from itsm_diag import model as m
from itsm_diag.report import Report
from itsm_diag.writers.jira import write_jira
from itsm_diag.writers.mapped import write_glpi

#: a German Jira site's priorities (none of them numbered: left empty, never guessed)
GERMAN = {"Highest": "Höchste", "High": "Hoch", "Medium": "Mittel", "Low": "Niedrig",
          "Lowest": "Niedrigste"}
#: the top two renamed, the rest Jira's defaults
SEV = {"Highest": "Sev 1", "High": "Sev 2"}
#: custom workflow statuses for the open ones (the done ones stay Jira's)
CUSTOM = {"In Progress": "Bei Lieferant", "Waiting for customer": "Rückfrage L2",
          "Pending": "Rückfrage L2", "Awaiting approval": "Triage Nord"}
GLPI_PRIORITY = {"Major": "Sev 1", "High": "Sev 2"}
GLPI_STATUS = {"Processing (assigned)": "Bei Lieferant", "Pending": "Rückfrage L2"}
JIRA_DATES = "%d/%b/%y %I:%M %p"


def _relabel(src: Path, dst: Path, changes: Mapping[str, Mapping[str, str]],
             drop: tuple[str, ...] = (), sep: str = ",", encoding: str = "utf-8") -> None:
    """``src`` with the values of some columns renamed (and some columns left out), as a
    localised or customised site exports it; repeated headers (Jira's Labels) kept."""
    with open(src, encoding=encoding, newline="") as f:
        rows = list(csv.reader(f, delimiter=sep))
    header = rows[0]
    keep = [i for i, h in enumerate(header) if h not in drop]
    for column, table in changes.items():
        i = header.index(column)
        for row in rows[1:]:
            row[i] = table.get(row[i], row[i])
    dst.parent.mkdir(parents=True, exist_ok=True)
    with open(dst, "w", encoding=encoding, newline="") as f:
        csv.writer(f, delimiter=sep).writerows([[r[i] for i in keep] for r in rows])


def _read(path: Path, sep: str = ",", encoding: str = "utf-8") -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, sep=sep, encoding=encoding)


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic desk written as a Jira all-fields CSV and as a GLPI list, each in
    English and relabelled: the English one is the control (same tickets, only the
    labels differ)."""
    base = tmp_path_factory.mktemp("unread_labels")
    data = synth.generate(3000, seed=21, weeks=26,
                          conditions=synth.Conditions(recurrence=True, trust=True))
    write_jira(data.tickets, data.events, base / "en", max_rows=100_000)
    write_glpi(data.tickets, base / "glpi")
    # German priorities, custom open statuses, and no Status Category to place them
    _relabel(base / "en" / "jira.csv", base / "de" / "jira.csv",
             {"Priority": GERMAN, "Status": CUSTOM}, drop=("Status Category",))
    _relabel(base / "en" / "jira.csv", base / "sev" / "jira.csv", {"Priority": SEV})
    # and a list view without the due date: no SLA outcome either
    _relabel(base / "en" / "jira.csv", base / "nodue" / "jira.csv", {"Priority": GERMAN},
             drop=("Due date",))
    _relabel(base / "glpi" / "tickets.csv", base / "glpic" / "tickets.csv",
             {"Priority": GLPI_PRIORITY, "Status": GLPI_STATUS}, sep=";",
             encoding="utf-8-sig")
    return base


_GLPI = api.RunOptions(mapping=Path(config.__file__).resolve().parent / "mappings"
                       / "glpi.yaml")
_RUNS: dict[tuple[Path, str], Report] = {}


def _report(root: Path, name: str) -> Report:
    key = (root, name)
    if key not in _RUNS:
        options = _GLPI if name.startswith("glpi") else api.RunOptions()
        _RUNS[key] = api.diagnose_paths([root / name], options)
    return _RUNS[key]


def _check(report: Report, rule: str) -> Any:
    return next(c for c in report.checks if c.id == rule)


def _named(counts: pd.Series, shown: int = 3) -> str:
    """The labels as the notes name them, recounted: most first, ties by name."""
    ordered = counts[counts > 0].sort_index().sort_values(ascending=False, kind="stable")
    text = ", ".join(f"'{k}' ({int(n):,})" for k, n in ordered.head(shown).items())
    return text + (f" and {len(ordered) - shown:,} more" if len(ordered) > shown else "")


def _done_in_window(report: Report, frame: pd.DataFrame, resolved: pd.Series) -> pd.Series:
    """Incidents and requests done in the window and not cancelled (a won't-do or
    duplicate resolution: no work done, left out of the SLA figures since review 20a)."""
    start = pd.Timestamp(report.window.start)
    end = pd.Timestamp(report.window.end)
    gave_up = frame["Resolution"].str.lower().isin(["won't do", "duplicate", "declined",
                                                    "cancelled", "canceled"])
    return (resolved.between(start, end).fillna(False).astype(bool) & ~gave_up
            & frame["Issue Type"].isin(["Incident", "Service Request"]))


def _action_note(report: Report, code: str) -> Any:
    actions = report.analyses["actions"]
    return next((n for n in actions.notes if n.code == code), None)


def test_an_unread_priority_is_named_not_called_missing(root: Path) -> None:
    """jira_de: every priority a German label. Unknown as before, but the reason counts
    the tickets, names the labels with their counts and says what reads them."""
    control = _check(_report(root, "en"), "sla-by-priority")
    assert control.status == "triggered"  # the English twin is measured
    check = _check(_report(root, "de"), "sla-by-priority")
    assert check.status == "unknown"  # the verdict the review found right
    raw = _read(root / "de" / "jira.csv")["Priority"]
    carried = raw[raw != ""]
    assert len(carried) == 3000
    assert "no value at all" not in check.reason
    assert f"{len(carried):,} tickets carry one ({_named(carried.value_counts())})" \
        in check.reason
    assert "'Niedrig' (1,490)" in check.reason  # the recount, spelled out once
    assert "For Jira Service Management" in check.reason and "values.priority" in check.reason
    assert "leading number" in check.reason


def test_an_unread_priority_beside_a_missing_field_says_both(root: Path) -> None:
    """Without a due date there is no SLA outcome at all (no value), and the priority is
    still filled with labels: the reason says each for what it is."""
    check = _check(_report(root, "nodue"), "sla-by-priority")
    assert check.status == "unknown"
    carried = _read(root / "nodue" / "jira.csv")["Priority"].value_counts()
    assert check.reason.endswith(
        "The export has no value at all in sla_met / due_at. The export's priority is "
        f"filled, but with labels this report could not read: {int(carried.sum()):,} "
        f"tickets carry one ({_named(carried)}). For Jira Service Management, this report "
        "reads a priority by its leading number (1 - Critical .. 5 - Planning) or its English name "
        "(Critical, High, Medium, Low): rename these with a leading number in the tool "
        "(or the export), or read the export through a mapping file (--mapping) with "
        "them under values.priority.")


def test_renamed_top_priorities_are_named_where_they_are_left_out(root: Path) -> None:
    """prio_sev: the top two priorities renamed Sev 1 / Sev 2. The check stays unknown
    (no high-priority ticket left to compare), and the tickets left out are named as
    carrying those labels, not as having no priority."""
    control = _check(_report(root, "en"), "sla-by-priority")
    report = _report(root, "sev")
    check = _check(report, "sla-by-priority")
    assert check.status == "unknown"
    frame = _read(root / "sev" / "jira.csv")
    resolved = pd.to_datetime(frame["Resolved"].replace("", None), format=JIRA_DATES,
                              utc=True)
    renamed = frame["Priority"].isin(["Sev 1", "Sev 2"])
    done = _done_in_window(report, frame, resolved)
    left = frame.loc[done & renamed, "Priority"].value_counts()
    assert int(left.sum()) > 50
    notes = {n.code: n for n in check.evidence.excluded}
    assert "no_priority" not in notes  # every ticket carries a priority
    unread = notes["priority_left_out"]
    assert unread.count == int(left.sum())
    assert unread.text.startswith(
        f"{int(left.sum()):,} tickets done in the window carry a priority this report "
        f"could not read ({_named(left)}); left out.")
    assert "For Jira Service Management" in unread.text and "values.priority" in unread.text
    # the reason says it too, beside the group sizes: the rest is the control's rest
    rest = int(control.metrics["rest_adherence"].denominator)
    assert f"0 with a high priority (1, 2) and {rest:,} with another priority" in check.reason
    assert f"{int(left.sum()):,} more done in the window carry a priority this report " \
        f"could not read ({_named(left)})" in check.reason


def test_the_action_list_names_the_tool_not_a_mapping(root: Path) -> None:
    """D7: the open tickets whose custom status the Jira importer could not read are
    counted with their labels and the tool; no mapping is spoken of, none was used."""
    note = _action_note(_report(root, "de"), "status_unread")
    frame = _read(root / "de" / "jira.csv")
    custom = frame["Status"].isin(set(CUSTOM.values())) & frame["Resolved"].eq("")
    counts = frame.loc[custom, "Status"].value_counts()
    assert note is not None and note.count == int(counts.sum()) == 172
    assert note.text.startswith(
        f"{int(counts.sum()):,} open tickets carry a status this report could not read "
        f"({_named(counts)}) and have no done time")
    assert "for Jira Service Management" in note.text and "values.status" in note.text
    assert "mapping does not" not in note.text and "export's mapping" not in note.text
    assert _action_note(_report(root, "de"), "status_blank") is None
    assert _action_note(_report(root, "en"), "status_unread") is None


def test_a_mappings_unread_labels_point_to_its_values(root: Path) -> None:
    """Read through a mapping (GLPI's), the same notes say the mapping's values do not
    name the labels: its values.priority and values.status are the fix."""
    control = _check(_report(root, "glpi"), "sla-by-priority")
    assert control.status == "triggered"
    report = _report(root, "glpic")
    check = _check(report, "sla-by-priority")
    assert check.status == "unknown"
    frame = _read(root / "glpic" / "tickets.csv", sep=";", encoding="utf-8-sig")
    renamed = frame["Priority"].isin(list(GLPI_PRIORITY.values()))
    resolved = pd.to_datetime(frame["Resolution date"].replace("", None),
                              format="%d-%m-%Y %H:%M", utc=True)
    closed = pd.to_datetime(frame["Closing date"].replace("", None),
                            format="%d-%m-%Y %H:%M", utc=True)
    done_at = resolved.fillna(closed)
    start, end = pd.Timestamp(report.window.start), pd.Timestamp(report.window.end)
    done = done_at.between(start, end).fillna(False).astype(bool)
    # a person's: an alert (a monitoring source) is left out of the check as a machine's
    done &= ~frame["Request source"].str.lower().isin(["monitoring", "api"]).fillna(False)
    left = frame.loc[done & renamed, "Priority"].value_counts()
    unread = next(n for n in check.evidence.excluded if n.code == "priority_left_out")
    assert unread.count == int(left.sum()) > 50
    assert f"({_named(left)}); left out. The mapping's values.priority does not name " \
        "them" in unread.text
    assert "For glpi" not in unread.text
    note = _action_note(report, "status_unread")
    custom = frame["Status"].isin(set(GLPI_STATUS.values())) & done_at.isna()
    counts = frame.loc[custom, "Status"].value_counts()
    assert note is not None and note.count == int(counts.sum())
    assert f"({_named(counts)}) and have no done time" in note.text
    assert "The mapping's values.status does not name them" in note.text


@pytest.fixture(scope="module")
def frames_report() -> tuple[pd.DataFrame, Report]:
    """A caller's frame whose every status and channel is a label the caller left
    unmapped (kept in status_raw and channel_raw, the vocabulary columns empty)."""
    data = synth.generate(1500, seed=5, weeks=26)
    t = data.tickets.drop(columns=[m.SOURCE_TOOL, m.SOURCE_FILE])
    t[m.STATUS_RAW] = t[m.STATUS].astype("object").map({
        "new": "Neu", "open": "In Arbeit - L2", "pending": "Wartend", "resolved": "Gelöst",
        "closed": "Geschlossen", "cancelled": "Storniert"})
    t[m.STATUS] = None
    t[m.CHANNEL] = None
    return t, api.diagnose_frames(t, data.events, api.RunOptions())


def test_a_frames_unread_status_and_channel_are_named(
        frames_report: tuple[pd.DataFrame, Report]) -> None:
    """ownership, channels and the action list: unknown as before, each naming the
    labels with their counts and the frame's own column as the fix."""
    t, report = frames_report
    statuses = t[m.STATUS_RAW].value_counts()
    said = f"{len(t):,} tickets carry one ({_named(statuses)})"
    ownership = _check(report, "ownership")
    assert ownership.status == "unknown"
    assert said in ownership.reason and "no value at all" not in ownership.reason
    assert "frame's status column" in ownership.reason and "mapping" not in ownership.reason
    actions = report.analyses["actions"]
    assert actions.status == "unknown"
    assert said in actions.reason and "frame's status column" in actions.reason
    channels = _check(report, "channels")
    assert channels.status == "unknown"
    opened = t[m.OPENED_AT].between(pd.Timestamp(report.window.start),
                                    pd.Timestamp(report.window.end))
    scope = opened & t[m.KIND].isin(["incident", "request"]) & t[m.CHANNEL_RAW].notna()
    counts = t.loc[scope, m.CHANNEL_RAW].value_counts()
    assert f"{int(counts.sum()):,} tickets carry one ({_named(counts)})" in channels.reason
    assert "frame's channel column" in channels.reason
    assert "has no channel" not in channels.reason


def test_some_unread_channels_are_named_apart_and_the_verdict_holds() -> None:
    """A third of the incidents and requests with a channel label the caller left
    unmapped: the check is measured as with those channels blank (same verdict, shares
    and confidence), and the tickets left out are named by their labels, not as having
    no channel."""
    data = synth.generate(1500, seed=5, weeks=26)
    t = data.tickets.drop(columns=[m.SOURCE_TOOL, m.SOURCE_FILE])
    every_third = pd.Series(range(len(t)), index=t.index) % 3 == 0
    t[m.CHANNEL] = t[m.CHANNEL].where(~every_third)
    blank = t.assign(**{m.CHANNEL_RAW: t[m.CHANNEL_RAW].where(~every_third)})
    read = _check(api.diagnose_frames(t, data.events, api.RunOptions()), "channels")
    control = _check(api.diagnose_frames(blank, data.events, api.RunOptions()), "channels")
    assert read.status == control.status and read.confidence == control.confidence
    assert read.confidence == "medium"  # a third of the intake left out, as before
    assert {k: f.value for k, f in read.metrics.items()} == {
        k: f.value for k, f in control.metrics.items()}
    window = (pd.Timestamp(control.evidence.window.start),
              pd.Timestamp(control.evidence.window.end))
    scope = t[m.OPENED_AT].between(*window) & t[m.KIND].isin(["incident", "request"])
    counts = t.loc[scope & every_third, m.CHANNEL_RAW].value_counts()
    notes = {n.code: n for n in read.evidence.excluded}
    assert "no_channel" not in notes
    assert notes["channel_left_out"].count == int(counts.sum())
    assert notes["channel_left_out"].text.startswith(
        f"{int(counts.sum()):,} tickets opened in the window carry a channel this report "
        f"could not read ({_named(counts)}); left out of the shares.")
    blank_note = next(n for n in control.evidence.excluded if n.code == "no_channel")
    assert blank_note.count == int(counts.sum())


@pytest.mark.parametrize("rule", ["sla-by-priority", "ownership", "channels", "actions"])
def test_every_rule_naming_unread_labels_words_each_reader(rule: str) -> None:
    """The fix clause of checks._common.unread is one of three codes, built at run time
    (the literal-code test cannot see them): each rule that uses it words all three."""
    rules = config.load_rules()
    doc = rules.analyses[rule] if rule == "actions" else rules.checks[rule]
    assert {"unread_by_tool", "unread_by_mapping", "unread_by_frame"} <= set(doc.messages)
