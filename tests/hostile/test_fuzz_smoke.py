"""The fuzz harness itself (CI runs it at full size as its own step, see .ci/run)."""

from __future__ import annotations

from pathlib import Path

import fuzz
import pytest


def test_inputs_are_reproducible_from_seed_and_index() -> None:
    seeds = fuzz.load_seeds("servicenow")
    assert fuzz.generate(8, "servicenow", 123, seeds) == fuzz.generate(8, "servicenow", 123,
                                                                        seeds)
    assert fuzz.generate(8, "servicenow", 123, seeds) != fuzz.generate(9, "servicenow", 123,
                                                                        seeds)


def test_seeds_come_from_every_sample_kind() -> None:
    suffixes = {s.suffix for imp in fuzz.IMPORTERS for s in fuzz.load_seeds(imp)}
    assert suffixes == {".csv", ".xlsx", ".json", ".ndjson"}


def test_a_short_fuzz_run_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = fuzz.main(["--per-importer", "60", "--jobs", "1", "--budget", "300",
                      "--full-every", "5", "--failures", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "fuzz: 300 inputs" in out and " 0 failures" in out
