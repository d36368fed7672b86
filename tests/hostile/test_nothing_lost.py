"""Nothing lost, nothing touched: atomic reports, read-only inputs, no network, and no
files left anywhere but the report the user asked for."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostilekit import SAMPLES, cli

from itsm_diag import api
from itsm_diag.render import write_atomic

#: every sample export, with the options it needs
SAMPLE_RUNS: list[tuple[str, dict[str, Any]]] = [
    ("servicenow", {}), ("jira", {}), ("zendesk", {}), ("zendesk/api", {}),
    ("zendesk/full_export", {}), ("freshservice", {}),
    ("glpi", {"mapping": Path("glpi")}), ("demo", {}),
]


# ---- atomic outputs ----------------------------------------------------------------------

def test_failure_mid_write_leaves_the_old_report_intact(tmp_path: Path) -> None:
    report = tmp_path / "report.md"
    report.write_text("old report\n", encoding="utf-8")
    # a lone surrogate cannot be encoded: the write fails after part of the text is out
    with pytest.raises(UnicodeEncodeError):
        write_atomic(report, "new report " * 10_000 + "\ud800")
    assert report.read_text(encoding="utf-8") == "old report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]  # no temp file left


def test_failure_at_the_rename_leaves_the_old_report_intact(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = tmp_path / "report.json"
    report.write_text("{}\n", encoding="utf-8")

    def no_rename(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(OSError):
        write_atomic(report, '{"new": true}\n')
    assert report.read_text(encoding="utf-8") == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_cli_failure_keeps_the_previous_report(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    out.write_text("previous\n", encoding="utf-8")
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"%PDF-1.4 not an export")
    code, _, err = cli("diagnose", str(bad), "--format", "json", "--output", str(out))
    assert code == 2 and "PDF" in err
    assert out.read_text(encoding="utf-8") == "previous\n"


# ---- inputs are read, never written ------------------------------------------------------

@pytest.fixture
def readonly_samples(tmp_path: Path) -> Iterator[Path]:
    """A copy of the ServiceNow and Zendesk samples: files 0444 in 0555 folders."""
    root = tmp_path / "inputs"
    shutil.copytree(SAMPLES / "servicenow", root / "servicenow")
    shutil.copytree(SAMPLES / "zendesk", root / "zendesk")
    folders = [root, *(p for p in root.rglob("*") if p.is_dir())]
    for f in root.rglob("*"):
        if f.is_file():
            f.chmod(0o444)
    for d in sorted(folders, reverse=True):
        d.chmod(0o555)
    try:
        yield root
    finally:
        for d in folders:
            d.chmod(0o755)


def _snapshot(root: Path) -> dict[str, tuple[bytes, int, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns,
                                      stat.S_IMODE(p.stat().st_mode))
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_inputs_are_opened_read_only_and_left_unchanged(readonly_samples: Path,
                                                         tmp_path: Path) -> None:
    before = _snapshot(readonly_samples)
    writes: list[str] = []
    root = str(readonly_samples)

    def audit(event: str, args: tuple[Any, ...]) -> None:
        # every Python-level open of an input must be read-only (root ignores chmod, so
        # the permission bits alone would not prove it)
        if event == "open" and active and str(args[0]).startswith(root):
            mode, flags = args[1], args[2] or 0
            if (mode and any(c in str(mode) for c in "wax+")) or flags & (
                    os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC):
                writes.append(f"{args[0]} {mode} {flags}")

    active = True
    sys.addaudithook(audit)
    try:
        for sub in ("servicenow", "zendesk", "zendesk/api", "zendesk/full_export"):
            out = tmp_path / f"{sub.replace('/', '-')}.json"
            code, _, err = cli("diagnose", str(readonly_samples / sub), "--format", "json",
                               "--output", str(out))
            assert code == 0, err
            assert out.stat().st_size > 1000
    finally:
        active = False
    assert writes == []
    assert _snapshot(readonly_samples) == before  # bytes, mtimes and modes
    assert not [p for p in readonly_samples.rglob("*") if p.name.startswith(".")]


# ---- no network --------------------------------------------------------------------------

class NetworkUsed(AssertionError):
    pass


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise NetworkUsed(f"network access attempted: {args[:2]}")


def test_no_network_access_for_any_sample_or_format(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from itsm_diag.render import html, json, markdown, terminal

    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname",
                 "create_server", "socketpair"):
        monkeypatch.setattr(socket, name, _refuse)
    attempts: list[str] = []

    def audit(event: str, args: tuple[Any, ...]) -> None:
        if active and event.startswith(("socket.", "urllib.Request", "http.client")):
            attempts.append(event)

    active = True
    sys.addaudithook(audit)
    try:
        for sub, options in SAMPLE_RUNS:
            report = api.diagnose_paths([SAMPLES / sub], api.RunOptions(**options))
            assert report.tickets.total > 0
            for render in (json.render, markdown.render, html.render,
                           lambda r: terminal.render(r, color=True)):
                assert len(render(report)) > 500
        code, _, err = cli("demo", "--format", "html", "--output", str(tmp_path / "d.html"))
        assert code == 0, err
    finally:
        active = False
    assert attempts == []


# ---- nothing cached outside the output ---------------------------------------------------

def _run_isolated(args: list[str], home: Path, tmp: Path, cwd: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "PYTHONPYCACHE"))}
    env.update(HOME=str(home), TMPDIR=str(tmp), TEMP=str(tmp), TMP=str(tmp),
               PYTHONDONTWRITEBYTECODE="1")
    code = "import sys; from itsm_diag.cli import main; sys.argv[0] = 'itsm-diag'; main()"
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def test_a_run_leaves_home_and_tmp_empty(tmp_path: Path) -> None:
    home, tmp, work = tmp_path / "home", tmp_path / "tmp", tmp_path / "work"
    for d in (home, tmp, work):
        d.mkdir()
    _run_isolated(["diagnose", str(SAMPLES / "servicenow"), "--format", "html", "--output",
                   "report.html"], home, tmp, work)
    _run_isolated(["diagnose", str(SAMPLES / "jira"), "--format", "markdown", "--output",
                   "report.md"], home, tmp, work)
    assert list(home.rglob("*")) == []  # no ~/.cache, no ~/.config
    assert list(tmp.rglob("*")) == []   # no temporary file left behind
    assert sorted(p.name for p in work.iterdir()) == ["report.html", "report.md"]


def test_batch_workers_leave_tmp_empty(tmp_path: Path) -> None:
    home, tmp, work = tmp_path / "home", tmp_path / "tmp", tmp_path / "clients"
    for d in (home, tmp):
        d.mkdir()
    shutil.copytree(SAMPLES / "servicenow", work / "acme")
    shutil.copytree(SAMPLES / "jira", work / "globex")
    _run_isolated(["batch", str(work), "--format", "html", "--jobs", "2"], home, tmp,
                  tmp_path)
    assert list(home.rglob("*")) == [] and list(tmp.rglob("*")) == []
    assert sorted(p.name for p in (work / "_reports").iterdir()) == [
        "acme.html", "globex.html", "index.json", "index.md"]
