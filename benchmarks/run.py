"""Scale benchmark (issues 7 and 19): ``itsm-diag diagnose`` against a pandas read.

One command measures, in the same run and on the same files::

    python benchmarks/run.py --repeat 3          # sizes 100k, 1m, 3m

- per size, ``--repeat`` times, back to back: the **baseline process** ``python -c
  "import pandas as pd; pd.read_csv(F, engine='pyarrow')"`` (a fresh interpreter; its
  wall time as a whole, and the ``read_csv`` call alone timed inside it), the floor
  below, and the whole ``itsm-diag diagnose PATH --format json --output FILE`` as a
  subprocess (wall time including start-up, peak RSS of that child via ``os.wait4``);
  medians; issue 19's **process ratio** (median of diagnose / baseline process, paired
  per repeat; target <= 2.0 at every size, stretch 1.5), issue 7's call ratio (against
  the call alone) and the peak memory (target <= 1.5 GB at 1M);
- the XLSX-vs-CSV ratios at ``--xlsx-size`` (100k; the XLSX split 32,000 rows a sheet,
  as ServiceNow writes it), each timed in a fresh interpreter: the project's reader
  (``itsm_diag.importers.readers.read_raw``) on the XLSX and on the same rows as CSV
  (target < 5), and the whole import into the canonical tickets table
  (``itsm_diag.importers.registry.load_paths``, what ``diagnose`` runs), plus fastexcel
  alone (every sheet as text, one thread) for context, and the parse floor (fastexcel
  alone, sheets typed, one thread a CPU): no reader on it can be faster;
- the floor of a diagnosis at each size: a child that only starts Python, imports
  pandas and pyarrow, parses the CSV as the tool does and its date columns, and exits;
- start-up: ``itsm-diag --help`` and ``itsm-diag signs``, median of ``--startup-repeat``
  (10) runs after a warm-up (target <= 0.1 s, issue 19);
- what ``--format html`` adds at ``--html-size`` (100k): the same diagnosis written as
  JSON and as HTML, in pairs, ``--repeat`` times; the median of the pairs' differences
  (target <= 0.3 s, issue 19);
- a least-squares line through the diagnose times and peak RSS, extrapolated to 10M.

Files come from ``benchmarks/make_data.py`` (cached in ``benchmarks/data/``). The report
goes to ``benchmarks/results.md`` (``--results``) and the raw numbers to
``benchmarks/out/<results stem>.json``; reports written by the runs go to ``benchmarks/out/``.
(Not ``--output /dev/null``: the report is written atomically through a temp file and
a rename, which as root would replace ``/dev/null`` with a regular file.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_data  # noqa: E402  (benchmarks/ is not a package)

OUT = HERE / "out"
#: issue 19: the whole ``diagnose --format json`` process against the whole baseline
#: process (``python -c "import pandas as pd; pd.read_csv(F, engine='pyarrow')"``),
#: paired run by run; the stretch is the long-term goal
RATIO_TARGET = 2.0
RATIO_STRETCH = 1.5
#: issue 7's ratio, against the ``read_csv`` call alone (kept for the history)
CALL_RATIO_TARGET = 2.5
MEMORY_TARGET_MB = 1536
XLSX_TARGET = 5.0
STARTUP_TARGET = 0.1
HTML_TARGET = 0.3
ZENDESK_TARGET = 1.5

#: run in a fresh interpreter: time one read, print JSON
_READ_CSV = """
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
t1 = time.perf_counter()
path, kind = sys.argv[1], sys.argv[2]
if kind == "pandas":
    frame = pd.read_csv(path, engine="pyarrow")
    rows = len(frame)
else:  # pyarrow with multi-line cells (pandas' pyarrow engine cannot parse those)
    import pyarrow.csv as pacsv
    rows = pacsv.read_csv(path, parse_options=pacsv.ParseOptions(newlines_in_values=True)
                          ).num_rows
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1, "rows": rows}))
"""

_READ_RAW = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from itsm_diag.importers.readers import read_raw
t1 = time.perf_counter()
tables = read_raw(Path(sys.argv[1]))
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1,
                  "rows": sum(len(t.frame) for t in tables)}))
"""

_LOAD_PATHS = """
import json, sys, time
from pathlib import Path
t0 = time.perf_counter()
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.registry import load_paths
t1 = time.perf_counter()
loaded = load_paths([Path(sys.argv[1])], ImportOptions())
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1, "rows": len(loaded.tickets)}))
"""

_READ_FASTEXCEL = """
import json, sys, time
t0 = time.perf_counter()
import fastexcel
t1 = time.perf_counter()
book = fastexcel.read_excel(sys.argv[1])
rows = sum(book.load_sheet(name, header_row=None, dtypes="string", eager=True).num_rows
           for name in book.sheet_names)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1, "rows": rows}))
"""

#: the least any diagnosis under this design must do, as one whole child process (timed
#: from outside, like the command): start the interpreter, import pandas and pyarrow,
#: parse the file with the tool's own pyarrow call (``readers._arrow_csv_once``: every
#: column text, multi-threaded), parse the date columns (``*_at``/``*_on``) with the
#: format given (the tool has to infer it) by Arrow's strptime, hand the table to pandas
#: (Arrow-backed) and leave with ``os._exit`` as the command does. No trimming, no
#: normalising, no sign, no check, no KPI, no report.
_FLOOR_CSV = """
import csv, json, os, sys, time
from pathlib import Path
t0 = time.perf_counter()
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from itsm_diag.importers.readers import _arrow_csv_once
t1 = time.perf_counter()
path = Path(sys.argv[1])
with path.open(newline="", encoding="utf-8") as fh:
    names = next(csv.reader(fh))
table = _arrow_csv_once(path, names, 0, "utf-8", ",", lambda row: "error",
                        newlines_in_values=sys.argv[2] != "pandas")
t2 = time.perf_counter()
for i, name in enumerate(names):
    if name.endswith(("_at", "_on")):
        table = table.set_column(i, name, pc.strptime(
            table.column(name), format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True))
t3 = time.perf_counter()
frame = table.to_pandas(types_mapper=pd.ArrowDtype)
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "parse_s": t2 - t1, "dates_s": t3 - t2,
                  "pandas_s": t4 - t3, "rows": len(frame)}), flush=True)
os._exit(0)
"""

#: the XLSX parse alone, exactly as the tool asks fastexcel for it (``xlsx._typed_batch``:
#: every sheet with its cells' own types; the tool's thread count, one reader a thread),
#: without the zip-bomb check, the text columns or the concatenation
_FLOOR_XLSX = """
import json, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
t0 = time.perf_counter()
import fastexcel
import pyarrow  # fastexcel hands back Arrow: imported here, not inside the first sheet
from itsm_diag import cpus
from itsm_diag.importers.xlsx import MAX_THREADS, _typed_batch
t1 = time.perf_counter()
local = threading.local()
def load(name):
    if getattr(local, "book", None) is None:
        local.book = fastexcel.read_excel(sys.argv[1])
    return _typed_batch(local.book, name).num_rows
names = fastexcel.read_excel(sys.argv[1]).sheet_names
threads = max(1, min(MAX_THREADS, cpus.usable(), len(names)))
with ThreadPoolExecutor(threads) as pool:
    rows = sum(pool.map(load, names))
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "read_s": t2 - t1, "rows": rows, "threads": threads}))
"""


# ---- running and measuring one child ---------------------------------------------------
def _status_mb(pid: int, field: str) -> float | None:
    """A memory line of the process's ``/proc`` status (``VmHWM``, ``VmRSS``) in MB, None
    once it has exited or where there is no ``/proc``."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def _children(pid: int) -> list[int]:
    """The process's child processes now (the JSON reader's helper), from ``/proc``."""
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as fh:
                found += [int(x) for x in fh.read().split()]
    except (OSError, ValueError):
        pass
    return found


def _with_children_mb(pid: int) -> float | None:
    """The resident memory of the process and its children now, together (``VmRSS``): a
    command whose JSON reader runs a second process holds both at once."""
    own = _status_mb(pid, "VmRSS")
    if own is None:
        return None
    return own + sum(_status_mb(c, "VmRSS") or 0.0 for c in _children(pid))


def run_measured(cmd: list[str], *, timeout: float | None = None,
                 env: dict[str, str] | None = None) -> dict:
    """Run ``cmd`` (in ``env``, else this process's environment): wall time, and peak
    RSS, CPU and page faults of that child alone.

    CPU from ``os.wait4`` (``RUSAGE_CHILDREN`` would sum every child so far; the child's
    own usage includes the processes it waited for, such as the JSON reader's helper).
    Peak RSS from the child's own ``VmHWM``, read every 5 ms while it runs (Linux starts
    a forked child's ``ru_maxrss`` at its parent's size, so after this script has built
    a large dataset in memory every child would report at least that much), or, when
    more, the child's and its own children's ``VmRSS`` together at one reading.
    """
    out_f = OUT / ".stdout.tmp"
    err_f = OUT / ".stderr.tmp"
    peak: float | None = None
    with out_f.open("w") as so, err_f.open("w") as se:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, env=env)
        deadline = None if timeout is None else t0 + timeout
        while True:
            for seen in (_status_mb(proc.pid, "VmHWM"), _with_children_mb(proc.pid)):
                if seen is not None:
                    peak = seen if peak is None else max(peak, seen)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                status = None
                break
            time.sleep(0.005)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status) if status is not None else -9
    return {
        "wall_s": wall,
        "rss_mb": peak if peak is not None else usage.ru_maxrss / 1024,  # Linux: KB
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        # fresh memory touched: on a virtual machine the steadiest account of system time
        "minflt": usage.ru_minflt,
        "rc": proc.returncode if status is not None else "timeout",
        "stdout": out_f.read_text(),
        "stderr": err_f.read_text()[-2000:],
    }


def itsm_diag_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "itsm-diag"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("itsm-diag")
    if found:
        return [found]
    # the console script's own entry (it sets numpy's huge-page switch before the import)
    return [sys.executable, "-m", "itsm_diag"]


def warm(path: Path) -> None:
    """Read the file once so every timed run finds it in the page cache."""
    with path.open("rb") as fh:
        while fh.read(16 << 20):
            pass


def median(values: list[float]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


# ---- the measurements ------------------------------------------------------------------
def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def bench_size(n: int, path: Path, repeat: int, timeout: float, baseline: str,
               log) -> dict:
    warm(path)
    load_before = loadavg()
    reads, diags, floors = [], [], []
    plain_reads: list[float] = []
    report = OUT / f"report_{path.stem}.json"
    cmd = [*itsm_diag_cmd(), "diagnose", str(path), "--format", "json", "--output",
           str(report)]
    for i in range(repeat):
        r = run_measured([sys.executable, "-c", _READ_CSV, str(path), baseline],
                         timeout=timeout)
        if r["rc"] != 0:
            raise RuntimeError(f"baseline read failed on {path}: {r['stderr']}")
        info = json.loads(r["stdout"])
        reads.append({**info, "wall_s": r["wall_s"], "rss_mb": r["rss_mb"]})
        # the same baseline without numpy's huge-page advice, which the command turns off
        # for itself: with it, the baseline is slower in some hours on this machine, and
        # the official ratio looks better than the code is
        r0 = run_measured([sys.executable, "-c", _READ_CSV, str(path), baseline],
                          timeout=timeout, env={**os.environ, "NUMPY_MADVISE_HUGEPAGE": "0"})
        if r0["rc"] != 0:
            raise RuntimeError(f"baseline read failed on {path}: {r0['stderr']}")
        plain_reads.append(r0["wall_s"])
        f = run_measured([sys.executable, "-c", _FLOOR_CSV, str(path), baseline],
                         timeout=timeout)
        if f["rc"] != 0:
            raise RuntimeError(f"floor run failed on {path}: {f['stderr']}")
        floors.append({**json.loads(f["stdout"]), "wall_s": f["wall_s"],
                       "rss_mb": f["rss_mb"]})
        d = run_measured(cmd, timeout=timeout)
        diags.append({k: d[k] for k in ("wall_s", "rss_mb", "user_s", "sys_s", "minflt", "rc")}
                     | {"stderr": d["stderr"] if d["rc"] not in (0, 1) else ""})
        log(f"    rep {i + 1}: baseline process {r['wall_s']:.2f}s (read_csv call "
            f"{info['read_s']:.2f}s; without huge-page advice {r0['wall_s']:.2f}s)  "
            f"floor {f['wall_s']:.2f}s  diagnose {d['wall_s']:.2f}s "
            f"= {d['wall_s'] / r['wall_s']:.2f}x (rc {d['rc']}, peak {d['rss_mb']:.0f} MB)")
        if d["rc"] not in (0, 1):
            log(f"    diagnose failed: {d['stderr'].strip().splitlines()[-1:]}")
            break
    ok = [d for d in diags if d["rc"] in (0, 1)]
    read_med = median([r["read_s"] for r in reads])
    diag_med = median([d["wall_s"] for d in ok])
    floor_med = median([f["wall_s"] for f in floors])
    score = None
    if report.exists() and ok:
        try:
            rep = json.loads(report.read_text())
            score = {"score": rep.get("score"), "band": rep.get("band")}
        except ValueError:
            pass
    return {
        "tickets": n,
        "file": path.name,
        "mb": path.stat().st_size / 1e6,
        "baseline": baseline,
        "read_s": read_med,
        "read_wall_s": median([r["wall_s"] for r in reads]),
        "read_rss_mb": max(r["rss_mb"] for r in reads),
        "diagnose_s": diag_med,
        "diagnose_min_s": min((d["wall_s"] for d in ok), default=None),
        "diagnose_user_s": median([d["user_s"] for d in ok]),
        "diagnose_sys_s": median([d["sys_s"] for d in ok]),
        "diagnose_minflt": median([d["minflt"] for d in ok]),
        "rss_mb": max((d["rss_mb"] for d in ok), default=None),
        "ratio": (diag_med / read_med) if diag_med and read_med else None,
        # issue 19's measure: whole process against whole process, paired per repeat
        "process_ratio": median([d["wall_s"] / r["wall_s"]
                                 for d, r in zip(diags, reads, strict=True)
                                 if d["rc"] in (0, 1)]),
        "read_wall_no_advice_s": median(plain_reads),
        "process_ratio_no_advice": median([d["wall_s"] / w
                                           for d, w in zip(diags, plain_reads, strict=True)
                                           if d["rc"] in (0, 1)]),
        "floor_s": floor_med,
        "floor_ratio": (floor_med / read_med) if floor_med and read_med else None,
        "floor_parts_s": {k: median([f[k] for f in floors])
                          for k in ("import_s", "parse_s", "dates_s", "pandas_s")},
        "floor_rss_mb": max((f["rss_mb"] for f in floors), default=None),
        "runs": diags,
        "reads": reads,
        "report": score,
        "error": next((d["stderr"] for d in diags if d["rc"] not in (0, 1)), None),
        "loadavg": f"{load_before} -> {loadavg()}",
    }


def bench_xlsx(n: int, csv: Path, xlsx: Path, repeat: int, log) -> dict:
    """read_raw and the whole import (load_paths), CSV vs XLSX of the same rows, each
    call timed alone in a fresh interpreter, interleaved, ``repeat`` times; medians."""
    warm(csv)
    warm(xlsx)
    out: dict[str, list[float]] = {"raw_csv": [], "raw_xlsx": [], "import_csv": [],
                                   "import_xlsx": [], "fastexcel_xlsx": [],
                                   "floor_xlsx": [], "diagnose_xlsx": []}
    rss: dict[str, float] = {}
    for _ in range(repeat):
        for key, code, path in (("raw_csv", _READ_RAW, csv), ("raw_xlsx", _READ_RAW, xlsx),
                                ("import_csv", _LOAD_PATHS, csv),
                                ("import_xlsx", _LOAD_PATHS, xlsx),
                                ("fastexcel_xlsx", _READ_FASTEXCEL, xlsx),
                                ("floor_xlsx", _FLOOR_XLSX, xlsx)):
            r = run_measured([sys.executable, "-c", code, str(path)])
            if r["rc"] != 0:
                raise RuntimeError(f"{key} failed: {r['stderr']}")
            out[key].append(json.loads(r["stdout"])["read_s"])
            rss[key] = max(rss.get(key, 0.0), r["rss_mb"])
        d = run_measured([*itsm_diag_cmd(), "diagnose", str(xlsx), "--format", "json",
                          "--output", str(OUT / f"report_{xlsx.stem}.json")])
        out["diagnose_xlsx"].append(d["wall_s"] if d["rc"] in (0, 1) else None)
        rss["diagnose_xlsx"] = max(rss.get("diagnose_xlsx", 0.0), d["rss_mb"])
    med = {k: median(v) for k, v in out.items()}
    ratio = med["raw_xlsx"] / med["raw_csv"]
    import_ratio = med["import_xlsx"] / med["import_csv"]
    floor_ratio = med["floor_xlsx"] / med["raw_csv"]
    log(f"    read_raw csv {med['raw_csv']:.2f}s  xlsx {med['raw_xlsx']:.2f}s  "
        f"ratio {ratio:.1f}x")
    log(f"    import   csv {med['import_csv']:.2f}s  xlsx {med['import_xlsx']:.2f}s  "
        f"ratio {import_ratio:.1f}x")
    log(f"    floor: fastexcel's parse on every CPU {med['floor_xlsx']:.2f}s = "
        f"{floor_ratio:.1f}x the CSV read_raw")
    log(f"    fastexcel alone {med['fastexcel_xlsx']:.2f}s  "
        f"diagnose xlsx {_f(med['diagnose_xlsx'])}s")
    return {"tickets": n, "csv": csv.name, "xlsx": xlsx.name,
            "xlsx_mb": xlsx.stat().st_size / 1e6, "xlsx_sheets": _sheet_count(xlsx),
            **{f"{k}_s": v for k, v in med.items()},
            "ratio": ratio, "import_ratio": import_ratio, "floor_ratio": floor_ratio,
            "rss_mb": rss, "samples": out}


def _sheet_count(xlsx: Path) -> int:
    import zipfile

    with zipfile.ZipFile(xlsx) as zf:
        return sum(1 for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))


def _tool_target(row: dict) -> str:
    """The target column of an other-tools row: only the Zendesk JSON has one."""
    if row["tool"] != "zendesk":
        return ""
    ratio = row.get("ratio_to_csv")
    return f"≤ {ZENDESK_TARGET}: {_ok(None if ratio is None else ratio <= ZENDESK_TARGET)}"


def bench_other(n: int, tool: str, path: Path, repeat: int, timeout: float, log,
                csv: Path | None = None) -> dict:
    """diagnose on another tool's export (no read baseline: Jira CSVs have multi-line cells
    and Zendesk is JSON), paired with the diagnose of the same tickets as a ServiceNow CSV
    (``csv``; CSV then tool in each round, so both see the same machine load): the ratio of
    the medians is issue 19's "Zendesk JSON <= 1.5x the CSV diagnose" figure."""
    runs, csv_runs = [], []
    for _ in range(repeat):
        if csv is not None:
            csv_runs.append(run_measured([*itsm_diag_cmd(), "diagnose", str(csv), "--format",
                                          "json", "--output", str(OUT / "report_pair.json")],
                                         timeout=timeout))
        d = run_measured([*itsm_diag_cmd(), "diagnose", str(path), "--format", "json",
                          "--output", str(OUT / f"report_{path.name}.json")], timeout=timeout)
        runs.append(d)
        if d["rc"] not in (0, 1):
            break
    ok = [d for d in runs if d["rc"] in (0, 1)]
    csv_s = median([d["wall_s"] for d in csv_runs if d["rc"] in (0, 1)])
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6
    res = {"tickets": n, "tool": tool, "mb": size,
           "diagnose_s": median([d["wall_s"] for d in ok]),
           "rss_mb": max((d["rss_mb"] for d in ok), default=None),
           "cpu_s": median([d["user_s"] + d["sys_s"] for d in ok]),
           "csv_diagnose_s": csv_s,
           "ratio_to_csv": (median([d["wall_s"] for d in ok]) / csv_s
                            if ok and csv_s else None),
           "error": next((d["stderr"] for d in runs if d["rc"] not in (0, 1)), None)}
    log(f"    {tool}: diagnose {_f(res['diagnose_s'])}s, peak {_f(res['rss_mb'], '.0f')} MB"
        + (f", {_f(res['ratio_to_csv'])}x the CSV diagnose ({_f(csv_s)}s, paired)"
           if res["ratio_to_csv"] else "")
        + (f" FAILED: {res['error'].strip().splitlines()[-1:]}" if res["error"] else ""))
    return res


def bench_html(n: int, path: Path, repeat: int, timeout: float, log) -> dict:
    """The same diagnosis written as JSON, then as HTML (charts, template), in pairs so
    both sides of a difference see the same load; medians over ``repeat`` pairs after a
    warm-up pair."""
    warm(path)
    load_before = loadavg()
    runs: dict[str, list[float]] = {"json": [], "html": []}
    for i in range(repeat + 1):
        pair = {}
        for fmt in ("json", "html"):
            r = run_measured([*itsm_diag_cmd(), "diagnose", str(path), "--format", fmt,
                              "--output", str(OUT / f"report_{path.stem}.{fmt}")],
                             timeout=timeout)
            if r["rc"] not in (0, 1):
                raise RuntimeError(f"diagnose --format {fmt} failed: {r['stderr']}")
            pair[fmt] = r["wall_s"]
        if i:  # the first pair warms byte-code and the page cache
            for fmt, wall in pair.items():
                runs[fmt].append(wall)
            log(f"    pair {i}: json {pair['json']:.2f}s  html {pair['html']:.2f}s  "
                f"(+{pair['html'] - pair['json']:.2f}s)")
    adds = [h - j for h, j in zip(runs["html"], runs["json"], strict=True)]
    return {"tickets": n, "json_s": median(runs["json"]), "html_s": median(runs["html"]),
            "adds_s": median(adds), "adds_min_s": min(adds), "adds_max_s": max(adds),
            "runs": runs, "loadavg": f"{load_before} -> {loadavg()}"}


def bench_startup(repeat: int) -> dict:
    res = {}
    for name, args in (("--help", ["--help"]), ("signs", ["signs"])):
        run_measured([*itsm_diag_cmd(), *args])  # warm-up (byte-code, page cache)
        times, cpu = [], []
        for _ in range(repeat):
            r = run_measured([*itsm_diag_cmd(), *args])
            if r["rc"] != 0:
                raise RuntimeError(f"itsm-diag {name} failed: {r['stderr']}")
            times.append(r["wall_s"])
            cpu.append(r["user_s"] + r["sys_s"])
        res[name] = {"median_s": statistics.median(times), "min_s": min(times),
                     "max_s": max(times), "cpu_s": statistics.median(cpu)}
    t, cpu = [], []
    for _ in range(repeat):
        r = run_measured([sys.executable, "-c", "pass"])
        t.append(r["wall_s"])
        cpu.append(r["user_s"] + r["sys_s"])
    res["python -c pass"] = {"median_s": statistics.median(t), "min_s": min(t),
                             "max_s": max(t), "cpu_s": statistics.median(cpu)}
    return res


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float] | None:
    """Least squares y = a + b*x."""
    if len(xs) < 2:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return None
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return my - b * mx, b


# ---- machine and report ----------------------------------------------------------------
def machine() -> dict:
    import numpy
    import pandas
    import pyarrow

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
                break
    except OSError:
        pass
    try:
        fastexcel = __import__("importlib.metadata").metadata.version("fastexcel")
    except Exception:
        fastexcel = "?"
    try:
        commit = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain",
                                "--", "src"], capture_output=True, text=True).stdout.strip()
        commit += " (src/ modified)" if dirty else ""
    except OSError:
        commit = "?"
    return {"nproc": os.cpu_count(), "mem_gb": mem_gb, "cpu": cpu,
            "python": platform.python_version(), "pandas": pandas.__version__,
            "pyarrow": pyarrow.__version__, "numpy": numpy.__version__,
            "fastexcel": fastexcel, "kernel": platform.release(), "commit": commit}


def _f(v: float | None, fmt: str = ".2f", suffix: str = "") -> str:
    return "—" if v is None else f"{v:{fmt}}{suffix}"


def _ok(cond: bool | None) -> str:
    return "—" if cond is None else ("yes" if cond else "**no**")


def render(results: dict) -> str:
    mc = results["machine"]
    lines = [
        "# Scale benchmark results",
        "",
        f"Measured {results['when']} with `{results['command']}`.",
        "",
        f"- Machine: {mc['nproc']} CPUs ({mc['cpu']}), "
        f"{_f(mc['mem_gb'], '.1f')} GB RAM, Linux {mc['kernel']}",
        f"- Python {mc['python']}, pandas {mc['pandas']}, pyarrow {mc['pyarrow']}, "
        f"numpy {mc['numpy']}, fastexcel {mc.get('fastexcel', '?')}",
        f"- Code: commit {mc['commit']}",
        f"- Data: `make_data.py` layout `{results['layout']}`, seed {results['seed']}; "
        f"medians of {results['repeat']} runs",
        f"- Load average (1/5/15 min) at start: {results.get('loadavg_start', '?')} "
        f"(the machine has {mc['nproc']} CPUs; above that, timings include contention)",
        "",
        "## diagnose vs the baseline process (issue 19)",
        "",
        f"Targets: **process ratio ≤ {RATIO_TARGET}** at every size (stretch "
        f"{RATIO_STRETCH}), peak memory ≤ {MEMORY_TARGET_MB / 1024:.1f} GB at 1M. The "
        "baseline process is `python -c \"import pandas as pd; pd.read_csv(F, "
        "engine='pyarrow')\"` (start-up, the pandas import and the read); diagnose is "
        "the whole `itsm-diag diagnose F --format json` command (start-up, read, "
        "diagnosis, every analysis, the JSON report). The process ratio is the median, "
        "over the repeats, of diagnose / baseline timed back to back. `read_csv s` is "
        f"the call alone and `call ratio` issue 7's measure against it (target "
        f"{CALL_RATIO_TARGET}), kept for the history. The command turns numpy's "
        "huge-page advice off for itself (README, Performance) and the baseline keeps "
        "numpy's default; `baseline, advice off` is the same baseline with "
        "`NUMPY_MADVISE_HUGEPAGE=0`, timed in the same repeats, and `ratio, advice off` "
        "the command against it. Either baseline can be the slower one in a given run "
        "(the advice has slowed it at 1M and sped it up at 3M on these machines), and a "
        "slower baseline makes its ratio look better than the code is: the two ratios "
        "together bound it.",
        "",
        "| tickets | file MB | baseline process s | diagnose s | **process ratio** | ≤ 2.0 "
        "| ≤ 1.5 | baseline, advice off s | ratio, advice off | read_csv call s "
        "| call ratio | diagnose peak RSS MB "
        "| read_csv peak RSS MB | diagnose user / system s | diagnose page faults "
        "| score/band | load avg before -> after |",
        "|---:|---:|---:|---:|---:|:-:|:-:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for s in results["sizes"]:
        rep = s.get("report") or {}
        cpu = f"{_f(s['diagnose_user_s'])} / {_f(s['diagnose_sys_s'])}"
        faults = s.get("diagnose_minflt")
        pr = s.get("process_ratio")
        lines.append(
            f"| {s['tickets']:,} | {s['mb']:.1f} | {_f(s['read_wall_s'])} "
            f"| {_f(s['diagnose_s'])} | **{_f(pr)}** "
            f"| {_ok(None if pr is None else pr <= RATIO_TARGET)} "
            f"| {_ok(None if pr is None else pr <= RATIO_STRETCH)} "
            f"| {_f(s.get('read_wall_no_advice_s'))} | {_f(s.get('process_ratio_no_advice'))} "
            f"| {_f(s['read_s'])} | {_f(s['ratio'])}"
            f" | {_f(s['rss_mb'], '.0f')} | {_f(s['read_rss_mb'], '.0f')} | {cpu}"
            f" | {'—' if faults is None else f'{faults / 1000:,.0f}k'}"
            f" | {rep.get('score', '—')}/{rep.get('band', '—')} | {s.get('loadavg', '')} |"
        )
        if s.get("error"):
            lines.append(f"|  | diagnose failed: `{s['error'].strip().splitlines()[-1]}` "
                         "| | | | | | | | | | | | | | |")
    floors = [x for x in results["sizes"] if x.get("floor_ratio") is not None]
    if floors:
        lines += [
            "",
            "### The floor: what is left for the diagnosis",
            "",
            "The least any diagnosis built on pandas must do, timed as one whole child "
            "process like the command: start Python, import pandas and pyarrow, parse the "
            "file as the tool does (every column text), parse the `*_at`/`*_on` date "
            "columns with their format given, hand the table to pandas, exit. No "
            f"normalising, no sign or check, no KPI, no report. **Budget left** = "
            f"{CALL_RATIO_TARGET} × read_csv − floor: the time the whole diagnosis would get "
            "to meet the ratio.",
            "",
            "The third column is plainer still: the baseline's own process (start "
            "Python, `import pandas`, the `read_csv` call, exit), against the call alone.",
            "",
            "| tickets | read_csv s | its whole process s (/ read_csv) | floor s "
            "| floor / read_csv | of which imports / parse / dates s | budget left s "
            "| diagnose − floor s |",
            "|---:|---:|---:|---:|---:|---|---:|---:|",
        ]
        for x in floors:
            parts = x["floor_parts_s"]
            left = CALL_RATIO_TARGET * x["read_s"] - x["floor_s"]
            spent = (x["diagnose_s"] - x["floor_s"]) if x["diagnose_s"] else None
            lines.append(
                f"| {x['tickets']:,} | {_f(x['read_s'])} | {_f(x['read_wall_s'])} "
                f"({_f(x['read_wall_s'] / x['read_s'])}) | {_f(x['floor_s'])} | "
                f"**{_f(x['floor_ratio'])}** | {_f(parts['import_s'])} / "
                f"{_f(parts['parse_s'])} / {_f(parts['dates_s'])} | **{left:.2f}** | "
                f"{_f(spent)} |")
    fit = results.get("fit")
    mem_gb = results["machine"]["mem_gb"]
    if fit:
        lines += [
            "",
            f"Linear fit over the sizes (least squares): diagnose ≈ {fit['a_s']:.2f} s + "
            f"{fit['b_s_per_m']:.2f} s per million tickets; peak RSS ≈ {fit['a_mb']:.0f} MB + "
            f"{fit['b_mb_per_m']:.0f} MB per million. **10M extrapolated: "
            f"{fit['est_10m_s']:.0f} s, {fit['est_10m_mb'] / 1024:.1f} GB** (a straight line "
            "through sizes whose small end is mostly start-up: a rough guide, not a "
            "measurement; `benchmarks/tile.py` makes a real 10M file) against this "
            f"machine's {_f(mem_gb, '.1f')} GB: "
            f"{'fits' if fit['est_10m_mb'] / 1024 < (mem_gb or 0) else 'does NOT fit'}.",
        ]
    other = results.get("other_tools")
    if other:
        lines += [
            "",
            "## Other tools' exports (diagnose only; same tickets, written by the tools' "
            "writers)",
            "",
            f"Target (issue 19): the Zendesk API JSON ≤ {ZENDESK_TARGET}× the CSV diagnose of "
            "the same tickets; the Jira CSV has no target of its own.",
            "",
            "| tickets | tool | MB | diagnose s | peak RSS MB | CPU s | CSV diagnose s (paired) "
            "| ratio to CSV | target | error |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for o in other:
            err = o["error"].strip().splitlines()[-1] if o.get("error") else ""
            lines.append(f"| {o['tickets']:,} | {o['tool']} | {o['mb']:.1f} | "
                         f"{_f(o['diagnose_s'])} | {_f(o['rss_mb'], '.0f')} | "
                         f"{_f(o['cpu_s'])} | {_f(o.get('csv_diagnose_s'))} | "
                         f"{_f(o.get('ratio_to_csv'))} | {_tool_target(o)} | {err} |")
    x = results.get("xlsx")
    if x:
        lines += [
            "",
            f"## XLSX vs CSV read ({x['tickets']:,} rows)",
            "",
            f"Target: XLSX read < {XLSX_TARGET:.0f}× the same data as CSV. The XLSX is laid "
            f"out as ServiceNow writes one ({x.get('xlsx_sheets', '?')} sheets of at most "
            "32,000 rows). Each call timed alone in a fresh interpreter: the project's "
            "reader, `itsm_diag.importers.readers.read_raw`, and the whole import into the "
            "tickets table, `itsm_diag.importers.registry.load_paths`.",
            "",
            "| measure | CSV s | XLSX s | ratio XLSX / CSV |",
            "|---|---:|---:|---:|",
            f"| read_raw | {_f(x['raw_csv_s'])} | {_f(x['raw_xlsx_s'])} "
            f"| **{_f(x['ratio'])}** ({'ok' if x['ratio'] < XLSX_TARGET else 'over target'}) |",
            f"| import (load_paths) | {_f(x.get('import_csv_s'))} | {_f(x.get('import_xlsx_s'))}"
            f" | **{_f(x.get('import_ratio'))}** "
            f"({'ok' if (x.get('import_ratio') or 99) < XLSX_TARGET else 'over target'}) |",
            f"| floor: fastexcel's parse alone, every sheet typed, one thread a CPU "
            f"| {_f(x['raw_csv_s'])} | {_f(x.get('floor_xlsx_s'))} "
            f"| **{_f(x.get('floor_ratio'))}** |",
            "",
            "The floor row is the XLSX parser by itself, with nothing of the tool around "
            "it: when it is over the target, no reader built on it can meet it.",
            "",
            f"Files: {x['csv']} and {x['xlsx']} ({x['xlsx_mb']:.1f} MB). For context: "
            f"fastexcel alone (every sheet as text, one thread) {_f(x.get('fastexcel_xlsx_s'))}"
            f" s; `itsm-diag diagnose` on the XLSX (whole command) "
            f"{_f(x['diagnose_xlsx_s'])} s.",
        ]
    h = results.get("html")
    if h:
        lines += [
            "",
            f"## What `--format html` adds ({h['tickets']:,} tickets; target ≤ {HTML_TARGET} s)",
            "",
            f"The same `diagnose` written as JSON and as HTML, {len(h['runs']['json'])} pairs "
            "after a warm-up pair; the added time is the median of the pairs' differences.",
            "",
            "| json s | html s | html adds s (min–max) | ok | load avg before -> after |",
            "|---:|---:|---:|:-:|---|",
            f"| {_f(h['json_s'])} | {_f(h['html_s'])} | **{_f(h['adds_s'])}** "
            f"({_f(h['adds_min_s'])}–{_f(h['adds_max_s'])}) | "
            f"{_ok(h['adds_s'] <= HTML_TARGET)} | {h['loadavg']} |",
        ]
    st = results.get("startup")
    if st:
        lines += [
            "",
            f"## Start-up (median of {results['startup_repeat']}; target ≤ {STARTUP_TARGET} s)",
            "",
            "| command | median s | min s | max s | CPU s (user+sys, median) | ok |",
            "|---|---:|---:|---:|---:|:-:|",
        ]
        for name, v in st.items():
            label = f"`itsm-diag {name}`" if name != "python -c pass" else "`python -c pass` "\
                "(interpreter floor)"
            ok = _ok(v["median_s"] <= STARTUP_TARGET) if name != "python -c pass" else ""
            lines.append(f"| {label} | {v['median_s']:.3f} | {v['min_s']:.3f} | "
                         f"{v['max_s']:.3f} | {_f(v.get('cpu_s'), '.3f')} | {ok} |")
    lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100k,1m,3m")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=make_data.DEFAULT_SEED)
    ap.add_argument("--layout", choices=make_data.LAYOUTS, default="list")
    ap.add_argument("--xlsx-size", default="100k", help="'' to skip the XLSX comparison")
    ap.add_argument("--html-size", default="100k",
                    help="where to time what --format html adds; '' to skip")
    ap.add_argument("--startup-repeat", type=int, default=10)
    ap.add_argument("--no-startup", action="store_true")
    ap.add_argument("--other-tools", action="store_true",
                    help="also diagnose Jira CSV / Zendesk JSON exports of each size "
                         "(when those writers exist)")
    ap.add_argument("--timeout", type=float, default=1800, help="per diagnose run, seconds")
    ap.add_argument("--results", type=Path, default=HERE / "results.md")
    ap.add_argument("--analyses", action="store_true",
                    help="also time what each issue-17 analysis adds, at the same sizes, on "
                    "synthetic tickets with their events (benchmarks/analyses.py)")
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)

    def log(msg: str) -> None:
        print(msg, flush=True)

    # an installed package has its bytecode compiled (pip does it at install); an
    # editable checkout under PYTHONDONTWRITEBYTECODE=1 would compile ~45 modules from
    # source on every run (~0.1 s) and time that instead
    import compileall

    compileall.compile_dir(str(HERE.parent / "src"), quiet=1)

    sizes = [make_data.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    xlsx_n = make_data.parse_size(args.xlsx_size) if args.xlsx_size.strip() else None
    baseline = "pandas" if args.layout == "list" else "pyarrow-multiline"
    results: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M %Z"),
        "command": "python benchmarks/run.py " + " ".join(argv if argv is not None
                                                           else sys.argv[1:]),
        "layout": args.layout, "seed": args.seed, "repeat": args.repeat,
        "startup_repeat": args.startup_repeat, "machine": machine(), "sizes": [],
        "loadavg_start": loadavg(),
    }
    for n in sizes:
        log(f"{make_data.size_label(n)}:")
        paths = make_data.make(n, args.seed, layout=args.layout, xlsx=n == xlsx_n,
                               other_tools=args.other_tools, log=log)
        results["sizes"].append(bench_size(n, paths["csv"], args.repeat, args.timeout,
                                           baseline, log))
        got = results["sizes"][-1]
        log(f"  {make_data.size_label(n)}: diagnose / baseline process = "
            f"{_f(got['process_ratio'])}x (target {RATIO_TARGET}, stretch {RATIO_STRETCH}); "
            f"peak {_f(got['rss_mb'], '.0f')} MB")
        for tool in ("jira", "zendesk"):
            if tool in paths:
                results.setdefault("other_tools", []).append(
                    bench_other(n, tool, paths[tool], args.repeat, args.timeout, log,
                                csv=paths["csv"]))
    good = [s for s in results["sizes"] if s["diagnose_s"] is not None]
    fit_t = linear_fit([s["tickets"] / 1e6 for s in good], [s["diagnose_s"] for s in good])
    fit_m = linear_fit([s["tickets"] / 1e6 for s in good], [s["rss_mb"] for s in good])
    if fit_t and fit_m:
        results["fit"] = {"a_s": fit_t[0], "b_s_per_m": fit_t[1], "a_mb": fit_m[0],
                          "b_mb_per_m": fit_m[1], "est_10m_s": fit_t[0] + 10 * fit_t[1],
                          "est_10m_mb": fit_m[0] + 10 * fit_m[1]}
    if xlsx_n:
        log(f"xlsx vs csv at {make_data.size_label(xlsx_n)}:")
        paths = make_data.make(xlsx_n, args.seed, layout=args.layout, xlsx=True, log=log)
        results["xlsx"] = bench_xlsx(xlsx_n, paths["csv"], paths["xlsx"], args.repeat, log)
    if args.html_size.strip():
        html_n = make_data.parse_size(args.html_size)
        log(f"json vs html at {make_data.size_label(html_n)}:")
        paths = make_data.make(html_n, args.seed, layout=args.layout, log=log)
        results["html"] = bench_html(html_n, paths["csv"], args.repeat, args.timeout, log)
        log(f"    html adds {results['html']['adds_s']:.2f} s at "
            f"{make_data.size_label(html_n)} (target <= {HTML_TARGET} s)")
    if not args.no_startup:
        log("start-up:")
        results["startup"] = bench_startup(args.startup_repeat)
        for k, v in results["startup"].items():
            log(f"    {k}: {v['median_s']:.3f}s")
    extra = ""
    if args.analyses:
        import analyses

        log("analyses (issue 17):")
        results["analyses"] = [analyses.bench(n, args.repeat, args.seed, log) for n in sizes]
        extra = "\n" + analyses.render(results["analyses"])
    raw = OUT / f"{args.results.stem}.json"
    raw.write_text(json.dumps(results, indent=2, default=str))
    text = render(results) + extra
    args.results.write_text(text)
    log(f"\nwrote {args.results} and {raw}\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
