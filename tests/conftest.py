"""Shared fixtures: the tests folder on sys.path (for casekit), the real ServiceNow log."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

SHARED_LOG_ZIP = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "servicenow-incident-event-log.csv.zip"
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
