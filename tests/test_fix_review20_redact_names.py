"""Review 20c (``--redact``): a person's name is swept whatever way it is written, and
redaction never changes a number.

1. One person written two ways in one value set ("Network - Carla Diaz-Ortega" and
   "Network - Diaz-Ortega, Carla") stays two values: ``Network - Agent 4`` and
   ``Network - Agent 4 (2)``, so ``kpis.volume_by_category`` keeps its 1313 tickets
   (1254 before: one 59-ticket key overwrote the other, "the rest: 556" read 497).
2. A one-word name ("Zorro") is swept in the lower-cased recurrence key
   (``exchange zorro | email | delivery``), never an ordinary word ("max").
3. A name exported with two spaces ("Anna  Kowalska") is swept where written with one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from itsm_diag import model as m
from itsm_diag import synth
from itsm_diag.cli import app
from itsm_diag.redact import Pseudonyms
from itsm_diag.writers.servicenow import write_servicenow

runner = CliRunner()
#: the planted names as they must never appear in a redacted report (any case)
PLANTED = ("Zorro", "Kowalska", "Diaz-Ortega", "Carla")
FORMATS = ("json", "md", "html")


def planted_export(folder: Path) -> Path:
    """A ServiceNow export (3000 synthetic tickets) with people's names planted in the
    classification: a category holding an agent's name written two ways, a CI holding a
    one-word requester's name, a group holding a requester's name exported with two
    spaces."""
    s = synth.generate(3000, seed=11, conditions=synth.Conditions(
        recurrence=True, trust=True, backlog=True))
    t, e = s.tickets.copy(), s.events.copy()
    reqs = t[m.REQUESTER].value_counts().index.tolist()
    ren = {reqs[2]: "Zorro", reqs[5]: "Anna  Kowalska"}  # two spaces, as exported
    for c in (m.REQUESTER, m.ASSIGNEE):
        t[c] = t[c].replace(ren)
    e[m.EV_AUTHOR] = e[m.EV_AUTHOR].replace(ren)
    agent_comments = e.index[(e[m.EV_KIND] == "comment") & (e[m.EV_AUTHOR_ROLE] == "agent")]
    e.loc[agent_comments[::7], m.EV_AUTHOR] = "Carla Diaz-Ortega"
    # and holds tickets: a known agent (review 21: a commenter who is neither the
    # requester nor an assignee or work note's author has no role, importers.roles)
    t.loc[t.index[t[m.ASSIGNEE].notna()][::97], m.ASSIGNEE] = "Carla Diaz-Ortega"
    groups = {"Messaging & Collaboration": "Msg Anna Kowalska"}
    t[m.ASSIGNMENT_GROUP] = t[m.ASSIGNMENT_GROUP].replace(groups)
    e[m.EV_VALUE] = e[m.EV_VALUE].where(e[m.EV_KIND] != "assignment",
                                        e[m.EV_VALUE].replace(groups))
    t[m.CATEGORY] = t[m.CATEGORY].replace({"Network": "Network - Carla Diaz-Ortega"})
    net = t.index[t[m.CATEGORY] == "Network - Carla Diaz-Ortega"]
    t.loc[net[::2], m.CATEGORY] = "Network - Diaz-Ortega, Carla"
    t[m.CI] = t[m.CI].replace({"Exchange Online": "Exchange Zorro"})
    folder.mkdir(parents=True)
    write_servicenow(t, e, folder)
    return folder


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    """(plain | redacted, format) -> the report's text."""
    root = tmp_path_factory.mktemp("names")
    export = planted_export(root / "export")
    out: dict[tuple[str, str], str] = {}
    for kind, flags in (("plain", []), ("redacted", ["--redact"])):
        for fmt in FORMATS:
            path = root / f"{kind}.{fmt}"
            result = runner.invoke(app, ["diagnose", str(export), *flags, "-o", str(path)])
            assert result.exit_code == 0, result.stderr
            out[(kind, fmt)] = path.read_text(encoding="utf-8")
    return out


def _json(reports: dict[tuple[str, str], str], kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(reports[(kind, "json")])
    return data


def test_a_name_written_two_ways_keeps_both_values_and_every_total(
        reports: dict[tuple[str, str], str]) -> None:
    plain = _json(reports, "plain")["kpis"]["volume_by_category"]
    red = _json(reports, "redacted")["kpis"]["volume_by_category"]
    assert {k: v for k, v in plain.items() if k.startswith("Network")} == {
        "Network - Carla Diaz-Ortega": 59, "Network - Diaz-Ortega, Carla": 59}
    network = {k: v for k, v in red.items() if k.startswith("Network")}
    assert sorted(network.values()) == [59, 59]
    assert len(set(network)) == 2 and all(re.fullmatch(r"Network - Agent \d+( \(2\))?", k)
                                          for k in network)
    assert sum(red.values()) == sum(plain.values()) == 1313
    assert sorted(red.values()) == sorted(plain.values())
    # the KPI panels a reader sees: the same top five and the same rest
    for fmt in ("md", "html"):
        rest = [re.findall(r"the rest: ([\d,]+)", reports[(kind, fmt)])
                for kind in ("plain", "redacted")]
        assert rest[0] and rest[0] == rest[1], (fmt, rest)
    assert "the rest: 556" in reports[("redacted", "md")]


def test_no_planted_name_in_any_redacted_format(reports: dict[tuple[str, str], str]) -> None:
    for name in PLANTED:  # the plain report does show each (its JSON, keys included)
        assert name.lower() in reports[("plain", "json")].lower(), name
    assert "exchange zorro" in reports[("plain", "md")]
    assert "exchange zorro" in reports[("plain", "html")]
    for fmt in FORMATS:
        red = reports[("redacted", fmt)].lower()
        assert [name for name in PLANTED if name.lower() in red] == [], fmt


def test_a_one_word_name_is_swept_in_the_lower_cased_recurrence_key(
        reports: dict[tuple[str, str], str]) -> None:
    def keys(kind: str) -> list[str]:
        sign = next(s for s in _json(reports, kind)["signs"] if s["id"] == "recurrence")
        return [row["key"] for rows in sign["evidence"]["tables"].values() for row in rows
                if "key" in row]

    assert "exchange zorro | email | delivery" in keys("plain")
    swept = [k for k in keys("redacted") if k.startswith("exchange ")]
    assert len(swept) == 1
    assert re.fullmatch(r"exchange Requester \d+ \| email \| delivery", swept[0])
    assert swept[0].replace("|", r"\|") in reports[("redacted", "md")]


def test_a_folded_sweep_spares_ordinary_words() -> None:
    people = Pseudonyms(by_key={"zorro": "Requester 2", "max": "Requester 3",
                                "anna  kowalska": "Requester 4"},
                        words=("Max", "Zorro"))
    assert people.sweep_folded("exchange zorro | email | delivery") == (
        "exchange Requester 2 | email | delivery")
    # "max" is a word the rules write: in lower-cased text it is no name
    assert people.sweep_folded("server max | memory | zorro") == (
        "server max | memory | Requester 2")
    # outside folded text, a one-word name is matched as written
    assert people.sweep("zorro and Zorro, Max and max.") == (
        "zorro and Requester 2, Requester 3 and max.")
    assert people.sweep_folded("msg anna kowalska") == "msg Requester 4"


@pytest.mark.parametrize("written", ["Msg Anna Kowalska", "Msg Anna\u00a0Kowalska",
                                     "Msg ANNA  KOWALSKA", "Msg Kowalska, Anna"])
def test_a_name_exported_with_two_spaces_is_swept_however_spaced(written: str) -> None:
    people = Pseudonyms(by_key={"anna  kowalska": "Requester 4"})
    assert people.sweep(written) == "Msg Requester 4"
