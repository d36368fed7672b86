"""Review 21a, C7 and M2: the tools' own channel values, read alike in every importer.

C7. Freshservice's built-in alert sources ("AWS Cloudwatch", "Pagerduty") and JSM's
    request channels ``anonymousportal`` (the customer portal, signed out) and ``jira``
    (an issue an agent raised in Jira) fell into ``other``, which trust's bypass counts as
    going around the desk: a Freshservice desk read 789 of 1,500 (52.6%, triggered) where
    its people's bypass is 289 of 1,000 (28.9%), a JSM desk 686 of 1,200 (57.2%) where it
    is 326 of 1,014 (32.1%).
M2. Zendesk read ``native_messaging`` as the portal and ``chat`` as chat, while every other
    tool reads messaging as chat: one desk flipped trust on its widget's generation.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd

from itsm_diag import api
from itsm_diag import model as m
from itsm_diag.importers import freshservice, zendesk
from itsm_diag.importers import values as v
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
from itsm_diag.pull.freshservice import SOURCE as FRESHSERVICE_SOURCES

START = pd.Timestamp("2026-03-02 08:00")
WINDOW = {"since": "2026-03-02", "until": "2026-05-31"}


def _trust(path: Path) -> dict[str, object]:
    report = api.diagnose_paths([path], api.RunOptions(**WINDOW))
    f = next(s for s in report.signs if s.id == "trust")
    share = f.metrics["bypass_share"]
    return {"status": f.status, "value": share.value, "num": share.numerator,
            "den": share.denominator}


def _opened(rng: np.random.Generator, n: int) -> pd.Series:
    return pd.Series(START + pd.to_timedelta(rng.integers(0, 88 * 1440, n), unit="min"))


# --- Freshservice ----------------------------------------------------------------------


def _freshservice(path: Path) -> Path:
    rng = np.random.default_rng(3)
    sources = (["Portal"] * 550 + ["Phone"] * 150 + ["Email"] * 200 + ["Chat"] * 100
               + ["AWS Cloudwatch"] * 300 + ["Pagerduty"] * 200)
    n = len(sources)
    opened = _opened(rng, n)
    done = opened + pd.to_timedelta(rng.integers(1, 48, n), unit="h")
    stamp = lambda s: s.dt.strftime("%Y-%m-%d %H:%M:%S")  # noqa: E731
    pd.DataFrame({
        "Ticket Id": [f"INC-{i}" for i in range(1, n + 1)],
        "Subject": [f"Issue {i % 30}" for i in range(n)], "Status": "Closed",
        "Priority": "Medium", "Source": sources, "Type": "Incident",
        "Requester Name": [f"User {i % 400}" for i in range(n)], "Agent": "Agent 1",
        "Group": "Service Desk", "Created Time": stamp(opened),
        "Resolved Time": stamp(done), "Closed Time": stamp(done),
        "Category": [["Software", "Hardware", "Network"][i % 3] for i in range(n)],
    }).to_csv(path, index=False)
    return path


def test_freshservice_alert_sources_are_monitoring_not_bypass(tmp_path: Path) -> None:
    path = _freshservice(tmp_path / "fs.csv")
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets
    src = pd.read_csv(path, dtype=str)["Source"]
    alerts = src.isin(["AWS Cloudwatch", "Pagerduty"]).to_numpy()
    assert (t.loc[alerts, m.CHANNEL] == "monitoring").all()
    assert not (t[m.CHANNEL] == "other").any()
    assert not any("counted as 'other'" in w for w in loaded.sources[0].warnings)
    # recount: the people's tickets, Email and Chat outside the official portal and phone
    raw = pd.read_csv(path, dtype=str)
    opened = pd.to_datetime(raw["Created Time"])
    people = raw[~raw["Source"].isin(["AWS Cloudwatch", "Pagerduty"])
                 & (opened < pd.Timestamp("2026-06-01"))]
    outside = int(people["Source"].isin(["Email", "Chat"]).sum())
    got = _trust(path)
    assert (got["num"], got["den"]) == (outside, len(people)) == (300, 1000)
    assert got["value"] == 0.3  # was 800 / 1,500 = 53%, triggered
    assert got["status"] != "triggered"


def test_every_freshservice_builtin_source_has_a_channel() -> None:
    labels = pd.Series(list(FRESHSERVICE_SOURCES.values()), dtype=m.STRING_DTYPE)
    got = dict(zip(labels, v.map_vocab(labels, freshservice._SOURCE), strict=True))
    assert got == {"Email": "email", "Portal": "portal", "Phone": "phone", "Chat": "chat",
                   "Feedback Widget": "portal", "Yammer": "chat",
                   "AWS Cloudwatch": "monitoring", "Pagerduty": "monitoring",
                   "Walkup": "walk_in", "Slack": "chat"}
    # and the other sources the reference names (Walkup, Slack, MS Teams, Workplace)
    more = pd.Series(["MS Teams", "Workplace", "Outbound Email"], dtype=m.STRING_DTYPE)
    assert list(v.map_vocab(more, freshservice._SOURCE)) == ["chat", "chat", "email"]


# --- JSM -------------------------------------------------------------------------------


def _jsm(path: Path) -> Path:
    rng = np.random.default_rng(5)
    channels = ["portal"] * 514 + ["email"] * 326 + ["anonymousportal"] * 174 + ["jira"] * 186
    rng.shuffle(channels)
    n = len(channels)
    opened = _opened(rng, n)
    done = opened + pd.to_timedelta(rng.integers(1, 48, n), unit="h")
    stamp = lambda s: s.dt.strftime("%d/%b/%y %-I:%M %p")  # noqa: E731
    made, solved = stamp(opened), stamp(done)
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Summary", "Issue key", "Issue id", "Issue Type", "Status", "Priority",
                    "Resolution", "Assignee", "Reporter", "Created", "Updated", "Resolved",
                    "Custom field (Category)", "Custom field (Request channel)"])
        for i in range(n):
            w.writerow([f"Issue {i}", f"ITS-{i + 1}", 10000 + i, "Incident", "Resolved",
                        "Medium", "Done", f"agent{i % 10}", f"user{i % 500}",
                        made[i], solved[i], solved[i],
                        ["Software", "Hardware", "Network", "Access"][i % 4], channels[i]])
    return path


def test_jsm_anonymous_portal_is_the_portal_and_agent_raised_issues_are_no_door(
        tmp_path: Path) -> None:
    path = _jsm(tmp_path / "jsm.csv")
    loaded = load_paths([path], ImportOptions())
    t = loaded.tickets
    raw = pd.read_csv(path, dtype=str)["Custom field (Request channel)"].to_numpy()
    assert (t.loc[raw == "anonymousportal", m.CHANNEL] == "portal").all()
    assert t.loc[raw == "jira", m.CHANNEL].isna().all()
    assert not (t[m.CHANNEL] == "other").any()
    warnings = loaded.sources[0].warnings
    assert not any("counted as 'other'" in w for w in warnings)
    assert any(w.startswith("channel: 186 issues with request channel 'jira' were raised "
                            "by an agent") for w in warnings), warnings
    # recount: e-mail out of the issues whose door is recorded
    known = raw != "jira"
    got = _trust(path)
    assert (got["num"], got["den"]) == (int((raw == "email").sum()), int(known.sum()))
    assert (got["num"], got["den"]) == (326, 1014)  # was 686 of 1,200 (57%), triggered
    assert got["status"] == "clear"


# --- Zendesk: chat and messaging are one channel, as in every tool ----------------------


def _zendesk(path: Path, live: str) -> Path:
    rng = np.random.default_rng(7)
    vias = [live] * 480 + ["web"] * 420 + ["email"] * 180 + ["voice"] * 120
    n = len(vias)
    opened = _opened(rng, n)
    iso = lambda s: s.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    with path.open("w") as fh:
        for i in range(n):
            done = opened[i] + pd.Timedelta(hours=int(rng.integers(1, 48)))
            fh.write(json.dumps({
                "id": 1000 + i, "via": {"channel": vias[i]}, "created_at": iso(opened[i]),
                "updated_at": iso(done), "type": "incident", "subject": f"Issue {i % 40}",
                "priority": "normal", "status": "solved", "requester_id": 9000 + i % 500,
                "assignee_id": 7001, "group_id": 3001, "tags": [],
                "metric_set": {"solved_at": iso(done), "reopens": 0}}) + "\n")
    return path


def test_zendesk_chat_and_messaging_read_as_one_channel(tmp_path: Path) -> None:
    chat = _zendesk(tmp_path / "chat.ndjson", "chat")
    messaging = _zendesk(tmp_path / "messaging.ndjson", "native_messaging")
    a = load_paths([chat], ImportOptions()).tickets
    b = load_paths([messaging], ImportOptions()).tickets
    assert a[m.CHANNEL].astype(str).tolist() == b[m.CHANNEL].astype(str).tolist()
    assert int((b[m.CHANNEL] == "chat").sum()) == 480
    # the same desk, the same bypass figure whichever widget it runs
    ta, tb = _trust(chat), _trust(messaging)
    assert (ta["num"], ta["den"]) == (tb["num"], tb["den"])
    assert ta["status"] == tb["status"]


def test_one_channel_vocabulary_across_importers() -> None:
    """A value every importer knows maps to the same channel in each (the tool's own
    maps only add values the shared vocabulary lacks)."""
    for name, own in (("zendesk.VIA", zendesk.VIA), ("freshservice._SOURCE",
                                                      freshservice._SOURCE)):
        shared = {k: v.CHANNELS[k] for k in own if k in v.CHANNELS}
        assert {k: own[k] for k in shared} == shared, name
    words = pd.Series(["Chat", "Messaging", "native_messaging", "MS Teams", "Slack",
                       "Anonymous Portal", "anonymousportal", "AWS Cloudwatch",
                       "PagerDuty"], dtype=m.STRING_DTYPE)
    expected = ["chat"] * 5 + ["portal"] * 2 + ["monitoring"] * 2
    assert list(v.channel(words)) == expected
    assert list(v.map_vocab(words, zendesk.VIA).fillna(v.channel(words))) == expected
