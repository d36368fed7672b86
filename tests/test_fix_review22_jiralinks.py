"""Review 22b (rv22b), item 5: a JSM Problem/Incident link to a problem the file does not
hold counted only in the inward direction.

An incidents-only JSM "CSV (all fields)" file (the Problem issues filtered out): an
incident's ``Outward issue link (Problem/Incident)`` naming ITSM-901 was dropped, as the
linked key's kind is unknown and only the inward ("is caused by") side was taken for it;
its cluster read uncovered (6 clusters, 5 uncovered). A Problem/Incident link names the
problem whichever side the agent wrote it from: 4 uncovered now. A change link keeps its
direction.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

runner = CliRunner()
JIRA = "%d/%b/%y %I:%M %p"
LINKS = ("Inward issue link (Problem/Incident)", "Outward issue link (Problem/Incident)",
         "Outward issue link (Relates)", "Inward issue link (Causes)",
         "Outward issue link (Causes)")
NAMES = {"A": "VPN drops every morning", "B": "SAP login times out",
         "C": "Shared drive S not mapped", "D": "Teams calls drop audio",
         "E": "Citrix session freezes", "F": "Payroll report empty"}


def _file(path: Path) -> None:
    """The reviewer's j1, smaller: 300 background incidents of random summaries and six
    clusters of 4 (category Software + summary), 12 days apart. The last incident of A
    has an inward Problem/Incident link to ITSM-900, of B an outward one to ITSM-901, of C
    only an outward Relates link; a background incident has an outward Causes link to
    ITSM-950 (the change it prompted: no change-caused incident), another an inward one
    to ITSM-951 (caused by it)."""
    rows: list[dict[str, Any]] = []

    def add(summary: str, comp: str, opened: pd.Timestamp, **links: str) -> None:
        i = len(rows) + 1
        res = opened + pd.Timedelta(hours=5)
        row = {"Summary": summary, "Issue key": f"ITSM-{1000 + i}",
               "Issue id": str(50000 + i), "Issue Type": "Incident", "Status": "Closed",
               "Project key": "ITSM", "Priority": "Medium", "Resolution": "Done",
               "Assignee": "agent.a", "Reporter": f"user{i % 200}",
               "Created": opened.strftime(JIRA), "Updated": res.strftime(JIRA),
               "Resolved": res.strftime(JIRA), "Components": comp}
        row.update({h: "" for h in LINKS})
        row.update({LINKS[int(k[1:])]: v for k, v in links.items()})
        rows.append(row)

    rng = np.random.default_rng(5)
    for i in range(300):
        word = " ".join("".join(chr(97 + int(x)) for x in rng.integers(0, 26, 7))
                        for _ in range(3))
        extra = ({"l4": "ITSM-950"} if i == 10 else {"l3": "ITSM-951"} if i == 11 else {})
        add(word, ["Hardware", "Network"][i % 2],
            pd.Timestamp("2026-03-01 08:00") + pd.Timedelta(hours=7 * i), **extra)
    plan = {"A": {"l0": "ITSM-900"}, "B": {"l1": "ITSM-901"}, "C": {"l2": "ITSM-902"}}
    for j, c in enumerate(NAMES):
        t0 = pd.Timestamp("2026-03-10 10:00") + pd.Timedelta(days=2 * j)
        for k in range(4):
            add(NAMES[c], "Software", t0 + pd.Timedelta(days=12 * k),
                **(plan.get(c, {}) if k == 3 else {}))
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.DictWriter(fh, list(rows[0]), quoting=csv.QUOTE_ALL)
        out.writeheader()
        out.writerows(rows)


def test_an_outward_problem_link_to_an_unseen_problem_names_it(tmp_path: Path) -> None:
    path = tmp_path / "jira-incidents.csv"
    _file(path)
    t = load_paths([path], ImportOptions()).tickets.set_index(m.TICKET_ID)
    refs = t[m.PROBLEM_REF].dropna().to_dict()
    # A (inward) and B (outward, dropped before); C's Relates link names no problem
    assert refs == {"ITSM-1304": "ITSM-900", "ITSM-1308": "ITSM-901"}
    # a change link keeps its direction: the outward Causes link (the change the
    # incident prompted) is no change-caused incident, the inward one is
    changes = t[m.CAUSED_BY_CHANGE].dropna().to_dict()
    assert changes == {"ITSM-1012": "ITSM-951"}


def test_the_outward_linked_cluster_is_covered(tmp_path: Path) -> None:
    # before: 6 clusters, 5 uncovered, "software | sap login times out" among them
    path = tmp_path / "jira-incidents.csv"
    _file(path)
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["diagnose", str(path), "-f", "json", "-o", str(out)])
    assert result.exit_code in (0, 1, 2), result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    sign = next(s for s in report["signs"] if s["id"] == "recurrence")
    assert sign["metrics"]["recurring_clusters"]["value"] == 6
    assert sign["metrics"]["uncovered_clusters"]["value"] == 4
    assert sign["status"] == "triggered", sign["reason"]
    uncovered = {r["key"] for r in sign["evidence"]["tables"]["top_uncovered_clusters"]}
    assert uncovered == {"software | shared drive s not mapped",
                         "software | teams calls drop audio",
                         "software | citrix session freezes",
                         "software | payroll report empty"}
