"""The backlog's reopened-ticket notes: every variant the sign can emit is worded, and
each formats with the params the sign passes (a reopen week, or each at its last update)."""

from __future__ import annotations

import pytest

from itsm_diag import config
from itsm_diag.text import fmt

PARAMS = {"count": 30, "start": 129.0, "end": 121.0, "shrink": 0.068, "start_done": 110.0,
          "end_done": 122.0, "least": -0.11, "when": "2024-02-26"}


@pytest.mark.parametrize("code", ["reopened_done_before", "reopened_estimate",
                                  "reopened_done_before_last", "reopened_estimate_last"])
def test_every_reopened_note_is_worded_and_formats(code: str) -> None:
    text = fmt(config.load_rules().get("backlog").messages[code], PARAMS)
    assert "30 tickets open at the export" in text and "-11.0%" in text
    if code.endswith("_last"):
        assert "each reopened at its last update" in text and "2024-02-26" not in text
    else:
        assert "reopened at 2024-02-26" in text
