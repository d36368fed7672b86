"""What each issue-17 analysis adds to a diagnosis, at 10k / 100k / 1M tickets.

::

    python benchmarks/analyses.py --sizes 10k,100k,1m --repeat 3

Each size: ``synth.generate(n)`` (tickets **and** their events: the list layout of
``run.py`` carries no history, so it cannot time the flow view), then in this process,
on one Context per repeat:

1. the signs and checks (``engine.measure_all``, threads as a diagnosis uses them) on a
   Context without the analyses' params: the diagnosis before issue 17 (the baseline);
2. each analysis on that Context, cold, one after another as the engine runs them:
   ``flow``, ``text-clusters``, ``drivers``, ``actions``, ``forecast``; and the whole
   added cost: signs and checks with the analyses' evidence, plus every part, minus the
   baseline;
3. text clusters again with **diverse** summaries: every incident's summary gets one
   extra word of 60,000 made-up ones (as free-typed text would: tens of thousands of
   distinct wordings instead of synth's few thousand), so the cost of the clustering
   itself is seen, not only its pass over the tickets.

Medians of ``--repeat``. Writes ``benchmarks/out/analyses.json`` and prints a Markdown
table (``run.py --analyses`` appends it to ``results.md``). Target (issue 17): text
clustering adds at most 1 s at 1M tickets on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PARTS = ("flow", "text-clusters", "drivers", "actions", "forecast")


def _context(tickets: Any, events: Any, rules: Any) -> Any:
    from itsm_diag.engine import choose_window
    from itsm_diag.signs.base import Calendar, Context
    from itsm_diag.signs.shape import measure_shape

    d = rules.defaults
    shape = measure_shape(tickets, d.shape)
    choice = choose_window(tickets, rules, shape=shape)
    return Context(tickets=tickets, events=events, window=choice.window,
                   calendar=Calendar(weekmask=d.weekmask, holidays=tuple(d.holidays)),
                   defaults=d.model_dump(), max_samples=d.max_samples, shape=shape,
                   analyses={a.id: a.params for a in rules.analyses.values()}), choice


def _diverse(tickets: Any, seed: int) -> Any:
    """The tickets with one made-up word appended to every summary (60,000 of them)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from itsm_diag import model as m

    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = ["".join(w) for w in letters[rng.integers(0, 26, (60_000, 7))]]
    pick = pa.array(np.array(words, dtype=object)[rng.integers(0, len(words), len(tickets))])
    summary = pa.array(tickets[m.SUMMARY].array).cast(pa.string())
    joined = pc.binary_join_element_wise(summary, pick, " ")
    out = tickets.copy()
    out[m.SUMMARY] = pd.Series(pd.arrays.ArrowStringArray(joined.cast(pa.large_string())),
                               index=tickets.index)
    return out


def _timed_run(tickets: Any, events: Any, rules: Any, with_analyses: bool
               ) -> tuple[float, dict[str, float], Any]:
    """(seconds of the signs and checks, seconds of each analysis, the measurements).

    Without analyses, the Context carries no analysis params (no flow evidence in the
    checks, no text clusters in the recurrence key): the diagnosis before issue 17. The
    parts are then timed cold, one after another, on that Context."""
    import dataclasses

    from itsm_diag import engine, insights

    ctx, choice = _context(tickets, events, rules)
    params = ctx.analyses
    if not with_analyses:
        ctx = dataclasses.replace(ctx, analyses={})
    sign_rules = [*rules.signs.values(), *rules.checks.values()]
    t = time.perf_counter()
    measured, _, _ = engine.measure_all(sign_rules, ctx)
    signs_s = time.perf_counter() - t
    findings = [engine.build_finding(r, meas, choice, rules)
                for r, meas in zip(sign_rules, measured, strict=True)]
    if not with_analyses:  # the same caches, now with the analyses' params
        cache = ctx.__dict__
        ctx = dataclasses.replace(ctx, analyses=params)
        ctx.__dict__["_cache"], ctx.__dict__["_locks"] = cache["_cache"], cache["_locks"]
    parts: dict[str, float] = {}
    metas: dict[str, Any] = {}
    for part in PARTS:
        t = time.perf_counter()
        metas[part] = insights.measure(rules.analyses[part], ctx, findings, rules)
        parts[part] = time.perf_counter() - t
    return signs_s, parts, metas


def bench(n: int, repeat: int, seed: int, log: Any) -> dict[str, Any]:
    from itsm_diag import config, synth

    t0 = time.perf_counter()
    data = synth.generate(n, seed=seed)
    log(f"  generated {n:,} tickets and {len(data.events):,} events in "
        f"{time.perf_counter() - t0:.1f}s")
    rules = config.load_rules()
    times: dict[str, list[float]] = {k: [] for k in (
        "signs before", "signs after", *PARTS, "added", "text-clusters diverse")}
    diverse = _diverse(data.tickets, seed)
    distinct: dict[str, int] = {}
    for _ in range(repeat):
        before, parts, metas = _timed_run(data.tickets, data.events, rules, False)
        times["signs before"].append(before)
        for part in PARTS:
            times[part].append(parts[part])
        meas = metas["text-clusters"]
        if meas.unknown is None:
            distinct["synth"] = int(meas.metrics["distinct_summaries"].value or 0)
        after, warm, _ = _timed_run(data.tickets, data.events, rules, True)
        times["signs after"].append(after)
        times["added"].append(after + sum(warm.values()) - before)
        _, parts, metas = _timed_run(diverse, data.events, rules, False)
        times["text-clusters diverse"].append(parts["text-clusters"])
        distinct["diverse"] = int(metas["text-clusters"].metrics[
            "distinct_summaries"].value or 0)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items():
        log(f"    {k}: {v:.3f}s")
    return {"tickets": n, "events": len(data.events), "median_s": med,
            "distinct_summaries": distinct}


def render(results: list[dict[str, Any]]) -> str:
    head = ["tickets", "events", "signs + checks before", *PARTS, "diagnosis added",
            "text clusters, diverse wordings"]
    lines = ["## Analyses (issue 17): added cost per part", "",
             "In-process, on synthetic tickets with their events (`benchmarks/analyses.py`, "
             "medians). Each part timed cold, one after another, after the signs and checks "
             "ran without the analyses; *diagnosis added* = (signs and checks with the "
             "analyses' evidence + every part) - (signs and checks before). *Diverse*: every "
             "summary with one extra made-up word (free-typed text: tens of thousands of "
             "distinct wordings). Target: text clustering <= +1 s at 1M tickets on 2 cores.",
             "", "| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for r in results:
        s = r["median_s"]
        lines.append("| " + " | ".join([
            f"{r['tickets']:,}", f"{r['events']:,}", f"{s['signs before']:.2f} s",
            *[f"{s[p]:.2f} s" for p in PARTS], f"{s['added']:.2f} s",
            f"{s['text-clusters diverse']:.2f} s "
            f"({r['distinct_summaries'].get('diverse', 0):,} wordings; synth: "
            f"{r['distinct_summaries'].get('synth', 0):,})"]) + " |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import make_data

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1m")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    results = []
    for n in [make_data.parse_size(s) for s in args.sizes.split(",") if s.strip()]:
        print(f"{make_data.size_label(n)}:", flush=True)
        results.append(bench(n, args.repeat, args.seed, lambda m: print(m, flush=True)))
    out = HERE / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "analyses.json").write_text(json.dumps(results, indent=2))
    print(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
