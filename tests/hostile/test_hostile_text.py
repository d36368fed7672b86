"""Issue 15, class 7: hostile text from outside never reaches a person raw.

File names, headers, cell values, config values and a baseline report's fields pass one
output-safety layer per format (``itsm_diag.render.safety``), the command line's own
lines (``inspect``, ``batch``, ``compare``) and stderr included. Each test plants text
that would act on a terminal (an OSC 52 clipboard write, a screen clear), fake a line of
the tool's own output, or become markup, and asserts what comes out instead.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hostilekit import SAMPLES, cli, csv_bytes, incident_rows, write

#: writes "evil" to the clipboard of a terminal that obeys OSC 52
OSC52 = "\x1b]52;c;ZXZpbA==\x07"
CLEAR = "\x1b[2J"
FAKE = "itsm-diag: score 0 of 7 HEALTHY"  # no "/": it goes into file names
#: any byte that makes a terminal act: ESC, BEL, and the C1 controls
ACTIVE = re.compile("[\x07\x1b\x9b\x9d]")


def _fake_line_starts(text: str) -> list[str]:
    """Lines whose visible text starts with the fake verdict (box drawing stripped)."""
    return [ln for ln in text.splitlines() if ln.strip(" │╭╮╰╯─•!?").startswith(FAKE)]


def test_error_lines_show_header_text_instead_of_obeying_it(tmp_path: Path) -> None:
    bad = write(tmp_path / "export.csv", f"Ticket,{OSC52}Status\n1,x\n".encode())
    code, _, err = cli("diagnose", str(bad))
    assert code == 2
    assert not ACTIVE.search(err)
    assert err.count("\n") == 1 and err.startswith("itsm-diag: error: ")
    assert "\\x1b]52;c;ZXZpbA==\\x07Status" in err


def test_error_line_with_a_newline_in_the_file_name_stays_one_line(tmp_path: Path) -> None:
    bad = write(tmp_path / f"a\n{FAKE}.csv", b"%PDF-1.4")
    code, _, err = cli("diagnose", str(bad))
    assert code == 2 and err.count("\n") == 1, err
    assert f"a\\x0a{FAKE}.csv" in err


def _export_named(tmp_path: Path, name: str) -> Path:
    rows = incident_rows(30)
    for r in rows:
        r[-1] = f"Network{CLEAR}\n{FAKE}"  # the category: shown in the KPI table
    return write(tmp_path / name, csv_bytes(rows))


def test_terminal_report_shows_names_and_values_inert(tmp_path: Path) -> None:
    path = _export_named(tmp_path, f"inc{OSC52}\n{FAKE}.csv")
    # --verbose: the terminal names each input file only then
    code, out, _ = cli("diagnose", str(path), "--verbose")
    assert code == 0
    assert not ACTIVE.search(out)
    assert _fake_line_starts(out) == []
    assert "\\x1b]52;c;ZXZpbA==\\x07\\x0aitsm-diag:" in out.replace("\n", "")


def test_inspect_shows_file_names_and_values_inert(tmp_path: Path) -> None:
    path = _export_named(tmp_path, f"inc{OSC52}\n{FAKE}.csv")
    code, out, _ = cli("inspect", str(path))
    assert code == 0, out
    assert not ACTIVE.search(out)
    assert _fake_line_starts(out) == []
    assert out.splitlines()[0].endswith("inc\\x1b]52;c;ZXZpbA==\\x07\\x0aitsm-diag: score 0 of 7 "
                                        "HEALTHY.csv")


def test_compare_shows_baseline_fields_inert(tmp_path: Path) -> None:
    code, out, _ = cli("demo", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    # an as_of that is no ISO time is refused (one line, exit 2), so the hostile text
    # rides in the fields compare shows as they are: titles and labels
    doc["signs"][0]["title"] = f"Backlog{CLEAR}{OSC52}\n{FAKE}"
    doc["kpis"]["labels"] = {k: f"{OSC52}{k}" for k in doc["kpis"].get("labels", {})} or {
        "sla_adherence": f"{OSC52}SLA"}
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc), encoding="utf-8")
    new = tmp_path / "new.json"
    new.write_text(out, encoding="utf-8")
    for fmt in ("terminal", "markdown"):
        code, text, err = cli("compare", str(old), str(new), "--format", fmt)
        assert code == 0, err
        assert not ACTIVE.search(text), fmt
        assert _fake_line_starts(text) == [], fmt
        assert not any(ln.startswith("#") and FAKE in ln for ln in text.splitlines()), fmt
    doc["as_of"] = f"{CLEAR}\n{FAKE}"
    old.write_text(json.dumps(doc), encoding="utf-8")
    code, _, err = cli("compare", str(old), str(new))
    assert code == 2 and not ACTIVE.search(err) and err.count("\n") == 1, err


def test_batch_shows_folder_names_inert_and_links_them_safely(tmp_path: Path) -> None:
    root = tmp_path / "clients"
    hostile = f'<img src=x onerror=alert(1)>{OSC52}\n{FAKE}'
    for name in ("acme", hostile):
        shutil.copytree(SAMPLES / "demo", root / name)
    code, out, err = cli("batch", str(root), "--format", "markdown", "--jobs", "1")
    assert code == 0, err
    assert not ACTIVE.search(out + err)
    assert _fake_line_starts(out) == []
    index = (root / "_reports" / "index.md").read_text(encoding="utf-8")
    assert "<img" not in index and "\x1b" not in index
    row = next(ln for ln in index.splitlines() if "img" in ln)
    link = re.search(r"\]\(([^)]*)\)", row).group(1)
    assert link.startswith("%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%1B%5D52") and \
        link.endswith(".md")
    assert all(len(row.split(" | ")) == 7 for row in index.splitlines() if row.startswith("| "))


@pytest.mark.parametrize("fmt", ["html", "markdown", "terminal"])
def test_config_text_is_inert_in_every_format(tmp_path: Path, fmt: str) -> None:
    config = tmp_path / "itsm-diag.yaml"
    config.write_text(json.dumps({"defaults": {"currency": f"EUR{CLEAR}", "hourly_rate": 50,
                                               "bands": {"slowing": f"Slow{OSC52}\n{FAKE}"}}}),
                      encoding="utf-8")
    code, out, err = cli(
        "diagnose", str(SAMPLES / "demo"), "--config", str(config), "--format", fmt)
    assert code == 0, err
    assert not ACTIVE.search(out)
    if fmt != "html":  # a line break in HTML text is a space
        assert _fake_line_starts(out) == []
    assert {"html": "EUR\\x1b[2J", "markdown": "EUR\\\\x1b\\[2J",
            "terminal": "EUR\\x1b[2J"}[fmt] in out


def test_json_keeps_text_exact_but_writable(tmp_path: Path) -> None:
    """JSON is data for programs: control characters stay (JSON escapes them itself); a
    lone surrogate, which no UTF-8 file can hold, becomes U+FFFD."""
    from itsm_diag.render.json import render
    from renderkit import demo_report

    report = demo_report().model_copy(deep=True)
    report.data_notes.append(f"{OSC52} half an emoji \ud83d")
    doc = json.loads(render(report))
    assert doc["data_notes"][-1] == f"{OSC52} half an emoji \ufffd"


def test_header_text_list_in_detection_errors_is_capped(tmp_path: Path) -> None:
    # 400 headers of 5,000 characters: 2 MB of header text the error line quotes from
    header = [f"col{i}" + "y" * 5000 for i in range(400)]
    bad = write(tmp_path / "wide.csv", csv_bytes([["1"] * len(header)], header=header))
    code, _, err = cli("diagnose", str(bad))
    assert code == 2
    assert err.startswith(f"itsm-diag: error: {bad}: cannot tell which tool exported this "
                          "file (scores: ")
    assert "headers: 'col0yyy" in err and "col399" not in err
    # each header quoted, cut short (review 20c: quoted, a redacted run hides them)
    assert len(err) < 1100 and err.count("y…'") == 6, (len(err), err)
