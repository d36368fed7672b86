"""Regenerate the bundled sample exports, deterministically (see samples/README.md).

    python scripts/make_samples.py

``samples/demo/``: ServiceNow field-name CSVs (the CSV default), the data behind
``itsm-diag demo``. ``samples/servicenow/``: the same data with label headers: the
incidents as an XLSX (ServiceNow's XLSX default), the other tables as label-header CSVs.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from itsm_diag import synth
from itsm_diag.writers.servicenow import SERVICENOW_TABLES, write_servicenow

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

#: the demo's world: four signs on, three clear -> a "slowing" band with real evidence
DEMO_CONDITIONS = synth.Conditions(
    backlog=True, recurrence=True, trust=True, changes=True,
    onboarding=False, reporting=False, strategy=False,
)
DEMO_TICKETS = 2500
DEMO_SEED = 7
DEMO_END = "2026-09-30"
DEMO_WEEKS = 26
#: incidents are split into chunks (incident_1.csv, incident_2.csv) to keep each file small
INCIDENT_CHUNK = 700
MAX_FILE_BYTES = 400_000
MAX_FOLDER_BYTES = 1_500_000


def _clean(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)


#: samples/jira/ and samples/zendesk/: other worlds, so each tool shows a different picture
JIRA_CONDITIONS = synth.Conditions(backlog=True, changes=True, strategy=True)
JIRA_TICKETS, JIRA_SEED, JIRA_CHUNK = 1300, 21, 450
ZENDESK_CONDITIONS = synth.Conditions(trust=True, recurrence=True, onboarding=True)
ZENDESK_TICKETS, ZENDESK_SEED, ZENDESK_PAGE = 1100, 31, 300


def make_jira_zendesk() -> list[Path]:
    """samples/jira/ (chunked CSV exports) and samples/zendesk/ (admin CSV; api/ pages;
    full_export/ NDJSON; the same tickets in all three, the JSON ones with the
    ticket_fields.json that names their custom fields). Run alone from scripts/:
    ``python -c "import make_samples as s; s.make_jira_zendesk()"``."""
    from itsm_diag.writers.jira import write_jira
    from itsm_diag.writers.zendesk import (
        write_zendesk_csv,
        write_zendesk_ndjson,
        write_zendesk_pages,
    )

    jira = synth.generate(JIRA_TICKETS, seed=JIRA_SEED, end=DEMO_END, weeks=DEMO_WEEKS,
                          conditions=JIRA_CONDITIONS)
    _clean(SAMPLES / "jira")
    files = write_jira(jira.tickets, jira.events, SAMPLES / "jira", max_rows=JIRA_CHUNK)
    zd = synth.generate(ZENDESK_TICKETS, seed=ZENDESK_SEED, end=DEMO_END, weeks=DEMO_WEEKS,
                        conditions=ZENDESK_CONDITIONS)
    _clean(SAMPLES / "zendesk")
    files.append(write_zendesk_csv(zd.tickets, SAMPLES / "zendesk"))
    files += write_zendesk_pages(zd.tickets, SAMPLES / "zendesk" / "api",
                                 per_page=ZENDESK_PAGE)
    # the same tickets again: three formats of one account give one diagnosis
    files.append(write_zendesk_ndjson(zd.tickets, zd.events,
                                      SAMPLES / "zendesk" / "full_export"))
    files.append(SAMPLES / "zendesk" / "full_export" / "ticket_fields.json")
    for path in files:
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1000:.0f} KB")
    return files


#: samples/freshservice/ and samples/glpi/: two more worlds with their own picture
FRESHSERVICE_CONDITIONS = synth.Conditions(reporting=True, changes=True, onboarding=True)
FRESHSERVICE_TICKETS, FRESHSERVICE_SEED = 1100, 41
GLPI_CONDITIONS = synth.Conditions(backlog=True, trust=True)
GLPI_TICKETS, GLPI_SEED = 1000, 51


def make_freshservice_glpi() -> list[Path]:
    """samples/freshservice/ (tickets as XLSX, changes as CSV, English headers) and
    samples/glpi/ (a GLPI ticket list: ';', BOM, CRLF, day-first dates; read it with
    ``--mapping glpi``). Run alone: ``python -c "import make_samples as s;
    s.make_freshservice_glpi()"`` from scripts/."""
    from itsm_diag.writers.freshservice import write_freshservice
    from itsm_diag.writers.mapped import write_glpi

    fs = synth.generate(FRESHSERVICE_TICKETS, seed=FRESHSERVICE_SEED, end=DEMO_END,
                        weeks=DEMO_WEEKS, conditions=FRESHSERVICE_CONDITIONS)
    _clean(SAMPLES / "freshservice")
    files = write_freshservice(fs.tickets, SAMPLES / "freshservice", fmt="xlsx",
                               tables=("tickets",))
    files += write_freshservice(fs.tickets, SAMPLES / "freshservice", fmt="csv",
                                tables=("changes",))
    glpi = synth.generate(GLPI_TICKETS, seed=GLPI_SEED, end=DEMO_END, weeks=DEMO_WEEKS,
                          conditions=GLPI_CONDITIONS)
    _clean(SAMPLES / "glpi")
    files.append(write_glpi(glpi.tickets, SAMPLES / "glpi"))
    for path in files:
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1000:.0f} KB")
    return files


def main() -> int:
    data = synth.generate(DEMO_TICKETS, seed=DEMO_SEED, end=DEMO_END, weeks=DEMO_WEEKS,
                          conditions=DEMO_CONDITIONS)
    others = tuple(t for t in SERVICENOW_TABLES if t != "incident")

    demo = SAMPLES / "demo"
    _clean(demo)
    files = write_servicenow(data.tickets, data.events, demo, style="field", fmt="csv",
                             max_rows=INCIDENT_CHUNK, tables=("incident",))
    files += write_servicenow(data.tickets, data.events, demo, style="field", fmt="csv",
                              tables=others)

    sn = SAMPLES / "servicenow"
    _clean(sn)
    files += write_servicenow(data.tickets, data.events, sn, style="label", fmt="xlsx",
                              tables=("incident",))
    files += write_servicenow(data.tickets, data.events, sn, style="label", fmt="csv",
                              tables=others)

    files += make_jira_zendesk()
    files += make_freshservice_glpi()

    problems = []
    for path in files:
        size = path.stat().st_size
        print(f"{path.relative_to(ROOT)}: {size / 1000:.0f} KB")
        if size >= MAX_FILE_BYTES:
            problems.append(f"{path.name} is {size} bytes (limit {MAX_FILE_BYTES})")
    for folder in (demo, sn):
        total = sum(p.stat().st_size for p in folder.iterdir())
        print(f"{folder.relative_to(ROOT)}/: {total / 1000:.0f} KB in total")
        if total >= MAX_FOLDER_BYTES:
            problems.append(f"{folder.name}/ is {total} bytes (limit {MAX_FOLDER_BYTES})")
    counts = data.tickets["kind"].value_counts()
    print("tickets:", ", ".join(f"{k} {v}" for k, v in counts.items() if v),
          f"| events: {len(data.events)}")
    for problem in problems:
        print("too large:", problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
