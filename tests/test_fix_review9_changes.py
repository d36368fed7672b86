"""`changes` on CIs the two tables spell differently, and advice that follows what the
change model measured (a review).

Item 1: incidents named their CIs ``SRV-APP-07`` and the change table
``srv-app-07.corp.example.com``: not one change could be matched to an incident, and the
sign read "clear, medium confidence, 0.0 a quarter" (the same data with matching names:
triggered, 34.6 a quarter). Filled on both sides is not shared: when no change names a
CI or service an incident names, tiers 2-3 cannot link anything and the sign is unknown,
in numbers; when fewer than half of the changes do, a clear is unknown.

Item 7: a healthy tiering (7% emergency, 26% standard changes) still got "Introduce a
tiered change model" as fix #1, and an export of emergency changes only read "every
routine change goes through full approval" with no normal change in it.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, engine
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from itsm_diag.report import Finding, FixOut
from itsm_diag.signs.base import Calendar, Context

T0 = pd.Timestamp("2025-10-01")
DAYS = 182
CIS = [f"SRV-APP-{i:02d}" for i in range(40)]
INC_H = ["number", "short_description", "state", "priority", "category", "cmdb_ci",
         "business_service", "assignment_group", "opened_at", "resolved_at", "closed_at",
         "sys_updated_on", "caused_by"]
CHG_H = ["number", "short_description", "type", "state", "close_code", "priority",
         "category", "cmdb_ci", "business_service", "assignment_group", "start_date",
         "end_date", "work_start", "work_end", "opened_at", "closed_at", "sys_updated_on"]


def _f(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%d %H:%M:%S")


def _write(path: Path, head: list[str], rows: list[dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, head, quoting=csv.QUOTE_ALL, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _export(folder: Path, *, change_ci: Callable[[str], str] = lambda c: c,
            types: tuple[str, ...] = ("Normal", "Standard", "Emergency"),
            weights: tuple[float, ...] = (0.64, 0.3, 0.06), seed: int = 7,
            followed: float = 0.5) -> Path:
    """A ServiceNow incident and change export: 300 changes on 40 CIs over 26 weeks, a
    share ``followed`` of them followed 1-20 hours after their end by an incident on
    their CI, and 1,500 incidents at random (the review's scenario at a third of its
    incidents). The change table writes each CI as ``change_ci`` makes it.

    Review 21b: tiers 2-3 count only an excess over the same spans before the changes
    that is beyond chance. With a quarter of the changes followed, the base export's
    window held 87 timing matches after changes against 66 before them (about 56 by
    chance, 34 planted): an excess of 21 that an even split gives one time in ten, so
    the control no longer triggered. Half of them followed plants about 68 in the window,
    a clear excess; the partly-shared export keeps a quarter (its counts are asserted).
    That draws the changes after the first planted one otherwise: at 10% emergency the
    healthy tiering read 11.8% emergency, so the weight is 6% (it reads 7.8%, the
    review's 7%; choice draws one number whatever the weights, so the partly-shared
    export's changes stay as they were)."""
    rng = np.random.default_rng(seed)
    chg, inc = [], []
    for i in range(300):
        ci = CIS[rng.integers(len(CIS))]
        start = (T0 + pd.Timedelta(days=float(rng.uniform(2, DAYS - 3)))).normalize() \
            + pd.Timedelta(hours=int(rng.choice([19, 20, 21, 22])))
        end = start + pd.Timedelta(hours=float(rng.uniform(1, 4)))
        kind = types[rng.choice(len(types), p=np.array(weights) / sum(weights))]
        chg.append({"number": f"CHG{30001 + i:07d}", "short_description": f"Patch {ci}",
                    "type": kind, "state": "Closed",
                    "close_code": "Unsuccessful" if rng.random() < 0.06 else "Successful",
                    "priority": "3 - Moderate", "category": "Software",
                    "cmdb_ci": change_ci(ci), "business_service": "ERP",
                    "assignment_group": "Server Ops", "start_date": _f(start),
                    "end_date": _f(end), "work_start": _f(start), "work_end": _f(end),
                    "opened_at": _f(start - pd.Timedelta(days=7)),
                    "closed_at": _f(end + pd.Timedelta(days=1)),
                    "sys_updated_on": _f(end + pd.Timedelta(days=1))})
        if rng.random() < followed:
            inc.append((end + pd.Timedelta(hours=float(rng.uniform(1, 20))), ci))
    for _ in range(1500):
        inc.append((T0 + pd.Timedelta(seconds=float(rng.uniform(0, DAYS * 86400))),
                    CIS[rng.integers(len(CIS))]))
    rows = []
    for k, (opened, ci) in enumerate(inc, start=1):
        res = opened + pd.Timedelta(hours=float(rng.uniform(1, 60)))
        rows.append({"number": f"INC{10000 + k:07d}", "short_description": "Login error",
                     "state": "Closed", "priority": "3 - Moderate", "category": "Software",
                     "cmdb_ci": ci, "business_service": "ERP",
                     "assignment_group": "Service Desk", "opened_at": _f(opened),
                     "resolved_at": _f(res), "closed_at": _f(res + pd.Timedelta(days=3)),
                     "sys_updated_on": _f(res + pd.Timedelta(days=3)), "caused_by": ""})
    _write(folder / "change_request.csv", CHG_H, chg)
    _write(folder / "incident.csv", INC_H, rows)
    return folder


def _changes(folder: Path) -> tuple[Finding, list[FixOut]]:
    """The changes sign alone on the export (and its fix plan), window as the run's."""
    loaded = load_paths([folder], ImportOptions())
    tickets = loaded.tickets
    rules = api.load_rules(None)
    since, until, note = api.resolve_bounds(tickets, rules, None, None)
    choice = engine.choose_window(tickets, rules, since, until, note)
    d = rules.defaults
    ctx = Context(tickets=tickets, events=loaded.events, window=choice.window,
                  calendar=Calendar(weekmask=d.weekmask, holidays=tuple(d.holidays)),
                  defaults=d.model_dump(), max_samples=d.max_samples)
    rule = rules.get("changes")
    finding = engine.build_finding(rule, engine.measure(rule, ctx), choice, rules)
    return finding, engine.fix_plan([finding], rules)


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Finding, list[FixOut]]]:
    root = tmp_path_factory.mktemp("changes")
    made = {
        "base": _export(root / "base"),
        "fqdn": _export(root / "fqdn",
                        change_ci=lambda c: c.lower() + ".corp.example.com"),
        # 8 CIs of 40 spelled alike: about a fifth of the changes can be searched
        "partly": _export(root / "partly", change_ci=lambda c: c if c < "SRV-APP-08"
                          else c.lower() + ".corp.example.com", followed=0.25),
        "emergency": _export(root / "emergency", types=("Emergency",), weights=(1.0,)),
        "no_standard": _export(root / "no_standard", types=("Normal", "Emergency"),
                               weights=(0.95, 0.05)),
    }
    return {name: _changes(folder) for name, folder in made.items()}


def _notes(f: Finding) -> set[str]:
    return {n.code for n in f.evidence.notes}


def test_matching_names_find_the_planted_incidents(exports: dict) -> None:
    """The control: the same scenario with one spelling of the CIs triggers."""
    f, _ = exports["base"]
    assert f.status == "triggered"
    assert f.metrics["tier3_beyond_chance"].value > 10


def test_ci_names_spelled_two_ways_link_nothing_and_say_so_in_numbers(exports: dict) -> None:
    f, fixes = exports["fqdn"]
    assert f.status == "unknown", f.reason
    assert f.metrics["change_caused_per_quarter"].value is None
    assert f.metrics["tier3_incidents"].value is None
    n = int(f.metrics["changes_in_window"].value)
    assert f"none of the {n} implemented changes ending in the window names" in f.reason
    assert "Configuration items: the changes name" in f.reason
    assert "0 of them on both sides" in f.reason
    assert 'an incident names "SRV-APP-' in f.reason
    assert '.corp.example.com"' in f.reason
    assert "tier23_keys_unshared" not in _notes(f)  # the reason says it, once
    assert fixes == []


def test_a_few_shared_names_cannot_clear(exports: dict) -> None:
    """A fifth of the changes on a CI the incidents name: what followed them can trigger
    the sign, but "none followed the rest" is no clear."""
    f, _ = exports["partly"]
    # 20 of 136 changes on a shared name, nothing found on them: unknown, saying why
    assert f.status == "unknown", f.reason
    assert "Only 20 of the 136 implemented changes" in f.reason
    assert "under the 50% a \"clear\" needs" in f.reason, f.reason


def test_few_shared_names_and_nothing_found_is_unknown(tmp_path: Path) -> None:
    """Tier 3 finds nothing on the few CIs both sides spell alike (no incident within
    60 hours of a change there), and cannot search the rest: the old code read clear."""
    folder = _export(tmp_path / "x", change_ci=lambda c: c if c < "SRV-APP-08"
                     else c.lower() + ".corp.example.com", followed=0.25)
    inc = pd.read_csv(folder / "incident.csv", dtype=str, keep_default_na=False)
    chg = pd.read_csv(folder / "change_request.csv", dtype=str, keep_default_na=False)
    pairs = inc.reset_index().merge(chg[["cmdb_ci", "work_start", "work_end"]], on="cmdb_ci")
    opened = pd.to_datetime(pairs["opened_at"])
    near = (opened > pd.to_datetime(pairs["work_start"]) - pd.Timedelta(hours=60)) & (
        opened < pd.to_datetime(pairs["work_end"]) + pd.Timedelta(hours=60))
    inc.drop(index=pairs.loc[near, "index"].unique()).to_csv(folder / "incident.csv",
                                                            index=False)
    f, _ = _changes(folder)
    assert f.status == "unknown", f.reason
    assert f.metrics["tier3_incidents"].value == 0
    assert 'under the 50% a "clear" needs' in f.reason
    assert "of the window's incidents names (0 name neither)" in f.reason
    assert 'a change "srv-app-' in f.reason


def test_a_healthy_tiering_gets_no_tiered_model_advice(exports: dict) -> None:
    f, fixes = exports["base"]
    assert f.metrics["standard_share"].value > 0.2
    assert f.metrics["emergency_share"].value < 0.1
    ids = [x.id for x in fixes]
    assert "tiered-change-model" not in ids
    assert "post-implementation-review" in ids
    assert f.metrics["tiering_problems"].value == 0


def test_no_standard_change_gets_the_tiered_model(exports: dict) -> None:
    """Normal and emergency changes only: the tiering problem is measured, and the
    note names the lanes the changes went through."""
    f, fixes = exports["no_standard"]
    assert f.status == "triggered"
    assert "tiered-change-model" in [x.id for x in fixes]
    text = next(n.text for n in f.evidence.notes if n.code == "no_standard_changes")
    n = int(f.metrics["changes_in_window"].value)
    assert f"none of the {n} typed changes is a standard (pre-approved) change (" in text
    assert " normal, " in text and "every routine change" not in text
    assert f.metrics["tiering_problems"].value == 1


def test_an_emergency_only_export_claims_nothing_about_normal_changes(exports: dict) -> None:
    f, fixes = exports["emergency"]
    codes = _notes(f)
    assert "only_emergency_changes" in codes
    assert not codes & {"no_standard_changes", "emergency_high"}
    assert all("full approval" not in n.text for n in f.evidence.notes)
    assert f.metrics["tiering_problems"].value is None
    assert "tiered-change-model" not in [x.id for x in fixes]
