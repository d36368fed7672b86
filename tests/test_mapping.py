"""Mapping files: shipped GLPI/TOPdesk/Remedy mappings, event-log collapse, bad mappings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import model as m
from itsm_diag import synth
from itsm_diag.cli import app
from itsm_diag.errors import ConfigError, InputError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.mapping import load_mapping, shipped_mappings
from itsm_diag.importers.registry import load_paths
from itsm_diag.writers.mapped import write_glpi

FIX = Path(__file__).parent / "fixtures" / "mapping"
runner = CliRunner()


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def load(path: Path, mapping: str | Path, **kw: str) -> pd.DataFrame:
    return load_paths([path], ImportOptions(**kw), mapping=Path(mapping)).tickets.set_index(
        m.TICKET_ID)


def test_shipped_mappings_load_by_name() -> None:
    assert {"glpi", "topdesk", "remedy"} <= set(shipped_mappings())
    for name in ("glpi", "topdesk", "remedy"):
        assert load_mapping(name).name == name


def test_glpi_french_export_bom_semicolon() -> None:
    t = load(FIX / "glpi_fr.csv", "glpi")
    assert list(t.index) == ["101", "102", "103", "104"]
    assert list(t[m.STATUS]) == ["closed", "open", "resolved", "pending"]
    assert list(t[m.KIND]) == ["incident", "request", "incident", "request"]
    assert list(t[m.PRIORITY]) == [2, 3, 1, 5]
    assert t.loc["101", m.OPENED_AT] == ts("2026-03-13 08:00")  # day-first, decided by 13
    assert t.loc["101", m.CLOSED_AT] == ts("2026-03-14 09:00")
    assert t.loc["101", m.SLA_MET] and not t.loc["103", m.SLA_MET]  # "exceeded" inverted
    assert pd.isna(t.loc["102", m.SLA_MET]) and pd.isna(t.loc["102", m.ASSIGNEE])
    assert t.loc["102", m.ASSIGNMENT_GROUP] == "Réseau"
    assert t.loc["101", m.STATUS_RAW] == "Clos"
    assert set(t[m.SOURCE_TOOL]) == {"glpi"}


def test_topdesk_mapping() -> None:
    t = load(FIX / "topdesk.csv", "topdesk")
    assert list(t.index) == ["I2603 001", "I2603 002", "I2603 003"]
    assert list(t[m.STATUS]) == ["closed", "open", "pending"]
    assert list(t[m.KIND]) == ["incident", "request", "incident"]
    assert list(t[m.CHANNEL]) == ["phone", "portal", "email"]
    assert list(t[m.PRIORITY]) == [2, 4, 3]
    assert t.loc["I2603 001", m.RESOLVED_AT] == ts("2026-03-02 15:00")
    assert t.loc["I2603 001", m.DUE_AT] == ts("2026-03-03 08:10")
    assert t.loc["I2603 003", m.SUBCATEGORY] == "Wi-Fi"


def test_remedy_mapping_month_first() -> None:
    t = load(FIX / "remedy.csv", "remedy")
    row = t.loc["INC000000000026"]
    assert row[m.OPENED_AT] == ts("2026-03-13 08:00") and row[m.STATUS] == "closed"
    assert list(t[m.KIND]) == ["incident", "request", "incident"]
    assert list(t[m.CHANNEL]) == ["email", "portal", "monitoring"]
    assert list(t[m.PRIORITY]) == [2, 4, 1]
    assert t.loc["INC000000000028", m.RESOLVED_AT] == ts("2026-03-16 01:10")
    assert t.loc["INC000000000027", m.CATEGORY] == "Hardware"


def test_time_zone_and_date_format_from_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "tz.yaml"
    mapping.write_text("tool: tz\ncolumns:\n  ticket_id: ID\n  opened_at: Opened\n"
                       "date_format: '%d.%m.%Y %H:%M'\ntime_zone: Europe/Paris\nkind: request\n")
    data = tmp_path / "t.csv"
    data.write_text("ID,Opened\n1,02.03.2026 10:00\n2,03.03.2026 11:00\n")
    t = load(data, mapping)
    assert t.loc["1", m.OPENED_AT] == ts("2026-03-02 09:00")  # CET = UTC+1
    assert set(t[m.KIND]) == {"request"}


def test_mapped_counts_that_are_not_counts_are_left_empty_and_counted(tmp_path: Path) -> None:
    mapping = tmp_path / "counts.yaml"
    mapping.write_text("tool: counts\ncolumns:\n  ticket_id: ID\n  opened_at: Opened\n"
                       "  reassignment_count: Hops\n  reopen_count: Reopened\n"
                       "kind: incident\n")
    data = tmp_path / "t.csv"
    data.write_text("ID,Opened,Hops,Reopened\n1,2026-03-02 10:00,-2,1\n"
                    "2,2026-03-03 11:00,3,0.5\n")
    loaded = load_paths([data], ImportOptions(), mapping=mapping)
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert t[m.REASSIGNMENT_COUNT].tolist() == [pd.NA, 3]
    assert t[m.REOPEN_COUNT].tolist() == [1, pd.NA]
    said = loaded.sources[0].warnings
    assert ("reassignment_count: 1 ticket with values that are not counts (whole numbers 0 "
            "or more), left empty: '-2' (1)") in said
    assert any(w.startswith("reopen_count: 1 ticket with values that are not counts")
               for w in said)


def test_event_log_collapses_to_tickets() -> None:
    loaded = load_paths([FIX / "bpi2014_activities.csv"], ImportOptions(),
                        mapping=FIX / "bpi2014.yaml")
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert list(t.index) == ["IM0000004", "IM0000005", "IM0000006"]
    a, b, c = (t.loc[i] for i in t.index)
    assert a[m.OPENED_AT] == ts("2013-01-07 08:17:17")
    assert a[m.CLOSED_AT] == ts("2013-11-04 13:41:30") and pd.isna(a[m.RESOLVED_AT])
    assert a[m.STATUS] == "closed" and a[m.STATUS_RAW] == "Closed"
    assert a[m.ASSIGNMENT_GROUP] == "TEAM0002" and a[m.REASSIGNMENT_COUNT] == 1
    assert a[m.KNOWLEDGE_REF] == "KM0000553"
    assert b[m.RESOLVED_AT] == ts("2013-09-06 12:00")  # the last resolution, after a reopen
    assert b[m.CLOSED_AT] == ts("2013-09-13 12:00")
    assert b[m.REOPEN_COUNT] == 1 and a[m.REOPEN_COUNT] == 0
    assert pd.isna(b[m.KNOWLEDGE_REF])  # "#MULTIVALUE" is unknown, not a value
    assert c[m.STATUS] == "pending" and c[m.STATUS_RAW] == "Pending vendor"
    assert pd.isna(c[m.RESOLVED_AT]) and pd.isna(c[m.CLOSED_AT])
    assert c[m.UPDATED_AT] == ts("2013-09-21 09:15")
    assert set(t[m.KIND]) == {"incident"}
    ev = loaded.events
    # every row is an event, and each change of group not made by an assignment activity
    # is one more (4 of them: the first group of each case, and TEAM0003 -> TEAM0004)
    assert len(ev) == 12 + 4
    comment = ev[ev[m.EV_KIND] == "comment"]
    assert list(comment[m.EV_AUTHOR_ROLE]) == ["requester"]
    # the assignment history names groups (routing reads it), in the order they came
    assign = ev[ev[m.EV_KIND] == "assignment"]
    assert [tuple(x) for x in assign[[m.EV_TICKET_ID, m.EV_VALUE]].to_numpy()] == [
        ("IM0000004", "TEAM0001"), ("IM0000004", "TEAM0002"), ("IM0000005", "TEAM0003"),
        ("IM0000005", "TEAM0003"), ("IM0000005", "TEAM0004"), ("IM0000006", "TEAM0001")]
    # status events carry the canonical status they set (the backlog's history)
    status = ev[ev[m.EV_KIND] == "status"]
    assert list(status[status[m.EV_TICKET_ID] == "IM0000005"][m.EV_STATUS]) == [
        "open", "resolved", "open", "resolved", "closed"]
    assert any("event log: 12 rows collapsed to 3 tickets" in w
               for w in loaded.sources[0].warnings)


def test_glpi_writer_round_trip(tmp_path: Path) -> None:
    data = synth.generate(300, seed=11)
    path = write_glpi(data.tickets, tmp_path)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf\"ID\";")
    loaded = load_paths([path], ImportOptions(), mapping=Path("glpi"))
    t = loaded.tickets
    src = data.tickets[data.tickets[m.KIND].isin(["incident", "request"])].sort_values(
        [m.OPENED_AT, m.TICKET_ID], kind="stable").reset_index(drop=True)
    assert len(t) == len(src)
    # GLPI has no cancelled status: the writer closes those tickets
    expected = src[m.STATUS].astype(object).replace("cancelled", "closed")
    assert list(t[m.STATUS].astype(object)) == list(expected)
    assert list(t[m.KIND].astype(object)) == list(src[m.KIND].astype(object))
    pd.testing.assert_series_equal(t[m.OPENED_AT], src[m.OPENED_AT].dt.floor("min"))
    assert list(t[m.SLA_MET]) == list(src[m.SLA_MET])


@pytest.mark.parametrize(("yaml_text", "words"), [
    ("tool: x\ncolums:\n  ticket_id: ID\n", ["'colums'", "did you mean 'columns'", "valid keys"]),
    ("tool: x\ncolumns:\n  ticket_id: ID\n  opened_at: O\n  openned_at: O\n",
     ["'openned_at'", "did you mean 'opened_at'", "valid fields"]),
    ("tool: x\ncolumns:\n  ticket_id: ID\n  opened_at: O\nvalues:\n  staus: {A: open}\n",
     ["'staus'", "under values", "status"]),
    ("tool: x\ncolumns:\n  ticket_id: ID\n  opened_at: O\nvalues:\n  status: {A: done}\n",
     ["'done'", "new, open, pending"]),
    ("tool: x\ncolumns:\n  ticket_id: ID\n  opened_at: O\ntime_zone: Mars/Base\n",
     ["Mars/Base"]),
    ("tool: x\ncolumns:\n  ticket_id: ID\n", ["opened_at is required"]),
    ("tool: x\ncolumns: [oops\n", ["not valid YAML"]),
])
def test_bad_mapping_is_config_error(tmp_path: Path, yaml_text: str, words: list[str]) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_mapping(path)
    line = err.value.one_line()
    assert "bad.yaml" in line and "\n" not in line
    for w in words:
        assert w in line


def test_unknown_mapping_name_lists_shipped() -> None:
    with pytest.raises(ConfigError) as err:
        load_mapping("servicenowish")
    assert "glpi" in err.value.one_line()


def test_missing_column_is_input_error_naming_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "mine.yaml"
    mapping.write_text("tool: mine\ncolumns:\n  ticket_id: ID\n  opened_at: Created\n"
                       "  priority: Urgency level\n")
    data = tmp_path / "t.csv"
    data.write_text("ID,Created,Priority\n1,2026-03-02 10:00,High\n")
    with pytest.raises(InputError) as err:
        load(data, mapping)
    line = err.value.one_line()
    assert "mine.yaml" in line and "'Urgency level'" in line and "columns.priority" in line
    assert "t.csv" in line


def test_cli_missing_column_exits_2(tmp_path: Path) -> None:
    mapping = tmp_path / "mine.yaml"
    mapping.write_text("tool: mine\ncolumns:\n  ticket_id: Key\n  opened_at: Created\n")
    data = tmp_path / "t.csv"
    data.write_text("ID,Created\n1,2026-03-02 10:00\n")
    result = runner.invoke(app, ["inspect", str(data), "--mapping", str(mapping)])
    assert result.exit_code == 2
    assert "mine.yaml" in result.stderr and "'Key'" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_ambiguous_dates_exit_2_naming_date_format(tmp_path: Path) -> None:
    mapping = tmp_path / "mine.yaml"
    mapping.write_text("tool: mine\nkind: incident\ncolumns:\n  ticket_id: ID\n"
                       "  opened_at: Created\n")
    data = tmp_path / "t.csv"
    data.write_text("ID,Created\n1,02/03/2026 10:00\n2,04/05/2026 11:00\n")
    result = runner.invoke(app, ["inspect", str(data), "--mapping", str(mapping)])
    assert result.exit_code == 2
    assert "--date-format" in result.stderr and "Created" in result.stderr
    ok = runner.invoke(app, ["inspect", str(data), "--mapping", str(mapping),
                             "--date-format", "dayfirst"])
    assert ok.exit_code == 0, ok.stderr


def test_cli_mapping_by_shipped_name() -> None:
    result = runner.invoke(app, ["inspect", str(FIX / "glpi_fr.csv"), "--mapping", "glpi"])
    assert result.exit_code == 0, result.stderr
    assert "glpi" in result.stdout


@pytest.mark.parametrize("field", ["status", "channel", "kind", "change_type",
                                   "change_outcome"])
def test_every_value_map_is_checked_against_its_vocabulary(field: str) -> None:
    from pydantic import ValidationError

    from itsm_diag.importers.mapping import ValuesSpec

    with pytest.raises(ValidationError, match=f"{field} values must be one of"):
        ValuesSpec.model_validate({field: {"Some label": "not-a-canonical-value"}})


# ---- several mappings in one run (issue 15) ------------------------------------------------

_PROBLEMS_LOG = """Problem ID;Logged;Action;Team
PM0001;07-01-2013 09:00:00;Open;TEAM0001
PM0001;08-01-2013 10:00:00;Root cause found;TEAM0001
PM0001;09-01-2013 11:00:00;Closed;TEAM0001
PM0002;10-01-2013 09:00:00;Open;TEAM0002
"""
_PROBLEMS_MAPPING = """tool: bpi2014
kind: problem
event_log:
  case_id: Problem ID
  activity: Action
  timestamp: Logged
columns:
  assignment_group: Team
values:
  status:
    Open: open
    Root cause found: open
    Closed: closed
"""


def test_two_mappings_read_incident_and_problem_logs_of_one_organisation(
        tmp_path: Path) -> None:
    problems = tmp_path / "problems.csv"
    problems.write_text(_PROBLEMS_LOG, encoding="utf-8")
    problem_mapping = tmp_path / "problems.yaml"
    problem_mapping.write_text(_PROBLEMS_MAPPING, encoding="utf-8")
    loaded = load_paths([FIX / "bpi2014_activities.csv", problems], ImportOptions(
        date_format="dayfirst"), mapping=[FIX / "bpi2014.yaml", problem_mapping])
    by = {Path(s.path).name: s.detected_by for s in loaded.sources}
    assert by == {"bpi2014_activities.csv": "--mapping bpi2014.yaml",
                  "problems.csv": "--mapping problems.yaml"}
    kinds = loaded.tickets.set_index(m.TICKET_ID)[m.KIND].to_dict()
    assert kinds["PM0001"] == "problem" and kinds["IM0000004"] == "incident"
    assert len(kinds) == 5  # one source (tool bpi2014): its ids stay as exported
    assert not any("sources" in n for n in loaded.notes)


def test_a_mapping_and_a_tool_export_in_one_folder(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(Path(__file__).parents[1] / "samples" / "glpi" / "tickets.csv", folder)
    shutil.copy(Path(__file__).parents[1] / "samples" / "demo" / "problem.csv", folder)
    mapping = folder / "glpi.yaml"  # in the folder: read as the mapping, not noted as skipped
    mapping.write_text(shipped_mappings()["glpi"].read_text(encoding="utf-8"),
                       encoding="utf-8")
    result = runner.invoke(app, ["diagnose", str(folder), "--mapping", str(mapping),
                                 "-f", "json"])
    assert result.exit_code == 0, result.stderr
    import json

    doc = json.loads(result.stdout)
    assert sorted((Path(i["path"]).name, i["tool"]) for i in doc["inputs"]) == [
        ("problem.csv", "servicenow"), ("tickets.csv", "glpi")]
    assert not any("was not read" in n for n in doc["data_notes"])
    assert any(n.startswith("tickets come from 2 sources (servicenow, glpi)")
               or n.startswith("tickets come from 2 sources (glpi, servicenow)")
               for n in doc["data_notes"])


def test_a_file_no_mapping_fits_names_each_mapping(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("tool: a\ncolumns:\n  ticket_id: Key\n  opened_at: Created\n")
    second = tmp_path / "b.yaml"
    second.write_text("tool: b\ncolumns:\n  ticket_id: Ref\n  opened_at: Opened\n")
    data = tmp_path / "t.csv"
    data.write_text("ID,Created\n1,2026-03-02 10:00\n")
    result = runner.invoke(app, ["inspect", str(data), "--mapping", str(first),
                                 "--mapping", str(second)])
    assert result.exit_code == 2
    assert ("no mapping fits this file (a.yaml: no column 'Key' for columns.ticket_id; b.yaml: "
            "no column 'Ref' for columns.ticket_id) and cannot tell which tool exported this "
            "file") in result.stderr


def test_batch_reads_each_clients_own_mapping_and_config(tmp_path: Path) -> None:
    import json
    import shutil

    root = tmp_path / "clients"
    samples = Path(__file__).parents[1] / "samples"
    shutil.copytree(samples / "glpi", root / "acme")
    (root / "acme" / "glpi.mapping.yaml").write_text(
        shipped_mappings()["glpi"].read_text(encoding="utf-8"), encoding="utf-8")
    (root / "acme" / "itsm-diag.yaml").write_text("defaults:\n  hourly_rate: 80\n",
                                                  encoding="utf-8")
    shutil.copytree(samples / "demo", root / "globex")
    result = runner.invoke(app, ["batch", str(root), "--format", "json", "--jobs", "1"])
    assert result.exit_code == 0, result.stdout + result.stderr
    acme = json.loads((root / "_reports" / "acme.json").read_text(encoding="utf-8"))
    globex = json.loads((root / "_reports" / "globex.json").read_text(encoding="utf-8"))
    assert [i["tool"] for i in acme["inputs"]] == ["glpi"]
    assert acme["assumptions"]["hourly_rate"] == 80
    assert globex["assumptions"]["hourly_rate"] is None
    assert not any("was not read" in n for n in acme["data_notes"])


def test_quiz_takes_mappings(tmp_path: Path) -> None:
    answers = tmp_path / "answers.yaml"
    answers.write_text("".join(f"{s}: false\n" for s in (
        "backlog", "recurrence", "reporting", "trust", "changes", "onboarding", "strategy")))
    samples = Path(__file__).parents[1] / "samples"
    result = runner.invoke(app, ["quiz", str(samples / "glpi"), "--mapping", "glpi",
                                 "--answers", str(answers), "--no-input"])
    assert result.exit_code == 0, result.stdout + result.stderr
    # the mapping was read: the export itself decides the signs it can show
    assert "reporting   clear     from the export" in result.stdout
    assert "(the export showed triggered)" in result.stdout
    unmapped = runner.invoke(app, ["quiz", str(samples / "glpi"), "--answers", str(answers),
                                   "--no-input"])
    assert unmapped.exit_code == 2 and "cannot tell which tool" in unmapped.stderr
