"""Review 18a #7: the run's options are read once.

--since/--until/--period are parsed once, before the read, and again only when the
inputs' zone differs from options.tz (a mapping's time_zone: tests/
test_fix_mapping_review4.py checks that a date is then a day of that zone). A mapping
given as a str or as several is a tuple of Paths.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from itsm_diag import api


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "ticket_id": [f"T{i}" for i in range(40)], "kind": "incident", "status": "closed",
        "opened_at": pd.date_range("2026-01-05 09:00", periods=40, freq="D", tz="UTC"),
        "closed_at": pd.date_range("2026-01-06 09:00", periods=40, freq="D", tz="UTC")})


def test_bounds_are_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real_bound, real_period = api.parse_bound, api.parse_period

    def bound(text, option, tz="UTC"):  # type: ignore[no-untyped-def]
        calls.append(option)
        return real_bound(text, option, tz)

    def period(text):  # type: ignore[no-untyped-def]
        calls.append("--period")
        return real_period(text)

    monkeypatch.setattr(api, "parse_bound", bound)
    monkeypatch.setattr(api, "parse_period", period)
    report = api.diagnose_frames(_frame(), options=api.RunOptions(
        since="2026-01-12", until="2026-02-08", period="month"))
    assert sorted(calls) == ["--period", "--since", "--until"]
    assert str(report.window.start)[:10] == "2026-01-12"


def test_mappings_are_paths() -> None:
    assert api.RunOptions().mappings == ()
    assert api.RunOptions(mapping="a.mapping.yaml").mappings == (Path("a.mapping.yaml"),)
    assert api.RunOptions(mapping=["a.yaml", Path("b.yaml")]).mappings == (  # type: ignore[arg-type]
        Path("a.yaml"), Path("b.yaml"))
