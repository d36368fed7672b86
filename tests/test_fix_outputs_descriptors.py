"""``-o`` naming a file descriptor or a link: the report goes where the name leads, and
nothing is renamed over the name (review 2, item 1).

``-o /dev/stdout > out.json`` lost the report (exit 0) and, as root, replaced
``/dev/stdout`` with a regular file: ``/dev/stdout`` leads to the redirected regular file,
so the report went to a temporary file renamed over the link. These tests never name the
real ``/dev/stdout`` (a broken tree would replace it for the whole machine): a link to
``/proc/self/fd/1`` in a temporary folder stands for it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from itsm_diag.errors import UsageError
from itsm_diag.render import write_atomic

ROOT = Path(__file__).resolve().parents[1]
EXPORT = ROOT / "samples" / "demo" / "incident_1.csv"
pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                reason="needs /proc/self/fd (Linux)")


def _run(args: list[str], stdout: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    import itsm_diag

    # the itsm_diag this test imported (the checkout's, or the one PYTHONPATH names)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(Path(itsm_diag.__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "itsm_diag", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, cwd=cwd, env=env,
                          timeout=300, check=False)


@pytest.mark.parametrize("name", ["link", "/proc/self/fd/1", "/dev/fd/1"])
def test_a_descriptor_path_with_stdout_sent_to_a_file_gets_the_report(
        tmp_path: Path, name: str) -> None:
    link = tmp_path / "link"
    link.symlink_to("/proc/self/fd/1")  # what /dev/stdout is
    out = tmp_path / "out.json"
    with out.open("w") as fh:
        run = _run(["diagnose", str(EXPORT), "-f", "json", "-o", name], fh, tmp_path)
    assert run.returncode == 0, run.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["schema_version"] and report["tickets"]
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "out.json"]


def test_a_descriptor_opened_for_appending_keeps_what_it_holds(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to("/proc/self/fd/1")
    log = tmp_path / "job.log"
    log.write_text("earlier step\n", encoding="utf-8")
    with log.open("a") as fh:  # `>> job.log`
        run = _run(["diagnose", str(EXPORT), "-f", "markdown", "-o", "link"], fh, tmp_path)
    assert run.returncode == 0, run.stderr
    text = log.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n# ") and len(text) > 1000
    assert link.is_symlink()


def test_write_atomic_to_a_link_to_an_open_file_descriptor(tmp_path: Path) -> None:
    out = tmp_path / "redirected.txt"
    link = tmp_path / "fd"
    with out.open("w") as fh:
        link.symlink_to(f"/proc/self/fd/{fh.fileno()}")
        write_atomic(link, "the report\n")
    assert out.read_text(encoding="utf-8") == "the report\n"
    assert link.is_symlink()


def test_a_link_to_a_file_elsewhere_stays_a_link_and_its_file_gets_the_report(
        tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "2026-08.md"
    target.write_text("last month\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "latest.md"
    link.symlink_to(Path("shared") / "2026-08.md")
    write_atomic(link, "this month\n")
    assert link.is_symlink() and os.readlink(link) == str(Path("shared") / "2026-08.md")
    assert target.read_text(encoding="utf-8") == "this month\n"
    assert target.stat().st_mode & 0o777 == 0o640  # the file's own mode kept
    assert sorted(p.name for p in shared.iterdir()) == ["2026-08.md"]  # no temp left
    # a chain of links, and a link whose file is not there yet
    chain = tmp_path / "chain.md"
    chain.symlink_to(link)
    write_atomic(chain, "again\n")
    assert chain.is_symlink() and target.read_text(encoding="utf-8") == "again\n"
    dangling = tmp_path / "next.md"
    dangling.symlink_to(shared / "2026-09.md")
    write_atomic(dangling, "next month\n")
    assert dangling.is_symlink()
    assert (shared / "2026-09.md").read_text(encoding="utf-8") == "next month\n"


def test_a_loop_of_links_is_an_error_not_a_replaced_link(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.symlink_to(b)
    b.symlink_to(a)
    with pytest.raises(OSError):
        write_atomic(a, "x")
    assert a.is_symlink() and b.is_symlink()
    from itsm_diag.render import check_writable

    with pytest.raises(UsageError, match="loop of links"):
        check_writable(a)


def test_devices_and_pipes_are_still_written_through(tmp_path: Path) -> None:
    from itsm_diag.render import destination

    write_atomic(Path("/dev/null"), "x")
    assert destination(Path("/dev/null"))[0] == "through"
    read, write = os.pipe()
    try:
        write_atomic(Path(f"/proc/self/fd/{write}"), "through the pipe")
        assert os.read(read, 100) == b"through the pipe"
    finally:
        os.close(read)
        os.close(write)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert destination(fifo)[0] == "through"
