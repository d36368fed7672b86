"""A footer copied into every summary tells no issue from another (review 23b, D4).

Mail intake copied the mail's confidentiality footer ("CONFIDENTIALITY NOTICE: This
e-mail and any attachments are confidential ...") into the short description of every
incident. Under ln(1 + N/df) each footer word still weighed ln 2, a dozen of them
outweighed the two words naming the issue: the text clusters fell from 168 to 61, the
incidents whose wording was merged rose from 9% to 74%, unrelated issues merged ("SAP
ERP: save button does nothing" with "Microsoft Teams: save button ..."), and 14 of the 15
largest clusters were labelled "confidentiality notice mail". Keyed on summaries, the
recurrence sign counted 61 recurring clusters instead of 160.

A word held by more than ``common_word_share`` of the distinct word sets weighs nothing,
names no cluster and holds no state: the footer run reads as the footer-free one, and a
note names the words.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from itsm_diag import config, engine, synth
from itsm_diag import model as m
from itsm_diag.analyses import textclusters
from itsm_diag.redact import Pseudonyms, redact_report
from itsm_diag.report import Report

RULES = config.load_rules()
FOOTER = (" CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and "
          "intended solely for the addressee. If you received it in error please notify "
          "the sender and delete it.")


@cache
def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The review's desk: 12,000 ServiceNow-like tickets over 26 weeks."""
    s = synth.generate(12000, seed=11, end="2026-06-30", weeks=26)
    return s.tickets, s.events


@cache
def _report(footer: bool, summary_key: bool = False) -> Report:
    tickets, events = _tables()
    t = tickets.copy()
    if footer:  # every incident's short description ends with the footer
        inc = (t[m.KIND] == "incident").to_numpy()
        summary = t[m.SUMMARY].astype(object).to_numpy().copy()
        summary[inc] = [f"{x}{FOOTER}" for x in summary[inc]]
        t[m.SUMMARY] = pd.array(summary, dtype=m.STRING_DTYPE)
    if summary_key:  # no CI, service or category: the recurrence key is the summary
        for col in (m.CI, m.SERVICE, m.CATEGORY, m.SUBCATEGORY):
            t[col] = pd.Series(pd.NA, index=t.index, dtype=m.STRING_DTYPE)
    return engine.diagnose(engine.Diagnosis(tickets=t, events=events, inputs=[]), RULES)


def _figures(report: Report) -> dict[str, tuple[float | None, ...]]:
    metrics = report.analyses["text-clusters"].metrics
    return {k: (f.value, f.numerator, f.denominator) for k, f in metrics.items()}


def _rows(report: Report) -> list[dict]:
    return report.analyses["text-clusters"].tables["clusters"].rows


def test_a_footer_in_every_summary_leaves_the_clusters_as_without_it() -> None:
    plain, footer = _report(False), _report(True)
    got, want = _figures(footer), _figures(plain)
    # before: 61 clusters (of 176 wordings), 1,940 of 2,633 incidents merged (74%)
    assert want["clusters"][:2] == (168, 176)
    assert want["merged_ticket_share"][1:] == (239, 2633)
    assert got == want
    # the largest clusters are the same issues, with the same word labels (before: 14 of
    # the 15 labelled "confidentiality notice mail")
    assert ([(r["tickets"], r["wordings"], r["min_similarity"]) for r in _rows(footer)]
            == [(r["tickets"], r["wordings"], r["min_similarity"]) for r in _rows(plain)])
    merged = [r["label"] for r in _rows(footer) if r["wordings"] > 1]
    assert merged == [r["label"] for r in _rows(plain) if r["wordings"] > 1]
    assert merged[:2] == ["wi fi hq", "connection vpn gateway"]
    assert not any("confidential" in r["label"].lower() for r in _rows(footer)
                   if r["wordings"] > 1)


def test_a_note_names_the_words_of_no_weight() -> None:
    plain, footer = _report(False), _report(True)
    assert "common_words" not in [n.code for n in plain.analyses["text-clusters"].notes]
    note = next(n for n in footer.analyses["text-clusters"].notes
                if n.code == "common_words")
    assert note.count == 14  # the footer's words (stop words aside; "error" among them)
    assert "more than 50% of the 176 distinct word sets" in note.text
    assert '"confidentiality" (176)' in note.text and '"addressee" (176)' in note.text
    # under --redact the words are ticket text: each is "Word N", its count kept
    hidden = redact_report(footer, Pseudonyms())
    text = next(n.text for n in hidden.analyses["text-clusters"].notes
                if n.code == "common_words")
    assert "confidential" not in text.lower()
    assert '"Word 1" (176)' in text and '"Word 10" (176)' in text


def test_recurrence_keyed_on_summaries_reads_through_the_footer() -> None:
    """Keyed on the summary, the sign counts the text clusters: before, 61 recurring
    clusters (6 uncovered, 10%) against 160 (8, 5%) without the footer."""
    plain, footer = _report(False, summary_key=True), _report(True, summary_key=True)

    def sign(report: Report) -> dict[str, tuple[float | None, ...]]:
        rec = next(f for f in report.signs if f.id == "recurrence")
        return {k: (f.value, f.numerator, f.denominator) for k, f in rec.metrics.items()}

    want = sign(plain)
    assert want["recurring_clusters"][0] == 160
    assert want["uncovered_share"][1:] == (8, 160)
    assert sign(footer) == want


def test_the_ceiling_is_a_share_of_the_word_sets() -> None:
    params = {"common_word_share": 0.5, "common_word_min_wordings": 20}
    df = np.array([10, 11, 20, 3])
    assert textclusters.common_words(df, 20, params).tolist() == [False, True, True, False]
    # too few word sets (the wordings of one issue share its words), or 1: off
    assert not textclusters.common_words(df, 19, params).any()
    assert not textclusters.common_words(df, 20, {**params, "common_word_share": 1}).any()
