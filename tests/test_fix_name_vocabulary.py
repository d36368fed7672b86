"""A person's name word that is also the desk's vocabulary (a leftover of review 10).

"Larry Page" raised a few tickets, so "page" was taken out of every summary: "Intranet
page blank" lost the word its users wrote, and a cluster of page errors was labelled
without it. A name word the desk writes on its own (without another name word, in at
least ``vocabulary_min_wordings`` distinct summaries, ``vocabulary_wordings_per_name``
per name holding it) is vocabulary now; a first name many people share stays a name.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from itsm_diag.analyses import textclusters

sys.path.insert(0, str(Path(__file__).parent))
from test_fix_recurrence_templates import _random_summaries
from test_fix_review10_text import TC, _ctx, _tickets

APPS = ("intranet", "sharepoint", "confluence", "jira", "wiki", "portal", "hr site",
        "expenses", "timesheet", "payroll", "crm", "booking tool")


def _surname(i: int) -> str:
    """A surname of letters only (a digit makes a word an id, no name)."""
    return "Dor" + chr(97 + i // 26 % 26) + chr(97 + i % 26)


def _desk(johns: int = 0) -> pd.DataFrame:
    """600 one-offs, 60 page errors in 12 applications' wordings (30 of them "Intranet
    page blank" in three wordings), three tickets of Larry Page's; with ``johns``, that
    many people called John, each with a chat "Conversation with John" (first name only)."""
    rng = np.random.default_rng(12)
    summary = _random_summaries(rng, 600)
    requester = [f"Ann {_surname(i)}" for i in range(600)]
    for i, app in enumerate(APPS):
        summary[i * 2] = f"{app} page not loading"
        summary[i * 2 + 1] = f"{app} page not loading since this morning"
    for i in range(30):
        summary[100 + i] = ("Intranet page blank", "Intranet page blank again",
                            "blank intranet page today")[i % 3]
    for i in range(3):
        requester[200 + i] = "Larry Page"
        summary[200 + i] = f"Conversation with Larry Page {'abc'[i]}"
    for i in range(johns):
        requester[300 + i] = f"John {_surname(i)}"
        summary[300 + i] = f"Conversation with John on topic {i % 4}"
    return _tickets(summary, requester, ["email"] * 600, ["Web"] * 600)


def test_a_surname_the_desk_writes_on_its_own_stays_in_summaries() -> None:
    t = _desk()
    names = textclusters._person_words(_ctx(t), TC)
    assert "larry" in names and "page" not in names
    # under --redact the names as exported are told the same way
    exported = frozenset(textclusters.name_words_of([pd.Series(t["requester"].unique())]))
    red = textclusters._person_words(_ctx(t, exported), TC)
    assert "larry" in red and "page" not in red
    # the cluster of page errors keeps the word its users wrote in its label
    meas = textclusters.measure(_ctx(t), TC)
    top = meas.tables["clusters"][0]
    assert top["tickets"] == 30 and "page" in top["label"].lower(), top


def test_the_rule_can_be_switched_off() -> None:
    off = {**TC, "vocabulary_min_wordings": 0}
    assert "page" in textclusters._person_words(_ctx(_desk()), off)


def test_a_first_name_many_people_share_stays_a_name() -> None:
    # 40 Johns: "john" stands alone in 4 wordings, under 3 a name holding it
    t = _desk(johns=40)
    names = textclusters._person_words(_ctx(t), TC)
    assert "john" in names and "page" not in names
    # a person's name typed into a summary never labels a cluster
    labels = " ".join(r["label"].lower() for r in
                      textclusters.measure(_ctx(t), TC).tables["clusters"])
    assert "larry" not in labels
