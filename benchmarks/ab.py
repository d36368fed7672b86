"""Before against after: whole ``itsm-diag diagnose`` commands, alternated in one loop.

On a shared machine the same build's timings move with the hour; a change is measured
by running the build before and the build after in turn, round after round, and
comparing medians. Each variant is a name, optionally a source tree (put first on
``PYTHONPATH``) and environment variables::

    python benchmarks/ab.py FILE --rounds 8 before=/work/old/src after=src
    python benchmarks/ab.py FILE --rounds 4 advice=@NUMPY_MADVISE_HUGEPAGE:1 \\
        no-advice=@NUMPY_MADVISE_HUGEPAGE:0

``NAME=TREE@VAR:VALUE,VAR:VALUE`` (either part may be empty). Every round's JSON reports
must be byte-identical across the variants, or the run says which round differed. Each
run is measured as ``run.py`` measures one (:func:`run.run_measured`): wall, user and
system seconds, peak RSS and minor page faults (the fresh memory a run touches: on a
virtual machine the steadiest measure of what a change saves in system time).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import OUT, run_measured  # benchmarks/ is not a package: found by sys.path


def variant(spec: str) -> tuple[str, str, dict[str, str]]:
    name, _, rest = spec.partition("=")
    tree, _, env = rest.partition("@")
    return name, tree, dict(kv.split(":", 1) for kv in env.split(",") if kv)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("variants", nargs="+", help="NAME=TREE@VAR:VALUE,...")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    specs = [variant(v) for v in args.variants]
    # bytecode for every tree, as pip writes it at install: under PYTHONDONTWRITEBYTECODE
    # a tree without it compiles ~90 modules on every run (0.1-0.2 s) and would lose
    for tree in {tree or str(Path(__file__).resolve().parents[1] / "src") for _, tree, _ in specs}:
        subprocess.run([sys.executable, "-m", "compileall", "-q", tree], check=True)
    times: dict[str, list[tuple[float, ...]]] = {name: [] for name, _, _ in specs}
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            reports = []
            for name, tree, env in specs:
                full = {**os.environ, **env}
                if tree:
                    full["PYTHONPATH"] = os.pathsep.join(
                        [str(Path(tree).resolve()), *filter(None, [full.get("PYTHONPATH")])])
                out = Path(tmp) / f"{name}.json"
                done = run_measured([sys.executable, "-m", "itsm_diag", "diagnose", args.file,
                                     "--format", "json", "--output", str(out)], env=full)
                if done["rc"] not in (0, 1):
                    raise SystemExit(f"{name}: exit {done['rc']}: {done['stderr'][-500:]}")
                times[name].append((done["user_s"], done["sys_s"], done["wall_s"],
                                    done["rss_mb"], done["minflt"]))
                reports.append(out.read_bytes())
            if any(rep != reports[0] for rep in reports):
                print(f"round {r + 1}: the reports differ", file=sys.stderr)
    md = statistics.median
    for name, rows in times.items():
        user, system, wall, peak, faults = zip(*rows, strict=True)
        print(f"{name:12s} wall {md(wall):.2f} s ({min(wall):.2f}-{max(wall):.2f})  user "
              f"{md(user):.2f}  system {md(system):.2f}  peak {md(peak):.0f} MB  "
              f"page faults {md(faults) / 1000:.0f}k  rounds {len(rows)}")


if __name__ == "__main__":
    main()
