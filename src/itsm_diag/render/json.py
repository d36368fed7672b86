"""JSON report: the Report model dumped as is (schema in ``itsm_diag/schema``)."""

from __future__ import annotations

from itsm_diag.report import Report


def render(report: Report) -> str:
    return report.model_dump_json(indent=2) + "\n"
