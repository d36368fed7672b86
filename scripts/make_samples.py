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
