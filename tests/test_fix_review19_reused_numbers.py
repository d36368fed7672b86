"""Review 19c, defect 2: a number held by tickets opened months apart (numbering
restarted by a migration, the old tickets imported with their old numbers) is two
tickets. Before, one ServiceNow export of 20,000 such tickets was read as an audit log
and diagnosed as 12,227 (7,773 tickets taken for history rows of others), and two
folders (old tool, new tool) kept the latest row of each number, dropping 7,773 tickets
at high confidence. A real audit log's rows of one number share one opened time."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag import model as m
from itsm_diag.importers.ids import REUSE_GAP, split_reused
from itsm_diag.render.json import render
from itsm_diag.writers.servicenow import write_servicenow

MIGRATION = pd.Timestamp("2026-07-15", tz="UTC")


@pytest.fixture(scope="module")
def desk() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """A desk whose incidents opened from the migration on are numbered from
    INC0100001 again, as the old instance numbered its first ones (and the mask of the
    renumbered)."""
    d = synth.generate(3000, seed=5, end="2026-09-30", weeks=26)
    t, e = d.tickets.copy(), d.events.copy()
    inc = t[m.KIND].eq("incident")
    old = t[inc & (t[m.OPENED_AT] < MIGRATION)].sort_values(m.OPENED_AT)
    new = t[inc & (t[m.OPENED_AT] >= MIGRATION)].sort_values(m.OPENED_AT)
    names = {}
    for sel in (old, new):  # each instance numbers its incidents from 1
        names.update({tid: f"INC{100001 + i:07d}" for i, tid in enumerate(sel[m.TICKET_ID])})
    renumbered = t[m.TICKET_ID].isin(list(names))
    t[m.TICKET_ID] = t[m.TICKET_ID].map(lambda x: names.get(x, x))
    e[m.EV_TICKET_ID] = e[m.EV_TICKET_ID].map(lambda x: names.get(x, x))
    new_tool = t[m.TICKET_ID].isin(set(names[x] for x in new[m.TICKET_ID])) & (
        t[m.OPENED_AT] >= MIGRATION)
    assert renumbered.sum() == len(old) + len(new)
    assert t[m.TICKET_ID].duplicated().sum() == min(len(old), len(new)) > 100
    return t, e, new_tool


def _report(paths: list[Path]) -> dict:
    return json.loads(render(api.diagnose_paths(paths, api.RunOptions())))


def test_one_export_holds_every_ticket(tmp_path: Path,
                                       desk: tuple[pd.DataFrame, pd.DataFrame, pd.Series]
                                       ) -> None:
    t, e, _ = desk
    write_servicenow(t, e, tmp_path / "one")
    report = _report([tmp_path / "one"])
    assert report["tickets"]["total"] == len(t)
    assert report["tickets"]["by_kind"]["incident"] == int(t[m.KIND].eq("incident").sum())
    shared = int(t[m.TICKET_ID].duplicated().sum())
    said = [w for i in report["inputs"] for w in i["warnings"] if "held by tickets" in w]
    assert len(said) == 1 and said[0].startswith(f"{shared:,} numbers are held")
    assert not any("audit log" in w for i in report["inputs"] for w in i["warnings"])


def test_two_folders_keep_both_tickets(tmp_path: Path,
                                       desk: tuple[pd.DataFrame, pd.DataFrame, pd.Series]
                                       ) -> None:
    t, e, new_tool = desk
    ids_new = set(t.loc[new_tool, m.TICKET_ID])
    write_servicenow(t[~new_tool], e[~e[m.EV_TICKET_ID].isin(ids_new)
                                     | e[m.EV_TICKET_ID].isin(set(t.loc[~new_tool, m.TICKET_ID]))
                                     ], tmp_path / "old")
    write_servicenow(t[new_tool], e[e[m.EV_TICKET_ID].isin(ids_new)], tmp_path / "new")
    report = _report([tmp_path / "old", tmp_path / "new"])
    assert report["tickets"]["total"] == len(t)
    shared = int(t[m.TICKET_ID].duplicated().sum())
    assert any(n.startswith(f"{shared:,} numbers are held by tickets") for n in
               report["data_notes"])
    assert not any("appear in more than one input row" in n for n in report["data_notes"])


def test_rows_of_one_ticket_stay_one_ticket() -> None:
    """An audit log's rows (one opened time per number, or one moved by less than the
    gap) are left as they are."""
    opened = pd.Series(pd.to_datetime(["2026-01-05 09:00", "2026-01-05 09:00",
                                       "2026-01-05 20:00", "2026-03-01 08:00", None],
                                      utc=True))
    ids = pd.Series(["INC1", "INC1", "INC1", "INC2", "INC2"], dtype=m.STRING_DTYPE)
    same, n, _ = split_reused(ids, opened)
    assert n == 0 and same.tolist() == ids.tolist()
    later = opened.copy()
    later.iloc[2] = opened.iloc[0] + REUSE_GAP + pd.Timedelta(minutes=1)
    split, n, example = split_reused(ids, later)
    assert n == 1 and split.tolist() == ["INC1 (opened 2026-01-05)"] * 2 + ["INC1", "INC2",
                                                                          "INC2"]
    assert example == "INC1 -> INC1 (opened 2026-01-05)"


def test_one_frame_holds_every_ticket(desk: tuple[pd.DataFrame, pd.DataFrame, pd.Series]
                                      ) -> None:
    """One input read by another route than ServiceNow's importer (here a caller's frame)
    splits a reused number as two inputs do: it kept the latest row of each number and
    dropped the other tickets (the split ran only beside a second input)."""
    t, e, _ = desk
    report = api.diagnose_frames(t, e)
    assert report.tickets.total == len(t)
    shared = int(t[m.TICKET_ID].duplicated().sum())
    assert any(n.startswith(f"{shared:,} numbers are held by tickets")
               for n in report.data_notes)
    assert not any("appear in more than one input row" in n for n in report.data_notes)


def test_each_event_goes_to_the_ticket_open_then(
        desk: tuple[pd.DataFrame, pd.DataFrame, pd.Series]) -> None:
    """A reused number's events go to the holder opened last at or before each event:
    the newer ticket keeps its own history (before, every event of the number went to
    the older ticket, and the newer one read as never touched)."""
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.frames import read_frames

    t, e, new_tool = desk
    loaded = read_frames(t, e, ImportOptions())
    ev = loaded.events
    newer = set(t.loc[new_tool & t[m.TICKET_ID].duplicated(keep=False), m.TICKET_ID])
    assert len(newer) > 100
    # the truth: each event of such a number belongs to the ticket opened last before it
    truth = e[e[m.EV_TICKET_ID].isin(newer)].merge(
        t.loc[new_tool, [m.TICKET_ID, m.OPENED_AT]], left_on=m.EV_TICKET_ID,
        right_on=m.TICKET_ID, suffixes=("", "_t"))
    of_newer = int((truth[m.EV_AT] >= truth[m.OPENED_AT]).sum())
    assert of_newer > 500
    assert int(ev[m.EV_TICKET_ID].isin(newer).sum()) == of_newer
    older = ev[ev[m.EV_TICKET_ID].str.contains(" (opened ", regex=False).fillna(False)]
    assert len(older) + of_newer == len(e[e[m.EV_TICKET_ID].isin(newer)])
