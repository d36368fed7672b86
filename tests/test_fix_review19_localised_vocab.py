"""Review 19a, D4 and D5: localised cancelled statuses, change types and close codes.

Each export is built here from ``itsm_diag.synth`` and the product's writers, then
relabelled the way a German (or otherwise localised) instance exports its display values.
The English twin of the same export is the control: same tickets, only the labels differ,
so every difference is the vocabulary's. Figures are recounted with pandas on the files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api, synth
from itsm_diag.render.json import render
from itsm_diag.writers.jira import write_jira
from itsm_diag.writers.servicenow import write_servicenow

ONBOARDING = "New hire onboarding"


def _diagnose(path: Path) -> dict[str, Any]:
    report = api.diagnose_paths([path], api.RunOptions())
    return json.loads(render(report))


def _sign(report: dict[str, Any], sign: str) -> dict[str, Any]:
    return next(s for s in report["signs"] if s["id"] == sign)


def _value(sign: dict[str, Any], metric: str) -> Any:
    return sign["metrics"][metric]["value"]


def _notes(sign: dict[str, Any]) -> dict[str, dict[str, Any]]:
    ev = sign["evidence"]
    return {n["code"]: n for n in [*ev.get("notes", []), *ev.get("excluded", [])]}


def _warnings(report: dict[str, Any]) -> list[str]:
    return [w for i in report["inputs"] for w in i["warnings"]]


# ---- D4: Jira onboarding requests cancelled after the start day ------------------------

@pytest.fixture(scope="module")
def jira_onboarding(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A Jira desk (synth seed 21) whose new-hire requests are mostly on time; 45% of those
    with a start day from late June on withdrawn and cancelled four days after it. Written
    as the English site writes it, as a German site (``Abgebrochen``, "Wird nicht
    erledigt", category ``Fertig``), with German statuses and English categories, and with
    a cancelled label in no language the tool knows (Polish ``Anulowane``)."""
    root = tmp_path_factory.mktemp("jira19")
    s = synth.generate(6000, seed=21, weeks=26,
                       conditions=synth.Conditions(recurrence=True, trust=True))
    write_jira(s.tickets, s.events, root / "base", max_rows=100000)
    d = pd.read_csv(root / "base" / "jira.csv", dtype=str, keep_default_na=False, header=None)
    hdr = list(d.iloc[0])
    d = d.iloc[1:].reset_index(drop=True)
    col = hdr.index
    rt, st, sc, res, rsv, sd = (col("Custom field (Request Type)"), col("Status"),
                                col("Status Category"), col("Resolution"), col("Resolved"),
                                col("Custom field (Start date)"))
    onb = d[rt] == ONBOARDING
    start = pd.to_datetime(d[sd], format="%d/%b/%y", errors="coerce")
    rng = np.random.default_rng(3)
    pick = (onb & start.notna() & (start >= "2026-06-25") & (d[st] == "Closed")
            & pd.Series(rng.random(len(d)) < 0.45))
    when = (start + pd.Timedelta(days=4, hours=10)).dt.strftime("%d/%b/%y %I:%M %p")
    d.loc[pick, st] = "Canceled"
    d.loc[pick, res] = "Won't Do"
    d.loc[pick, rsv] = when[pick]
    variants = {
        "en": ({}, {}, {}),
        "de": ({"Canceled": "Abgebrochen", "Closed": "Geschlossen"},
               {"Won't Do": "Wird nicht erledigt", "Done": "Fertig"}, {"Done": "Fertig"}),
        "decat": ({"Canceled": "Abgebrochen", "Closed": "Geschlossen",
                   "In Progress": "In Arbeit"},
                  {"Won't Do": "Wird nicht erledigt", "Done": "Fertig"}, {}),
        # a language no vocabulary holds: the status is read done by its category, the
        # resolution is the plain "Done" a workflow may set on a withdrawal too
        "pl": ({"Canceled": "Anulowane"}, {"Won't Do": "Done"}, {}),
    }
    out: dict[str, Any] = {"frame": d, "hdr": hdr, "pick": pick}
    for name, (smap, rmap, cmap) in variants.items():
        e = d.copy()
        e[st] = e[st].replace(smap)
        e[res] = e[res].replace(rmap)
        e[sc] = e[sc].replace(cmap)
        folder = root / name
        folder.mkdir()
        e.columns = hdr
        e.to_csv(folder / "jira.csv", index=False)
        out[name] = _diagnose(folder)
    return out


def _window_mask(report: dict[str, Any], opened: pd.Series) -> pd.Series:
    w = report["window"]
    return (opened >= pd.Timestamp(w["start"])) & (opened <= pd.Timestamp(w["end"]))


def test_german_cancelled_onboarding_requests_are_left_out_as_the_english_ones(
        jira_onboarding: dict[str, Any]) -> None:
    """Before: de and decat triggered, 23 of 62 late (37%): the 20 Abgebrochen requests,
    cancelled after their start day, counted as late deliveries. After: 3 of 42, clear,
    as the English twin; the cancelled ones are the pandas count."""
    d, hdr = jira_onboarding["frame"], jira_onboarding["hdr"]
    en = _sign(jira_onboarding["en"], "onboarding")
    opened = pd.to_datetime(d[hdr.index("Created")], format="%d/%b/%y %I:%M %p", utc=True)
    in_window = _window_mask(jira_onboarding["en"], opened)
    onb = d[hdr.index("Custom field (Request Type)")] == ONBOARDING
    resolved = pd.to_datetime(d[hdr.index("Resolved")], format="%d/%b/%y %I:%M %p",
                              utc=True)
    end = pd.Timestamp(jira_onboarding["en"]["window"]["end"])
    cancelled = int((onb & in_window & jira_onboarding["pick"] & (resolved <= end)).sum())
    assert cancelled == 20
    assert en["status"] == "clear"
    assert _notes(en)["cancelled"]["count"] == cancelled
    for name in ("de", "decat"):
        sign = _sign(jira_onboarding[name], "onboarding")
        assert sign["status"] == "clear", name
        assert _value(sign, "late_requests") == 3 == _value(en, "late_requests")
        assert _value(sign, "decided_requests") == 42 == _value(en, "decided_requests")
        assert _notes(sign)["cancelled"]["count"] == cancelled
        assert jira_onboarding[name]["score"] == jira_onboarding["en"]["score"]


def test_status_placed_by_the_status_category_is_named_with_counts(
        jira_onboarding: dict[str, Any]) -> None:
    """Before: the German workflow statuses placed by an English Status Category gave no
    warning at all. After: named with counts, as a status read by its done time is."""
    d, hdr = jira_onboarding["frame"], jira_onboarding["hdr"]
    warning = next(w for w in _warnings(jira_onboarding["pl"])
                   if "placed by their Status Category" in w)
    n = int(d[hdr.index("Status")].eq("Canceled").sum())  # the synth's own and the 20
    assert f"'Anulowane' ({n:,})" in warning
    assert f"closed ({n:,})" in warning
    # the German statuses of decat (In Arbeit...) are named too, the pandas counts
    decat = next(w for w in _warnings(jira_onboarding["decat"])
                 if "placed by their Status Category" in w)
    counts = d[hdr.index("Status")].value_counts()
    assert f"'In Arbeit' ({int(counts['In Progress']):,})" in decat
    # the English twin has no status the vocabulary does not know
    assert not any("Status Category" in w for w in _warnings(jira_onboarding["en"]))


def test_done_by_an_unknown_status_cannot_make_a_confident_trigger(
        jira_onboarding: dict[str, Any]) -> None:
    """A cancelled label in no known language, read as done by the Status Category: the
    20 withdrawn requests would make the sign triggered (23 of 62); without them it is
    clear (3 of 42). The verdict is unknown, with the range said, never triggered."""
    sign = _sign(jira_onboarding["pl"], "onboarding")
    assert sign["status"] == "unknown"
    notes = _notes(sign)
    inferred = notes.get("status_inferred_decides") or notes["status_inferred"]
    assert inferred["count"] == 20
    assert _value(sign, "late_requests") == 23
    assert _value(sign, "decided_requests") == 62
    # the range: without the 20, 3 of 42 (7%); with them all done, 23 of 62 (37%)
    text = notes["status_inferred"]["text"]
    assert "between 7% and 37%" in text and "'Anulowane' (20)" in text


# ---- D4/D5: ServiceNow changes with German states, close codes and types ---------------

@pytest.fixture(scope="module")
def sn_changes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A ServiceNow export (synth seed 11, changes on), the incident list without
    caused_by so tiers 2-3 carry the changes sign; its change list written in English,
    in German (close codes, types, Storniert), and with types and close codes in a
    language no vocabulary holds (Norwegian)."""
    root = tmp_path_factory.mktemp("sn19")
    s = synth.generate(8000, seed=11, weeks=26, conditions=synth.Conditions(
        recurrence=True, trust=True, changes=True, onboarding=True))
    write_servicenow(s.tickets, s.events, root / "base")
    base = root / "base"
    inc = pd.read_csv(base / "incident.csv", dtype=str, keep_default_na=False)
    chg = pd.read_csv(base / "change_request.csv", dtype=str, keep_default_na=False)
    variants = {
        "en": ({}, {}, {}),
        "de": ({"Successful": "Erfolgreich", "Unsuccessful": "Nicht erfolgreich",
                "Successful with issues": "Erfolgreich mit Problemen"},
               {"Emergency": "Notfall"}, {"Canceled": "Storniert", "Closed": "Geschlossen"}),
        "no": ({"Successful": "Vellykket", "Unsuccessful": "Mislykket",
                "Successful with issues": "Vellykket med problemer"},
               {"Emergency": "Nødendring"}, {}),
    }
    out: dict[str, Any] = {"changes": chg}
    for name, (codes, types, states) in variants.items():
        folder = root / name
        folder.mkdir()
        for p in base.iterdir():
            if p.name not in ("incident.csv", "change_request.csv", "sc_req_item.csv"):
                (folder / p.name).write_bytes(p.read_bytes())
        req = pd.read_csv(base / "sc_req_item.csv", dtype=str, keep_default_na=False)
        if name == "de":  # a German instance's request item states
            req["state"] = req["state"].replace({
                "Closed Complete": "Geschlossen - Abgeschlossen",
                "Closed Incomplete": "Geschlossen - Unvollständig"})
        req.to_csv(folder / "sc_req_item.csv", index=False)
        inc.drop(columns=["caused_by"]).to_csv(folder / "incident.csv", index=False)
        c = chg.copy()
        c["close_code"] = c["close_code"].replace(codes)
        c["type"] = c["type"].replace(types)
        c["state"] = c["state"].replace(states)
        c.to_csv(folder / "change_request.csv", index=False)
        out[name] = _diagnose(folder)
    return out


def _window_changes(report: dict[str, Any], chg: pd.DataFrame) -> pd.Series:
    """The changes the sign's rates count, recounted: ending (actual end, else planned
    end, else closed) in the window, else opened in it; cancelled ones left out (review
    21b, defect 11)."""
    def t(c: str) -> pd.Series:
        return pd.to_datetime(chg[c].replace("", None), utc=True)
    end = t("work_end").fillna(t("end_date")).fillna(t("closed_at"))
    when = end.fillna(t("opened_at"))
    cancelled = chg["state"].isin(["Canceled", "Cancelled"])
    return _window_mask(report, when) & ~cancelled.to_numpy()


def test_german_close_codes_types_and_cancelled_changes_read_as_the_english_ones(
        sn_changes: dict[str, Any]) -> None:
    """Before: rate 21 a quarter (tier 2 n/a), failure rate n/a, emergency 0%, standard
    43%, no warning. After: the English twin's figures, the pandas recount's shares."""
    chg = sn_changes["changes"]
    en, de = _sign(sn_changes["en"], "changes"), _sign(sn_changes["de"], "changes")
    inw = _window_changes(sn_changes["en"], chg)
    typed = inw & chg["type"].ne("")
    emergency = int((typed & chg["type"].eq("Emergency")).sum())
    assert _sign(sn_changes["en"], "changes")["metrics"]["emergency_share"]["numerator"] \
        == emergency
    assert _value(en, "emergency_share") == pytest.approx(emergency / int(typed.sum()))
    for metric in ("change_caused_per_quarter", "tier2_incidents", "tier3_incidents",
                   "tier2_beyond_chance", "tier3_beyond_chance",
                   "change_failure_rate", "emergency_share", "standard_share"):
        assert _value(de, metric) == _value(en, metric), metric
    assert de["status"] == en["status"] == "triggered"
    # review 21b: tiers 2-3 count only their excess over the same spans before the
    # changes, when beyond chance: 74 a quarter (over 100 when tier 2 counted whole)
    assert _value(de, "change_caused_per_quarter") > 50
    # the German request item states are read by their label, not by their done time: the
    # onboarding sign is the English twin's, never unknown for want of a label
    on_en, on_de = (_sign(sn_changes[n], "onboarding") for n in ("en", "de"))
    assert (on_de["status"], on_de["confidence"]) == (on_en["status"], on_en["confidence"])
    assert _value(on_de, "late_share") == _value(on_en, "late_share")
    assert not any("Abgeschlossen" in w for w in _warnings(sn_changes["de"]))


def test_unread_types_and_close_codes_are_counted_and_not_read_as_zero(
        sn_changes: dict[str, Any]) -> None:
    """Values in a language no vocabulary holds: before, dropped without a word and the
    report said "emergency 0%" (truth 14%). After: each file's warnings count them (left
    empty), and the failure rate and the emergency / standard shares are n/a, not read."""
    chg = sn_changes["changes"]
    report = sn_changes["no"]
    sign = _sign(report, "changes")
    en = _sign(sn_changes["en"], "changes")
    warnings = _warnings(report)
    n_type = int(chg["type"].eq("Emergency").sum())
    n_code = int(chg["close_code"].isin(["Successful", "Unsuccessful",
                                         "Successful with issues"]).sum())
    assert any(w.startswith(f"change type: {n_type:,} tickets") and "left empty" in w
               and "'Nødendring'" in w for w in warnings)
    assert any(w.startswith(f"close code: {n_code:,} tickets") and "left empty" in w
               for w in warnings)
    assert _value(sign, "emergency_share") is None
    assert _value(sign, "standard_share") is None
    assert _value(sign, "change_failure_rate") is None
    notes = _notes(sign)
    assert notes["types_unread"]["count"] == en["metrics"]["emergency_share"]["numerator"]
    inw = _window_changes(report, chg)
    assert notes["types_unread"]["count"] == int((inw & chg["type"].eq("Emergency")).sum())
    assert "emergency 0%" not in sign["evidence"]["summary"]
    # review 21b (defect 10): a clause not measured is left out of a measured verdict's
    # line; an unknown one (its tiers 2-3 against chance leave it so here) gives every
    # clause, its n/a the evidence
    if sign["status"] != "unknown":
        assert "emergency" not in sign["evidence"]["summary"]
    else:
        assert "emergency n/a" in sign["evidence"]["summary"]
