"""Review 21a, C8 and m2: chaser phrases that only chase, and the coverage note's bar.

C8. "des nouvelles" and "du nouveau" matched ordinary French ("Il faudra aussi des
    nouvelles licences", "le poste du nouveau collaborateur"): a desk with 29 real chases
    in 1,200 tickets (2.4%) read 347 (29%), trust triggered. The same trap in the other
    languages: "relance" (a restart), "gibt es ein Update" (a software update), "alguna
    actualización" / "alguma atualização", "stand van zaken" (a report).
m2. The coverage note said "236 of the window's 1,200 tickets (20%) carry a comment (at
    least 20% needed)" of a share of 19.67%.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import pytest

from casekit import run_case
from itsm_diag.config import load_rules
from itsm_diag.signs.common import phrase_pattern

PHRASES = [str(p) for p in load_rules().signs["trust"].params["chaser_phrases"]]
PATTERN = re.compile(phrase_pattern(PHRASES), re.IGNORECASE)

ORDINARY = [
    # French
    "Merci de prévoir aussi le poste du nouveau collaborateur pour lundi.",
    "Il faudra aussi des nouvelles licences pour l'équipe.",
    "Nous avons des nouvelles imprimantes au 2e étage.",
    "La relance du service a échoué après la mise à jour.",
    "Pouvez-vous installer du nouveau matériel dans la salle B ?",
    # German
    "Gibt es ein Update für Outlook, das den Fehler behebt?",
    # Spanish
    "¿Hay alguna actualización de Windows pendiente en este equipo?",
    # Dutch
    "De stand van zaken is als volgt: de printer werkt weer half.",
    # Portuguese
    "Existe alguma atualização do Office para instalar?",
]
CHASES = [
    "Des nouvelles ? Toujours bloqué.", "Avez-vous des nouvelles de ma demande ?",
    "Du nouveau sur ma demande ?", "Je relance ma demande.", "Petite relance svp",
    "Où en est ma demande ?", "Gibt es ein Update zu meinem Ticket?",
    "Gibt es Neuigkeiten?", "¿Alguna actualización sobre mi solicitud?",
    "Wat is de stand van zaken?", "Alguma atualização sobre o meu pedido?",
    "Alguma atualização?", "Any update on this?",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_sentences_are_no_chasers(text: str) -> None:
    assert PATTERN.search(text) is None, PATTERN.search(text)


@pytest.mark.parametrize("text", CHASES)
def test_chases_still_match(text: str) -> None:
    assert PATTERN.search(text) is not None


def _desk(n: int, commented: int, texts: list[str]) -> dict[str, Any]:
    """``n`` tickets a day apart; the first ``commented`` carry the requester comment
    ``texts[i % len(texts)]``."""
    return {
        "as_of": "2024-03-29T12:00:00",
        "config": {"signs": {"trust": {"params": {"min_tickets": 30}}}},
        "tickets": [{"kind": "incident", "status": "closed", "category": "email",
                     "requester": "ann", "channel": "portal",
                     "opened_at": "2024-01-01T09:00:00",
                     "resolved_at": "2024-01-01T15:00:00",
                     "updated_at": "2024-01-01T15:00:00", "_count": n, "_every": "3h"}],
        "events": [{"ticket_id": f"T{i + 1:05d}", "kind": "comment",
                    "author_role": "requester", "value": texts[i % len(texts)],
                    "at": str(pd.Timestamp("2024-01-01T10:00:00") + pd.Timedelta(hours=3 * i))}
                   for i in range(commented)],
    }


def test_a_french_desk_counts_its_real_chases_only() -> None:
    # 120 tickets: 30 ask for a new starter's laptop or new licences, 4 chase
    texts = ["Merci de prévoir aussi le poste du nouveau collaborateur pour lundi.",
             "Il faudra aussi des nouvelles licences pour l'équipe."] * 15 + [
        "Des nouvelles ? Toujours bloqué."] * 4
    case = _desk(120, len(texts), texts)
    found = run_case("trust", case)
    said = pd.Series([e["value"] for e in case["events"]])
    chased = int(said.str.contains(r"^Des nouvelles \?", regex=True).sum())
    share = found.metrics["chaser_share"]
    assert (share.numerator, share.denominator) == (chased, 120) == (4, 120)
    assert share.value == pytest.approx(4 / 120)  # was 34 of 120 (28%), triggered
    assert found.status != "triggered"


def test_the_coverage_note_tells_the_share_from_the_bar() -> None:
    # 59 of 300 tickets carry a comment: 19.67%, under the 20% bar
    case = _desk(300, 59, ["Attached a screenshot of the error."])
    found = run_case("trust", case)
    assert found.metrics["chaser_share"].value is None
    texts = [str(n.text) for n in found.evidence.notes + found.evidence.excluded
             if n.code == "comments_sparse"]
    assert len(texts) == 1
    assert ("only 59 of the window's 300 tickets (19.7%) carry a comment or a work note "
            "(at least 20.0% needed)") in texts[0], texts[0]
