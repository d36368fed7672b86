"""Review 10 (Zendesk exports), items 1, 2, 4 and 7b.

1. Deleted tickets (``status: deleted`` in the incremental export: spam an agent
   deleted) were read as cancelled incidents and requests; they are left out, counted in
   a warning, and the report reads as without them.
2. ``ticket_metrics.json`` (``GET /api/v2/ticket_metrics.json``) passed with the tickets
   was read as a second set of tickets; it is joined to the tickets by ticket id, and
   metric records in another shape are refused by name.
4. Tickets an agent or Zendesk made (side conversations, triggers, follow-ups, merges,
   linked problems) and API tickets counted as users going around the desk. (The
   messaging Web Widget, read as the portal here, is chat since review 21a, M2.)
7b. The last page of an incremental export (``end_of_stream: true``) of 500 tickets got
   "exactly 500 rows ... probably truncated".

The pages are written as Zendesk delivers them (tickets with ``via.channel``,
``metric_sets``, ``after_cursor`` and ``end_of_stream``).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.config import load_rules
from itsm_diag.errors import InputError
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths

_START = datetime(2025, 9, 1, 8)


def _iso(t: datetime | None) -> str | None:
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _desk(n: int, seed: int, channels: list[tuple[str, int]], first_id: int = 1000,
          status: str | None = None, typed: bool = True
          ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``n`` tickets over 26 weeks (most solved within a day) and their metric sets."""
    rng = random.Random(seed)
    names = [c for c, _ in channels]
    weights = [w for _, w in channels]
    tickets, metrics = [], []
    for i in range(n):
        created = _START + timedelta(minutes=rng.randint(0, 26 * 7 * 24 * 60))
        done = rng.random() < 0.95
        solved = created + timedelta(hours=rng.expovariate(1 / 12)) if done else None
        st = status or (rng.choice(["solved", "closed"]) if done else "open")
        updated = solved + timedelta(hours=1) if solved else created + timedelta(hours=1)
        tid = first_id + i
        tickets.append({
            "url": f"https://acme.zendesk.com/api/v2/tickets/{tid}.json", "id": tid,
            "via": {"channel": rng.choices(names, weights)[0],
                    "source": {"from": {}, "to": {}, "rel": None}},
            "created_at": _iso(created), "updated_at": _iso(updated),
            "type": rng.choice(["incident", "question"]) if typed else None,
            "subject": f"Issue {i % 40}", "raw_subject": f"Issue {i % 40}",
            "priority": rng.choice(["low", "normal", "high"]), "status": st,
            "requester_id": 9000 + rng.randint(0, 400), "submitter_id": 9000,
            "assignee_id": 7001, "group_id": 3001, "problem_id": None,
            "has_incidents": False, "tags": [], "custom_fields": [],
            "satisfaction_rating": None, "brand_id": 1, "ticket_form_id": 1})
        metrics.append({
            "url": "...", "id": 500000 + tid, "ticket_id": tid,
            "created_at": _iso(created), "updated_at": _iso(updated),
            "group_stations": 1, "assignee_stations": 1, "reopens": 0, "replies": 1,
            "solved_at": _iso(solved),
            "reply_time_in_minutes": {"calendar": 30, "business": 30}})
    return tickets, metrics


def _page(path: Path, tickets: list[dict[str, Any]], metrics: list[dict[str, Any]] | None,
          end: bool = True) -> Path:
    doc: dict[str, Any] = {"tickets": tickets}
    if metrics is not None:
        doc["metric_sets"] = metrics
    doc.update({"after_url": "https://acme.zendesk.com/api/v2/incremental/tickets/"
                             "cursor.json?cursor=abc", "after_cursor": "abc",
                "before_url": None, "before_cursor": None, "end_of_stream": end})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc), "utf-8")
    return path


SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "zendesk" / "api"


# --- 1. deleted tickets -------------------------------------------------------------------

_HEALTHY = [("web", 55), ("voice", 15), ("email", 30)]


@pytest.fixture(scope="module")
def spam(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A healthy desk's export, and the same with 400 spam e-mails an agent deleted."""
    tmp = tmp_path_factory.mktemp("spam")
    t, ms = _desk(1000, 21, _HEALTHY)
    sp, sp_ms = _desk(400, 99, [("email", 1)], first_id=100_000, status="deleted",
                      typed=False)
    for x in sp_ms:
        x["solved_at"] = None
    return {"clean": _page(tmp / "clean" / "tickets_1.json", t, ms),
            "spam": _page(tmp / "spam" / "tickets_1.json", t + sp, ms + sp_ms)}


def test_deleted_tickets_are_left_out_with_a_count(spam: dict[str, Path]) -> None:
    loaded = load_paths([spam["spam"]], ImportOptions())
    ids = set(loaded.tickets[m.TICKET_ID])
    assert len(ids) == 1000 and not any(int(i) >= 100_000 for i in ids)
    assert "cancelled" not in set(loaded.tickets[m.STATUS].dropna())
    warnings = loaded.sources[0].warnings
    assert any(w.startswith("400 deleted tickets (status deleted") for w in warnings)
    # the other warnings speak of the tickets read: the untyped spam is no untyped ticket
    assert not any("no ticket type" in w for w in warnings)
    assert loaded.sources[0].rows == 1400 and loaded.sources[0].tickets == 1000


@pytest.mark.parametrize("written", ["Deleted", " deleted ", "DELETED"])
def test_a_deleted_status_in_any_case_is_left_out(tmp_path: Path, written: str) -> None:
    """Detection reads statuses in any case and spacing; the deleted check read only
    "deleted" exactly (a reader of the change): a "Deleted" ticket stood as a ticket."""
    t, ms = _desk(60, 3, [("web", 1)], first_id=2000)
    gone = _versions(written, "2026-03-01T09:00:00Z")
    loaded = load_paths([_page(tmp_path / "tickets_1.json", [*t, gone], ms)], ImportOptions())
    assert "1000" not in set(loaded.tickets[m.TICKET_ID]) and len(loaded.tickets) == 60
    assert any(w.startswith("1 deleted ticket (") for w in loaded.sources[0].warnings)


def test_a_spam_clean_up_reads_as_the_desk_without_it(spam: dict[str, Path]) -> None:
    clean = api.diagnose_paths([spam["clean"]], api.RunOptions())
    dirty = api.diagnose_paths([spam["spam"]], api.RunOptions())
    assert dirty.score == clean.score
    assert [(f.id, f.status) for f in dirty.signs] == [(f.id, f.status) for f in clean.signs]
    trust = {f.id: f for f in dirty.signs}["trust"]
    clean_trust = {f.id: f for f in clean.signs}["trust"]
    assert trust.metrics["bypass_share"].value == clean_trust.metrics["bypass_share"].value


def _versions(status: str, updated: str) -> dict[str, Any]:
    t, _ = _desk(1, 5, [("web", 1)], first_id=1000)
    return {**t[0], "status": status, "updated_at": updated}


@pytest.mark.parametrize("apart", [False, True])
def test_a_ticket_deleted_later_is_left_out_with_its_older_rows(tmp_path: Path,
                                                                apart: bool) -> None:
    """The incremental export lists a ticket each time it changes: read open in an older
    row (an older page, or earlier in the same page) and deleted in a later one, the
    deleted row was dropped and the older open row stood for it, open for ever (review of
    the change, item 1). A ticket restored after its deletion stays."""
    others, oms = _desk(60, 3, [("web", 1)], first_id=2000)
    opened = _versions("open", "2025-09-01T09:00:00Z")
    deleted = _versions("deleted", "2026-03-01T09:00:00Z")
    if apart:
        _page(tmp_path / "tickets_1.json", [opened, *others], oms, end=False)
        _page(tmp_path / "tickets_2.json", [deleted], [], end=True)
        paths = [tmp_path]
    else:
        paths = [_page(tmp_path / "tickets_1.json", [opened, *others, deleted], oms)]
    loaded = load_paths(paths, ImportOptions())
    assert "1000" not in set(loaded.tickets[m.TICKET_ID])  # it stood open before
    assert len(loaded.tickets) == 60
    assert any(n.startswith("1 ticket an input lists as deleted (e.g. 1000) left out")
               for n in loaded.notes), loaded.notes
    restored = _versions("open", "2026-04-01T09:00:00Z")
    _page(tmp_path / "tickets_3.json", [restored], [], end=True)
    again = load_paths([tmp_path] if apart else [paths[0], tmp_path / "tickets_3.json"],
                       ImportOptions())
    row = again.tickets[again.tickets[m.TICKET_ID] == "1000"]
    assert len(row) == 1 and row[m.STATUS].iloc[0] == "open"


# --- 2. ticket_metrics.json ----------------------------------------------------------------


@pytest.fixture(scope="module")
def metrics_apart(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``tickets.json`` (List Tickets, no side-loads) with ``ticket_metrics.json`` beside
    it, and the same tickets with their metric sets side-loaded."""
    tmp = tmp_path_factory.mktemp("metrics")
    t, ms = _desk(300, 5, _HEALTHY)
    apart = tmp / "apart"
    apart.mkdir()
    (apart / "tickets.json").write_text(json.dumps(
        {"tickets": t, "next_page": None, "previous_page": None, "count": len(t)}), "utf-8")
    (apart / "ticket_metrics.json").write_text(json.dumps(
        {"ticket_metrics": ms, "next_page": None, "previous_page": None,
         "count": len(ms)}), "utf-8")
    bare = tmp / "bare"
    bare.mkdir()
    (bare / "tickets.json").write_text((apart / "tickets.json").read_text("utf-8"), "utf-8")
    (bare / "metrics.json").write_text(json.dumps(ms), "utf-8")  # a bare list of them
    return {"apart": apart, "bare": bare,
            "sideloaded": _page(tmp / "side" / "tickets_1.json", t, ms)}


def test_ticket_metrics_are_joined_not_read_as_tickets(metrics_apart: dict[str, Path]
                                                       ) -> None:
    loaded = load_paths([metrics_apart["apart"]], ImportOptions())
    side = load_paths([metrics_apart["sideloaded"]], ImportOptions())
    assert len(loaded.tickets) == 300
    assert [s.path.rsplit("/", 1)[-1] for s in loaded.sources] == ["tickets.json"]
    assert any(n.startswith("ticket_metrics.json: 300 Zendesk ticket metric sets")
               for n in loaded.notes)
    got = loaded.tickets.set_index(m.TICKET_ID).sort_index()
    want = side.tickets.set_index(m.TICKET_ID).sort_index()
    for col in (m.RESOLVED_AT, m.CLOSED_AT, m.REOPEN_COUNT, m.REASSIGNMENT_COUNT,
                m.FIRST_RESPONSE_AT):
        pd.testing.assert_series_equal(got[col], want[col], check_names=False)
    assert got[m.RESOLVED_AT].notna().sum() > 250
    assert not any(w.startswith("solve times unknown") for w in loaded.sources[0].warnings)


def test_metric_records_in_another_shape_are_named_not_read(metrics_apart: dict[str, Path]
                                                            ) -> None:
    loaded = load_paths([metrics_apart["bare"]], ImportOptions())
    assert len(loaded.tickets) == 300
    assert [s.path.rsplit("/", 1)[-1] for s in loaded.sources] == ["tickets.json"]
    skipped = [s for s in loaded.skipped if s.path.endswith("metrics.json")]
    assert skipped and "Zendesk ticket metrics" in skipped[0].reason
    assert "not tickets" in skipped[0].reason


def test_responses_saved_with_sorted_keys_are_read_the_same(
        metrics_apart: dict[str, Path], tmp_path: Path) -> None:
    """``jq -S`` or ``json.dumps(sort_keys=True)`` puts ``count`` and ``next_page`` before
    ``ticket_metrics``: the file was refused as "metric records in another shape", with a
    hint to pass what it was (review of the change, item 3); the fields response alike."""
    (tmp_path / "tickets.json").write_text(
        (metrics_apart["apart"] / "tickets.json").read_text("utf-8"), "utf-8")
    doc = json.loads((metrics_apart["apart"] / "ticket_metrics.json").read_text("utf-8"))
    (tmp_path / "ticket_metrics.json").write_text(json.dumps(doc, sort_keys=True, indent=2),
                                                  "utf-8")
    fields = json.loads((SAMPLES / "ticket_fields.json").read_text("utf-8"))
    fields.update({"count": len(fields["ticket_fields"]), "next_page": None})
    (tmp_path / "ticket_fields.json").write_text(json.dumps(fields, sort_keys=True), "utf-8")
    loaded = load_paths([tmp_path], ImportOptions())
    assert [s.path.rsplit("/", 1)[-1] for s in loaded.sources] == ["tickets.json"]
    assert not loaded.skipped
    assert loaded.tickets[m.RESOLVED_AT].notna().sum() > 250
    assert any(n.startswith("ticket_fields.json: definitions of") for n in loaded.notes)


def test_ticket_metrics_alone_are_no_tickets(metrics_apart: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="only ticket metrics were given, no tickets"):
        load_paths([metrics_apart["apart"] / "ticket_metrics.json"], ImportOptions())


# --- 4. machine-made tickets are no bypass -------------------------------------------------


def test_agent_and_system_made_tickets_are_not_user_intake(tmp_path: Path) -> None:
    vias = ["side_conversation", "rule", "merge", "linked_problem", "closed_ticket",
            "native_messaging", "web_widget", "api", "email"]
    t, ms = _desk(len(vias), 3, [("web", 1)])
    for x, via in zip(t, vias, strict=True):
        x["via"]["channel"] = via
    loaded = load_paths([_page(tmp_path / "p.json", t, ms)], ImportOptions())
    got = dict(zip(loaded.tickets[m.CHANNEL_RAW], loaded.tickets[m.CHANNEL], strict=True))
    neutral = set(load_rules().signs["trust"].params["neutral_channels"])
    official = set(load_rules().signs["trust"].params["official_channels"])
    for via in vias[:4]:
        assert got[via] in neutral, via
    # a follow-up of a closed ticket is the requester's e-mail reply: a recurrence in the
    # user's words, which the text clusters keep (review of the change, item 2)
    machine = set(load_rules().analyses["text-clusters"].params["machine_channels"])
    assert got["closed_ticket"] == "email" and "email" not in machine
    assert got["web_widget"] == "portal" and got["web_widget"] in official
    # the messaging Web Widget is a chat, as live chat and messaging are in every tool
    # (review 21a, M2): trust's official_channels says whether chat is a front door
    assert got["native_messaging"] == "chat"
    assert got["api"] in neutral  # an integration's ticket, not a user's
    assert got["email"] not in neutral | official
    # none of them is an unknown channel counted as 'other' with a warning
    assert not any(w.startswith("channel:") for w in loaded.sources[0].warnings)


def test_side_conversations_do_not_trigger_bypass(tmp_path: Path) -> None:
    # users: web 48, voice 12, e-mail 30 (a third of them); side conversations and
    # triggers, which agents and automations make, would have lifted it over half
    mix = [("web", 38), ("voice", 10), ("side_conversation", 20), ("rule", 5),
           ("closed_ticket", 5), ("email", 22)]
    t, ms = _desk(1200, 11, mix)
    report = api.diagnose_paths([_page(tmp_path / "b" / "tickets_1.json", t, ms)],
                                api.RunOptions())
    trust = {f.id: f for f in report.signs}["trust"]
    bypass = trust.metrics["bypass_share"]
    assert bypass.value is not None and bypass.value < 0.4
    assert trust.status != "triggered"


# --- 7b. the last page is no truncation ------------------------------------------------------


def test_the_last_page_gets_no_truncation_warning(tmp_path: Path) -> None:
    t, ms = _desk(1500, 8, _HEALTHY)
    first = _page(tmp_path / "tickets_1.json", t[:1000], ms[:1000], end=False)
    last = _page(tmp_path / "tickets_2.json", t[1000:], ms[1000:], end=True)
    loaded = load_paths([first, last], ImportOptions())
    warned = {s.path.rsplit("/", 1)[-1]: [w for w in s.warnings if "probably truncated" in w]
              for s in loaded.sources}
    assert warned["tickets_2.json"] == []  # 500 rows, end_of_stream: true
    assert warned["tickets_1.json"]  # a page with more after it: the others may be missing
    # a List Tickets page with no next page says the same
    listed = tmp_path / "listed.json"
    listed.write_text(json.dumps({"tickets": t[:500], "next_page": None,
                                  "previous_page": None, "count": 500}), "utf-8")
    one = load_paths([listed], ImportOptions())
    assert not any("probably truncated" in w for w in one.sources[0].warnings)
