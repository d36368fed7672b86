"""Review 21b, defect 6: a Freshservice "Minor" change is no standard (pre-approved) one.

Freshservice's change types are Minor, Standard, Major and Emergency; a Minor change
"undergoes every stage in a change lifecycle, including CAB approval" (Freshservice
support article 236100): only Standard is pre-approved. The reviewer's scen_fs (60 Minor,
30 Major, 10 Emergency, no Standard) read "standard 60%", tiering_problems 0; it is
standard 0% and the "no standard changes" tiering problem.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers import values as v
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

F = "%d/%m/%Y %H:%M"


def _export(d: Path) -> list[Path]:
    rng = np.random.default_rng(4)
    t0 = pd.Timestamp("2026-01-05")
    n = 600
    op = t0 + pd.to_timedelta(rng.uniform(0, 88 * 86400, n), unit="s")
    res = op + pd.to_timedelta(rng.exponential(20, n), unit="h")
    t = pd.DataFrame({
        "Ticket Id": [f"#INC-{i + 1}" for i in range(n)],
        "Subject": rng.choice(["VPN drops", "Mail slow", "Printer jam"], n),
        "Status": "Closed", "Priority": "Medium",
        "Source": rng.choice(["Portal", "Phone", "Email"], n), "Type": "Incident",
        "Requester Name": [f"U{i}" for i in rng.integers(0, 200, n)], "Agent": "Kim",
        "Group": "Desk", "Category": rng.choice(["Network", "Email", "Hardware"], n),
        "Sub-Category": "", "Created Time": op.strftime(F), "Resolved Time": res.strftime(F),
        "Closed Time": res.strftime(F), "Last Updated Time": res.strftime(F),
        "Resolution Status": "Within SLA", "First Response Status": "Within SLA"})
    last = op > t0 + pd.Timedelta(days=83)
    t.loc[last, ["Status", "Resolved Time", "Closed Time"]] = ["Open", "", ""]
    k = 100
    cs = t0 + pd.to_timedelta(rng.uniform(0, 86 * 86400, k), unit="s")
    c = pd.DataFrame({
        "Change ID": [f"#CHN-{i + 1}" for i in range(k)], "Subject": "Change",
        "Status": "Closed", "Change Type": ["Minor"] * 60 + ["Major"] * 30 + ["Emergency"] * 10,
        "Risk": "Low", "Impact": "Low", "Priority": "Low",
        "Planned Start Date": cs.strftime(F),
        "Planned End Date": (cs + pd.Timedelta(hours=2)).strftime(F), "Agent": "Kim",
        "Group": "Ops", "Department": "IT", "Requester": "Jo",
        "Created Date": (cs - pd.Timedelta(days=3)).strftime(F),
        "Closed Date": (cs + pd.Timedelta(hours=5)).strftime(F)})
    d.mkdir(parents=True, exist_ok=True)
    t.to_csv(d / "tickets.csv", index=False)
    c.to_csv(d / "changes.csv", index=False)
    return [d / "tickets.csv", d / "changes.csv"]


def test_minor_is_a_normal_change() -> None:
    assert v.CHANGE_TYPES["minor"] == "normal"
    assert v.CHANGE_TYPES["standard"] == "standard"
    assert v.CHANGE_TYPES["major"] == "normal"


def test_freshservice_minor_changes_are_not_pre_approved(tmp_path: Path) -> None:
    paths = _export(tmp_path)
    opts = ImportOptions(date_format="dayfirst")
    t = load_paths(paths, opts).tickets
    counts = t.loc[t[m.KIND] == "change", m.CHANGE_TYPE].value_counts()
    types = counts[counts > 0].to_dict()
    assert types == {"normal": 90, "emergency": 10}  # was standard 60, normal 30
    report = api.diagnose_paths(paths, api.RunOptions(date_format="dayfirst"))
    sign = next(s for s in report.signs if s.id == "changes")
    assert sign.metrics["standard_share"].value == 0.0  # was 0.6
    # was 0: no standard change (the emergency share, 10%, is not over 10%)
    assert sign.metrics["tiering_problems"].value == 1.0
    assert "no_standard_changes" in {n.code for n in sign.evidence.notes}
