"""A mapping's column name that YAML cut at a comment says so.

Review 10 (mapped tools), a low item: ``ticket_id: Ticket #`` is read as ``Ticket`` (a
``#`` after a space starts a YAML comment), and the error named the missing ``'Ticket'``
with no word of why: the spreadsheet header ``Ticket #`` is common.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from itsm_diag import api
from itsm_diag.errors import InputError

MAPPING = """tool: helpdesk
kind: incident
columns:
  ticket_id: Ticket #
  opened_at: Logged
  status: Status
"""


def test_a_column_cut_at_a_yaml_comment_says_to_quote_it(tmp_path: Path) -> None:
    data = tmp_path / "helpdesk.csv"
    data.write_text("Ticket #,Logged,Status\nHD-1,2026-01-05 10:00,Open\n", encoding="utf-8")
    mapping = tmp_path / "helpdesk.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    with pytest.raises(InputError) as err:
        api.diagnose_paths([data], api.RunOptions(mapping=mapping))
    said = f"{err.value.message} {err.value.hint}"
    assert "no column 'Ticket'" in said
    assert ("the file has 'Ticket #': in YAML a '#' after a space starts a comment, so "
            "write columns.ticket_id's column in quotes: 'Ticket #'") in said, said
