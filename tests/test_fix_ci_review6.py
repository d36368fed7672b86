"""Review 6 (the CI user), items 3-6: a closed standard output or error, the healthy
band's sentence at score 1, and counts that take their noun's number.

Every test runs the command line in a child process whose descriptor is really closed
(``sh -c '... >&-'``): ``stdout=subprocess.DEVNULL`` would leave it open.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "samples" / "demo"
CLOSED_STDOUT = "file descriptor 1 is not open"


def run(args: list[str], redirect: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m itsm_diag ARGS REDIRECT`` in a shell: ``>&-`` closes standard output,
    ``2>&-`` standard error, before the interpreter starts."""
    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "itsm_diag", *args])
    return subprocess.run(["sh", "-c", f"{command} {redirect}"], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's JSON report (``demo.json``) and a copy in which one more sign is
    unknown (``one_unknown.json``) and one in which two are (``two_unknown.json``)."""
    folder = tmp_path_factory.mktemp("rev6")
    done = run(["demo", "-f", "json", "-o", "demo.json"], "", folder)
    assert done.returncode == 0, done.stderr
    doc = json.loads((folder / "demo.json").read_text(encoding="utf-8"))
    clear = [s for s in doc["signs"] if s["status"] == "clear"]
    for name, count in (("one_unknown.json", 1), ("two_unknown.json", 2)):
        copy = json.loads(json.dumps(doc))
        for sign in copy["signs"]:
            if sign["id"] in {s["id"] for s in clear[:count]}:
                sign["status"], sign["reason"] = "unknown", "the export cannot tell"
        copy["unknown"] = doc["unknown"] + count
        copy["score_max_if_unknown_apply"] = doc["score"] + copy["unknown"]
        (folder / name).write_text(json.dumps(copy), encoding="utf-8")
    return folder


# ---- 1. a closed standard output -------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["diagnose", str(DEMO), "-q"],
    ["diagnose", str(DEMO), "-f", "json"],
    ["diagnose", str(DEMO), "-f", "markdown"],
    ["demo", "-q"],
    ["inspect", str(DEMO)],
    ["signs"],
    ["explain", "backlog"],
    ["--version"],
    ["compare", "demo.json", "one_unknown.json"],
    ["compare", "demo.json", "one_unknown.json", "-f", "json"],
], ids=lambda a: " ".join(Path(x).name if "/" in x else x for x in a))
def test_closed_stdout_is_one_error_line_and_exit_2(reports: Path, args: list[str]) -> None:
    got = run(args, ">&-", reports)
    lines = got.stderr.strip().splitlines()
    assert got.returncode == 2, (got.returncode, got.stderr)
    assert len(lines) == 1, got.stderr
    assert lines[0].startswith("itsm-diag: error: "), lines[0]
    assert CLOSED_STDOUT in lines[0]
    assert "Traceback" not in got.stderr and "bug" not in lines[0]


def test_closed_stdout_batch_is_refused_before_any_client_is_diagnosed(tmp_path: Path) -> None:
    client = tmp_path / "clients" / "acme"
    client.mkdir(parents=True)
    for f in DEMO.iterdir():
        (client / f.name).write_bytes(f.read_bytes())
    got = run(["batch", "clients", "-f", "json"], ">&-", tmp_path)
    lines = got.stderr.strip().splitlines()
    assert got.returncode == 2, got.stderr
    assert len(lines) == 1 and CLOSED_STDOUT in lines[0], got.stderr
    assert not (tmp_path / "clients" / "_reports").exists()


def test_closed_stdout_pull_is_refused_before_the_first_request(tmp_path: Path) -> None:
    """pull writes its summary to standard output: it paged everything, wrote the files,
    then stopped on the summary with exit 2 and lost its notes (a review)."""
    got = run(["pull", "servicenow", "--url", "https://example.invalid", "--out", "out"],
              ">&-", tmp_path)
    lines = got.stderr.strip().splitlines()
    assert got.returncode == 2, got.stderr
    assert len(lines) == 1 and CLOSED_STDOUT in lines[0], got.stderr
    assert not (tmp_path / "out").exists()


def test_closed_stdout_with_output_file_still_writes_the_report(reports: Path) -> None:
    """A guard for the fix: a command that writes only to -o FILE never needs stdout."""
    got = run(["diagnose", str(DEMO), "-f", "json", "-o", "closed1.json"], ">&-", reports)
    assert got.returncode == 0, got.stderr
    assert got.stderr == ""
    assert json.loads((reports / "closed1.json").read_text(encoding="utf-8"))["score"] == 4
    got = run(["compare", "demo.json", "one_unknown.json", "-o", "changes.md"], ">&-", reports)
    assert got.returncode == 0, got.stderr
    assert (reports / "changes.md").read_text(encoding="utf-8").strip()


# ---- 2. a closed standard error --------------------------------------------------------

def test_closed_stderr_the_run_goes_on_and_writes_the_report(reports: Path,
                                                             tmp_path: Path) -> None:
    got = run(["diagnose", str(DEMO), "-f", "json", "-o", "se.json"], "2>&-", reports)
    assert got.returncode == 0
    assert json.loads((reports / "se.json").read_text(encoding="utf-8"))["score"] == 4
    # a file not read is a warning: with stderr closed it has nowhere to go, and the run
    # is not stopped by it
    folder = tmp_path / "export"
    folder.mkdir()
    for f in DEMO.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "notes.txt").write_text("hello\nworld\n", encoding="utf-8")
    got = run(["diagnose", str(folder), "-o", "se.txt"], "2>&-", reports)
    assert got.returncode == 0
    assert "Score 4 of 7" in (reports / "se.txt").read_text(encoding="utf-8")
    # the exit code is as usual: 1 when --fail-on is reached, the report still written
    got = run(["diagnose", str(DEMO), "--fail-on", "1", "-f", "json", "-o", "se2.json"],
              "2>&-", reports)
    assert got.returncode == 1
    assert (reports / "se2.json").exists()
    # and the terminal report goes to stdout
    got = run(["diagnose", str(DEMO)], "2>&-", reports)
    assert got.returncode == 0
    assert "Score 4 of 7" in got.stdout


# ---- 3. the healthy band at score 1 ----------------------------------------------------

def test_quiet_headline_at_score_one_does_not_deny_the_triggered_sign(tmp_path: Path) -> None:
    # the demo with three of its four triggered signs' thresholds out of reach: score 1
    (tmp_path / "one.yaml").write_text(
        "signs:\n"
        "  backlog: {thresholds: {material: 520}}\n"
        "  recurrence: {thresholds: {min_uncovered: 1000000000}}\n"
        "  trust: {thresholds: {chasers: 1, bypass: 1, duplicates: 1}}\n", encoding="utf-8")
    got = run(["diagnose", str(DEMO), "--config", "one.yaml", "-q"], "", tmp_path)
    assert got.returncode == 0, got.stderr
    line = got.stdout.strip()
    # (onboarding's clear is within noise: the label says where it could move the band)
    assert line.startswith("itsm-diag: score 1/7 HEALTHY (WITHIN NOISE: HEALTHY TO GAPS): "), \
        line
    assert "1 of the verdicts is within sampling noise" in line
    assert "no sign of trouble" not in line.lower()
    assert "At most one of the seven warning signs is triggered" in line


# ---- 4. a count takes its noun's number ------------------------------------------------

def test_compare_unknown_note_takes_the_count_s_number(reports: Path) -> None:
    got = run(["compare", "demo.json", "one_unknown.json", "-f", "markdown"], "", reports)
    assert got.returncode == 0, got.stderr
    assert "1 signs" not in got.stdout
    assert "1 sign cannot be answered from the data now, 0 in the baseline" in got.stdout
    got = run(["compare", "demo.json", "two_unknown.json", "-f", "markdown"], "", reports)
    assert "2 signs cannot be answered from the data now, 0 in the baseline" in got.stdout


def test_files_not_read_take_the_count_s_number(tmp_path: Path) -> None:
    one = tmp_path / "one"
    one.mkdir()
    (one / "incident.csv").write_text("number,opened_at\n", encoding="utf-8")
    got = run(["diagnose", "one"], "", tmp_path)
    assert got.returncode == 2
    assert "no tickets were read from the inputs: 1 file not read (" in got.stderr
    assert "file(s)" not in got.stderr
    two = tmp_path / "two"
    two.mkdir()
    (two / "incident.csv").write_text("number,opened_at\n", encoding="utf-8")
    (two / "notes.txt").write_text("hello\n", encoding="utf-8")
    got = run(["diagnose", "two"], "", tmp_path)
    assert "no tickets were read from the inputs: 2 files not read (" in got.stderr
