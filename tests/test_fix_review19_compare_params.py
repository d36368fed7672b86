"""compare across a change to the params that decide what is measured (review 19b: 1, 6c, 6d).

The demo diagnosed twice under the same thresholds, the second run with recurrence's
``cluster_size`` 8 and trust's ``official_channels`` counting email: compare read "band
slowing → gaps (better), Cleared: recurrence, trust", and with the files the other way
round ``--fail-on-increase`` exited 1 ("newly triggered: recurrence, trust"). Nothing
about the desk changed: each report now records every param in force per finding
(``params``) and the global defaults that decide what is measured
(``assumptions.measuring``), and a sign measured under other values is not comparable,
in either order. Also: the hours row when no sign with hours was compared (6c), the rows
of signs graded under moved thresholds and the terminal's settings note (6d).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from itsm_diag import api, config
from itsm_diag.cli import app
from itsm_diag.compare import compare
from itsm_diag.render import common
from itsm_diag.render.markdown import render_comparison as render_markdown
from itsm_diag.render.terminal import render_comparison as render_terminal
from itsm_diag.report import Report

WORDING = config.load_rules().defaults.wording
runner = CliRunner()

OLD = """signs:
  recurrence: {thresholds: {min_uncovered: 30}}
  trust: {thresholds: {chasers: 0.5, duplicates: 0.5}}
"""
NEW = """signs:
  recurrence: {thresholds: {min_uncovered: 30}, params: {cluster_size: 8}}
  trust:
    thresholds: {chasers: 0.5, duplicates: 0.5}
    params: {official_channels: [portal, phone, email]}
"""
#: every priced sign graded under a moved threshold, and other handle minutes
MOVED = """defaults: {handle_minutes: {incident: 45}}
signs:
  backlog: {thresholds: {min_shrink: 0.13}}
  recurrence: {thresholds: {min_uncovered: 4}}
  trust: {thresholds: {chasers: 0.2}}
  changes: {thresholds: {rate: 28}}
"""


def _diagnose(tmp: Path, name: str, text: str | None) -> Path:
    out = tmp / f"{name}.json"
    args = ["diagnose", str(api.demo_dir()), "-o", str(out), "-q"]
    if text is not None:
        cfg = tmp / f"{name}.yaml"
        cfg.write_text(text, encoding="utf-8")
        args += ["--config", str(cfg)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("params")
    return {"old": _diagnose(tmp, "old", OLD), "new": _diagnose(tmp, "new", NEW),
            "base": _diagnose(tmp, "base", None), "moved": _diagnose(tmp, "moved", MOVED)}


def _read(path: Path) -> Report:
    return Report.model_validate_json(path.read_text(encoding="utf-8"))


def _sign(c: object, sign_id: str) -> object:
    return next(s for s in c.signs if s.id == sign_id)  # type: ignore[attr-defined]


def test_each_finding_records_every_param_in_force(runs: dict[str, Path]) -> None:
    old, new = _read(runs["old"]), _read(runs["new"])
    rec = {f.id: f for f in new.signs}
    assert rec["recurrence"].params is not None
    assert rec["recurrence"].params["cluster_size"] == 8
    assert rec["trust"].params["official_channels"] == ["portal", "phone", "email"]
    assert {f.id: f for f in old.signs}["recurrence"].params["cluster_size"] == 3
    assert all(f.params is not None for f in [*new.signs, *new.checks])
    assert new.assumptions.measuring is not None
    assert new.assumptions.measuring["weekmask"] == "1111100"


def test_a_param_change_is_no_improvement(runs: dict[str, Path]) -> None:
    old, new = _read(runs["old"]), _read(runs["new"])
    got = compare(old, new, WORDING)
    # the statuses moved (66 uncovered clusters -> 29; 64.95% outside official -> 22.70%)
    assert (got.cleared, got.appeared) == (["recurrence", "trust"], [])
    rec, trust = _sign(got, "recurrence"), _sign(got, "trust")
    assert (rec.comparable, rec.params_changed, rec.thresholds_changed) == (  # type: ignore[attr-defined]
        False, ["cluster_size"], [])
    assert (trust.comparable, trust.params_changed) == (False, ["official_channels"])  # type: ignore[attr-defined]
    # the band and score say they compare reports made under different rules
    assert got.band_direction is None and got.score.direction is None
    assert "recurrence was measured under other values of cluster_size" in got.direction_note
    assert "trust was measured under other values of official_channels" in got.direction_note
    assert "(better)" not in common.comparison_headline(got)
    assert common.change_words(rec) == "cleared, under changed params"  # type: ignore[arg-type]
    changed = {(s.key, s.finding): (s.old, s.new) for s in got.settings}
    assert changed[("signs.recurrence.params.cluster_size", "recurrence")] == (3, 8)
    assert changed[("signs.trust.params.official_channels", "trust")] == (
        ["portal", "phone"], ["portal", "phone", "email"])
    note = next(n for n in got.notes if "other values:" in n)
    assert "recurrence cluster_size 3 → 8" in note
    assert "trust official_channels [portal, phone] → [portal, phone, email]" in note
    assert not got.increased


def test_the_other_order_does_not_fail_the_gate(runs: dict[str, Path]) -> None:
    old, new = _read(runs["old"]), _read(runs["new"])
    got = compare(new, old, WORDING)
    assert got.appeared == ["recurrence", "trust"]
    assert not _sign(got, "recurrence").comparable  # type: ignore[attr-defined]
    assert got.band_direction is None and got.score.direction is None
    assert not got.increased
    assert "measured under changed params" in common.comparison_verdict(got)


@pytest.mark.parametrize("order", ["forward", "reversed"])
def test_the_cli_gate_in_both_orders(runs: dict[str, Path], order: str) -> None:
    files = [str(runs["old"]), str(runs["new"])]
    if order == "reversed":
        files.reverse()
    result = runner.invoke(app, ["compare", *files, "--fail-on-increase"])
    assert result.exit_code == 0, result.stderr
    assert "(better)" not in result.stdout and "(worse)" not in result.stdout


def _without_params(path: Path) -> Report:
    """The report as one made before findings recorded their params."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for f in [*data["signs"], *data["checks"]]:
        f.pop("params", None)
    data["assumptions"].pop("measuring", None)
    return Report.model_validate(data)


@pytest.mark.parametrize("order", ["forward", "reversed"])
def test_a_baseline_without_params_reads_the_overrides(runs: dict[str, Path],
                                                       order: str) -> None:
    """An older report records no param's value: a param overridden in one report only
    (or from another source) counts as changed for its sign."""
    old, new = _without_params(runs["old"]), _read(runs["new"])
    a, b = (old, new) if order == "forward" else (new, old)
    got = compare(a, b, WORDING)
    assert _sign(got, "recurrence").params_changed == ["cluster_size"]  # type: ignore[attr-defined]
    assert _sign(got, "trust").params_changed == ["official_channels"]  # type: ignore[attr-defined]
    assert not _sign(got, "recurrence").comparable  # type: ignore[attr-defined]
    assert _sign(got, "backlog").comparable  # type: ignore[attr-defined]
    assert got.band_direction is None and not got.increased
    # the same config on both sides: like for like, nothing marked
    same = compare(_without_params(runs["new"]), new, WORDING)
    assert all(not s.params_changed for s in same.signs)
    assert same.band_direction == "same"


def test_a_changed_calendar_leaves_every_sign_not_comparable(runs: dict[str, Path]) -> None:
    base = _read(runs["base"])
    data = json.loads(runs["base"].read_text(encoding="utf-8"))
    data["assumptions"]["measuring"]["weekmask"] = "1111111"
    other = Report.model_validate(data)
    got = compare(base, other, WORDING)
    assert {s.id: s.params_changed for s in got.signs} == {
        s.id: ["defaults.weekmask"] for s in base.signs}
    assert not any(s.comparable for s in got.signs)
    assert ("defaults.weekmask", "1111100", "1111111") in {
        (s.key, s.old, s.new) for s in got.settings}


def test_no_sign_compared_gives_the_hours_no_direction(runs: dict[str, Path]) -> None:
    """6c: every priced sign graded under a moved threshold, handle minutes 30 -> 45:
    the hours row read "0.0 h -> 0.0 h same"."""
    got = compare(_read(runs["base"]), _read(runs["moved"]), WORDING)
    assert set(got.hours_left_out) >= {"backlog", "recurrence", "trust", "changes"}
    assert got.hours_at_stake.direction is None
    assert got.hours_at_stake.label == WORDING["compare.hours_at_stake_none"]
    text = render_markdown(got)
    assert "no sign compared" in text and "| same |" not in text.split(
        WORDING["compare.hours_at_stake_none"])[1].split("\n")[0]


def test_rows_under_moved_thresholds_and_the_whole_settings_note(runs: dict[str, Path]
                                                                 ) -> None:
    """6d: "triggered → triggered | unchanged" for a sign graded under a moved threshold;
    the terminal cut the settings note at 1,000 characters, losing its conclusion."""
    got = compare(_read(runs["base"]), _read(runs["moved"]), WORDING)
    backlog = _sign(got, "backlog")
    assert backlog.change == "unchanged" and not backlog.comparable  # type: ignore[attr-defined]
    assert common.change_words(backlog) == "unchanged, under a changed threshold"  # type: ignore[arg-type]
    assert "| triggered → triggered | unchanged, under a changed threshold |" in \
        render_markdown(got)
    # a long note (every value of a many-key config) is shown whole, its conclusion first
    long = got.model_copy(update={"notes": [
        *got.notes[:-1], got.notes[-1] + " " + "x" * 1500]})
    note = next(n for n in got.notes if "other values:" in n)
    assert note.index("not because the process did") < note.index("other values:")
    out = " ".join(render_terminal(long, color=False, columns=80).split())
    assert " ".join(note.split()) in out
    assert "x" * 1500 in out.replace(" ", "")
