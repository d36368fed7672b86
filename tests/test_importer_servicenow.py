"""ServiceNow importer: both header styles, CSV and XLSX, date orders, tables, audit log."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import model as m
from itsm_diag.errors import DateFormatError, DetectionError, InputError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

FIX = Path(__file__).parent / "fixtures" / "servicenow"


def load(*names: str, **kw: str) -> pd.DataFrame:
    return load_paths([FIX / n for n in names], ImportOptions(**kw)).tickets


def write_xlsx(src: Path, dest: Path, split: int | None = None, stop_row: bool = False) -> Path:
    """The same rows as an XLSX with label headers, optionally split over sheets."""
    openpyxl = pytest.importorskip("openpyxl")
    df = pd.read_csv(src, dtype=str, keep_default_na=False)
    book = openpyxl.Workbook()
    book.remove(book.active)
    chunks = [df] if split is None else [df.iloc[i:i + split] for i in range(0, len(df), split)]
    for n, chunk in enumerate(chunks, start=1):
        sheet = book.create_sheet(f"Page {n}")
        sheet.append(list(df.columns))
        for row in chunk.itertuples(index=False):
            sheet.append([c if c != "" else None for c in row])
    if stop_row:
        sheet.append(["Export stopped due to excessive size. Use CSV for a complete export"])
    book.save(dest)
    return dest


def test_field_names_dayfirst_known_values() -> None:
    t = load("incident_fields_dayfirst.csv").set_index(m.TICKET_ID)
    assert len(t) == 5
    assert set(t[m.KIND]) == {"incident"}
    row = t.loc["INC0010002"]
    assert row[m.OPENED_AT] == pd.Timestamp("2026-03-13 08:00", tz="UTC")
    assert row[m.RESOLVED_AT] == pd.Timestamp("2026-03-14 10:30", tz="UTC")
    assert row[m.SUMMARY] == "VPN drops every hour\nsince Monday"
    assert row[m.STATUS] == "resolved" and row[m.STATUS_RAW] == "Resolved"
    assert row[m.PRIORITY] == 2 and row[m.PRIORITY_RAW] == "2 - High"
    assert row[m.CHANNEL] == "phone"
    assert row[m.REASSIGNMENT_COUNT] == 2
    assert not row[m.SLA_MET]
    assert row[m.PROBLEM_REF] == "PRB0040001"
    assert t.loc["INC0010003", m.CAUSED_BY_CHANGE] == "CHG0030001"
    assert t.loc["INC0010004", m.SUMMARY] == 'Printer says "offline"'
    assert list(t[m.STATUS]) == ["closed", "resolved", "open", "pending", "cancelled"]
    assert list(t[m.CHANNEL]) == ["portal", "phone", "walk_in", "email", "chat"]
    assert pd.isna(t.loc["INC0010003", m.ASSIGNEE])  # empty cell is null, never ""


def test_label_headers_monthfirst_equal_field_names_dayfirst() -> None:
    a = load("incident_fields_dayfirst.csv").drop(columns=[m.SOURCE_FILE])
    b = load("incident_labels_monthfirst.csv").drop(columns=[m.SOURCE_FILE])
    pd.testing.assert_frame_equal(a, b)


def test_xlsx_label_headers_equal_csv(tmp_path: Path) -> None:
    xlsx = write_xlsx(FIX / "incident_labels_monthfirst.csv", tmp_path / "incident.xlsx")
    a = load("incident_labels_monthfirst.csv").drop(columns=[m.SOURCE_FILE])
    b = load_paths([xlsx], ImportOptions()).tickets.drop(columns=[m.SOURCE_FILE])
    pd.testing.assert_frame_equal(a, b)


def test_xlsx_all_sheets_and_stop_row(tmp_path: Path) -> None:
    xlsx = write_xlsx(FIX / "incident_labels_monthfirst.csv", tmp_path / "big.xlsx", split=2,
                      stop_row=True)
    loaded = load_paths([xlsx], ImportOptions())
    assert len(loaded.tickets) == 5
    assert any("Export stopped" in w for w in loaded.sources[0].warnings)


def test_change_request_raw_values() -> None:
    t = load("change_request_raw.csv").set_index(m.TICKET_ID)
    assert set(t[m.KIND]) == {"change"}
    assert list(t[m.CHANGE_TYPE]) == ["normal", "standard", "emergency", "normal"]
    assert list(t[m.CHANGE_OUTCOME].astype(object).where(t[m.CHANGE_OUTCOME].notna(), None)) == [
        "failed", "successful", None, "cancelled"]
    assert list(t[m.STATUS]) == ["closed", "closed", "open", "cancelled"]
    assert t.loc["CHG0030001", m.PLANNED_START] == pd.Timestamp("2026-03-19 20:00", tz="UTC")
    assert t.loc["CHG0030001", m.ACTUAL_END] == pd.Timestamp("2026-03-19 22:30", tz="UTC")
    assert t[m.START_DATE].isna().all()  # a change's start_date is its planned start


def test_problem_labels_and_request_items() -> None:
    t = load("problem_labels.csv", "sc_req_item.csv").set_index(m.TICKET_ID)
    assert t.loc["PRB0040001", m.KIND] == "problem"
    assert t.loc["PRB0040001", m.STATUS] == "open"
    assert t.loc["RITM0010001", m.KIND] == "request"
    assert t.loc["RITM0010001", m.REQUEST_ITEM] == "New hire onboarding"
    assert t.loc["RITM0010001", m.START_DATE] == pd.Timestamp("2026-03-09", tz="UTC")
    assert t.loc["RITM0010003", m.STATUS] == "closed"
    assert t.loc["RITM0010001", m.REQUESTER] == "Jo Smith"


def test_folder_combines_tables() -> None:
    loaded = load_paths([FIX / "incident_fields_dayfirst.csv", FIX / "change_request_raw.csv",
                         FIX / "problem_labels.csv", FIX / "sc_req_item.csv"], ImportOptions())
    kinds = loaded.tickets[m.KIND].value_counts()
    assert kinds["incident"] == 5 and kinds["change"] == 4
    assert kinds["problem"] == 2 and kinds["request"] == 3
    assert [s.table for s in loaded.sources] == ["incident", "change_request", "problem",
                                                 "sc_req_item"]


def test_chunks_deduplicate_latest_update_wins(tmp_path: Path) -> None:
    text = (FIX / "incident_fields_dayfirst.csv").read_text()
    newer = text.replace("In Progress,1 - Critical", "Resolved,1 - Critical").replace(
        "20/03/2026 14:05:00,,,21/03/2026 09:00:00", "20/03/2026 14:05:00,22/03/2026 08:00:00,,"
        "22/03/2026 08:00:00")
    (tmp_path / "a.csv").write_text(text)
    (tmp_path / "b.csv").write_text(newer)
    loaded = load_paths([tmp_path], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert len(t) == 5
    assert t.loc["INC0010003", m.STATUS] == "resolved"
    assert any("the latest update of each is kept" in n for n in loaded.notes)


def test_ambiguous_dates_need_date_format() -> None:
    with pytest.raises(DateFormatError) as err:
        load("ambiguous_dates.csv")
    assert "--date-format" in err.value.one_line()
    assert "ambiguous_dates.csv" in err.value.one_line()
    day = load("ambiguous_dates.csv", date_format="dayfirst").set_index(m.TICKET_ID)
    assert day.loc["INC0020001", m.OPENED_AT] == pd.Timestamp("2026-02-01 09:00", tz="UTC")
    month = load("ambiguous_dates.csv", date_format="monthfirst").set_index(m.TICKET_ID)
    assert month.loc["INC0020001", m.OPENED_AT] == pd.Timestamp("2026-01-02 09:00", tz="UTC")


def test_explicit_format_mismatch_names_row_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("number,state,opened_at\n" + "".join(
        f"INC00{i:05d},Closed,2026-01-{(i % 28) + 1:02d} 10:00:00\n" for i in range(20))
        + "INC0099999,Closed,yesterday\n" * 5)
    with pytest.raises(DateFormatError) as err:
        load_paths([bad], ImportOptions(date_format="%Y-%m-%d %H:%M:%S"))
    line = err.value.one_line()
    assert "row 22" in line and "'opened_at'" in line


@pytest.mark.parametrize(("name", "cls", "words"), [
    ("empty.csv", InputError, "empty"),
    ("header_only.csv", InputError, "no rows"),
    ("missing_opened.csv", InputError, "opened_at"),
    ("not_servicenow.csv", DetectionError, "--source"),
])
def test_bad_inputs_are_one_clear_error(name: str, cls: type, words: str) -> None:
    with pytest.raises(cls) as err:
        load(name)
    line = err.value.one_line()
    assert words in line and name in line and "\n" not in line


def test_audit_log_collapses_to_latest_row(tmp_path: Path) -> None:
    log = tmp_path / "log.csv"
    log.write_text(
        "number,incident_state,sys_mod_count,assignment_group,opened_at,sys_updated_at,"
        "resolved_at,closed_at\n"
        "INC0000001,New,0,Group 1,29/2/2016 01:16,29/2/2016 01:23,?,?\n"
        "INC0000001,Resolved,2,Group 2,29/2/2016 01:16,29/2/2016 08:53,29/2/2016 08:50,?\n"
        "INC0000001,Active,1,Group 2,29/2/2016 01:16,29/2/2016 05:00,?,?\n"
        "INC0000002,New,0,Group 1,1/3/2016 10:00,1/3/2016 10:00,?,?\n"
    )
    loaded = load_paths([log], ImportOptions())
    t = loaded.tickets.set_index(m.TICKET_ID)
    assert len(t) == 2 and loaded.sources[0].rows == 4
    assert t.loc["INC0000001", m.STATUS] == "resolved"
    assert t.loc["INC0000001", m.ASSIGNMENT_GROUP] == "Group 2"
    ev = loaded.events
    status = ev[(ev[m.EV_TICKET_ID] == "INC0000001") & (ev[m.EV_KIND] == "status")]
    assert list(status[m.EV_VALUE]) == ["New", "Active", "Resolved"]
    groups = ev[(ev[m.EV_TICKET_ID] == "INC0000001") & (ev[m.EV_KIND] == "assignment")]
    assert list(groups[m.EV_VALUE]) == ["Group 1", "Group 2"]


def test_journal_becomes_events(tmp_path: Path) -> None:
    f = tmp_path / "inc.csv"
    f.write_text(
        'number,state,caller_id,opened_at,comments_and_work_notes\n'
        'INC0000009,In Progress,Beth Jones,2026-03-02 09:00:00,"2026-03-03 10:00:00 - Beth Jones '
        '(Additional comments)\nany update on this?\n\n2026-03-02 11:00:00 - Ana Silva '
        '(Work notes)\nchecked the mailbox\n\n"\n'
    )
    ev = load_paths([f], ImportOptions()).events
    assert list(ev[m.EV_AUTHOR_ROLE]) == ["requester", "agent"]
    assert list(ev[m.EV_KIND]) == ["comment", "worklog"]
    assert ev.iloc[0][m.EV_VALUE] == "any update on this?"
    assert ev.iloc[0][m.EV_AT] == pd.Timestamp("2026-03-03 10:00", tz="UTC")


def test_encodings_and_delimiters_give_the_same_table(tmp_path: Path) -> None:
    text = (FIX / "incident_fields_dayfirst.csv").read_text()
    base = load("incident_fields_dayfirst.csv").drop(columns=[m.SOURCE_FILE])
    df = pd.read_csv(FIX / "incident_fields_dayfirst.csv", dtype=str, keep_default_na=False)
    variants = {
        "bom.csv": ("\ufeff" + text).encode("utf-8"),
        "cp1252.csv": text.encode("cp1252"),
        "semi.csv": b"sep=;\n" + df.to_csv(sep=";", index=False).encode(),
        "utf16.txt": df.to_csv(sep="\t", index=False).encode("utf-16"),
        "pipe.csv": df.to_csv(sep="|", index=False).encode(),
    }
    for name, data in variants.items():
        (tmp_path / name).write_bytes(data)
        got = load_paths([tmp_path / name], ImportOptions()).tickets.drop(columns=[m.SOURCE_FILE])
        pd.testing.assert_frame_equal(base, got, obj=name)


def test_truncation_warning(tmp_path: Path) -> None:
    f = tmp_path / "cap.csv"
    rows = "".join(f"INC{i:07d},Closed,2026-01-01 10:00:00\n" for i in range(1000))
    f.write_text("number,state,opened_at\n" + rows)
    loaded = load_paths([f], ImportOptions())
    assert any("probably truncated" in w for w in loaded.sources[0].warnings)


def test_task_type_labels_and_complete_state(tmp_path: Path) -> None:
    f = tmp_path / "task.csv"
    f.write_text(
        "number,sys_class_name,state,opened_at,closed_at,u_labels\n"
        "TASK0001001,Epic,Complete,2026-03-02 09:00:00,2026-03-20 09:00:00,roadmap;q2\n"
        "TASK0001002,Task,Work in Progress,2026-03-03 09:00:00,,\n"
        "TASK0001003,Catalog Task,Closed Skipped,2026-03-04 09:00:00,2026-03-05 09:00:00,\n"
    )
    t = load_paths([f], ImportOptions()).tickets.set_index(m.TICKET_ID)
    assert list(t[m.KIND]) == ["other", "task", "task"]
    assert list(t[m.STATUS]) == ["closed", "open", "cancelled"]
    # an Epic row is a project record: labelled project:rm_epic after its own labels
    # (review 22b item 2); one already labelled project or epic keeps them as they are
    assert t.loc["TASK0001001", m.LABELS] == "roadmap;q2;project:rm_epic"


def test_written_audit_log_reads_back_as_the_incidents(tmp_path: Path) -> None:
    """The audit-log writer (one row per update, like the real log) and the importer's
    collapse meet: every incident once, in its final state, with its history."""
    from itsm_diag import synth
    from itsm_diag.writers.servicenow import LOG_COLUMNS, write_servicenow_log

    data = synth.generate(400, seed=3, conditions=synth.Conditions(trust=True))
    path = write_servicenow_log(data.tickets, data.events, tmp_path)
    assert path.read_text().splitlines()[0] == ",".join(LOG_COLUMNS)
    loaded = load_paths([path], ImportOptions())
    got = loaded.tickets.set_index(m.TICKET_ID).sort_index()
    truth = data.tickets[data.tickets[m.KIND] == "incident"].set_index(m.TICKET_ID).sort_index()
    assert list(got.index) == list(truth.index)
    assert loaded.sources[0].rows > 2 * len(truth)  # an update log, not a list
    for col in (m.STATUS, m.ASSIGNMENT_GROUP, m.ASSIGNEE, m.REQUESTER, m.CATEGORY,
                m.SUBCATEGORY, m.CI, m.PRIORITY, m.CHANNEL, m.REASSIGNMENT_COUNT,
                m.REOPEN_COUNT, m.SLA_MET, m.PROBLEM_REF, m.CAUSED_BY_CHANGE):
        want = truth[col].astype(object).where(truth[col].notna(), None)
        have = got[col].astype(object).where(got[col].notna(), None)
        assert have.equals(want), col
    for col in (m.OPENED_AT, m.RESOLVED_AT, m.CLOSED_AT):  # written to the minute
        pd.testing.assert_series_equal(got[col], truth[col].dt.floor("min"), check_names=False)
    # the last update is the last event written (the export moment cuts later ones)
    assert (got[m.UPDATED_AT] <= data.end).all()
    ev = loaded.events
    # the group history: one event per change of group (a move to the same group is none)
    moves = ev[ev[m.EV_KIND] == "assignment"].groupby(m.EV_TICKET_ID).size() - 1
    moves = moves.reindex(truth.index, fill_value=0).to_numpy()
    counts = truth[m.REASSIGNMENT_COUNT].astype("int64").to_numpy()
    assert (moves <= counts).all() and (moves == counts).mean() > 0.9
    assert set(ev.loc[ev[m.EV_KIND] == "status", m.EV_VALUE]) <= {
        "New", "Active", "Awaiting User Info", "Resolved", "Closed", "Canceled"}


def test_written_audit_log_has_the_real_header(real_log: Path) -> None:
    from itsm_diag.writers.servicenow import LOG_COLUMNS

    with real_log.open(encoding="utf-8") as fh:
        assert fh.readline().strip() == ",".join(LOG_COLUMNS)


def test_change_requested_by_is_the_requester(tmp_path: Path) -> None:
    """A change's requester is its "Requested by" (field requested_by), as an incident's is
    its caller; list exports of change_request have no caller column."""
    for header in ("requested_by", "Requested by"):
        f = tmp_path / f"change_request_{header[0]}.csv"
        f.write_text(f"number,type,state,{header},opened_at\n"
                     "CHG0030001,Normal,Implement,Ana Silva,2026-03-02 09:00:00\n")
        t = load_paths([f], ImportOptions()).tickets
        assert t.loc[0, m.REQUESTER] == "Ana Silva"


@pytest.mark.parametrize("mixed", [False, True])
def test_canonical_parts_in_threads_equal_one_thread(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     mixed: bool) -> None:
    # the parts of the normalisation run in two threads on a big table: the same columns
    # and the same warnings, in the same order, as one after another
    from itsm_diag.importers import servicenow

    rows = ["number,sys_class_name,state,priority,contact_type,opened_at,reassignment_count,"
            "made_sla,time_worked"]
    for i in range(300):
        cls = ("Incident", "Change Request", "Catalog Task")[i % 3] if mixed else "Incident"
        rows.append(f"TASK{i:07d},{cls},{('New', 'Closed', 'Odd state')[i % 3]},"
                    f"{('1 - Critical', '9 - Whatever', '')[i % 3]},"
                    f"{('Phone', 'Carrier pigeon', 'Email')[i % 3]},"
                    f"2026-03-{1 + i % 28:02d} 09:00:00,{('1', '2.5', '')[i % 3]},"
                    f"{('true', 'maybe', 'false')[i % 3]},{('01:30:00', 'x', '')[i % 3]}")
    f = tmp_path / "task.csv"
    f.write_text("\n".join(rows) + "\n")
    threads: list[str] = []
    real = servicenow._priority_part

    def spy(df: dict[str, pd.Series]) -> tuple[dict[str, pd.Series], list[str]]:
        import threading

        threads.append(threading.current_thread().name)
        return real(df)

    monkeypatch.setattr(servicenow, "_priority_part", spy)
    monkeypatch.setattr(servicenow, "CANONICAL_IN_THREADS", 100)
    got = {}
    for n in ("1", "2"):
        monkeypatch.setenv("ITSM_DIAG_THREADS", n)
        loaded = load_paths([f], ImportOptions())
        got[n] = (loaded.tickets, loaded.sources[0].warnings)
    assert threads[0] == "MainThread" and threads[1].startswith("canonical")
    pd.testing.assert_frame_equal(got["1"][0], got["2"][0])
    assert got["1"][1] == got["2"][1]
    said = " ".join(got["2"][1])  # every part's warning is there
    assert "Odd state" in said and "9 - Whatever" in said and "Carrier pigeon" in said
    assert "left empty: '2.5' (100)" in said and "not durations, left empty: 'x' (100)" in said
