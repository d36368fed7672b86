"""The scale work must not change a single answer.

The engine measures the signs in threads sharing one Context (issue 7); these tests hold
that to the same report as one rule after another, and hold the Context's cache to
computing each value once when threads ask for it together.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from itsm_diag import config, engine, synth
from itsm_diag.render import json as render_json
from itsm_diag.signs.base import Context, Window


@pytest.fixture(scope="module")
def world() -> synth.Synthetic:
    # every condition on: every sign and check has work to do (and notes to write)
    return synth.generate(4000, seed=11, conditions=synth.Conditions.all())


def _report_json(world: synth.Synthetic, threads: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ITSM_DIAG_THREADS", threads)
    report = engine.diagnose(engine.Diagnosis(world.tickets, world.events, inputs=[]),
                             config.load_rules())
    return render_json.render(report)  # deterministic: no clock in the report


def test_threads_give_the_same_report_as_one_after_another(
        world: synth.Synthetic, monkeypatch: pytest.MonkeyPatch) -> None:
    one = _report_json(world, "1", monkeypatch)
    assert engine.threads() == 1
    four = _report_json(world, "4", monkeypatch)
    assert engine.threads() == 4
    assert four == one
    assert '"status": "triggered"' in one  # the comparison covers real findings


def test_threads_default_to_the_cpus_at_most_four(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ITSM_DIAG_THREADS", raising=False)
    assert 1 <= engine.threads() <= 4
    monkeypatch.setenv("ITSM_DIAG_THREADS", "zero")  # not a count: the default again
    assert 1 <= engine.threads() <= 4


def test_a_cached_value_is_computed_once_when_threads_race() -> None:
    tickets = pd.DataFrame({"x": [1, 2, 3]})
    ctx = Context(tickets=tickets, events=pd.DataFrame(),
                  window=Window(pd.Timestamp("2024-01-01", tz="UTC"),
                                pd.Timestamp("2024-02-01", tz="UTC")))
    calls: list[int] = []
    start = threading.Barrier(8)

    def make() -> int:
        calls.append(1)
        time.sleep(0.05)  # long enough for every other thread to ask meanwhile
        return 42

    def ask(_: int) -> int:
        start.wait()
        return int(ctx.memo("slow", make))

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(ask, range(8)))
    assert got == [42] * 8
    assert len(calls) == 1


def test_a_cached_value_may_build_on_another() -> None:
    ctx = Context(tickets=pd.DataFrame({"x": [1]}), events=pd.DataFrame(),
                  window=Window(pd.Timestamp("2024-01-01", tz="UTC"),
                                pd.Timestamp("2024-02-01", tz="UTC")))
    # re-entrant: the outer value's maker asks for an inner one (no self-deadlock)
    assert ctx.memo("outer", lambda: ctx.memo("inner", lambda: 1) + 1) == 2
