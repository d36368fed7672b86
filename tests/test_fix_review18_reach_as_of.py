"""Whether an export reaches back far enough is read from the stays as the window end saw
them (review 18c #3).

A Jira desk pulled on 1 September and on 20 October, both diagnosed ``--until 2026-08-31``
as the monthly CI job runs: one old ticket solved on 6 October (after the window end) put
its 14-month stay into ``backlog.reaches_back``'s quantile in the later pull only, so
that pull alone read the backlog at medium confidence and time to resolve "leans low",
not reliable. Both pulls now read the same backlog and KPI panel.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from asofkit import consistent, cut, reopened_after
from itsm_diag import api, synth
from itsm_diag.report import Report
from itsm_diag.writers.jira import write_jira
from test_fix_review18_as_of_end import _with_status

UNTIL = pd.Timestamp("2026-08-31 23:59:59.999999", tz="UTC")


@pytest.fixture(scope="module")
def pulls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Report]:
    s = synth.generate(8000, seed=31, end="2026-11-15", weeks=40,
                       conditions=synth.Conditions(trust=True, onboarding=True))
    tickets, events = reopened_after(*consistent(s.tickets, _with_status(s.events)), UNTIL)
    out = {}
    for name, when in (("early", "2026-09-01 06:00"), ("late", "2026-10-20")):
        folder = tmp_path_factory.mktemp(name)
        write_jira(*cut(tickets, events, when), folder, max_rows=100_000)
        out[name] = api.diagnose_paths([Path(folder)], api.RunOptions(until="2026-08-31"))
    return out


def test_two_pulls_read_the_same_backlog_and_time_to_resolve(pulls: dict[str, Report]
                                                             ) -> None:
    early, late = pulls["early"], pulls["late"]
    sign = {k: next(s for s in r.signs if s.id == "backlog") for k, r in pulls.items()}
    assert sign["early"].status == sign["late"].status
    assert sign["early"].confidence == sign["late"].confidence == "high"
    assert sign["early"].reason == sign["late"].reason
    assert ([n.code for n in sign["early"].evidence.notes]
            == [n.code for n in sign["late"].evidence.notes])
    assert early.kpis.reliable == late.kpis.reliable
    assert early.kpis.caveats == late.kpis.caveats
    assert early.kpis.time_to_resolve_hours == late.kpis.time_to_resolve_hours
    assert early.score == late.score and early.band == late.band
