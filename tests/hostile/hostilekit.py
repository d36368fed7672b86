"""Shared by the hostile-input tests: small exports, workbooks, and the CLI in one call."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from typer.testing import CliRunner

from itsm_diag.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
HEADER = ["number", "short_description", "state", "priority", "opened_at", "resolved_at",
          "closed_at", "sys_updated_on", "assignment_group", "category"]

_runner = CliRunner()


def incident_rows(n: int, start: int = 1) -> list[list[str]]:
    """``n`` plausible ServiceNow incident rows (field-name headers, see HEADER)."""
    rows = []
    for i in range(start, start + n):
        day = 1 + i % 28
        month = 1 + (i // 28) % 12
        rows.append([f"INC{i:07d}", f"Printer jam {i % 7}", "Closed", "3 - Moderate",
                     f"2024-{month:02d}-{day:02d} 09:00:00",
                     f"2024-{month:02d}-{day:02d} 13:00:00",
                     f"2024-{month:02d}-{day:02d} 15:00:00",
                     f"2024-{month:02d}-{day:02d} 15:00:00", "Service Desk", "Hardware"])
    return rows


def csv_bytes(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER,
              delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def xlsx_bytes(rows: Sequence[Sequence[str]], header: Sequence[str] = HEADER) -> bytes:
    """A real workbook (openpyxl) holding ``header`` and ``rows``."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def cli(*args: str) -> tuple[int, str, str]:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    result = _runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def error_line(*args: str) -> str:
    """The one stderr line of a command that must fail with exit code 2 (no traceback)."""
    code, _, err = cli(*args)
    lines = err.strip().splitlines()
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert lines[0].startswith("itsm-diag: error: "), lines[0]
    assert "unexpected" not in lines[0] and "Traceback" not in err, lines[0]
    return lines[0]
