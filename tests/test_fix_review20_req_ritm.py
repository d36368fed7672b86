"""Review 20a, D4: a ServiceNow request side exported as clients export it, the request
list (``sc_request``, REQ: the order, the cart) beside its requested items
(``sc_req_item``, RITM: the requests fulfilled), counted every order twice: requests 600
-> 1,200, onboarding 107 -> 214, the new starters' lost hours and the hours at stake
doubled, 27 -> 46 open at the window end, median time to resolve 12.6 -> 21.3 h, a blank
category share added to reporting; and the REQ file was named as table ``sc_req_item``.

Now a REQ is an order: where the input holds requested items the REQs are left out, with
a warning counting them and saying why, so the REQ + RITM folder reads as the RITM list
alone; where only REQs are exported they are the requests, and a warning says so. The
REQ file is named ``sc_request``.

The export is the reviewer's (rv20a ``gen_sn.py: base``, ``gen_sn_mixed.py``): 1,800
incidents, 600 orders of one REQ and one RITM each (20% "New hire onboarding"), 1-2
SCTASKs each. Every figure is recounted with pandas.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import snkit
from itsm_diag import model as m
from itsm_diag.cli import app
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from snkit import END, FMT, START

runner = CliRunner()


def _orders(n: int = 600, seed: int = 3) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The reviewer's orders (gen_sn_mixed.orders): REQ, RITM and SCTASK lists."""
    rng = np.random.default_rng(seed)
    opened = pd.Series(START + pd.to_timedelta(
        rng.uniform(0, (END - START).total_seconds(), n), unit="s")).sort_values(
    ).reset_index(drop=True).dt.floor("s")
    onb = rng.random(n) < 0.2
    items = np.where(onb, "New hire onboarding", rng.choice(
        ["Laptop", "Software install", "Mailbox access", "Monitor"], n))
    days = np.where(onb, np.where(rng.random(n) < 0.4, 4, 1), rng.integers(1, 6, n))
    closed = pd.Series([o + pd.offsets.BDay(int(d)) for o, d in zip(opened, days, strict=True)])
    open_now = closed > END
    reqs, ritms, tasks = [], [], []
    tno = 0
    for i in range(n):
        o, c, on = opened[i], closed[i], open_now[i]
        common = dict(opened_at=o.strftime(FMT), closed_at="" if on else c.strftime(FMT),
                      assignment_group="Fulfilment",
                      requested_for=f"User {rng.integers(0, 3000)}", priority="4 - Low")
        rq, ri = f"REQ{2000000 + i:07d}", f"RITM{2000000 + i:07d}"
        reqs.append({"number": rq, **common, "state": "Open" if on else "Closed Complete",
                     "short_description": f"Request for {items[i]}"})
        ritms.append({"number": ri, **common,
                      "state": "Work in Progress" if on else "Closed Complete",
                      "cat_item": items[i], "request": rq, "short_description": items[i],
                      "assigned_to": f"Agent {rng.integers(0, 12)}"})
        for k in range(int(rng.integers(1, 3))):
            tasks.append({"number": f"SCTASK{3000000 + tno:07d}", **common,
                          "state": "Work in Progress" if on else "Closed Complete",
                          "request_item": ri, "short_description": f"{items[i]} step {k + 1}",
                          "time_worked": f"{int(rng.integers(10, 90))} Minutes"})
            tno += 1
    return pd.DataFrame(reqs), pd.DataFrame(ritms), pd.DataFrame(tasks)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The folders (incidents plus: RITM only, REQ + RITM, REQ + RITM + SCTASK, REQ only,
    REQ and RITM rows in one file) and their JSON reports."""
    root = tmp_path_factory.mktemp("req_ritm")
    inc = snkit.base()
    rq, ri, tk = _orders()
    layouts = {
        "ritm_only": [("sc_req_item", ri)],
        "req_ritm": [("sc_request", rq), ("sc_req_item", ri)],
        "req_ritm_task": [("sc_request", rq), ("sc_req_item", ri), ("sc_task", tk)],
        "req_only": [("sc_request", rq)],
        "one_file": [("task", pd.concat([rq, ri], ignore_index=True).fillna(""))],
    }
    reports: dict[str, Any] = {}
    for name, files in layouts.items():
        folder = root / name
        folder.mkdir()
        inc.to_csv(folder / "incident.csv", index=False)
        for file, frame in files:
            frame.to_csv(folder / f"{file}.csv", index=False)
        out = root / f"{name}.json"
        result = runner.invoke(app, ["diagnose", str(folder), "-f", "json", "-o", str(out)])
        assert result.exit_code in (0, 1, 2) and out.exists(), result.output
        reports[name] = json.loads(out.read_text(encoding="utf-8"))
    return {"root": root, "reports": reports, "req": rq, "ritm": ri, "inc": inc}


def _sign(report: dict[str, Any], sign: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in report["signs"] if s["id"] == sign)
    return found


def _window(report: dict[str, Any]) -> tuple[pd.Timestamp, pd.Timestamp]:
    w = report["window"]
    return (pd.Timestamp(w["start"]).tz_localize(None),
            pd.Timestamp(w["end"]).tz_localize(None))


def _truth(desk: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    """The RITMs' figures as pandas counts them: requests, onboarding requests opened in
    the window, incidents and requests open at the window's end, and the median hours
    to resolve of those done in the window."""
    ri, inc = desk["ritm"], desk["inc"]
    w0, w1 = _window(report)
    r_open = pd.to_datetime(ri["opened_at"])
    r_done = pd.to_datetime(ri["closed_at"].replace("", None))
    i_open = pd.to_datetime(inc["opened_at"])
    i_done = pd.to_datetime(inc["resolved_at"].replace("", None)).fillna(
        pd.to_datetime(inc["closed_at"].replace("", None)))
    onboarding = ri["cat_item"].eq("New hire onboarding") & (r_open >= w0) & (r_open <= w1)
    opened = pd.concat([i_open, r_open], ignore_index=True)
    done = pd.concat([i_done, r_done], ignore_index=True)
    open_at_end = int(((opened <= w1) & ~(done <= w1)).sum())
    in_window = (done >= w0) & (done <= w1)
    hours = ((done - opened).dt.total_seconds() / 3600)[in_window]
    return {"requests": len(ri), "onboarding": int(onboarding.sum()),
            "open_at_end": open_at_end, "median_hours": float(hours.median()),
            "n": int(in_window.sum())}


def test_req_beside_ritm_reads_as_the_ritm_list_alone(desk: dict[str, Any]) -> None:
    ritm, both = desk["reports"]["ritm_only"], desk["reports"]["req_ritm"]
    truth = _truth(desk, both)
    assert (desk["ritm"]["request"].isin(desk["req"]["number"])).all()
    # before: 1,200 requests, onboarding 214, 46 open at the window end, 21.3 h median
    assert both["tickets"]["by_kind"]["request"] == truth["requests"] == 600
    onboarding = _sign(both, "onboarding")
    assert onboarding["metrics"]["onboarding_requests"]["value"] == truth["onboarding"] == 107
    assert both["kpis"]["backlog_weekly"][-1]["open"] == truth["open_at_end"] == 27
    ttr = both["kpis"]["time_to_resolve_hours"]
    assert ttr["n"] == truth["n"] == 2244
    assert ttr["median"] == pytest.approx(truth["median_hours"])
    assert round(ttr["median"], 1) == 12.6
    # every finding, KPI and figure as the RITM list alone gives them
    for key in ritm:
        if key != "inputs":
            assert both[key] == ritm[key], key
    assert both["hours_at_stake_per_month"] == pytest.approx(
        ritm["hours_at_stake_per_month"])
    assert _sign(both, "reporting")["evidence"]["summary"] == _sign(
        ritm, "reporting")["evidence"]["summary"]
    # the REQ file named as what it is, its orders counted in a warning that says why
    by_file = {Path(i["path"]).name: i for i in both["inputs"]}
    req = by_file["sc_request.csv"]
    assert req["table"] == "sc_request"
    assert (req["rows"], req["tickets"]) == (600, 0)
    assert any(w.startswith("600 requests (REQ, sc_request) left out: a REQ is the order")
               and "input's 600 requested items are the requests fulfilled" in w
               for w in req["warnings"])
    assert by_file["sc_req_item.csv"]["table"] == "sc_req_item"


def test_catalog_tasks_change_nothing(desk: dict[str, Any]) -> None:
    both, tasks = desk["reports"]["req_ritm"], desk["reports"]["req_ritm_task"]
    assert tasks["tickets"]["by_kind"]["request"] == 600
    assert tasks["kpis"] == both["kpis"]
    # (the task list adds a note that its onboarding tasks are left out, nothing else)
    for key in ("status", "metrics", "reason", "hours_at_stake_per_month"):
        assert _sign(tasks, "onboarding")[key] == _sign(both, "onboarding")[key], key


def test_req_and_ritm_rows_in_one_file(desk: dict[str, Any]) -> None:
    one, ritm = desk["reports"]["one_file"], desk["reports"]["ritm_only"]
    assert one["tickets"]["by_kind"]["request"] == 600
    assert one["kpis"] == ritm["kpis"]
    task = next(i for i in one["inputs"] if Path(i["path"]).name == "task.csv")
    assert task["tickets"] == 600
    assert any("600 requests (REQ, sc_request) left out" in w for w in task["warnings"])


def test_req_only_is_the_requests(desk: dict[str, Any]) -> None:
    """Without requested items, the REQs are the requests (and say so)."""
    only = desk["reports"]["req_only"]
    assert only["tickets"]["by_kind"]["request"] == 600
    req = next(i for i in only["inputs"] if Path(i["path"]).name == "sc_request.csv")
    assert req["table"] == "sc_request" and req["tickets"] == 600
    assert any("600 requests (REQ, sc_request) read as the requests: the input holds no "
               "requested items" in w for w in req["warnings"])
    # the same orders, the same backlog and time to resolve as the RITM list
    ritm = desk["reports"]["ritm_only"]
    assert only["kpis"]["backlog_weekly"] == ritm["kpis"]["backlog_weekly"]
    assert only["kpis"]["time_to_resolve_hours"] == ritm["kpis"]["time_to_resolve_hours"]


def test_importer_names_the_orders(desk: dict[str, Any]) -> None:
    folder = desk["root"] / "req_ritm"
    loaded = load_paths([folder], ImportOptions())
    ids = loaded.tickets[m.TICKET_ID].astype(str)
    assert not ids.str.startswith("REQ").any()
    assert int(ids.str.startswith("RITM").sum()) == 600
    alone = load_paths([folder / "sc_request.csv"], ImportOptions())
    assert (alone.tickets[m.KIND] == "request").all() and len(alone.tickets) == 600
