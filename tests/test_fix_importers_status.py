"""A status outside the vocabulary on a ticket with a done time is read as done.

Review 2 (tools), item 2: a Freshservice admin's custom done status ``Completed`` (and a
mapping's misspelt ``values.status`` key) left closed tickets without status, every sign
counted them open forever, and backlog triggered at high confidence on a healthy desk.
The fixtures are written here as the tools write them (reference, sections 4.1 and 5):
a Freshservice ticket export with its English headers and day-first dates, and an
OTRS-like ``;`` CSV with a BOM read through a mapping file.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from itsm_diag.report import Report
from shapes import healthy_desk

_FS_HEADER = ["Ticket Id", "Subject", "Status", "Priority", "Source", "Type",
              "Requester Name", "Agent", "Group", "Created Time", "Due by Time",
              "Resolved Time", "Closed Time", "Resolution Status", "First Response Status",
              "Category", "Sub-Category"]


def _healthy_rows() -> list[list[str]]:
    """:func:`shapes.healthy_desk` as Freshservice exports it, with its SLA columns."""
    def f(t: datetime | None) -> str:
        return t.strftime("%d-%m-%Y %H:%M:%S") if t else ""

    rows = []
    for i, t in enumerate(healthy_desk(600, seed=2)):
        due = t.opened + timedelta(hours=48)
        met = ("Within SLA" if t.resolved <= due else "SLA Violated") if t.resolved else ""
        rows.append([f"#INC-{i + 1}", "Laptop issue", t.status or "Open", "Medium", "Portal",
                     "Incident", f"R{i % 200}", "Ann", "Desk", f(t.opened), f(due),
                     f(t.resolved), f(t.closed), met, "Within SLA",
                     # three categories: one on all 600 tickets is no breakdown (review 22)
                     ("Hardware", "Software", "Network")[i % 3], "Laptop"])
    return rows


def _write_fs(path: Path, rename: Callable[[str], str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(_FS_HEADER)
        for row in _healthy_rows():
            w.writerow([*row[:2], rename(row[2]), *row[3:]])
    return path


def _diagnose(path: Path, mapping: Path | None = None) -> Report:
    return api.diagnose_paths([path], api.RunOptions(mapping=mapping))


def _sign(r: Report, sign: str) -> tuple[str, str]:
    found = next(f for f in r.signs if f.id == sign)
    return found.status, found.confidence


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fs")


def test_a_custom_completed_status_is_closed_and_the_backlog_stays_clear(built: Path) -> None:
    plain = _diagnose(_write_fs(built / "healthy.csv", lambda s: s))
    completed_file = _write_fs(built / "completed.csv",
                               lambda s: "Completed" if s == "Closed" else s)
    t = load_paths([completed_file], ImportOptions()).tickets
    completed = t[t[m.STATUS_RAW] == "Completed"]
    assert len(completed) > 100 and (completed[m.STATUS] == "closed").all()
    r = _diagnose(completed_file)
    # it said: backlog triggered, high (522 open, 16.6 weeks of arrivals), score 2
    assert _sign(plain, "backlog")[0] == "clear"
    assert _sign(r, "backlog") == _sign(plain, "backlog")
    assert _sign(r, "reporting") == _sign(plain, "reporting")
    assert r.score == plain.score == 0


def test_any_other_custom_status_with_a_done_time_is_done_with_a_warning(built: Path) -> None:
    # 'Archived' is in no vocabulary: with a Closed Time it is closed, with a Resolved
    # Time only resolved, and the warning names the value and its count
    def rename(s: str) -> str:
        return {"Closed": "Archived", "Resolved": "Signed off"}.get(s, s)

    path = _write_fs(built / "archived.csv", rename)
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets
    assert (t.loc[t[m.STATUS_RAW] == "Archived", m.STATUS] == "closed").all()
    assert (t.loc[t[m.STATUS_RAW] == "Signed off", m.STATUS] == "resolved").all()
    archived = int((t[m.STATUS_RAW] == "Archived").sum())
    signed = int((t[m.STATUS_RAW] == "Signed off").sum())
    warning = next(w for w in loaded.sources[0].warnings if "read as done" in w)
    assert f"'Archived' ({archived:,})" in warning and f"'Signed off' ({signed:,})" in warning
    assert f"closed ({archived:,}" in warning and f"resolved ({signed:,}" in warning
    assert _sign(_diagnose(path), "backlog")[0] == "clear"


def test_a_custom_status_without_a_done_time_is_still_left_without_status(
        built: Path) -> None:
    path = _write_fs(built / "vendor.csv", lambda s: "Awaiting Vendor" if s == "Open" else s)
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets
    assert t.loc[t[m.STATUS_RAW] == "Awaiting Vendor", m.STATUS].isna().all()
    assert any("left without status" in w and "'Awaiting Vendor'" in w
               for w in loaded.sources[0].warnings)
    assert not any("read as done" in w for w in loaded.sources[0].warnings)


_OTRS_HEADER = ["Ticket#", "Title", "Created", "Closed", "Queue", "State", "Priority",
                "Owner", "CustomerID", "Type", "Changed"]


def _write_otrs(path: Path, n: int = 500, seed: int = 3) -> Path:
    """An OTRS ticket export: ``;``, a BOM, ``dd.mm.yyyy HH:MM`` in Europe/Berlin."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 6, 8)
    end = start + timedelta(weeks=20)
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(_OTRS_HEADER)
        for i in range(n):
            opened = start + (end - start) * rng.random()
            closed: datetime | None = opened + timedelta(hours=rng.uniform(0.5, 20))
            state = rng.choice(["closed successful"] * 4 + ["closed unsuccessful"])
            if closed is not None and closed > end:
                closed, state = None, "open"
            f = "%d.%m.%Y %H:%M"
            w.writerow([str(2025000000 + i), "VPN down", opened.strftime(f),
                        closed.strftime(f) if closed else "", "1st Level", state, "3 normal",
                        "agent1", f"cust{i % 90}", "Incident",
                        (closed or opened).strftime(f)])
    return path


def _write_mapping(path: Path, successful_key: str) -> Path:
    path.write_text(f"""tool: otrs
date_format: "%d.%m.%Y %H:%M"
time_zone: Europe/Berlin
columns:
  ticket_id: Ticket#
  summary: Title
  opened_at: Created
  closed_at: Closed
  updated_at: Changed
  status: State
  assignment_group: Queue
  assignee: Owner
  requester: CustomerID
  kind: Type
values:
  status: {{{successful_key}: closed, closed unsuccessful: closed}}
""", encoding="utf-8")
    return path


def test_a_misspelt_mapping_status_key_does_not_leave_closed_tickets_open(
        tmp_path: Path) -> None:
    data = _write_otrs(tmp_path / "otrs.csv")
    right = _write_mapping(tmp_path / "right.yaml", "closed successful")
    typo = _write_mapping(tmp_path / "typo.yaml", "closed sucessful")
    good, bad = _diagnose(data, right), _diagnose(data, typo)
    warnings = bad.inputs[0].warnings
    assert any("values.status" in w and "'closed sucessful'" in w for w in warnings)
    assert any("read as done" in w and "'closed successful'" in w for w in warnings)
    # it said: backlog triggered, high, 16.3 weeks of arrivals, on a desk that closes
    # everything within a day
    assert _sign(good, "backlog")[0] == "clear"
    assert _sign(bad, "backlog") == _sign(good, "backlog")
    assert bad.kpis.time_to_resolve_hours == good.kpis.time_to_resolve_hours
