"""JSON report: the Report model dumped as is (schema in ``itsm_diag/schema``)."""

from __future__ import annotations

from itsm_diag.render.safety import safe
from itsm_diag.report import Comparison, Report

#: optional sections that are left out when absent, so a plain run's JSON is unchanged
#: by their existence (a consumer checks for the key rather than for null)
_OMIT_WHEN_NONE = ("periods", "comparison")


def render(report: Report) -> str:
    report = safe(report, "json")  # a lone surrogate cannot be written as UTF-8
    omit = {name for name in _OMIT_WHEN_NONE if getattr(report, name) is None}
    return report.model_dump_json(indent=2, exclude=omit or None) + "\n"


def render_comparison(comparison: Comparison) -> str:
    """``itsm-diag compare --format json``: the Comparison model as is."""
    return safe(comparison, "json").model_dump_json(indent=2) + "\n"
