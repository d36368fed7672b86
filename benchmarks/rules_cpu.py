"""CPU seconds of every sign and check (and the KPI panel) on one shared Context.

The canonical tables are built once and pickled (the import is not what is timed)::

    python benchmarks/rules_cpu.py prep csv1m synth1m     # benchmarks/out/rules_cpu/*.pkl
    python benchmarks/rules_cpu.py run csv1m after         # table + <name>_after.json
    PROF=1 python benchmarks/rules_cpu.py run synth1m p trust,changes   # pyinstrument
    python benchmarks/rules_cpu.py diagnose csv1m --threads 1    # the whole engine.diagnose

``csv3m``/``csv1m``/``csv100k``/``full100k`` load the generated ServiceNow files in
``benchmarks/data`` (``prep --data-dir`` when ``make_data.py`` wrote them elsewhere);
``synth1m``/``synth100k``/``synth10k`` are ``synth.generate(n, seed=7,
Conditions.all())``: every kind and a real events table (6.7M events at 1M).
The JSON of every Measurement is written next to the timings, so two runs (before and
after a change) can be compared for identical results. ``--dir`` puts the pickles and
results elsewhere than ``benchmarks/out/rules_cpu``.
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_data  # noqa: E402  (benchmarks/ is not a package)

D = HERE / "out" / "rules_cpu"
PROF = bool(os.environ.get("PROF"))
SYNTH = {"synth1m": 1_000_000, "synth100k": 100_000, "synth10k": 10_000}
#: name -> (tickets, make_data layout) of a generated ServiceNow CSV
CSV = {"csv3m": (3_000_000, "list"), "csv1m": (1_000_000, "list"),
       "csv100k": (100_000, "list"),
       "full100k": (100_000, "full")}


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def prep(name: str, folder: Path = D, data: Path = make_data.DATA) -> None:
    from itsm_diag import synth
    if name in SYNTH:
        s = synth.generate(SYNTH[name], seed=7, conditions=synth.Conditions.all())
        tickets, events = s.tickets, s.events
    else:
        from itsm_diag.importers.base import ImportOptions
        from itsm_diag.importers.registry import load_paths
        n, layout = CSV[name]
        path = make_data.csv_path(n, layout=layout, data=data)
        if not path.exists():
            raise SystemExit(f"{path} not found: make it with benchmarks/make_data.py "
                             "(and give prep the same --data-dir)")
        loaded = load_paths([path], ImportOptions())
        tickets, events = loaded.tickets, loaded.events
    with open(folder / f"{name}.pkl", "wb") as fh:
        pickle.dump((tickets, events), fh, protocol=5)
    print(name, len(tickets), len(events))


def run(name: str, tag: str, only: set[str] | None = None, folder: Path = D) -> None:
    """Time every sign and check (``only``: these rule ids) and the KPI panel."""
    import pandas as pd  # noqa: F401

    from itsm_diag import api, engine
    from itsm_diag.signs.base import Calendar, Context
    with open(folder / f"{name}.pkl", "rb") as fh:
        tickets, events = pickle.load(fh)
    rules = api.load_rules(None)
    since, until, note = api.resolve_bounds(tickets, rules, None, None)
    choice = engine.choose_window(tickets, rules, since, until, note)
    d = rules.defaults
    ctx = Context(tickets=tickets, events=events, window=choice.window,
                  calendar=Calendar(weekmask=d.weekmask, holidays=tuple(d.holidays)),
                  defaults=d.model_dump(), max_samples=d.max_samples)
    out: dict[str, object] = {}
    rows = []
    total_c = total_w = 0.0
    for r in [*rules.signs.values(), *rules.checks.values()]:
        if only and r.id not in only:
            continue
        c0, w0 = cpu(), time.perf_counter()
        if PROF:
            from pyinstrument import Profiler
            p = Profiler(interval=0.002)
            p.start()
        meas = engine.measure(r, ctx)
        if PROF:
            p.stop()
            (folder / f"prof_{name}_{tag}_{r.id}.txt").write_text(
                p.output_text(unicode=True, color=False, show_all=False))
        c, w = cpu() - c0, time.perf_counter() - w0
        total_c += c
        total_w += w
        rows.append((r.id, c, w))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        print(r.id, round(c, 2), "peak MB", peak, flush=True)
        out[r.id] = meas.model_dump(mode="json")
    c0, w0 = cpu(), time.perf_counter()
    from itsm_diag.signs.kpis import compute_kpis
    out["_kpis"] = compute_kpis(ctx)
    c, w = cpu() - c0, time.perf_counter() - w0
    total_c += c
    total_w += w
    rows.append(("kpis", c, w))
    # the in-window count is in the JSON to compare runs; its time is that of a cache
    # hit by now (the rules that asked first paid for it), kept out of the total
    c0, w0 = cpu(), time.perf_counter()
    out["_in_window"] = int(ctx.opened_in_window().sum())
    rows.append(("in_window", cpu() - c0, time.perf_counter() - w0))
    for rid, c, w in rows:
        print(f"{rid:18s} cpu {c:7.2f}  wall {w:7.2f}")
    print(f"{'TOTAL':18s} cpu {total_c:7.2f}  wall {total_w:7.2f}")
    (folder / f"{name}_{tag}.json").write_text(json.dumps(out, indent=1, sort_keys=True,
                                                          default=str))
    (folder / f"{name}_{tag}.times.json").write_text(json.dumps(rows))


def diagnose(name: str, threads: int, repeat: int, folder: Path = D) -> None:
    """CPU and wall seconds of the whole ``engine.diagnose`` (every sign, check and
    analysis, the KPIs and the report) on one pickled table: min and median of
    ``repeat`` runs, each on a fresh Context (no cache carried over)."""
    os.environ["ITSM_DIAG_THREADS"] = str(threads)
    from itsm_diag import api
    from itsm_diag.engine import Diagnosis
    from itsm_diag.engine import diagnose as run_engine
    with open(folder / f"{name}.pkl", "rb") as fh:
        tickets, events = pickle.load(fh)
    rules = api.load_rules(None)
    data = Diagnosis(tickets=tickets, events=events, inputs=[], data_notes=[])
    since, until, note = api.resolve_bounds(data.tickets, rules, None, None, "UTC")
    cpus, walls = [], []
    for _ in range(repeat):
        c0, w0 = cpu(), time.perf_counter()
        run_engine(data, rules, since=since, until=until, window_note=note)
        cpus.append(cpu() - c0)
        walls.append(time.perf_counter() - w0)
    print(f"{name} threads={threads}: CPU s (user+sys of this process) min {min(cpus):.2f}"
          f" median {statistics.median(cpus):.2f}; wall s min {min(walls):.2f}"
          f" median {statistics.median(walls):.2f} ({repeat} runs)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument("--dir", type=Path, default=D,
                       help=f"folder of the pickles and results (default {D})")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prep", parents=[where], help="build and pickle canonical tables")
    p.add_argument("names", nargs="+", choices=[*CSV, *SYNTH])
    p.add_argument("--data-dir", type=Path, default=make_data.DATA,
                   help=f"where make_data.py wrote the CSVs (default {make_data.DATA})")
    r = sub.add_parser("run", parents=[where], help="time every rule on one pickled table")
    r.add_argument("name", help="a name given to prep")
    r.add_argument("tag", help="names the results: <name>_<tag>.json, .times.json")
    r.add_argument("only", nargs="?", help="comma-separated rule ids (default: all)")
    g = sub.add_parser("diagnose", parents=[where],
                       help="time the whole engine.diagnose on one pickled table")
    g.add_argument("name", help="a name given to prep")
    g.add_argument("--threads", type=int, default=1, help="measuring threads (default 1)")
    g.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    args.dir.mkdir(parents=True, exist_ok=True)
    if args.command == "prep":
        for name in args.names:
            prep(name, args.dir, args.data_dir)
    elif args.command == "diagnose":
        diagnose(args.name, args.threads, args.repeat, args.dir)
    else:
        run(args.name, args.tag, set(args.only.split(",")) if args.only else None, args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
