"""Two redacted runs overlapping in threads of one process (a service) each hide their own
input names from the progress display, and neither leaves its hider behind: a later
plain run hears its file by name (review 18, defect 4)."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from itsm_diag import api, engine, progress
from itsm_diag.signs.base import Context

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "samples" / "demo"


def _export(folder: Path, name: str) -> Path:
    folder.mkdir()
    path = folder / name
    shutil.copy(DEMO / "incident_1.csv", path)
    return path


def test_overlapping_redacted_runs_hide_their_own_names(tmp_path: Path) -> None:
    x = _export(tmp_path / "x", "acme_secret_x.csv")
    y = _export(tmp_path / "y", "globex_secret_y.csv")
    y_started, x_done = threading.Event(), threading.Event()
    heard: list[tuple[str, str]] = []
    failed: list[BaseException] = []

    def listener(text: str) -> None:
        # forces the order the scheduler may pick: X enters, Y enters, X leaves, Y leaves
        name = threading.current_thread().name
        heard.append((name, text))
        if name == "X" and not y_started.is_set():
            y_started.wait(30)
        if name == "Y" and not y_started.is_set():
            y_started.set()
            x_done.wait(60)

    def run(path: Path) -> None:
        try:
            api.diagnose_paths([path], api.RunOptions(redact=True))
        except BaseException as exc:  # pragma: no cover - reported below
            failed.append(exc)

    with progress.listening(listener):
        tx = threading.Thread(target=run, args=(x,), name="X")
        ty = threading.Thread(target=run, args=(y,), name="Y")
        tx.start()
        while not heard:
            y_started.wait(0.01)
        ty.start()
        tx.join(120)
        x_done.set()
        ty.join(120)
        assert not failed, failed
        said_x = [t for n, t in heard if n == "X"]
        said_y = [t for n, t in heard if n == "Y"]
        assert any("reading input 1" in t for t in said_x), said_x
        assert any("reading input 1" in t for t in said_y), said_y
        # neither run's stages named a file (X's went through Y's hider before: Y's hider
        # knew only Y's names, so X's file got through)
        everything = " ".join(t for _, t in heard)
        assert "secret" not in everything, [t for _, t in heard if "secret" in t]
        heard.clear()
        # no hider left behind: a plain run hears its own file by name
        api.diagnose_paths([x], api.RunOptions())
        plain = [t for _, t in heard]
    assert any("reading acme_secret_x.csv" in t for t in plain), plain[:3]
    assert not any("input 1" in t for t in plain), plain[:3]


def test_measuring_threads_carry_the_runs_hider(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stage said in one of the engine's measuring threads passes through the hider of
    the run that started the thread (a pool's thread starts with an empty context)."""
    monkeypatch.setattr(engine, "threads", lambda: 2)
    monkeypatch.setattr("itsm_diag.signs.kpis.compute_kpis", lambda c: None)
    ctx = cast(Context, SimpleNamespace(tickets=[]))  # measure_all reads only its length
    heard: list[str] = []

    def job() -> str:
        progress.say("measuring acme_secret.csv in a worker")
        return threading.current_thread().name

    with progress.listening(heard.append), \
            progress.hiding(lambda t: t.replace("acme_secret.csv", "input 1")):
        _, _, more = engine.measure_all([], ctx, {"a": job, "b": job})
    assert all(name.startswith("itsm-diag") for name in more.values()), more
    assert [h for h in heard if "in a worker" in h] == ["measuring input 1 in a worker"] * 2
