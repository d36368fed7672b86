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

``--instructions`` runs each variant once under ``valgrind --tool=callgrind`` instead and
prints the instructions it executed (every thread's; ``PYTHONHASHSEED=0``): the same
count whatever else the machine is doing, where times here swing by 15% from one run to
the next. About 50 times slower than a plain run: use a file of 10-20k tickets. It counts
work done, not time waited for memory: pair it with the timed rounds.
"""
from __future__ import annotations

import argparse
import os
import re
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
    ap.add_argument("--instructions", action="store_true",
                    help="count instructions under valgrind (one run a variant) instead")
    args = ap.parse_args()
    specs = [variant(v) for v in args.variants]
    # bytecode for every tree, as pip writes it at install: under PYTHONDONTWRITEBYTECODE
    # a tree without it compiles ~90 modules on every run (0.1-0.2 s) and would lose
    for tree in {tree or str(Path(__file__).resolve().parents[1] / "src") for _, tree, _ in specs}:
        subprocess.run([sys.executable, "-m", "compileall", "-q", tree], check=True)
    if args.instructions:
        count_instructions(args.file, specs)
        return
    times: dict[str, list[tuple[float, ...]]] = {name: [] for name, _, _ in specs}
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            reports = []
            for name, tree, env in specs:
                full = environment(tree, env)
                out = Path(tmp) / f"{name}.json"
                done = run_measured(diagnose(args.file, out), env=full)
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


def diagnose(file: str, out: Path) -> list[str]:
    """The command timed: the console entry of whichever tree is first on the path."""
    return [sys.executable, "-m", "itsm_diag", "diagnose", file, "--format", "json",
            "--output", str(out)]


def environment(tree: str, env: dict[str, str]) -> dict[str, str]:
    """This process's environment with a variant's variables and its tree first on the
    path."""
    full = {**os.environ, **env}
    if tree:
        full["PYTHONPATH"] = os.pathsep.join(
            [str(Path(tree).resolve()), *filter(None, [full.get("PYTHONPATH")])])
    return full


def count_instructions(file: str, specs: list[tuple[str, str, dict[str, str]]]) -> None:
    """Each variant's diagnose once under callgrind: the instructions it executed."""
    reports = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, tree, env in specs:
            out = Path(tmp) / f"{name}.json"
            done = subprocess.run(
                ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/{name}.cg",
                 *diagnose(file, out)],
                env={**environment(tree, env), "PYTHONHASHSEED": "0"}, capture_output=True,
                text=True, check=False)
            found = re.search(r"Collected : (\d+)", done.stderr)
            if done.returncode not in (0, 1) or found is None:
                raise SystemExit(f"{name}: exit {done.returncode}: {done.stderr[-500:]}")
            reports.append(out.read_bytes())
            print(f"{name:12s} {int(found.group(1)) / 1e9:.3f} G instructions", flush=True)
    if any(rep != reports[0] for rep in reports):
        print("the reports differ", file=sys.stderr)


if __name__ == "__main__":
    main()
