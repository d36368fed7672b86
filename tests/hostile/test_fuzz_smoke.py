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
                      "--full-every", "5", "--failures", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fuzz: 300 inputs" in out and " 0 failures" in out
