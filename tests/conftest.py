"""Shared fixtures: the tests folder on sys.path (for casekit), the real ServiceNow log."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

SHARED_LOG_ZIP = (
    Path(__file__).resolve().parents[2] / "shared" / "data"
    / "servicenow-incident-event-log.csv.zip"
)


@pytest.fixture(scope="session")
def real_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real ServiceNow audit log, unzipped to a temporary folder (never committed)."""
    if not SHARED_LOG_ZIP.exists():
        pytest.skip(f"shared data not found at {SHARED_LOG_ZIP}")
    out = tmp_path_factory.mktemp("snlog")
    with zipfile.ZipFile(SHARED_LOG_ZIP) as zf:
        zf.extractall(out)
    return next(out.glob("*.csv"))


@pytest.fixture(scope="session")
def open_kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config that never reads the extract as "none open at the cut". The real log
    holds no open incident at its cut where its own flow predicts about 11, so by
    default its backlog is unknown (``test_fix_review10_none_open``); the tests of the
    backlog's machinery on real data (mass closures, the forecast, one number) read it
    as if its open tickets were whole, through this file."""
    path = tmp_path_factory.mktemp("cfg") / "open-kept.yaml"
    path.write_text("defaults:\n  shape:\n    none_open_min_expected: 1000000\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def cut_kept(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A config that reads the real log as "none open at the cut" for its window too. Its
    cut (17 February 2017) comes 256 days after its window's end, and about 0.3% of the
    queue its flow predicts at that end stays open that long, under the 5%
    (``none_open_max_share``) that reads as none: by default the shape is dropped for its
    window (review 16, D9) and its backlog judged. The tests of what a cut extract shows
    (no week's open count, the KPI panel's cut, what would answer) read it as cut through
    this file: a share of 0 counts any ticket missing at the window's end."""
    path = tmp_path_factory.mktemp("cfg") / "cut-kept.yaml"
    path.write_text("defaults:\n  shape:\n    none_open_max_share: 0\n",
                    encoding="utf-8")
    return path


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", default=False,
        help="rewrite the golden files under tests/golden (and docs/report.png) from the "
             "current output instead of comparing with them",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite golden files (``pytest --update-golden``)."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def demo_json() -> str:
    """The demo diagnosed with the shipped rules, as its JSON report: worked out once a
    session (each test reads its own copy through :func:`demo_report`)."""
    from itsm_diag import api

    return api.diagnose_paths([api.demo_dir()], api.RunOptions()).model_dump_json()


@pytest.fixture
def demo_report(demo_json: str) -> Any:
    """A fresh :class:`itsm_diag.report.Report` of the demo, read back from its JSON (a
    test may change it without touching another's)."""
    from itsm_diag.report import Report

    return Report.model_validate_json(demo_json)

