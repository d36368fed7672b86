"""``--redact`` quotes no intake-template wording (follow-up of c9402d0).

The recurrence sign's and the text clusters' notes on intake templates list the template
wordings with their incidents ('"incident created from inbound email": 137'): the
summaries' own words, in a report that promises no ticket text. Under ``--redact`` each
wording is ``Template N`` (one number per wording for the whole report, the same in the
sign and in the analysis), its count kept; the unknown reasons that end with such a note
too.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from itsm_diag import config, engine
from itsm_diag import model as m
from itsm_diag.redact import redact_report, redact_tables

sys.path.insert(0, str(Path(__file__).parent))
from test_fix_recurrence_templates import (
    CATS,
    END,
    TEMPLATES,
    _frame,
    _random_summaries,
    _templ,
)

RULES = config.load_rules()
WORDINGS = ("incident created from inbound email", "call logged by service desk",
            "no subject", "request submitted via portal")
LISTED = re.compile(r'"([^"]*)": (?=\d)')


def _reports(tickets: pd.DataFrame) -> tuple[dict[str, Any], dict[str, Any]]:
    """(plain, redacted) report of ``tickets`` as JSON data, as ``diagnose`` and
    ``diagnose --redact`` make them."""
    plain = engine.diagnose(engine.Diagnosis(tickets=tickets, events=m.empty_events(),
                                             inputs=[]), RULES, until=END)
    red_t, red_e, people = redact_tables(tickets, m.empty_events())
    red = engine.diagnose(engine.Diagnosis(tickets=red_t, events=red_e, inputs=[]), RULES,
                          until=END)
    return (json.loads(plain.model_dump_json()),
            json.loads(redact_report(red, people).model_dump_json()))


def _sign(doc: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in doc["signs"] if f["id"] == "recurrence")


def _texts(entry: dict[str, Any], code: str) -> list[str]:
    notes = entry.get("evidence", entry)
    return [n["text"] for n in [*notes["excluded"], *notes["notes"]] if n["code"] == code]


def _numbered(text: str, labels: dict[str, str]) -> str:
    """``text`` with each listed wording replaced as a redacted report should."""
    def one(match: re.Match[str]) -> str:
        labels.setdefault(match.group(1), f"Template {len(labels) + 1}")
        return f"{labels[match.group(1)]}: "
    return LISTED.sub(one, text)


def test_template_notes_name_no_wording_under_redact() -> None:
    plain, red = _reports(_templ())
    (sign_plain,) = _texts(_sign(plain), "template_summaries")
    (tc_plain,) = _texts(plain["analyses"]["text-clusters"], "templates")
    # the plain notes quote the four wordings (what the redacted report must not)
    assert sorted(LISTED.findall(sign_plain)) == sorted(WORDINGS)
    assert sorted(LISTED.findall(tc_plain)) == sorted(WORDINGS)
    dumped = json.dumps(red).lower()
    for wording in WORDINGS:
        assert wording not in dumped
    # before: '"incident created from inbound email": 137' in both notes
    (sign_red,) = _texts(_sign(red), "template_summaries")
    (tc_red,) = _texts(red["analyses"]["text-clusters"], "templates")
    labels: dict[str, str] = {}
    assert sign_red == _numbered(sign_plain, labels)
    # one wording, one number, in the sign and in the analysis; the counts stay
    assert tc_red == _numbered(tc_plain, labels)
    assert len(labels) == 4
    listed = re.findall(r"Template \d: [\d,]+", sign_red)
    assert listed == re.findall(r"Template \d: [\d,]+", tc_red)
    assert [x.split(": ")[0] for x in listed] == [f"Template {i}" for i in range(1, 5)]
    assert red["redacted"] is True


def test_unknown_reasons_name_no_wording_under_redact() -> None:
    # 97% of the summaries are templates: the sign (template_key) and the analysis
    # (only_templates) are unknown, their reasons ending with the list
    rng = np.random.default_rng(3)
    n = 600
    summary = [TEMPLATES[i % 4] if rng.random() < 0.97 else s
               for i, s in enumerate(_random_summaries(rng, n))]
    plain, red = _reports(_frame(summary, list(rng.choice(CATS, n))))
    for doc in (plain, red):
        assert _sign(doc)["status"] == "unknown"
        assert doc["analyses"]["text-clusters"]["status"] == "unknown"
    assert "incident created from inbound email" in _sign(plain)["reason"]
    dumped = json.dumps(red).lower()
    for wording in WORDINGS:
        assert wording not in dumped
    labels: dict[str, str] = {}
    assert _sign(red)["reason"] == _numbered(_sign(plain)["reason"], labels)
    assert (red["analyses"]["text-clusters"]["reason"]
            == _numbered(plain["analyses"]["text-clusters"]["reason"], labels))
    assert "Template 4: " in _sign(red)["reason"]


def test_one_number_per_wording_whatever_the_order() -> None:
    # the analysis lists the wordings in another order (its own params): each keeps the
    # number the sign gave it, a wording only it lists gets the next one; other notes
    # and other findings are left as they are
    from itsm_diag.redact import _hide_templates

    data: dict[str, Any] = {
        "signs": [
            {"id": "recurrence", "reason": "Clear.", "evidence": {
                "excluded": [{"code": "template_summaries",
                              "text": 'Listed: "no subject": 1,204; "call logged": 90.'}],
                "notes": [{"code": "key_used", "text": 'Key "a": 1'}]}},
            {"id": "trust", "reason": 'Said "x": 3', "evidence": {
                "excluded": [], "notes": [{"code": "template_summaries",
                                           "text": '"y": 2'}]}},
        ],
        "analyses": {"text-clusters": {
            "reason": "Measured.", "notes": [],
            "excluded": [{"code": "templates",
                          "text": 'Listed: "call logged": 88; "web form": 40; '
                                  '"no subject": 1,100.'}]}},
    }
    _hide_templates(data)
    sign = data["signs"][0]["evidence"]
    assert sign["excluded"][0]["text"] == "Listed: Template 1: 1,204; Template 2: 90."
    assert sign["notes"][0]["text"] == 'Key "a": 1'
    assert data["signs"][1]["reason"] == 'Said "x": 3'
    assert data["signs"][1]["evidence"]["notes"][0]["text"] == '"y": 2'
    assert (data["analyses"]["text-clusters"]["excluded"][0]["text"]
            == "Listed: Template 2: 88; Template 3: 40; Template 1: 1,100.")


def test_a_redacted_diagnosis_tells_names_in_summaries_as_the_plain_one(tmp_path) -> None:
    # "Conversation with <requester>" filed under one category is a template only by the
    # names around its fixed words; --redact pseudonymises the requester column before
    # the diagnosis, so the names' words must be taken from the export, or the redacted
    # report reads the 540 chats as one recurring issue the plain one does not
    from itsm_diag import api
    from itsm_diag import model as m
    from itsm_diag.writers.servicenow import write_servicenow
    from test_fix_recurrence_templates import _conv

    tickets = _conv(one_category=True)
    write_servicenow(tickets, m.empty_events(), tmp_path / "sn")
    plain, red = (api.diagnose_paths([tmp_path / "sn"], api.RunOptions(redact=flag))
                  for flag in (False, True))
    a, b = (next(s for s in r.signs if s.id == "recurrence") for r in (plain, red))
    assert (a.status, a.metrics["recurring_incident_share"].value) == (
        b.status, b.metrics["recurring_incident_share"].value)
    assert b.metrics["recurring_incident_share"].value < 0.1
    notes = [n.text for n in b.evidence.notes + b.evidence.excluded]
    assert any("Template 1:" in t for t in notes), notes
    assert not any("conversation with" in t.lower() for t in notes)
