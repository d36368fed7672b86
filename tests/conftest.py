"""Shared fixtures: the tests folder on sys.path (for casekit), the real ServiceNow log."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

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
