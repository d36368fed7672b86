"""Make (and cache) the large seeded exports the scale benchmark reads.

Every file is generated from :func:`itsm_diag.synth.generate` and written by the
project's own writers, so the benchmark reads what a user's export looks like:

- ``servicenow_incident_<layout>_<size>_s<seed>.csv``: ONE ServiceNow incident list
  export (field-name headers, every value quoted) holding all ``size`` generated tickets.
  Layout ``list`` (default) has 13 common incident columns, about 185 bytes a ticket, so
  1M tickets is a ~185 MB file (the issue's "about 170 MB") with no multi-line cells;
  layout ``full`` has every column the writer knows, the multi-line comments journal
  included (~385 bytes a ticket; pandas' pyarrow engine cannot parse it).
  The generator makes a mix of kinds; for the benchmark every
  ticket is relabelled an incident and renumbered ``INC0000001``... in open-time order,
  so "1M tickets" means one CSV with 1,000,000 incident rows.
- ``servicenow_incident_<layout>_<size>_s<seed>.xlsx``: the same rows as an XLSX list export
  laid out as ServiceNow writes one: 32,000 rows a sheet, each sheet with the header row,
  sheets ``Page 1``, ``Page 2``... (openpyxl's write-only mode: inline strings, no
  ``<dimension>``; only made for the sizes asked with ``--xlsx``).
- ``jira_<size>_s<seed>/`` and ``zendesk_<size>_s<seed>/`` (with ``--other-tools``): a
  Jira CSV (``write_jira``, one file) and a Zendesk JSON export (``write_zendesk_ndjson``)
  of the same tickets.

Files are cached in ``benchmarks/data/`` (git-ignored; ``--data-dir`` picks another
folder) under a name keyed by size and seed, with a ``.meta.json`` sidecar; they are only
rebuilt with ``--force`` or when the sidecar's format version differs. Usage::

    python benchmarks/make_data.py --sizes 10k,100k,1m --xlsx 100k
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported only when files are made (a fast --help)
    import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
#: bump when the way files are made changes (invalidates the cache)
FORMAT_VERSION = 1
#: per-format overrides, so a change to one writer rebuilds only those files (xlsx 2:
#: split 32,000 rows a sheet, like ServiceNow; zendesk 2: custom fields as the API writes
#: them, with ticket_fields.json)
FORMAT_VERSIONS = {"xlsx": 2, "zendesk": 2}
#: ServiceNow's Excel export puts at most this many data rows on a sheet
XLSX_SHEET_ROWS = 32_000
DEFAULT_SEED = 7


def parse_size(text: str) -> int:
    """``10k`` -> 10_000, ``1m`` -> 1_000_000, ``2500`` -> 2500."""
    t = text.strip().lower().replace("_", "")
    mult = 1
    if t.endswith("k"):
        mult, t = 1_000, t[:-1]
    elif t.endswith("m"):
        mult, t = 1_000_000, t[:-1]
    return int(float(t) * mult)


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + ".meta.json")


def _format_version(path: Path) -> int:
    # a file by its suffix, a folder of another tool's export by its tool
    key = path.suffix.lstrip(".") or path.name.split("_")[0]
    return FORMAT_VERSIONS.get(key, FORMAT_VERSION)


def _cached(path: Path) -> bool:
    meta = _meta_path(path)
    if not path.exists() or not meta.exists():
        return False
    try:
        return json.loads(meta.read_text()).get("format_version") == _format_version(path)
    except (OSError, ValueError):
        return False


def _write_meta(path: Path, **info: object) -> None:
    size = (sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
            if path.is_dir() else path.stat().st_size)
    meta = {"format_version": _format_version(path), "bytes": size, **info}
    _meta_path(path).write_text(json.dumps(meta, indent=2))


def _stem(n: int, seed: int, layout: str) -> str:
    return f"servicenow_incident_{layout}_{size_label(n)}_s{seed}"


def csv_path(n: int, seed: int = DEFAULT_SEED, layout: str = "list",
             data: Path = DATA) -> Path:
    return data / f"{_stem(n, seed, layout)}.csv"


def xlsx_path(n: int, seed: int = DEFAULT_SEED, layout: str = "list",
              data: Path = DATA) -> Path:
    return data / f"{_stem(n, seed, layout)}.xlsx"


def _generate(n: int, seed: int):  # -> (tickets, events), all relabelled as incidents
    import numpy as np
    import pandas as pd

    from itsm_diag import model as m
    from itsm_diag import synth

    t0 = time.perf_counter()
    data = synth.generate(n, seed=seed)
    tickets, events = data.tickets, data.events
    gen_s = time.perf_counter() - t0
    # every ticket an incident, numbered in open-time order (INC0000001, ...)
    order = np.argsort(tickets[m.OPENED_AT].to_numpy(), kind="stable")
    tickets = tickets.iloc[order].reset_index(drop=True)
    width = max(7, len(str(n)))
    new_ids = pd.Series([f"INC{i:0{width}d}" for i in range(1, n + 1)],
                        dtype=tickets[m.TICKET_ID].dtype)
    id_map = pd.Series(new_ids.to_numpy(), index=tickets[m.TICKET_ID].to_numpy())
    tickets[m.TICKET_ID] = new_ids
    kind = tickets[m.KIND]
    if isinstance(kind.dtype, pd.CategoricalDtype):
        code = list(kind.cat.categories).index("incident")
        tickets[m.KIND] = pd.Categorical.from_codes(np.full(n, code), dtype=kind.dtype)
    else:
        tickets[m.KIND] = "incident"
    # the tool's own labels were per kind (a request's "Closed Complete"): let the writer
    # translate the canonical values to incident labels instead
    for raw in (m.STATUS_RAW, m.PRIORITY_RAW, m.CHANNEL_RAW):
        tickets[raw] = pd.Series(pd.NA, index=tickets.index, dtype=tickets[raw].dtype)
    events = events.copy()
    events[m.EV_TICKET_ID] = events[m.EV_TICKET_ID].map(id_map).astype(
        events[m.EV_TICKET_ID].dtype)
    return tickets, events, gen_s


#: the "list" layout: the incident list columns a team typically exports, chosen so the
#: 1M-ticket CSV is about 185 MB (the issue's "about 170 MB" file) while still feeding
#: most signs; no journal, so no multi-line cells (pandas' pyarrow engine cannot read
#: those). The "full" layout is every column the writer knows, journal included.
LIST_COLUMNS = ("number", "short_description", "state", "priority", "category", "cmdb_ci",
                "assignment_group", "caller_id", "contact_type", "opened_at", "resolved_at",
                "reassignment_count", "made_sla")
LAYOUTS = ("list", "full")


def _write_list(tickets: pd.DataFrame, target: Path, fmt: str) -> Path:
    import pandas as pd

    # the writer's own frame and CSV writer; write_servicenow itself has no column choice
    from itsm_diag.writers.servicenow import SERVICENOW_TABLES, _write_csv, servicenow_frame

    spec = tuple(s for s in SERVICENOW_TABLES["incident"] if s[0] in LIST_COLUMNS)
    frame = servicenow_frame(tickets, "incident", spec, None, "field", "%Y-%m-%d %H:%M:%S")
    tmp = target.with_name(target.name + ".part")
    if fmt == "csv":
        _write_csv(frame, tmp)
    else:
        import openpyxl

        # ServiceNow splits an Excel export 32,000 rows a sheet ("Page 1", "Page 2"...),
        # each sheet starting with the header row; the writer's _write_xlsx writes one
        # sheet, so the split is done here
        wb = openpyxl.Workbook(write_only=True)
        header = list(frame.columns)
        for start in range(0, max(len(frame), 1), XLSX_SHEET_ROWS):
            ws = wb.create_sheet(f"Page {start // XLSX_SHEET_ROWS + 1}")
            ws.append(header)
            chunk = frame.iloc[start:start + XLSX_SHEET_ROWS]
            for row in chunk.itertuples(index=False, name=None):
                ws.append([None if v is None or v is pd.NA else v for v in row])
        wb.save(tmp)
    tmp.replace(target)
    return target


def _write_one(tickets, events, out_dir: Path, target: Path, fmt: str,
               layout: str = "list") -> Path:
    from itsm_diag.writers.servicenow import write_servicenow

    if layout == "list":
        return _write_list(tickets, target, fmt)
    tmp = out_dir / f".tmp_{target.stem}_{fmt}"
    tmp.mkdir(parents=True, exist_ok=True)
    written = write_servicenow(tickets, events, tmp, style="field", fmt=fmt,
                               tables=("incident",))
    if len(written) != 1:
        raise RuntimeError(f"expected one {fmt} file, the writer wrote {written}")
    written[0].replace(target)
    tmp.rmdir()
    return target


#: the other tools' exports written with ``--other-tools``
OTHER_TOOLS = ("jira", "zendesk")


def _write_other(tool: str, tickets: pd.DataFrame, events: pd.DataFrame,
                 out_dir: Path) -> None:
    from itsm_diag.writers.jira import write_jira
    from itsm_diag.writers.zendesk import write_zendesk_ndjson

    if tool == "jira":
        # one CSV, not split at Jira's 1,000-issue cap
        write_jira(tickets, events, out_dir, max_rows=len(tickets))
    else:
        # the full JSON export (NDJSON, comments inline)
        write_zendesk_ndjson(tickets, events, out_dir)


def make(n: int, seed: int = DEFAULT_SEED, *, layout: str = "list", xlsx: bool = False,
         other_tools: bool = False, force: bool = False,
         log: Callable[[str], object] = print, data: Path = DATA) -> dict[str, Path]:
    """Make the files for ``n`` tickets (cached in ``data``); returns {kind: path}."""
    data.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    want = {"csv": csv_path(n, seed, layout, data)}
    if xlsx:
        want["xlsx"] = xlsx_path(n, seed, layout, data)
    if other_tools:
        want.update({tool: data / f"{tool}_{size_label(n)}_s{seed}" for tool in OTHER_TOOLS})
    todo = {k: p for k, p in want.items() if force or not _cached(p)}
    out.update({k: p for k, p in want.items() if k not in todo})
    if not todo:
        return out
    log(f"  generating {n:,} tickets (seed {seed})...")
    tickets, events, gen_s = _generate(n, seed)
    log(f"  generated in {gen_s:.1f}s ({len(events):,} events)")
    for fmt, path in todo.items():
        t0 = time.perf_counter()
        if fmt in OTHER_TOOLS:
            path.mkdir(parents=True, exist_ok=True)
            _write_other(fmt, tickets, events, path)
            secs = time.perf_counter() - t0
            _write_meta(path, tickets=n, seed=seed, fmt=fmt, write_s=round(secs, 2))
            log(f"  wrote {path.name}/ in {secs:.1f}s")
        else:
            _write_one(tickets, events, data, path, fmt, layout)
            secs = time.perf_counter() - t0
            _write_meta(path, tickets=n, seed=seed, fmt=fmt, layout=layout,
                        generate_s=round(gen_s, 2),
                        write_s=round(secs, 2))
            log(f"  wrote {path.name}: {path.stat().st_size / 1e6:.1f} MB in {secs:.1f}s")
        out[fmt] = path
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10k,100k,1m", help="comma-separated: 10k,100k,1m")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--layout", choices=LAYOUTS, default="list",
                    help="list: 13 common incident columns, ~185 B/ticket (default); "
                         "full: every writer column incl. the multi-line comments journal")
    ap.add_argument("--xlsx", default="100k",
                    help="sizes to also write as XLSX (comma-separated; '' for none)")
    ap.add_argument("--other-tools", action="store_true",
                    help="also write a Jira CSV and a Zendesk JSON export")
    ap.add_argument("--force", action="store_true", help="rebuild cached files")
    ap.add_argument("--data-dir", type=Path, default=DATA,
                    help=f"where the files are cached (default {DATA})")
    args = ap.parse_args(argv)
    xlsx_sizes = {parse_size(s) for s in args.xlsx.split(",") if s.strip()}
    for n in [parse_size(s) for s in args.sizes.split(",") if s.strip()]:
        print(f"{size_label(n)}:")
        paths = make(n, args.seed, layout=args.layout, xlsx=n in xlsx_sizes,
                     other_tools=args.other_tools, force=args.force, data=args.data_dir)
        for kind, p in paths.items():
            print(f"  {kind}: {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
