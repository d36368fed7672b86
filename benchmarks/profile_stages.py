"""Where ``itsm-diag diagnose`` spends its time and memory, stage by stage.

Runs the same path as ``itsm-diag diagnose FILE --format json`` in-process, with timers
wrapped (by monkeypatching, nothing in ``src/`` changes) around the pipeline's stages:
reading, date inference and parsing, value normalisation, ``conform_tickets``, the
window, every sign and check, the KPIs and the JSON rendering. Prints a nested table
(inclusive seconds, calls, the process's RSS after the stage and the peak so far)::

    python benchmarks/profile_stages.py benchmarks/data/servicenow_incident_list_1m_s7.csv
    python benchmarks/profile_stages.py FILE --pyinstrument   # also a sampling profile

``--pyinstrument`` (``pip install pyinstrument``; not a project dependency) writes
``benchmarks/out/profile_<file>.txt`` and ``.html``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import os
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"

#: (module, attribute) of the functions timed; missing ones are skipped, so the list can
#: run against any version of src/
TARGETS: tuple[tuple[str, str], ...] = (
    ("itsm_diag.api", "load_rules"),
    ("itsm_diag.importers.registry", "load_paths"),
    ("itsm_diag.importers.readers", "read_raw"),
    ("itsm_diag.importers.readers", "read_csv"),
    ("itsm_diag.importers.xlsx", "read_xlsx"),
    ("itsm_diag.importers.xlsx", "read_xlsx"),
    ("itsm_diag.importers.readers", "_arrow_csv"),
    ("itsm_diag.importers.readers", "_strip"),
    ("itsm_diag.importers.readers", "flag_mangled_ids"),
    ("itsm_diag.importers.registry", "detect"),
    ("itsm_diag.importers.servicenow", "ServiceNowImporter.detect"),
    ("itsm_diag.importers.servicenow", "ServiceNowImporter.load"),
    ("itsm_diag.importers.base", "parse_dates"),
    ("itsm_diag.importers.dates", "infer_formats"),
    ("itsm_diag.importers.dates", "parse"),
    ("itsm_diag.importers.servicenow", "_canonical"),
    ("itsm_diag.importers.servicenow", "_kind"),
    ("itsm_diag.importers.values", "map_vocab"),
    ("itsm_diag.importers.values", "unmapped"),
    ("itsm_diag.importers.values", "priority"),
    ("itsm_diag.importers.values", "channel"),
    ("itsm_diag.importers.values", "integer"),
    ("itsm_diag.importers.values", "boolean"),
    ("itsm_diag.importers.values", "hours_from_duration"),
    ("itsm_diag.importers.servicenow", "_journal_events"),
    ("itsm_diag.importers.servicenow", "_collapse_log"),
    ("itsm_diag.model", "conform_tickets"),
    ("itsm_diag.model", "conform_events"),
    ("itsm_diag.importers.registry", "combine"),
    ("itsm_diag.engine", "diagnose"),
    ("itsm_diag.engine", "choose_window"),
    ("itsm_diag.engine", "build_finding"),
    ("itsm_diag.engine", "measure_all"),
    ("itsm_diag.signs.kpis", "compute_kpis"),
    ("itsm_diag.engine", "_kpis"),
    ("itsm_diag.engine", "fix_plan"),
    ("itsm_diag.insights", "analyse"),
    ("itsm_diag.render.json", "render"),
)


class Stages:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, ...], list[float]] = {}
        self.order: list[tuple[str, ...]] = []
        self.stack: list[str] = []

    def wrap(self, name: str, fn):  # type: ignore[no-untyped-def]
        @functools.wraps(fn)
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            self.stack.append(name)
            key = tuple(self.stack)
            if key not in self.rows:
                self.rows[key] = [0.0, 0, 0.0, 0.0]
                self.order.append(key)
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                row = self.rows[key]
                row[0] += time.perf_counter() - t0
                row[1] += 1
                row[2] = _rss_mb()
                row[3] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                self.stack.pop()
        return timed

    def table(self, total: float) -> str:
        lines = [f"{'stage':64s} {'s':>8s} {'%':>6s} {'calls':>6s} {'RSS MB':>8s} "
                 f"{'peak MB':>8s}"]
        for key in self.order:
            secs, calls, rss, peak = self.rows[key]
            label = "  " * (len(key) - 1) + key[-1]
            lines.append(f"{label[:64]:64s} {secs:8.2f} {100 * secs / total:6.1f} "
                         f"{calls:6d} {rss:8.0f} {peak:8.0f}")
        return "\n".join(lines)


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize() / 1e6
    except OSError:
        return 0.0


def _patch_everywhere(original, replacement) -> None:  # type: ignore[no-untyped-def]
    """Replace ``original`` in every loaded itsm_diag module that holds it by name."""
    for mod in list(sys.modules.values()):
        if mod is None or not getattr(mod, "__name__", "").startswith("itsm_diag"):
            continue
        for attr, value in list(vars(mod).items()):
            if value is original:
                setattr(mod, attr, replacement)


def instrument(stages: Stages) -> None:
    import pkgutil

    import itsm_diag

    # load everything first so re-exports (``from x import f``) are patched too
    for info in pkgutil.walk_packages(itsm_diag.__path__, "itsm_diag."):
        if info.name.endswith("__main__"):
            continue
        with contextlib.suppress(Exception):  # a module someone is half-way through
            importlib.import_module(info.name)
    for module, attr in TARGETS:
        try:
            mod = importlib.import_module(module)
        except Exception:
            continue
        owner, _, name = attr.rpartition(".")
        holder = getattr(mod, owner) if owner else mod
        fn = getattr(holder, name, None)
        if fn is None:
            continue
        wrapped = stages.wrap(f"{module.removeprefix('itsm_diag.')}.{attr}", fn)
        if owner:
            setattr(holder, name, wrapped)
        else:
            _patch_everywhere(fn, wrapped)
    # every sign and check module's measure(), named by rule id
    from itsm_diag import engine

    orig_measure = engine.measure

    def measure(rule, ctx):  # type: ignore[no-untyped-def]
        return stages.wrap(f"measure[{rule.id}]", orig_measure)(rule, ctx)

    engine.measure = measure
    # every analysis (issue 17), named by analysis id
    from itsm_diag import insights

    orig_analysis = insights.measure

    def analysis(rule, ctx, findings, rules):  # type: ignore[no-untyped-def]
        return stages.wrap(f"analysis[{rule.id}]", orig_analysis)(rule, ctx, findings, rules)

    insights.measure = analysis


def run(path: Path, *, stages: Stages) -> float:
    from itsm_diag import api
    from itsm_diag.render.json import render  # noqa: F401  (patched in instrument)

    t0 = time.perf_counter()
    report = api.diagnose_paths([path], api.RunOptions())
    import itsm_diag.render.json as rj

    text = rj.render(report)
    (OUT / f"report_profile_{path.stem}.json").write_text(text)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--pyinstrument", action="store_true")
    ap.add_argument("--interval", type=float, default=0.005)
    ap.add_argument("--threads", type=int, default=1,
                    help="threads measuring the signs (default 1: per-sign times add up; "
                         "with more, they overlap and the nested table mixes them)")
    args = ap.parse_args(argv)
    os.environ["ITSM_DIAG_THREADS"] = str(args.threads)
    OUT.mkdir(parents=True, exist_ok=True)
    t_imp = time.perf_counter()
    stages = Stages()
    instrument(stages)
    t_imp = time.perf_counter() - t_imp
    profiler = None
    if args.pyinstrument:
        from pyinstrument import Profiler

        profiler = Profiler(interval=args.interval)
        profiler.start()
    total = run(args.path, stages=stages)
    if profiler is not None:
        profiler.stop()
        stem = OUT / f"profile_{args.path.stem}"
        Path(f"{stem}.txt").write_text(profiler.output_text(unicode=True, color=False,
                                                             show_all=False))
        Path(f"{stem}.html").write_text(profiler.output_html())
        print(f"pyinstrument: {stem}.txt / .html")
    print(f"{args.path.name}: {total:.2f}s in-process (imports of every module before: "
          f"{t_imp:.2f}s); peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(stages.table(total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
