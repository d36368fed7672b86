"""The fuzz harness itself (CI runs it at full size as its own step, see .ci/run)."""

from __future__ import annotations

import time
from pathlib import Path

import fuzz
import pytest


def test_inputs_are_reproducible_from_seed_and_index(monkeypatch: pytest.MonkeyPatch) -> None:
    seeds = fuzz.load_seeds("servicenow")  # built once a process, then shared
    before = [fuzz.generate(8, "servicenow", i, seeds) for i in range(300)]
    assert before[123] != fuzz.generate(9, "servicenow", 123, seeds)
    # seeds built again, under another clock: the same inputs (no mutator changed the
    # shared seeds, and a workbook seed's zip carries no time of writing)
    monkeypatch.setattr(time, "localtime",
                        lambda *_: time.struct_time((2031, 5, 6, 7, 8, 9, 1, 126, 0)))
    fresh = fuzz.load_seeds.__wrapped__("servicenow")
    assert any(s.xlsx for s in fresh)
    assert [fuzz.generate(8, "servicenow", i, fresh) for i in range(300)] == before


def test_seeds_come_from_every_sample_kind() -> None:
    suffixes = {s.suffix for imp in fuzz.IMPORTERS for s in fuzz.load_seeds(imp)}
    assert suffixes == {".csv", ".xlsx", ".json", ".ndjson"}


def test_a_short_fuzz_run_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = fuzz.main(["--per-importer", "60", "--jobs", "1", "--budget", "300",
                      "--full-every", "5", "--render-every", "20", "--failures",
                      str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    # 60 per importer, 30 YAML files (half), 1 mixed folder (a fiftieth); every 5th also
    # loaded, every 20th diagnosed whole and rendered
    assert "fuzz: 331 inputs" in out and " 0 failures" in out, out
    assert "fuzz yaml" in out and "fuzz mixed" in out


def test_issue_15_classes_are_generated() -> None:
    """The generators for the classes issue 15 closed are drawn: workbook dimensions,
    YAML anchors and friends, clock changes, joined files, surrogates, control text, and
    folders mixing tools."""
    applied = set()
    for importer in ("servicenow", "zendesk", "freshservice"):
        seeds = fuzz.load_seeds(importer)
        for i in range(600):
            applied.update(fuzz.generate(8, importer, i, seeds)[2])
    assert {"controls", "dst", "m_joined", "m_surrogate", "m_dims"} <= applied
    seeds = fuzz.load_seeds("yaml")
    kinds = {fuzz.generate(8, "yaml", i, seeds)[2][0] for i in range(300)}
    assert {"alias bomb", "duplicate key", "deep nesting", "not utf-8", "bad value",
            "odd yaml"} <= kinds
    suffix, _data, names = fuzz.generate(8, "mixed", 0, fuzz.load_seeds("mixed"))
    assert suffix == ".mixed" and len([n for n in names if "/" in n]) >= 2
