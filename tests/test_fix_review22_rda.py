"""Review 22, code read rd22a: items 1, 2, 3, 7, 8, 9 and 10.

1. Mass-closure detection: the scheduled-job test reads the distinct hours' counts (a few
   thousand put in the zone, not a million times), the hours' scheduled mask comes from
   the same pass (:func:`mass_hours`), and each time column is floored once.
2. The automation candidates are the done work the note counts (``left.kept``), not
   ``left.kept & ~mass``: with two param sets the note and the candidates disagreed.
3. The left-out split is listed by one method (:meth:`LeftOut.parts`).
7. ``ref_rows`` builds no hash index of every ticket id (the few refs are hashed).
8. ``mass_close_resolved`` says the whole rule: the factor over the ordinary hours.
9. ``Note.text`` words an empty list of clauses as nothing, not "[]".
10. The flow analysis drops assignee events by their kind code, never comparing the
    text of every event.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flowkit import flow_world
from itsm_diag import api, config, engine
from itsm_diag import model as m
from itsm_diag.analyses import flow
from itsm_diag.signs import backlog, common
from itsm_diag.signs.base import Context, Note, Window
from itsm_diag.signs.common import LeftOut, mass_closures, ref_rows, scheduled_hours
from test_fix_review22_backlog import _autoclose_desk, _with_cleanup, _write

PARAMS = {"mass_closure_min": 200, "mass_closure_factor": 10.0}
SPAN = (pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-03-31 23:59", tz="UTC"))


def _nightly_and_cleanup() -> pd.Series:
    """300 closures at 02:00-02:10 every night of 91, 5 an hour by people, and a clean-up
    of 600 at 2024-03-15 14:00."""
    nights = pd.date_range("2024-01-01 02:00", periods=91, freq="D", tz="UTC")
    job = pd.DatetimeIndex(np.repeat(nights, 300)) + pd.to_timedelta(
        np.tile(np.linspace(0, 599, 300), 91), unit="s")
    people = pd.date_range("2024-01-01 00:30", "2024-03-31 23:30", periods=91 * 24 * 5,
                           tz="UTC")
    cleanup = pd.date_range("2024-03-15 14:00", periods=600, freq="2s", tz="UTC")
    return pd.Series(job.append(people).append(cleanup)).dt.as_unit("us")


# ---- 1. one pass of the hours, the scheduled mask from it -------------------------------

def test_the_hours_and_their_scheduled_mask_come_from_one_pass() -> None:
    done = _nightly_and_cleanup()
    mass, scheduled = common.mass_hours(common.hour_numbers(done), PARAMS, span=SPAN)
    # every night's job hour (300 + the people's 5) and the clean-up's (600 + 5)
    assert len(mass) == 92
    assert mass.index.is_monotonic_increasing
    assert int(scheduled.sum()) == 91
    assert list(mass.index[~scheduled]) == [pd.Timestamp("2024-03-15 14:00", tz="UTC")]
    assert int(mass[~scheduled].iloc[0]) == 605
    # mass_closures is the unscheduled hours; without the span none is scheduled
    assert list(mass_closures(done, PARAMS, span=SPAN).index) == list(mass.index[~scheduled])
    bare, none = common.mass_hours(common.hour_numbers(done), PARAMS)
    assert len(bare) == 92 and not none.any()


def test_scheduled_hours_grids_the_distinct_hours_counts() -> None:
    done = _nightly_and_cleanup()
    floors = done.dt.floor("h")
    counts = floors.value_counts()  # a few thousand hours, not every time
    mass = counts[counts >= 200].sort_index()
    got = scheduled_hours(mass, counts, SPAN, "UTC", 10.0)
    assert int(got.sum()) == 91
    assert not got[mass.index.get_loc(pd.Timestamp("2024-03-15 14:00", tz="UTC"))]
    # in a zone: the same clock hours, shifted; the clean-up is still none
    got_tz = scheduled_hours(mass, counts, SPAN, "Europe/Berlin", 10.0)
    assert int(got_tz.sum()) == 91


def test_in_hours_tests_the_floors_once_taken() -> None:
    done = pd.Series(pd.to_datetime(["2024-03-15 14:59:59", "2024-03-15 15:00:00", None],
                                    utc=True)).dt.as_unit("us")
    hours = pd.DatetimeIndex([pd.Timestamp("2024-03-15 14:00", tz="UTC")])
    assert common.in_hours(common.hour_numbers(done), hours).tolist() == [True, False, False]
    assert common.in_hours(common.hour_numbers(done), hours[:0]).tolist() == [False, False, False]


# ---- 2 and 8: a real run's context ------------------------------------------------------

@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory,
         ) -> tuple[Context, Any]:
    """The autoclose desk with a one-off clean-up of 1,500 (review 22c's data): its
    Context, and its report."""
    path = _write(_with_cleanup(_autoclose_desk()),
                  Path(tmp_path_factory.mktemp("rda")) / "incident.csv")
    seen: list[Context] = []
    real = engine.measure_all

    def keep(rules: Any, ctx: Context, more: Any = None) -> Any:
        seen.append(ctx)
        return real(rules, ctx, more)

    engine.measure_all = keep  # type: ignore[assignment]
    try:
        report = api.diagnose_paths([path], api.RunOptions())
    finally:
        engine.measure_all = real  # type: ignore[assignment]
    return seen[0], report


def test_the_candidates_are_the_done_work_the_note_counts(
        desk: tuple[Context, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, _ = desk
    params = config.load_rules().signs["backlog"].params
    # the Context's params find no clean-up; the sign's own do (the 1,500 and more)
    fresh = dataclasses.replace(ctx, signs={"backlog": {**params, "mass_closure_min": 10**9}})
    fresh = fresh.given_done_at(ctx.done_at)
    assert backlog.mass_closure(fresh, params) is not None
    assert int(backlog.mass_closure(fresh, params).tickets.sum()) >= 1500  # type: ignore[union-attr]
    given: list[pd.Series] = []
    real = backlog._automation

    def spy(c: Context, mask: pd.Series, p: Any) -> Any:
        given.append(mask)
        return real(c, mask, p)

    monkeypatch.setattr(backlog, "_automation", spy)
    backlog.measure(fresh, params)
    kept = backlog.left_out_done(fresh, backlog.scope_masks(fresh)[0]
                                 & fresh.done_in_window()).kept
    # the candidates are the note's "kept": the same tickets (1,500 more than kept & ~mass)
    assert given and given[0].equals(kept)


def test_the_bulk_close_note_says_the_whole_rule(desk: tuple[Context, Any]) -> None:
    _, report = desk
    sign = next(s for s in report.signs if s.id == "backlog")
    note = next(n for n in sign.evidence.notes if n.code == "mass_close_resolved")
    text = " ".join(note.text.split())
    assert ("clock hours of at least 200 closures and at least 10 times the "
            "99th-percentile hour of those with fewer, from") in text


# ---- 3. the left-out split, listed once -------------------------------------------------

def test_left_out_parts_lists_the_kinds_with_tickets_in_the_order_asked() -> None:
    def s(*v: bool) -> pd.Series:
        return pd.Series(list(v))
    left = LeftOut(machine=s(True, False, False, False, False),
                   cleanup=s(False, False, False, False, False),
                   cancelled=s(False, True, True, False, False),
                   children=s(False, False, False, True, False),
                   kept=s(False, False, False, False, True))
    assert left.parts() == [("machine", 1), ("cancelled", 2), ("children", 1)]
    assert left.parts(backlog.AUTOMATION_LEFT_OUT) == [
        ("cancelled", 2), ("machine", 1), ("children", 1)]
    assert sorted(backlog.AUTOMATION_LEFT_OUT) == sorted(
        ("machine", "cleanup", "cancelled", "children"))
    nothing = LeftOut(**{k: s(False) for k in ("machine", "cleanup", "cancelled",
                                                 "children")}, kept=s(True))
    assert nothing.parts() == []


# ---- 7. a few refs looked up without an index of every id -------------------------------

def _linked_ctx() -> Context:
    ids = [f"PRB{i:07d}" for i in range(2000)] + ["INC1", "INC2", "INC3", "INC4"]
    refs: list[Any] = [None] * 2000 + [" PRB0000007 ", "PRB0001999", "PRB9999999", "PRB0000007"]
    tickets = pd.DataFrame({m.TICKET_ID: pd.array(ids, dtype=m.STRING_DTYPE),
                            m.PROBLEM_REF: pd.array(refs, dtype=m.STRING_DTYPE)})
    window = Window(start=pd.Timestamp("2024-01-01", tz="UTC"),
                           end=pd.Timestamp("2024-03-31", tz="UTC"))
    return Context(tickets=tickets, events=pd.DataFrame(), window=window)


def test_ref_rows_finds_the_refs_without_an_index_of_every_id(
        monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = _linked_ctx()
    linked = np.arange(2000, 2004)
    targets = np.zeros(2004, dtype=bool)
    targets[:2000] = True

    def no_index(self: pd.Index, *a: Any, **k: Any) -> Any:
        raise AssertionError("a hash index of every id was built")

    monkeypatch.setattr(pd.Index, "get_indexer", no_index)
    assert ref_rows(ctx, m.PROBLEM_REF, linked, targets).tolist() == [7, 1999, -1, 7]
    # a ref to a ticket that is no target is none
    targets[7] = False
    assert ref_rows(ctx, m.PROBLEM_REF, linked, targets).tolist() == [-1, 1999, -1, -1]


# ---- 9. no clause: nothing said ---------------------------------------------------------

def test_an_empty_list_of_clauses_is_worded_as_nothing() -> None:
    messages = {"x": "Left out: <{parts}>.", "x.a": "{count} a"}
    assert Note(code="x", params={"parts": []}).text(messages, "t") == "Left out: <>."
    two = [Note(code="x.a", count=1), Note(code="x.a", count=2)]
    assert Note(code="x", params={"parts": two}).text(messages, "t") == \
        "Left out: <1 a and 2 a>."
    assert Note(code="x", params={"parts": "kept"}).text(messages, "t") == "Left out: <kept>."


# ---- 10. assignee events dropped by their code ------------------------------------------

def test_flow_drops_assignee_events_by_code(monkeypatch: pytest.MonkeyPatch) -> None:
    world = flow_world()
    ev = world.events
    # each status event doubled by an assignee event of its audit-log row
    extra = ev[ev[m.EV_KIND] == "status"].copy()
    extra[m.EV_KIND] = pd.Categorical(["assignee"] * len(extra),
                                      categories=ev[m.EV_KIND].cat.categories)
    events = pd.concat([ev, extra], ignore_index=True)
    rules = config.load_rules()
    window = engine.choose_window(world.tickets, rules).window
    ctx = Context(tickets=world.tickets, events=events, window=window,
                  defaults=rules.defaults.model_dump(),
                  analyses={a.id: a.params for a in rules.analyses.values()})
    params = rules.analyses["flow"].params
    ne = pd.Series.ne

    def no_text_compare(self: pd.Series, other: Any, *a: Any, **k: Any) -> Any:
        assert not (isinstance(other, str) and other == "assignee"), \
            "every event's kind compared as text"
        return ne(self, other, *a, **k)

    monkeypatch.setattr(pd.Series, "ne", no_text_compare)
    got = flow._sorted_events(ctx, flow._scope(ctx, params))
    plain = Context(tickets=world.tickets, events=ev, window=window,
                    defaults=rules.defaults.model_dump(),
                    analyses={a.id: a.params for a in rules.analyses.values()})
    want = flow._sorted_events(plain, flow._scope(plain, params))
    assert len(got) == len(want) > 0
    assert (got["kind"] != m.EVENT_KINDS.index("assignee")).all()
    assert got[["row", "at", "kind"]].reset_index(drop=True).equals(
        want[["row", "at", "kind"]].reset_index(drop=True))
