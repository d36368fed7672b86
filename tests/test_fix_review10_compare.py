"""compare / --baseline: answers are no measurements, unpriced hours are no savings, and a
baseline must be a report as written (review 10b, items 1, 2 and 4).

1. The demo without its `comments`, `contact_type` and `caller_id` columns cannot measure
   trust; answered `trust: false`, compare read "Cleared: trust", band slowing -> gaps
   (better) and 139.7 h -> 119.5 h better. Answers filling unknown signs read "now
   measured" or "Newly triggered" and tripped --fail-on-increase. A self-assessed status
   is now what the data said, unknown: not comparable, marked in the sign table, out of
   the score's, band's and hours' direction, and never the gate's reason.
2. Without `sc_req_item.csv` backlog stays triggered but loses its price (11.5 h -> none):
   the hours read 139.7 h -> 125.9 h better. Such a sign is now left out and named.
4. Baselines with NaN or Infinity, a key given twice, a score of 99 or one its signs
   contradict, a band the score does not give, or `schema_version: true` were compared
   (Score 99 -> 4, or Score 0 -> 4 with every sign unchanged). They are refused in one
   line, exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag import api, config
from itsm_diag.cli import app
from itsm_diag.compare import compare
from itsm_diag.engine import band_range
from itsm_diag.errors import InputError
from itsm_diag.render import common
from itsm_diag.render.html import render as html
from itsm_diag.render.markdown import render_comparison as markdown
from itsm_diag.render.terminal import render_comparison as terminal
from itsm_diag.report import Report

WORDING = config.load_rules().defaults.wording
runner = CliRunner()

APR = "2026-04-30T23:59:59+00:00"
MAY = "2026-05-31T23:59:59+00:00"


@pytest.fixture(scope="module")
def demo(demo_json: str) -> Report:
    return Report.model_validate_json(demo_json)


def _with(r: Report, as_of: str, answered: tuple[str, ...] = (), **statuses: str) -> Report:
    """``r`` with the given signs' statuses (those in ``answered`` from an answers file,
    unpriced) and the score, unknown and self-assessed counts and band they give."""
    out = r.model_copy(deep=True, update={"as_of": as_of})
    for f in out.signs:
        if f.id in statuses:
            f.status = statuses[f.id]  # type: ignore[assignment]
            f.self_assessed = f.id in answered
            if f.status != "triggered" or f.self_assessed:
                f.hours_at_stake_per_month = None
            elif not f.hours_at_stake_per_month:
                f.hours_at_stake_per_month = 50.0
    out.score = sum(f.status == "triggered" for f in out.signs)
    out.unknown = sum(f.status == "unknown" for f in out.signs)
    out.self_assessed = sum(f.self_assessed for f in out.signs)
    out.band_range = list(band_range(out.score, out.unknown))  # type: ignore[arg-type]
    out.band = (out.band_range[0] if out.band_range[0] == out.band_range[1]  # type: ignore[assignment]
                else "undetermined")
    out.score_max_if_unknown_apply = out.score + out.unknown
    return out


def _sign(c: object, sign_id: str) -> object:
    return next(s for s in c.signs if s.id == sign_id)  # type: ignore[attr-defined]


# ---- 1. a self-assessed status is no measurement ----------------------------------------

#: the demo's shape: four signs triggered (backlog, recurrence, trust, changes)
DEMO = {"backlog": "triggered", "recurrence": "triggered", "reporting": "clear",
        "trust": "triggered", "changes": "triggered", "onboarding": "clear",
        "strategy": "clear"}


def test_a_sign_lost_and_answered_clear_is_not_cleared(demo: Report) -> None:
    old = _with(demo, APR, **DEMO)
    new = _with(demo, MAY, ("trust",), **{**DEMO, "trust": "clear"})
    got = compare(old, new, WORDING)
    trust = _sign(got, "trust")
    assert got.cleared == []
    assert trust.change == "now_unknown"  # type: ignore[attr-defined]
    assert trust.comparable is False  # type: ignore[attr-defined]
    assert (trust.self_assessed_old, trust.self_assessed_new) == (False, True)  # type: ignore[attr-defined]
    # score 4 -> 3 and band slowing -> gaps moved by an answer: no direction
    assert got.score.direction is None and got.band_direction is None
    assert got.direction_note == ("not comparable: trust is triggered in the baseline, "
                                  "self-assessed clear now")
    headline = common.comparison_headline(got)
    assert "(better)" not in headline and "self-assessed clear now" in headline
    # its hours are not saved: left out and named
    assert "trust" in got.hours_left_out
    assert got.hours_at_stake.direction == "same"
    assert got.increased is False


def test_the_sign_table_says_self_assessed_in_every_format(demo: Report) -> None:
    old = _with(demo, APR, **DEMO)
    new = _with(demo, MAY, ("trust",), **{**DEMO, "trust": "clear"})
    got = compare(old, new, WORDING)
    row = "Users have stopped trusting the process (self-assessed now)"
    assert _sign(got, "trust").title == row  # type: ignore[attr-defined]
    text = terminal(got, color=False, columns=200)
    assert row in text and "Cleared:" not in text
    md = markdown(got)
    assert f"| {row} | triggered → clear | now unknown |" in md
    assert "Cleared:" not in md
    page = html(new.model_copy(update={"comparison": got}))
    assert f"<td>{row}</td><td>triggered → clear</td><td>now unknown</td>" in page
    doc = json.loads(new.model_copy(update={"comparison": got}).model_dump_json())
    trust = next(s for s in doc["comparison"]["signs"] if s["id"] == "trust")
    assert trust["self_assessed_new"] is True and trust["self_assessed_old"] is False
    # the schema shipped carries the new fields
    import jsonschema

    from itsm_diag import schema

    jsonschema.validate(doc, schema.shipped())


def test_answers_filling_unknown_signs_never_trip_the_gate(demo: Report) -> None:
    # the Zendesk sample: recurrence and changes unknown, then answered true
    base = {**DEMO, "backlog": "clear", "recurrence": "unknown", "changes": "unknown",
            "onboarding": "triggered"}
    old = _with(demo, APR, **base)
    new = _with(demo, MAY, ("recurrence", "changes"),
                **{**base, "recurrence": "triggered", "changes": "triggered"})
    got = compare(old, new, WORDING)
    assert got.appeared == [] and got.increased is False
    assert {_sign(got, i).change for i in ("recurrence", "changes")} == {  # type: ignore[attr-defined]
        "now_unknown"}
    assert got.score.direction is None and got.band_direction is None
    assert "Newly triggered" not in terminal(got, color=False, columns=200)


def test_answers_settling_a_band_give_it_no_direction(demo: Report) -> None:
    # answered false: "now measured (clear)" and "band undetermined (gaps to slowing) ->
    # gaps (now settled)" before; nothing was measured
    base = {**DEMO, "backlog": "clear", "recurrence": "unknown", "changes": "unknown",
            "onboarding": "triggered"}
    old = _with(demo, APR, **base)
    new = _with(demo, MAY, ("recurrence", "changes"),
                **{**base, "recurrence": "clear", "changes": "clear"})
    assert old.band == "undetermined" and new.band == "gaps"
    got = compare(old, new, WORDING)
    assert "now_measured" not in {s.change for s in got.signs}
    assert got.band_direction is None
    headline = common.comparison_headline(got)
    assert "now settled" not in headline
    assert "recurrence is unknown in the baseline, self-assessed clear now" in headline
    assert got.increased is False


def test_a_sign_answered_in_the_baseline_and_measured_now(demo: Report) -> None:
    old = _with(demo, APR, ("trust", "strategy", "onboarding"),
                **{**DEMO, "trust": "triggered", "strategy": "clear",
                   "onboarding": "triggered"})
    new = _with(demo, MAY, **{**DEMO, "trust": "triggered", "strategy": "triggered",
                              "onboarding": "clear"})
    got = compare(old, new, WORDING)
    # the same status answered then, measured now: unchanged, and no gate
    assert _sign(got, "trust").change == "unchanged"  # type: ignore[attr-defined]
    assert "trust" not in got.appeared
    # an answer's triggered, measured clear now: measured now, never "cleared"
    assert _sign(got, "onboarding").change == "now_measured"  # type: ignore[attr-defined]
    assert got.cleared == []
    # an answer's clear, measured triggered now: as from unknown, newly triggered
    assert got.appeared == ["strategy"] and got.increased is True
    assert _sign(got, "strategy").title.endswith("(self-assessed in the baseline)")  # type: ignore[attr-defined]


def test_measured_moves_are_unchanged(demo: Report) -> None:
    old = _with(demo, APR, **DEMO)
    new = _with(demo, MAY, **{**DEMO, "trust": "clear"})
    got = compare(old, new, WORDING)
    assert got.cleared == ["trust"] and got.band_direction == "better"
    assert not any(s.self_assessed_old or s.self_assessed_new for s in got.signs)


# ---- 2. a sign still triggered but no longer priced ---------------------------------------

def test_hours_of_a_sign_priced_on_one_side_only_are_left_out(demo: Report) -> None:
    old = _with(demo, APR, **DEMO)
    new = _with(demo, MAY, **DEMO)
    for f in old.signs:
        if f.id == "backlog":
            f.hours_at_stake_per_month = 11.5
    for f in new.signs:
        if f.id == "backlog":
            f.hours_at_stake_per_month = None  # sc_req_item.csv missing now
    got = compare(old, new, WORDING)
    backlog = _sign(got, "backlog")
    assert backlog.change == "unchanged" and backlog.comparable  # type: ignore[attr-defined]
    assert got.hours_left_out == ["backlog"]
    assert got.hours_at_stake.old == got.hours_at_stake.new
    assert got.hours_at_stake.direction == "same"
    assert got.hours_at_stake.label == WORDING["compare.hours_at_stake_compared"]
    assert any("backlog (11.5 h → triggered, not priced)" in n for n in got.notes)


# ---- 4. a baseline must be a report as written ----------------------------------------------

@pytest.fixture(scope="module")
def report_file(demo: Report, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("base") / "base.json"
    out.write_text(demo.model_dump_json(indent=2), encoding="utf-8")
    return out


def _edited(report_file: Path, tmp: Path, name: str, edit: object) -> Path:
    text = report_file.read_text(encoding="utf-8")
    if callable(edit):
        doc = json.loads(text)
        edit(doc)
        text = json.dumps(doc)  # NaN and Infinity are written as such
    else:
        old, new = edit  # type: ignore[misc]
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _set(key: str, value: object) -> object:
    return lambda d: d.__setitem__(key, value)


def _hours(value: float) -> object:
    def edit(d: dict) -> None:
        next(s for s in d["signs"] if s["status"] == "triggered"
             )["hours_at_stake_per_month"] = value
    return edit


BAD = {
    "nan": (_hours(float("nan")), "a value is not finite (NaN)"),
    "inf": (_hours(float("inf")), "a value is not finite (Infinity)"),
    "big": (('"score": 4,', '"score": 4, "x": 1e999,'), "a value is not finite ('1e999')"),
    "dup": (('"score": 4,', '"score": 4, "score": 0,'), "the key 'score' is given twice"),
    "s99": (_set("score", 99), "score 99 is outside 0 to 7"),
    "neg": (_set("score", -1), "score -1 is outside 0 to 7"),
    "s0": (lambda d: d.update(score=0, band="healthy", band_range=["healthy", "healthy"],
                              score_max_if_unknown_apply=0),
           "score 0, but 4 of its 7 signs are triggered"),
    "band": (_set("band", "healthy"), "band 'healthy' (range 'slowing' to 'slowing') does "
             "not follow from score 4"),
    "range": (_set("band_range", ["gaps", "gaps"]), "band 'slowing' (range 'gaps' to "
              "'gaps') does not follow from score 4"),
    "vtrue": (_set("schema_version", True), "schema_version 'true' is not an integer"),
    "vfloat": (_set("schema_version", 1.0), "schema_version '1.0' is not an integer"),
    # quoted and cut: a huge value is never echoed whole into the one line
    "vhuge": (_set("schema_version", [0] * 100_000), "schema_version '[0, 0, 0, 0, 0"),
    "sstr": (_set("score", "4"), "score: Input should be a valid integer"),
    "hneg": (_hours(-3.0), "hours_at_stake_per_month -3 is negative"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_baseline_that_is_no_report_as_written_is_refused(
        name: str, demo: Report, report_file: Path, tmp_path: Path) -> None:
    assert demo.score == 4 and demo.unknown == 0  # what the edits assume
    edit, why = BAD[name]
    bad = _edited(report_file, tmp_path, f"{name}.json", edit)
    with pytest.raises(InputError) as exc:
        api.load_report(bad)
    assert why in str(exc.value)
    result = runner.invoke(app, ["compare", str(bad), str(report_file),
                                 "--fail-on-increase"])
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert "\n" not in line and line.startswith("itsm-diag: error: ") and len(line) < 600
    assert f"{name}.json" in line and "not a valid itsm-diag report" in line and why in line


def test_diagnose_baseline_refuses_it_too(report_file: Path, tmp_path: Path) -> None:
    bad = _edited(report_file, tmp_path, "s99.json", _set("score", 99))
    root = Path(__file__).resolve().parents[1]
    result = runner.invoke(app, ["diagnose", str(root / "samples" / "demo"), "--baseline",
                                 str(bad), "-f", "json", "-q"])
    assert result.exit_code == 2
    assert "score 99 is outside 0 to 7" in result.stderr


def test_reports_as_written_are_read(demo: Report, report_file: Path) -> None:
    assert api.load_report(report_file) == demo
    # one with a comparison and answers in it, too
    old = _with(demo, APR, **DEMO)
    new = _with(demo, MAY, ("trust",), **{**DEMO, "trust": "clear"})
    both = new.model_copy(update={"comparison": compare(old, new, WORDING)})
    path = report_file.with_name("both.json")
    path.write_text(both.model_dump_json(indent=2), encoding="utf-8")
    assert api.load_report(path) == both
