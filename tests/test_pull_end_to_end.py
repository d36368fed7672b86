"""Pull, then diagnose: the same report as diagnosing the same tickets exported as files.

The tickets come from synth (with comments), are written as each tool's export files by
writers/, and the same rows are served by a fake API in the tool's documented shape;
``itsm-diag pull`` fetches them (in small pages, with faults) and ``diagnose`` reads the
folder with no other option. The two JSON reports must be equal but for input paths.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from itsm_diag import api, synth
from itsm_diag.render.json import render
from pullkit import (
    TOKEN,
    FakeServer,
    FreshserviceApp,
    JiraApp,
    ServiceNowApp,
    ZendeskApp,
    freshservice_from_export,
    jira_from_export,
    pull,
    sn_record,
)


@pytest.fixture(scope="module")
def data() -> synth.Synthetic:
    return synth.generate(700, seed=11, conditions=synth.Conditions.all())


def report(path: Path) -> dict[str, Any]:
    doc = json.loads(render(api.diagnose_paths([path], api.RunOptions())))
    for item in doc["inputs"]:
        # how the file is written, not what it says: where it is, its delimiter (a pulled
        # ServiceNow or Zendesk file is JSON), its date formats (a pulled Jira CSV has UTC
        # ISO times) and so the detection's reasons and confidence
        for key in ("path", "delimiter", "date_formats", "detected_by", "confidence"):
            item.pop(key, None)
    return doc


def same_reports(files: Path, pulled: Path) -> None:
    want, got = report(files), report(pulled)
    assert got["tickets"]["total"] > 300
    assert got == want


def test_servicenow(data: synth.Synthetic, tmp_path: Path) -> None:
    from itsm_diag.writers.servicenow import write_servicenow

    files = tmp_path / "files"
    paths = write_servicenow(data.tickets, data.events, files)
    tables = {}
    for p in paths:
        with p.open(newline="", encoding="utf-8") as fh:
            tables[p.stem] = [sn_record(row) for row in csv.DictReader(fh)]
    app = ServiceNowApp(tables, cap=97)
    pulled = tmp_path / "pulled"
    with FakeServer(app) as srv:
        srv.faults = {3: "429", 7: "drop", 12: "503"}
        run = pull("servicenow", srv.url, pulled, tables=list(tables), page_size=200)
    assert run.code == 0, run.err
    assert sorted(p.name for p in pulled.iterdir() if not p.name.startswith(".")) == sorted(
        f"{t}.json" for t in tables)
    same_reports(files, pulled)


def test_zendesk(data: synth.Synthetic, tmp_path: Path) -> None:
    from itsm_diag.writers.zendesk import write_zendesk_pages

    files = tmp_path / "files"
    page, fields = write_zendesk_pages(data.tickets, files, per_page=10**6, stale_share=0)
    doc = json.loads(page.read_text())
    app = ZendeskApp(doc["tickets"], doc["metric_sets"], doc["users"], doc["groups"], cap=50,
                     ticket_fields=json.loads(fields.read_text())["ticket_fields"])
    pulled = tmp_path / "pulled"
    with FakeServer(app) as srv:
        srv.faults = {2: "503", 4: "drop"}
        run = pull("zendesk", srv.url, pulled)
    assert run.code == 0, run.err
    same_reports(files, pulled)


def test_freshservice(data: synth.Synthetic, tmp_path: Path) -> None:
    import pandas as pd

    from itsm_diag import model as m
    from itsm_diag.writers.freshservice import write_freshservice

    # what Freshservice's API can hold: no Cancelled status, no API/monitoring source
    # codes, SLA only as due_by (Within SLA = done by then), time tracked not pulled
    t = data.tickets[data.tickets[m.STATUS] != "cancelled"].copy()
    t[m.CHANNEL] = t[m.CHANNEL].astype("object").replace(
        {"api": "email", "monitoring": "email", "other": "portal"}).astype(t[m.CHANNEL].dtype)
    done = t[m.RESOLVED_AT].fillna(t[m.CLOSED_AT])
    t[m.SLA_MET] = (done <= t[m.DUE_AT]).astype("boolean").where(
        done.notna() & t[m.DUE_AT].notna(), pd.NA)
    t[m.TIME_SPENT_HOURS] = pd.NA
    files = tmp_path / "files"
    paths = {p.stem: p for p in write_freshservice(t, files)}
    rows = {}
    for name, p in paths.items():
        with p.open(newline="", encoding="utf-8") as fh:
            rows[name] = list(csv.DictReader(fh))
        # an export layout without the (empty) Time tracked column, as the pull writes
        for row in rows[name]:
            row.pop("Time tracked", None)
        with p.open("w", newline="", encoding="utf-8") as fh:
            out = csv.DictWriter(fh, fieldnames=list(rows[name][0]))
            out.writeheader()
            out.writerows(rows[name])
    app = FreshserviceApp(freshservice_from_export(rows["tickets"], rows["changes"]), cap=30)
    pulled = tmp_path / "pulled"
    with FakeServer(app) as srv:
        srv.faults = {2: "429", 6: "drop"}
        run = pull("freshservice", srv.url, pulled, env={"ITSM_DIAG_TOKEN": TOKEN})
    assert run.code == 0, run.err
    same_reports(files, pulled)


def test_jira(data: synth.Synthetic, tmp_path: Path) -> None:
    import pandas as pd

    from itsm_diag import model as m
    from itsm_diag.writers.jira import jira_keys, write_jira

    # a Jira CSV holds minutes and due days: the same tickets at that precision
    t = data.tickets.copy()
    for col, unit in ((c, "min") for c in t.columns if isinstance(t[c].dtype,
                                                                  pd.DatetimeTZDtype)):
        t[col] = t[col].dt.floor(unit)
    t[m.DUE_AT] = t[m.DUE_AT].dt.floor("D")
    events = data.events.copy()
    events[m.EV_AT] = events[m.EV_AT].dt.floor("min")
    files = tmp_path / "files"
    [path] = write_jira(t, events, files)
    with path.open(newline="", encoding="utf-8") as fh:
        headers, *rows = list(csv.reader(fh))
    # what the pull derives from the change history, in the export as custom fields
    keys = jira_keys(t)
    counts = t.set_index(t[m.TICKET_ID].map(keys))
    at = headers.index("Issue key")
    headers += ["Custom field (Reassignment count)", "Custom field (Reopen count)"]
    for row in rows:
        c = counts.loc[row[at]]
        row += [str(int(c[m.REASSIGNMENT_COUNT]) if pd.notna(c[m.REASSIGNMENT_COUNT]) else 0),
                str(int(c[m.REOPEN_COUNT]) if pd.notna(c[m.REOPEN_COUNT]) else 0)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([headers, *rows])
    issues, names = jira_from_export(headers, rows)
    app = JiraApp(issues, names, cap=40, inline=1)
    pulled = tmp_path / "pulled"
    with FakeServer(app) as srv:
        srv.faults = {3: "503", 5: "drop", 8: "429"}
        run = pull("jira", srv.url, pulled, jql="project = ITSM")
    assert run.code == 0, run.err
    # comments and histories longer than the search gives are read in full
    assert any("/changelog" in r.path for r in srv.log)
    assert any("/comment" in r.path for r in srv.log)
    same_reports(files, pulled)


def test_diagnose_passes_over_the_pull_state_folder(tmp_path: Path) -> None:
    # the resume state is itsm-diag's own bookkeeping beside the pulled files: not an
    # export to read, nor a file to name as not read
    import shutil

    from itsm_diag.api import demo_dir
    from itsm_diag.importers.registry import list_inputs
    from itsm_diag.pull.store import STATE_DIR

    shutil.copy(demo_dir() / "incident_1.csv", tmp_path / "incident_1.csv")
    state = tmp_path / STATE_DIR
    state.mkdir()
    (state / "cursor.json").write_text('{"next": 2}', encoding="utf-8")
    listing = list_inputs([tmp_path])
    assert [p.name for p, _ in listing.files] == ["incident_1.csv"]
    assert not any(STATE_DIR in str(skipped) for skipped in listing.skipped)
