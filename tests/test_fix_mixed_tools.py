"""Two tools in one run: a field's presence is judged per source (review 2, tools, item 1).

A folder with two tools' exports keeps their ids apart (``source:id``), but the presence
rules and the recurrence key were decided over the union of the sources: a tool that
cannot export a field counted as "has the field, value absent" for its tickets.

- Freshdesk/Freshservice + Zendesk JSON: recurrence was unknown on the one and clear on
  the other, *triggered* together, every "uncovered" cluster a Freshservice one (a
  Freshservice export cannot name a problem; the incident that names one was Zendesk's).
- Jira + Freshservice: trust triggered on Jira's chasers (13%), *clear* together (the
  denominator gained the Freshservice tickets, which never carry comments); recurrence's
  key took Freshservice's subcategory and silently dropped every Jira incident.

Each measure now counts the tickets of the sources that hold what it needs (a note names
the others), the recurrence key is chosen per source, and a run over one source is
measured as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import config, engine
from itsm_diag import model as m
from itsm_diag.report import Report

END = pd.Timestamp("2025-07-10 18:00", tz="UTC")
RULES = config.load_rules()
DEMO = Path(__file__).resolve().parents[1] / "samples" / "demo"
#: the codes of the notes that name left-out sources
SOURCE_NOTES = {"keys_by_source", "key_sources", "no_key_value_sources", "links_sources",
                "chasers_sources", "bypass_sources", "duplicates_sources",
                "silence_sources"}


def _tickets(source: str, n: int, seed: int, *, kind: str = "incident",
             summaries: tuple[str, ...], categories: bool, subcategory: bool,
             channel: str | None, links: dict[str, str] | None = None,
             updated: bool = True, first_id: int = 1) -> pd.DataFrame:
    """``n`` tickets of one ``source`` (ids ``source:<n>``, as a mixed run names them),
    opened over the 12 weeks before END, each done within a day; one summary wording per
    issue, each issue in its own category. ``links``: the problem each issue's first
    incident names (the others name none)."""
    rng = np.random.default_rng(seed)
    issue = np.arange(n) % len(summaries)
    opened = END - pd.to_timedelta(rng.uniform(2, 84 * 24, n), unit="h")
    problem = [None] * n
    for k, ref in (links or {}).items():
        problem[int(np.flatnonzero(np.asarray(summaries)[issue] == k)[0])] = ref
    frame = pd.DataFrame({
        m.TICKET_ID: [f"{source}:{first_id + i}" for i in range(n)],
        m.SOURCE_TOOL: source,
        m.KIND: kind,
        m.STATUS: "resolved",
        m.SUMMARY: np.asarray(summaries, dtype=object)[issue],
        m.CATEGORY: [f"Cat {k}" for k in issue] if categories else None,
        m.SUBCATEGORY: [f"Sub {k}" for k in issue] if subcategory else None,
        m.CHANNEL: channel,
        m.REQUESTER: [f"User {i}" for i in rng.integers(0, 20_000, n)],
        m.OPENED_AT: opened,
        m.RESOLVED_AT: opened + pd.Timedelta(hours=20),
        m.UPDATED_AT: opened + pd.Timedelta(hours=20) if updated else pd.NaT,
        m.PROBLEM_REF: problem,
    })
    frame[m.UPDATED_AT] = pd.to_datetime(frame[m.UPDATED_AT], utc=True)
    return frame


def _diagnose(tickets: list[pd.DataFrame], events: pd.DataFrame | None = None) -> Report:
    data = engine.Diagnosis(tickets=m.conform_tickets(pd.concat(tickets, ignore_index=True)),
                            events=events if events is not None else m.empty_events(),
                            inputs=[])
    return engine.diagnose(data, RULES, checks=False)


def _sign(report: Report, sign: str) -> Any:
    return next(s for s in report.signs if s.id == sign)


def _codes(finding: Any) -> set[str]:
    return {n.code for n in [*finding.evidence.notes, *finding.evidence.excluded]}


def _figure(finding: Any, metric: str) -> tuple[Any, Any, Any]:
    fig = finding.metrics[metric]
    return fig.value, fig.numerator, fig.denominator


# ---- repro A: Freshservice (no problem field) + Zendesk (problem_id) --------------------

FS_ISSUES = ("outlook keeps crashing", "printer jams on floor", "vpn disconnects hourly",
             "laptop screen flickers")
ZD_ISSUES = ("wifi slow meeting rooms", "teams audio echoes", "badge reader rejects",
             "sharepoint sync fails")


def _freshservice_a() -> pd.DataFrame:
    return _tickets("freshservice", 200, 1, summaries=FS_ISSUES, categories=True,
                    subcategory=True, channel="email")


def _zendesk_a() -> pd.DataFrame:
    # the Zendesk API page: a summary and problem_id, no category; every issue linked
    return _tickets("zendesk", 100, 2, summaries=ZD_ISSUES, categories=False,
                    subcategory=False, channel="portal",
                    links={k: f"zendesk:{900 + i}" for i, k in enumerate(ZD_ISSUES)})


def test_recurrence_is_not_triggered_by_the_clusters_of_a_tool_without_problem_links() -> None:
    report = _diagnose([_freshservice_a(), _zendesk_a()])
    rec = _sign(report, "recurrence")
    # before: triggered, 4 uncovered clusters of 4, every one a Freshservice cluster
    assert rec.status == "clear"
    assert _figure(rec, "uncovered_clusters")[0] == 0
    # the coverage is judged on Zendesk's 4 clusters; Freshservice's 4 are named, not judged
    assert _figure(rec, "uncovered_share")[1:] == (0.0, 4.0)
    assert _figure(rec, "recurring_clusters")[0] == 8
    links = next(n for n in rec.evidence.excluded if n.code == "links_sources")
    assert links.count == 200 and "freshservice: 200" in links.text
    # each tool keyed on what it fills: Zendesk's incidents (no category) are not dropped
    assert _figure(rec, "recurring_incident_share")[2] == 300
    keys = next(n for n in rec.evidence.notes if n.code == "keys_by_source")
    assert "freshservice: category + subcategory + summary (200)" in keys.text
    assert "zendesk: summary (100)" in keys.text


def test_clusters_only_in_a_tool_without_links_leave_recurrence_unknown() -> None:
    # Zendesk names problems but has no recurring cluster: Freshservice's clusters cannot
    # be told covered or not, so the sign cannot clear
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    rng = np.random.default_rng(7)
    one_offs = tuple(" ".join("".join(rng.choice(letters, 7)) for _ in range(3))
                     for _ in range(40))  # made-up words, never repeated
    zd = _tickets("zendesk", 40, 2, summaries=one_offs, categories=False,
                  subcategory=False, channel="portal", links={one_offs[0]: "zendesk:900"})
    rec = _sign(_diagnose([_freshservice_a(), zd]), "recurrence")
    assert rec.status == "unknown"
    assert _figure(rec, "uncovered_clusters")[0] is None
    assert "freshservice: 200" in rec.reason


# ---- repro B: Jira (comments, links, no channel) + Freshservice (channel, no comments) ---

JIRA_ISSUES = ("laptop will not boot", "wifi not working", "mailbox full warning",
               "cannot open payroll app")
FS_B_ISSUES = ("printer offline again", "monitor stays black", "keyboard missing keys",
               "docking station fails")


def _jira_b() -> tuple[pd.DataFrame, pd.DataFrame]:
    """300 Jira tickets (200 incidents, 100 requests), an agent comment on each and a
    requester's "Any update?" two days later on 45 of them (15%); two of the four issues
    link a problem."""
    incidents = _tickets("jira", 200, 3, summaries=JIRA_ISSUES, categories=True,
                         subcategory=False, channel=None,
                         links={JIRA_ISSUES[0]: "jira:P1", JIRA_ISSUES[1]: "jira:P2"})
    requests = _tickets("jira", 100, 4, kind="request", summaries=("new phone",),
                        categories=True, subcategory=False, channel=None, first_id=201)
    # the requester chases 12 hours after the agent's comment, before the ticket is done
    tickets = pd.concat([incidents, requests], ignore_index=True)
    opened = tickets[m.OPENED_AT]
    agent = pd.DataFrame({m.EV_TICKET_ID: tickets[m.TICKET_ID], m.EV_KIND: "comment",
                          m.EV_AUTHOR_ROLE: "agent", m.EV_AT: opened + pd.Timedelta(hours=1),
                          m.EV_VALUE: "We are looking into it."})
    chased = tickets.index[::20][:15].tolist() + tickets.index[1::10][:30].tolist()
    chaser = pd.DataFrame({m.EV_TICKET_ID: tickets.loc[chased, m.TICKET_ID],
                           m.EV_KIND: "comment", m.EV_AUTHOR_ROLE: "requester",
                           m.EV_AT: opened[chased] + pd.Timedelta(hours=12),
                           m.EV_VALUE: "Any update? Still waiting."})
    assert len(set(chased)) == 45
    events = m.conform_events(pd.concat([agent, chaser], ignore_index=True))
    return tickets, events


def _freshservice_b() -> pd.DataFrame:
    # the Freshservice UI export: subcategory and channel, no conversations, no problem
    # field, no updated time
    return _tickets("freshservice", 400, 5, summaries=FS_B_ISSUES, categories=True,
                    subcategory=True, channel="portal", updated=False)


def test_trust_counts_chasers_over_the_tickets_of_the_tool_that_exports_comments() -> None:
    jira, events = _jira_b()
    mixed = _sign(_diagnose([jira, _freshservice_b()], events), "trust")
    alone = _sign(_diagnose([jira], events), "trust")
    # before: 45 / 700 = 6.4% and clear; Jira alone reads 45 / 300 = 15%, triggered
    assert _figure(alone, "chaser_share") == (0.15, 45.0, 300.0)
    assert _figure(mixed, "chaser_share") == _figure(alone, "chaser_share")
    assert mixed.status == "triggered"
    chasers = next(n for n in mixed.evidence.excluded if n.code == "chasers_sources")
    assert chasers.count == 400 and "freshservice: 400" in chasers.text
    # bypass: Freshservice's channel, Jira (which has none) named
    assert _figure(mixed, "bypass_share")[1:] == (0.0, 400.0)
    bypass = next(n for n in mixed.evidence.excluded if n.code == "bypass_sources")
    assert bypass.count == 300 and "jira: 300" in bypass.text


def test_recurrence_keys_each_tool_on_what_it_fills() -> None:
    jira, events = _jira_b()
    rec = _sign(_diagnose([jira, _freshservice_b()], events), "recurrence")
    # before: the key took Freshservice's subcategory, all 200 Jira incidents dropped out
    # and Freshservice's clusters were the "uncovered" ones (triggered)
    assert _figure(rec, "recurring_incident_share")[2] == 600
    assert _figure(rec, "uncovered_clusters")[0] == 2  # Jira's two unlinked issues
    assert _figure(rec, "uncovered_share")[1:] == (2.0, 4.0)
    assert rec.status == "clear"
    table = rec.evidence.tables["top_uncovered_clusters"]
    assert {row["key"].split(": ")[0] for row in table} == {"jira"}


# ---- one source: measured as before --------------------------------------------------------

def test_one_source_is_measured_as_before() -> None:
    # Freshservice alone cannot name a problem: unknown, as it always was
    rec = _sign(_diagnose([_freshservice_a()]), "recurrence")
    assert rec.status == "unknown"
    assert "No incident opened by the window end names a problem" in rec.reason
    # a field missing on some tickets of the one source is no source left out: the
    # tickets without a channel are counted out as they always were
    fs = _freshservice_b()
    fs.loc[fs.index[:100], m.CHANNEL] = None
    trust = _sign(_diagnose([fs]), "trust")
    assert _figure(trust, "bypass_share")[1:] == (0.0, 300.0)
    assert "channel_missing" in _codes(trust)
    assert not _codes(trust) & SOURCE_NOTES
    assert not _codes(rec) & SOURCE_NOTES
    assert "key_used" in _codes(rec)


def test_the_demo_names_no_source() -> None:
    from itsm_diag.api import RunOptions, _load

    loaded = _load([DEMO], RunOptions(), RULES.defaults.wording)
    report = engine.diagnose(engine.Diagnosis(tickets=loaded.tickets, events=loaded.events,
                                              inputs=[]), RULES, checks=False)
    for sign in ("recurrence", "trust"):
        assert not _codes(_sign(report, sign)) & SOURCE_NOTES
    assert "key_used" in _codes(_sign(report, "recurrence"))
