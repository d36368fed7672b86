"""Inputs and options that silently gave a wrong answer or the wrong reason (review of
inputs, round 2): an explicit ``--tz UTC`` against a mapping's zone, a mapping that fits
no file, exports with dates but no time of day, the action list on a one-instant export,
and the smaller error lines (offsets, journal times, dates before 1990, quiz answers,
two client configs, two time zones in compare)."""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.errors import ConfigError, DateFormatError, InputError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

ROOT = Path(__file__).parents[1]
SAMPLES = ROOT / "samples"
DEMO = SAMPLES / "demo"
INCIDENTS = DEMO / "incident_1.csv"
GLPI = SAMPLES / "glpi" / "tickets.csv"
runner = CliRunner()

#: the ServiceNow date columns of the demo's incident file
SN_DATES = ("opened_at", "resolved_at", "closed_at", "sys_updated_on", "due_date")


def run(*args: str, **kw: Any) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), **kw)
    return result.exit_code, result.stdout, result.stderr


def rewrite(src: Path, dst: Path, columns: tuple[str, ...], change: Any) -> Path:
    """``src`` (a CSV) written to ``dst`` with ``change(value, row_number)`` applied to the
    filled cells of ``columns``."""
    with src.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    where = [rows[0].index(c) for c in columns]
    for n, row in enumerate(rows[1:]):
        for i in where:
            if row[i]:
                row[i] = change(row[i], n)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return dst


# ---- 5. an explicit --tz UTC wins over a mapping's time_zone -----------------------------

KATHMANDU = ("tool: mytool\ncolumns:\n  ticket_id: ID\n  opened_at: Opening date\n"
             "time_zone: Asia/Kathmandu\nkind: incident\n")


def first_opened(mapping: Path, **options: Any) -> pd.Timestamp:
    loaded = load_paths([GLPI], ImportOptions(**options), None, [mapping])
    t = loaded.tickets.set_index(m.TICKET_ID)
    return t.loc["1", m.OPENED_AT]


def test_an_explicit_tz_utc_wins_over_the_mappings_zone(tmp_path: Path) -> None:
    mapping = tmp_path / "tzk.yaml"
    mapping.write_text(KATHMANDU, encoding="utf-8")
    # the file says 15-10-2025 09:08
    assert first_opened(mapping) == pd.Timestamp("2025-10-15 03:23", tz="UTC")  # Kathmandu
    assert first_opened(mapping, tz="UTC", tz_given=True) == pd.Timestamp(
        "2025-10-15 09:08", tz="UTC")
    assert first_opened(mapping, tz="Etc/UTC") == pd.Timestamp("2025-10-15 09:08", tz="UTC")


def test_the_command_line_tells_an_explicit_tz_utc_from_the_default(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[api.RunOptions] = []

    def fake(paths: Any, options: api.RunOptions) -> dict[str, Any]:
        seen.append(options)
        return {"inputs": [], "tickets": 0, "events": 0, "by_kind": {}, "coverage": {},
                "notes": [], "skipped": []}

    monkeypatch.setattr(api, "inspect_paths", fake)
    for args in ([], ["--tz", "UTC"], ["--tz", "Europe/Berlin"]):
        code, _, err = run("inspect", str(GLPI), *args, "--json")
        assert code == 0, err
    assert [(o.tz, o.tz_given) for o in seen] == [
        ("UTC", False), ("UTC", True), ("Europe/Berlin", True)]


# ---- 6. a mapping that fits no input is said, exit 2 ------------------------------------

def test_a_mapping_that_fits_no_file_is_an_error_naming_what_it_missed(tmp_path: Path) -> None:
    shutil.copy(INCIDENTS, tmp_path / "incident_1.csv")
    typo = tmp_path / "typo.yaml"
    typo.write_text("tool: mysn\ncolumns:\n  ticket_id: number\n  opened_at: opened\n"
                    "  status: state\nvalues:\n  status: {In Progress: pending}\n",
                    encoding="utf-8")
    for command in ("diagnose", "inspect"):
        code, _, err = run(command, str(tmp_path / "incident_1.csv"), "--mapping", str(typo))
        assert code == 2, err
        assert "typo.yaml" in err and "fits no input file" in err
        assert "no column 'opened' for columns.opened_at" in err
        assert len(err.strip().splitlines()) == 1
    with pytest.raises(ConfigError, match="fits no input file"):
        load_paths([SAMPLES / "jira"], ImportOptions(), mapping=[Path("glpi")])


def test_a_mapping_beside_a_tool_export_is_fine_when_it_reads_one_file(tmp_path: Path) -> None:
    shutil.copy(GLPI, tmp_path / "glpi.csv")
    shutil.copy(SAMPLES / "jira" / "jira_1.csv", tmp_path / "jira_1.csv")
    loaded = load_paths([tmp_path], ImportOptions(), mapping=[Path("glpi")])
    assert sorted(s.tool for s in loaded.sources) == ["glpi", "jira"]


def test_batch_a_clients_own_mapping_that_fits_nothing_fails_that_client(
        tmp_path: Path) -> None:
    root = tmp_path / "clients"
    shutil.copytree(SAMPLES / "jira", root / "acme")
    (root / "acme" / "x.mapping.yaml").write_text(
        "tool: other\ncolumns:\n  ticket_id: Ticket No\n  opened_at: Created On\n",
        encoding="utf-8")
    code, out, err = run("batch", str(root), "--format", "json", "--jobs", "1")
    assert code == 2, out + err
    assert "client acme" in err and "x.mapping.yaml" in err and "fits no input file" in err
    index = json.loads((root / "_reports" / "index.json").read_text(encoding="utf-8"))
    assert "fits no input file" in index["clients"][0]["error"]
    assert "mappings_used" not in index["clients"][0]  # the index keeps its shape


def test_batch_a_mapping_no_client_uses_is_said_and_one_some_use_is_not(
        tmp_path: Path) -> None:
    root = tmp_path / "clients"
    shutil.copytree(SAMPLES / "jira", root / "acme")
    code, out, err = run("batch", str(root), "--format", "json", "--jobs", "1",
                         "--mapping", "glpi")
    assert code == 2, out + err
    assert "--mapping glpi: it fits no file of any client" in err
    shutil.copytree(SAMPLES / "glpi", root / "globex")
    code, out, err = run("batch", str(root), "--format", "json", "--jobs", "1",
                         "--mapping", "glpi")
    assert code == 0, out + err  # meant for globex; acme's files are Jira's


# ---- 7. dates without a time of day ------------------------------------------------------

DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]\d{2}:\d{2}:\d{2}(?:\+00:00)?")


@pytest.fixture(scope="module")
def date_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with every time of day cut off (``2025-10-07 09:19:12`` -> ``2025-10-07``)."""
    out = tmp_path_factory.mktemp("dateonly")
    for src in DEMO.glob("*.csv"):
        text = src.read_text(encoding="utf-8")
        (out / src.name).write_text(DATE_TIME.sub(r"\1", text), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def date_only_report(date_only: Path) -> Any:
    return api.diagnose_paths([date_only], api.RunOptions())


def test_date_only_columns_get_a_data_note_in_numbers(date_only: Path) -> None:
    loaded = load_paths([date_only], ImportOptions())
    assert loaded.day_only[m.OPENED_AT] == int(loaded.tickets[m.OPENED_AT].notna().sum())
    assert {m.RESOLVED_AT, m.CLOSED_AT, m.DUE_AT} <= set(loaded.day_only)
    note = next(n for n in loaded.notes if "carry no time of day" in n)
    assert f"{loaded.day_only[m.OPENED_AT]:,} of " in note and "opened_at" in note
    assert "(UTC)" in note and "time to resolve comes in whole days" in note
    # the same dates read in another zone are that zone's midnights
    berlin = load_paths([date_only], ImportOptions(tz="Europe/Berlin"))
    assert m.OPENED_AT in berlin.day_only
    assert any("(Europe/Berlin)" in n for n in berlin.notes)
    # an export with times of day gets no such note
    with_times = load_paths([DEMO], ImportOptions())
    assert not with_times.day_only
    assert not any("carry no time of day" in n for n in with_times.notes)


def test_date_only_time_to_resolve_and_action_list_say_so(date_only_report: Any) -> None:
    r = date_only_report
    assert any("carry no time of day" in n for n in r.data_notes)
    assert r.kpis.caveats["time_to_resolve_hours"].startswith("Measured to the day")
    actions = r.analyses["actions"]
    assert "day_stamps" in [n.code for n in actions.notes]


def test_hours_between_day_stamps_cost_a_step_of_confidence(date_only_report: Any) -> None:
    # the date-only demo read changes at 45.5 a quarter (28.7 with times) at the same
    # confidence: tiers 2-3's 48 hours over day stamps span three calendar days; trust's
    # 48-hour duplicates the same
    timed = {f.id: f for f in api.diagnose_paths([DEMO], api.RunOptions()).signs}
    days = {f.id: f for f in date_only_report.signs}
    steps = ["high", "medium", "low"]
    for sign in ("changes", "trust"):
        assert days[sign].status == "triggered", sign
        # at least a step less sure (trust's day-stamped duplicates are also more often
        # what chance gives, a step of its own)
        assert steps.index(days[sign].confidence) >= min(
            steps.index(timed[sign].confidence) + 1, 2), sign
        day_note = next(n for n in days[sign].evidence.notes if n.code == "day_stamps")
        assert "opened_at" in day_note.text and "midnights" in day_note.text
        assert not any(n.code == "day_stamps" for n in timed[sign].evidence.notes)


def test_a_few_midnights_are_no_date_only_column() -> None:
    from itsm_diag.importers import timeofday

    times = pd.Series(pd.to_datetime(["2026-03-01 00:00", "2026-03-02 00:00"] * 5, utc=True))
    t = pd.DataFrame({m.OPENED_AT: times.astype(m.TIMESTAMP_DTYPE)})
    assert timeofday.midnight_columns(t, "UTC") == {}
    assert timeofday.midnight_columns(t, "UTC", min_values=10) == {m.OPENED_AT: 10}


def test_a_midnight_a_clock_change_skips_is_still_the_days_start() -> None:
    from itsm_diag.importers import timeofday

    # America/Santiago skips 2026-09-06 00:00: a date read there lands on 01:00
    days = pd.Series(pd.date_range("2026-09-01", "2026-09-30", freq="D"))
    utc, _, _ = m.wall_to_utc(days, "America/Santiago")
    t = pd.DataFrame({m.OPENED_AT: utc.astype(m.TIMESTAMP_DTYPE)})
    assert timeofday.midnight_columns(t, "America/Santiago") == {m.OPENED_AT: 30}
    # and an hour later is no midnight
    t2 = pd.DataFrame({m.OPENED_AT: (utc + pd.Timedelta(hours=1)).astype(m.TIMESTAMP_DTYPE)})
    assert timeofday.midnight_columns(t2, "America/Santiago") == {}


def test_actions_give_an_hour_reason_on_day_stamps_only_when_it_holds_all_day() -> None:
    from itsm_diag.analyses import actions
    from itsm_diag.signs.base import Context, Window

    day = pd.Timestamp("2026-09-30", tz="UTC")
    n = 25
    t = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: [f"T{i:02d}" for i in range(n)], m.KIND: ["incident"] * n,
        m.STATUS: ["open"] * n, m.PRIORITY: [1] * n,
        # T00 opened on the as-of day, T01 the day before, the rest earlier (dates only)
        m.OPENED_AT: [day - pd.Timedelta(days=i) for i in range(n)],
        m.ASSIGNEE: [None, None, *(["Pat"] * (n - 2))]}))
    ctx = Context(tickets=t, events=m.empty_events(),
                  window=Window(start=day - pd.Timedelta(days=90),
                                end=day + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)),
                  day_only=frozenset({m.OPENED_AT}))
    params = api.load_rules(None).analyses["actions"].params
    meas = actions.measure(ctx, params)
    rows = {r["ticket_id"]: r["reasons"] for r in meas.tables["actions"]}
    # opened some time on the as-of day: neither 4 hours unowned nor past its P1 target
    # for sure; opened the day before: both, whatever the hour
    assert "unowned" not in rows["T00"] and "overdue" not in rows["T00"]
    assert "due_soon" in rows["T00"]
    assert {"unowned", "overdue"} <= set(rows["T01"])
    assert "day_stamps" in [x.code for x in meas.notes]


@pytest.fixture(scope="module")
def one_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo with every date replaced by 2026-09-30 (times kept)."""
    out = tmp_path_factory.mktemp("oneday")
    for src in DEMO.glob("*.csv"):
        text = src.read_text(encoding="utf-8")
        (out / src.name).write_text(re.sub(r"\d{4}-\d{2}-\d{2}", "2026-09-30", text),
                                    encoding="utf-8")
    return out


def test_the_action_list_on_a_one_instant_export_gives_the_stamp_as_reason(
        one_day: Path) -> None:
    r = api.diagnose_paths([one_day], api.RunOptions())
    assert "one_instant" in r.extract_shape
    actions = r.analyses["actions"]
    assert actions.status == "unknown"
    assert "selected on closure" not in actions.reason
    assert "import stamp" in actions.reason
    assert re.search(r"Open in the export: \d[\d,]* tickets", actions.reason)


def test_the_action_list_names_each_cut_by_its_shape() -> None:
    from itsm_diag.analyses import actions
    from itsm_diag.signs.base import Context, Window
    from itsm_diag.signs.shape import ClosureSelection, ExtractShape, NoneOpen

    now = pd.Timestamp("2026-09-30", tz="UTC")
    t = m.conform_tickets(pd.DataFrame({
        m.TICKET_ID: ["A", "B"], m.KIND: ["incident", "incident"],
        m.STATUS: ["open", "closed"], m.OPENED_AT: [now, now]}))
    none_open = NoneOpen(cut=now, open_at_cut=1, expected_open=40.0, per_day=10.0,
                         stay_hours=96.0, recent_days=28, done=99, total=100)
    closure = ClosureSelection(now, now, 4, 50, 0, now, now, 50, 100, 100)
    codes = {}
    for name, shape in (("none_open", ExtractShape(none_open=none_open)),
                        ("closure", ExtractShape(closure=closure))):
        ctx = Context(tickets=t, events=m.empty_events(),
                      window=Window(start=now - pd.Timedelta(days=91), end=now), shape=shape)
        meas = actions.measure(ctx, {"kinds": ["incident"]})
        assert meas.unknown is not None
        codes[name] = meas.unknown.code
    assert codes == {"none_open": "cut_none_open", "closure": "closure_selected"}


# ---- 9. the smaller error lines ----------------------------------------------------------

def test_a_column_mixing_offsets_and_none_says_what_to_do_instead(tmp_path: Path) -> None:
    path = rewrite(INCIDENTS, tmp_path / "incident_1.csv", ("opened_at",),
                   lambda v, n: v + "+05:45" if n % 2 else v)
    for extra in ([], ["--date-format", "%Y-%m-%d %H:%M:%S"]):
        code, _, err = run("inspect", str(path), *extra)
        assert code == 2
        assert "carry a UTC offset" in err and "no date format reads both" in err
        assert "pass --date-format" not in err


def test_an_explicit_format_error_in_the_journal_names_its_header(tmp_path: Path) -> None:
    def day_first(value: str, _: int) -> str:
        return pd.Timestamp(value).strftime("%d.%m.%Y %H:%M:%S")

    path = rewrite(INCIDENTS, tmp_path / "incident_1.csv", SN_DATES, day_first)
    code, _, err = run("inspect", str(path), "--date-format", "%d.%m.%Y %H:%M:%S")
    assert code == 2
    assert "column 'at'" not in err and "column 'comments" in err
    assert "check --date-format" in err and "or pass --date-format" not in err


def test_postgres_hour_offsets_are_read(tmp_path: Path) -> None:
    path = rewrite(INCIDENTS, tmp_path / "incident_1.csv", SN_DATES,
                   lambda v, n: v + "+02")
    t = load_paths([path], ImportOptions()).tickets.set_index(m.TICKET_ID)
    # the file says 2025-10-07 09:19:12+02
    assert t.loc["INC0010001", m.OPENED_AT] == pd.Timestamp("2025-10-07 07:19:12", tz="UTC")


def test_an_export_dated_before_1990_says_so_in_diagnose(tmp_path: Path) -> None:
    text = INCIDENTS.read_text(encoding="utf-8")
    (tmp_path / "incident_1.csv").write_text(
        text.replace("2025-", "1986-").replace("2026-", "1987-"), encoding="utf-8")
    with pytest.raises(InputError, match="before 1990"):
        api.diagnose_paths([tmp_path / "incident_1.csv"], api.RunOptions())
    code, _, err = run("diagnose", str(tmp_path / "incident_1.csv"))
    assert code == 2 and "before 1990 left empty" in err


def test_quiz_save_answers_into_a_missing_folder_fails_before_asking(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "a.yaml"
    code, out, err = run("quiz", "--save-answers", str(target), input="")
    assert code == 2
    assert "does not exist" in err and str(target) in err and ".tmp" not in err
    assert "?" not in out  # no question was asked


def test_a_batch_client_with_two_configs_is_told_so(tmp_path: Path) -> None:
    root = tmp_path / "clients"
    shutil.copytree(SAMPLES / "jira", root / "acme")
    (root / "acme" / "itsm-diag.toml").write_text("[defaults]\nhourly_rate = 80\n",
                                                  encoding="utf-8")
    (root / "acme" / "itsm-diag.yaml").write_text("defaults:\n  hourly_rate: 90\n",
                                                  encoding="utf-8")
    code, out, err = run("batch", str(root), "--format", "json", "--jobs", "1")
    assert code == 2, out + err
    assert "2 client configs" in err and "itsm-diag.toml, itsm-diag.yaml" in err
    assert "not an export" not in err


def test_compare_notes_two_time_zones() -> None:
    from itsm_diag.compare import compare

    fixtures = ROOT / "tests" / "fixtures" / "servicenow"
    report = api.diagnose_paths([fixtures / "incident_fields_dayfirst.csv"], api.RunOptions())
    other = report.model_copy(update={"window": report.window.model_copy(
        update={"tz": "Asia/Kathmandu"})})
    words = api.load_rules(None).defaults.wording
    notes = compare(report, other, words).notes
    assert any("--tz UTC in the baseline, Asia/Kathmandu now" in n for n in notes)
    assert not any("--tz" in n for n in compare(report, report, words).notes)


def test_date_format_error_from_a_mapping_names_the_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("tool: mytool\ncolumns:\n  ticket_id: ID\n  opened_at: Opening date\n"
                       "date_format: '%Y/%m/%d %H:%M'\nkind: incident\n", encoding="utf-8")
    with pytest.raises(DateFormatError, match="check date_format"):
        load_paths([GLPI], ImportOptions(), mapping=[mapping])


# ---- onboarding's start morning is in --tz ------------------------------------------------

def _new_starters(folder: Path, closed_hour: float) -> None:
    """The demo with its requested items replaced by 11 new-hire requests, each raised two
    weeks before a Monday start and closed on that Monday at ``closed_hour`` local time."""
    for f in DEMO.glob("*.csv"):
        if f.name != "sc_req_item.csv":
            shutil.copy(f, folder / f.name)
    rows = []
    for i, monday in enumerate(pd.date_range("2026-07-20", periods=11, freq="W-MON")):
        opened = monday - pd.Timedelta(days=14) + pd.Timedelta(hours=10)
        done = monday + pd.Timedelta(hours=closed_hour)
        rows.append({"number": f"RITM{i + 1:07d}", "short_description": "New hire onboarding",
                     "cat_item": "New hire onboarding", "state": "Closed Complete",
                     "opened_at": f"{opened:%Y-%m-%d %H:%M:%S}",
                     "closed_at": f"{done:%Y-%m-%d %H:%M:%S}",
                     "u_start_date": f"{monday:%Y-%m-%d}"})
    pd.DataFrame(rows).to_csv(folder / "sc_req_item.csv", index=False)


@pytest.mark.parametrize("tz", ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"])
def test_new_starters_ready_before_nine_local_are_on_time_in_any_zone(
        tmp_path: Path, tz: str) -> None:
    # the deadline was 09:00 of the start date's UTC day: in Berlin a start date read as
    # 2026-07-05 22:00 UTC put it on the Sunday, and all 11 were "late" (triggered, high)
    _new_starters(tmp_path, closed_hour=8.5)
    code, out, err = run("diagnose", str(tmp_path), "--tz", tz, "--format", "json")
    assert code == 0, err
    onboarding = next(s for s in json.loads(out)["signs"] if s["id"] == "onboarding")
    late = onboarding["metrics"]["late_share"]
    assert (late["numerator"], late["denominator"]) == (0, 11), tz
    assert f"{tz} time" in json.dumps(onboarding["evidence"]["notes"])


def test_new_starters_ready_after_nine_local_are_late(tmp_path: Path) -> None:
    _new_starters(tmp_path, closed_hour=9.5)
    code, out, err = run("diagnose", str(tmp_path), "--tz", "Asia/Tokyo", "--format", "json")
    assert code == 0, err
    onboarding = next(s for s in json.loads(out)["signs"] if s["id"] == "onboarding")
    assert onboarding["metrics"]["late_share"]["numerator"] == 11
