"""Review 20a, defect 5: a filled column the tool's reference format lists, that no field
is read from, is named in the input's warnings with what is not read.

ServiceNow's ``parent_incident`` (export-formats §1.2) filled on 120 child incidents of
three outages was dropped without a word: not in the input's warnings, the ``-v``
listing, ``inspect`` or the JSON report, so a client could not tell that every child
counted as an incident of its own. It is read now (``parent_ref``: review 20a, defect 2),
as an incident's ``close_code`` is (the cancelled status), and neither is named; a
parent's ``child_incidents`` count still is. Only columns the reference lists for the
tool are named (``importers.base.REFERENCE_UNREAD``), and a column an importer reads into
its column map is not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import api
from itsm_diag.cli import _inspect_text
from itsm_diag.config import load_rules
from itsm_diag.importers import registry
from itsm_diag.importers.base import ImportOptions

FMT = "%Y-%m-%d %H:%M:%S"


def _incidents(n: int = 400, children: int = 120, label_headers: bool = False) -> pd.DataFrame:
    """``n`` incidents over 13 weeks, the last ``children`` of them children of three
    parents (``parent_incident`` their number), a ``close_code`` on every done one, and a
    ``child_incidents`` count on each parent, and a custom ``u_parent_ref`` column the
    reference does not list."""
    rng = np.random.default_rng(3)
    opened = pd.Timestamp("2026-06-01") + pd.to_timedelta(
        np.sort(rng.uniform(0, 91 * 86400, n)).round(), unit="s")
    resolved = opened + pd.to_timedelta(rng.uniform(1, 48, n).round(2), unit="h")
    numbers = [f"INC{1000000 + i:07d}" for i in range(n)]
    parent = np.array([""] * n, dtype=object)
    parent[n - children:] = [numbers[i % 3] for i in range(children)]
    frame = pd.DataFrame({
        "number": numbers, "opened_at": opened.strftime(FMT),
        "resolved_at": resolved.strftime(FMT), "state": "Resolved",
        "priority": "3 - Moderate", "category": "Network", "subcategory": "VPN",
        "cmdb_ci": [f"CI-{i:04d}" for i in range(n)],
        "short_description": [f"VPN down for user {i}" for i in range(n)],
        "assignment_group": "Network", "caller_id": [f"User {i}" for i in range(n)],
        "close_code": "Solution provided", "parent_incident": parent,
        "u_parent_ref": parent,
        "child_incidents": [str(children // 3) if i < 3 and children else ""
                            for i in range(n)],
    })
    if label_headers:
        frame = frame.rename(columns={"child_incidents": "Child Incidents"})
    return frame


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("parents") / "incident.csv"
    _incidents().to_csv(path, index=False)
    return path


def _said(warnings: list[str], column: str) -> list[str]:
    return [w for w in warnings if w.startswith(f"{column}:")]


def test_a_filled_parent_column_is_named_with_what_is_not_read(export: Path) -> None:
    info = registry.load_paths([export], ImportOptions()).sources[0]
    said = _said(info.warnings, "child_incidents")
    assert said == [
        "child_incidents: filled on 3 of 400 rows, not read: a parent's count of its child "
        "incidents is not used; only the children the file holds fold into their parent "
        "(by their parent_incident)"]
    # a custom column the reference does not list is not named, nor the parent link and
    # the close code, which are read now (a child's parent; the cancelled status)
    assert not _said(info.warnings, "u_parent_ref")
    assert not _said(info.warnings, "parent_incident")
    assert not _said(info.warnings, "close_code")
    assert info.column_map["status"] == "close_code"
    assert info.column_map["parent_ref"] == "parent_incident"


def test_it_is_in_every_output(export: Path) -> None:
    report = api.diagnose_paths([export], api.RunOptions())
    assert _said(report.inputs[0].warnings, "child_incidents")
    assert '"child_incidents: filled on 3 of 400 rows' in report.model_dump_json()
    text = _inspect_text(api.inspect_paths([export], api.RunOptions()))
    assert "warning: child_incidents: filled on 3 of 400 rows, not read" in text


def test_a_label_header_and_an_empty_column(tmp_path: Path) -> None:
    labelled = tmp_path / "labelled.csv"
    _incidents(label_headers=True).to_csv(labelled, index=False)
    info = registry.load_paths([labelled], ImportOptions()).sources[0]
    assert len(_said(info.warnings, "Child Incidents")) == 1
    # a column the export carries empty holds nothing to read
    empty = tmp_path / "empty.csv"
    _incidents(children=0).to_csv(empty, index=False)
    info = registry.load_paths([empty], ImportOptions()).sources[0]
    assert not _said(info.warnings, "child_incidents")


def test_a_column_read_into_the_column_map_is_not_named(export: Path) -> None:
    """The one rule for whichever reading lands: a column an importer reads (into its
    column map, so out of ``fill``) is no longer named."""
    from itsm_diag.importers.base import unread_reference_notes

    info = registry.load_paths([export], ImportOptions()).sources[0]
    words = load_rules().defaults.wording
    assert unread_reference_notes(info, 400, lambda: words)
    info.fill.pop("child_incidents")
    info.column_map["child_count"] = "child_incidents"
    assert unread_reference_notes(info, 400, lambda: words) == []


def test_every_listed_column_has_its_words() -> None:
    from itsm_diag.importers.base import REFERENCE_UNREAD

    words = load_rules().defaults.wording
    for tool, names in REFERENCE_UNREAD.items():
        for name in names:
            assert words[f"unread_column.{tool}.{name}"].strip()
