"""Fuzz the import path with mutated variants of the real sample files.

    python tests/hostile/fuzz.py [--seed 8] [--per-importer 10000] [--budget 420] [--jobs 2]

For each importer (ServiceNow, Jira, Zendesk, Freshservice, a mapping file) the seeds
are the shipped sample exports cut to their header and a few rows (CSV, XLSX, JSON pages,
NDJSON). Every generated input is a seed with one or more mutations: truncation, byte
flips, inserted bytes (quotes, delimiters, NUL, high bytes, line breaks), deleted and
duplicated spans, header swaps, delimiter changes, re-encoding (UTF-16, cp1252, BOMs), a
giant cell, an unclosed quote, random JSON (values of every type, deep nesting), damaged
workbooks (zip bytes flipped or cut) and workbooks rebuilt from mutated rows, and a wrong
file extension.

Each input is written to a temporary file and read in-process through the real entry
point: ``readers.read_raw`` (the guards, encoding, delimiter, CSV/XLSX/JSON parsing),
then detection (``registry.detect``, alternately with ``--source``) and, for every
``--full-every``-th input, the importer's ``load`` and ``registry.combine`` (dates,
vocabularies, the canonical model). The only exception allowed to escape is
:class:`ItsmDiagError`; anything else, and any input taking longer than ``--slow``
seconds, is a failure: the input is saved under ``--failures`` and the run exits 1.

Inputs are generated from ``(seed, importer, index)`` alone, so a failure is reproduced
with ``--only IMPORTER:INDEX``. CI runs this with a fixed seed (``.ci/run``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import io
import json
import os
import random
import re
import shutil
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SEED_ROWS = 3

#: importer -> (sample files, --source or --mapping to pass, alternately with detection)
IMPORTERS: dict[str, tuple[tuple[str, ...], str | None, str | None]] = {
    "servicenow": (("servicenow/incident.xlsx", "servicenow/change_request.csv",
                    "servicenow/problem.csv", "servicenow/sc_req_item.csv",
                    "demo/task.csv"), "servicenow", None),
    "jira": (("jira/jira_1.csv", "jira/jira_3.csv"), "jira", None),
    "zendesk": (("zendesk/zendesk_export.csv", "zendesk/api/tickets_1.json",
                 "zendesk/full_export/tickets.ndjson"), "zendesk", None),
    "freshservice": (("freshservice/tickets.xlsx", "freshservice/changes.csv"),
                     "freshservice", None),
    "mapping": (("glpi/tickets.csv",), None, "glpi"),
}


# ---- seeds -------------------------------------------------------------------------------

@dataclass
class Seed:
    name: str
    suffix: str
    data: bytes
    #: CSV rows (header first) for the structure-aware mutations; None for JSON
    rows: list[list[str]] | None = None
    delimiter: str = ","
    json_doc: object | None = None
    ndjson: bool = False
    xlsx: bool = False


def _csv_rows(text: str, delimiter: str) -> list[list[str]]:
    csv.field_size_limit(1 << 30)
    return list(csv.reader(io.StringIO(text), delimiter=delimiter))


def _csv_bytes(rows: list[list[str]], delimiter: str = ",", quote_all: bool = False) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, delimiter=delimiter, lineterminator="\n",
                   quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def _xlsx_bytes(rows: list[list[str | None]]) -> bytes:
    """A minimal valid workbook (inline strings) holding ``rows`` on one sheet."""
    from xml.sax.saxutils import escape

    def col(i: int) -> str:
        s = ""
        i += 1
        while i:
            i, r = divmod(i - 1, 26)
            s = chr(65 + r) + s
        return s

    body = []
    for r, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{col(c)}{r}" t="inlineStr"><is><t xml:space="preserve">'
            f"{escape(_xml_safe(v))}</t></is></c>"
            for c, v in enumerate(row) if v is not None)
        body.append(f'<row r="{r}">{cells}</row>')
    ns = "http://schemas.openxmlformats.org/"
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}spreadsheetml/'
             f'2006/main"><sheetData>{"".join(body)}</sheetData></worksheet>')
    parts = {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="{ns}package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{ns}officeDocument/2006/'
            'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}spreadsheetml/2006/'
            f'main" xmlns:r="{ns}officeDocument/2006/relationships"><sheets><sheet name='
            '"Page 1" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{ns}package/2006/'
            f'relationships"><Relationship Id="rId1" Type="{ns}officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts.items():
            _write_entry(zf, name, text)
    return buf.getvalue()


def _write_entry(zf: zipfile.ZipFile, name: str, data: str | bytes) -> None:
    """``zf.writestr(name, data)`` with a fixed time, so an input's bytes never depend on
    when it was made (zipfile stamps the current time otherwise)."""
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zf.compression  # what writestr(name, ...) would use
    zf.writestr(info, data)


#: what a workbook cannot hold: control characters but tab and line breaks, surrogates,
#: U+FFFE/U+FFFF, and (kept simple) every character past the BMP
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]")


def _xml_safe(value: str) -> str:
    return _NOT_XML.sub("", value)


@functools.cache
def load_seeds(importer: str) -> list[Seed]:
    """The importer's seeds, built once a process (the mutators copy before they change
    anything, so every input still depends on (seed, importer, index) alone)."""
    files, _, _ = IMPORTERS[importer]
    seeds: list[Seed] = []
    for rel in files:
        path = SAMPLES / rel
        if path.suffix == ".xlsx":
            import fastexcel

            book = fastexcel.read_excel(str(path))
            raw = book.load_sheet(book.sheet_names[0], header_row=None, dtypes="string",
                                  n_rows=SEED_ROWS + 1, eager=True).to_pylist()
            rows = [["" if c is None else str(c) for c in r.values()] for r in raw]
            for cut in _widths(rows):
                seeds.append(Seed(rel, ".xlsx", _xlsx_bytes(cut), rows=cut, xlsx=True))
        elif path.suffix == ".json":
            doc = json.loads(path.read_text(encoding="utf-8"))
            for key, value in doc.items():
                if isinstance(value, list):
                    doc[key] = value[:SEED_ROWS]
            seeds.append(Seed(rel, ".json", json.dumps(doc).encode(), json_doc=doc))
        elif path.suffix == ".ndjson":
            lines = path.read_text(encoding="utf-8").splitlines()[:SEED_ROWS]
            data = ("\n".join(lines) + "\n").encode()
            seeds.append(Seed(rel, ".ndjson", data, json_doc=[json.loads(x) for x in lines],
                              ndjson=True))
        else:
            text = path.read_bytes().decode("utf-8-sig")
            delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(
                ",") else ","
            rows = _csv_rows(text, delimiter)[: SEED_ROWS + 1]
            for cut in _widths(rows):
                seeds.append(Seed(rel, path.suffix, _csv_bytes(cut, delimiter, quote_all=True),
                                  rows=cut, delimiter=delimiter))
    return seeds


#: most seeds keep the first columns only (the reader's cost grows with the columns, and
#: the first ones carry the id, dates and detection headers); one seed in
#: NARROW_PER_FULL + 1 of a file is full width
NARROW_COLUMNS = 5
NARROW_PER_FULL = 14


def _widths(rows: list[list[str]]) -> list[list[list[str]]]:
    """The seed rows ``NARROW_PER_FULL`` times cut to the first columns, then whole."""
    if len(rows[0]) <= NARROW_COLUMNS:
        return [rows]
    narrow = [r[:NARROW_COLUMNS] for r in rows]
    return [narrow] * NARROW_PER_FULL + [rows]


# ---- mutations ---------------------------------------------------------------------------

_NASTY = [b'"', b",", b";", b"\t", b"|", b"\n", b"\r\n", b"\r", b"\x00", b"\xff", b"\xfe",
          b"\xef\xbb\xbf", b"\xc3", b"\xe2\x80\xae", b"=cmd|' /C calc'!A0", b"{", b"[", b"}",
          b"]", b"\\", b"sep=;\n", b"?", b"(empty)", b"0000-00-00", b"9999-12-31 23:59:59",
          b"1e400", b"NaN", b"-1", b"\x1b[31m"]
Mutator = Callable[[random.Random, Seed, bytes], bytes]


def m_truncate(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def m_flip(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        if b:
            b[rng.randrange(len(b))] = rng.randrange(256)
    return bytes(b)


def m_insert(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    for _ in range(rng.randint(1, 6)):
        pos = rng.randrange(len(data) + 1)
        data = data[:pos] + rng.choice(_NASTY) + data[pos:]
    return data


def m_delete(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    if not data:
        return data
    a = rng.randrange(len(data))
    return data[:a] + data[a + rng.randint(1, max(1, len(data) // 4)):]


def m_duplicate(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    if not data:
        return data
    a = rng.randrange(len(data))
    span = data[a: a + rng.randint(1, 400)]
    pos = rng.randrange(len(data) + 1)
    return data[:pos] + span * rng.randint(1, 5) + data[pos:]


def m_random_bytes(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    return rng.randbytes(rng.randint(0, 3000))


def _rows_mutation(fn: Callable[[random.Random, list[list[str]]], list[list[str]]]) -> Mutator:
    def mutate(rng: random.Random, seed: Seed, data: bytes) -> bytes:
        if seed.rows is None:
            return m_flip(rng, seed, data)
        rows = fn(rng, [list(r) for r in seed.rows])
        if seed.xlsx:
            return _xlsx_bytes([list(r) for r in rows])
        return _csv_bytes(rows, seed.delimiter, quote_all=rng.random() < 0.5)
    mutate.__name__ = fn.__name__.lstrip("_")
    return mutate


def _swap_headers(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    head = rows[0]
    for _ in range(rng.randint(1, 3)):
        if len(head) > 1:
            i, j = rng.randrange(len(head)), rng.randrange(len(head))
            head[i], head[j] = head[j], head[i]
    if rng.random() < 0.3 and head:
        head[rng.randrange(len(head))] = rng.choice(["", "Number", "Opened", "id", "Key",
                                                     head[0], "Créé le", "\ufeffnumber"])
    return rows


def _swap_cells(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    pool = [c for r in rows for c in r] + ["", "2099-01-01 00:00:00", "1899-12-30",
                                          "31/02/2024 10:00", "12/Jan/26 3:45 PM", "-5",
                                          "4 - Low", "INC", "Closed", "\x00", "=1+1"]
    for _ in range(rng.randint(1, 10)):
        r = rng.randrange(len(rows))
        if rows[r]:
            rows[r][rng.randrange(len(rows[r]))] = rng.choice(pool)
    return rows


def _giant_cell(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    r = rng.randrange(1, len(rows)) if len(rows) > 1 else 0
    if rows[r]:
        rows[r][rng.randrange(len(rows[r]))] = rng.choice("xA\n;,\"") * rng.randint(
            10_000, 300_000)
    return rows


def _ragged(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    for _ in range(rng.randint(1, 3)):
        r = rng.randrange(len(rows))
        if rng.random() < 0.5:
            rows[r] = rows[r][: rng.randrange(len(rows[r]) + 1)]
        else:
            rows[r] = rows[r] + ["extra"] * rng.randint(1, 5)
    return rows


def _drop_columns(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    keep = sorted(rng.sample(range(len(rows[0])), rng.randint(0, len(rows[0]))))
    return [[r[i] for i in keep if i < len(r)] for r in rows]


def _many_rows(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    body = rows[1:] or [[""] * len(rows[0])]
    return [rows[0]] + [list(rng.choice(body)) for _ in range(rng.randint(0, 30))]


def m_delimiter(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    if seed.rows is None or seed.xlsx:
        return m_insert(rng, seed, data)
    new = rng.choice([";", "\t", "|", ",", " "])
    if rng.random() < 0.5:
        return _csv_bytes(seed.rows, new)
    return data.replace(seed.delimiter.encode(), new.encode(), rng.randint(1, 40))


def m_encoding(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    if seed.xlsx:
        return m_truncate(rng, seed, data)
    text = data.decode("utf-8", errors="replace")
    choice = rng.randrange(5)
    if choice == 0:
        return text.encode("utf-16")
    if choice == 1:
        return text.encode("utf-16-le")  # no BOM
    if choice == 2:
        return text.encode("cp1252", errors="replace")
    if choice == 3:
        return b"\xef\xbb\xbf" + data
    return data.replace(b"\n", b"\r\n") if rng.random() < 0.5 else data.replace(b"\n", b"\r")


def m_unclosed_quote(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    lines[i] = lines[i] + b',"never closed'
    return b"\n".join(lines)


def _random_json(rng: random.Random, depth: int = 0) -> object:
    kind = rng.randrange(9 if depth < 6 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 2**63, 1e308, -0.0, 3.5, 10**30])
    if kind == 3:
        return rng.choice(["", "x", "2025-01-01T00:00:00Z", "\u202e\x00", "12/Jan/26",
                           "incident", "open", "a" * rng.randint(0, 5000)])
    if kind in (4, 5):
        return rng.choice(["id", "tickets", "via", "status", "created_at", "tags"])
    if kind in (6, 7):
        return {rng.choice(["id", "ticket", "tickets", "via", "custom_fields", "users",
                            "metric_sets", "name", "value", "created_at", "x" * 3]):
                _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}
    return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))]


def _mutate_json(rng: random.Random, doc: object, depth: int = 0) -> object:
    if isinstance(doc, dict):
        out = dict(doc)
        for key in list(out)[: 40]:
            roll = rng.random()
            if roll < 0.05:
                del out[key]
            elif roll < 0.12:
                out[key] = _random_json(rng, depth + 1)
            else:
                out[key] = _mutate_json(rng, out[key], depth + 1)
        return out
    if isinstance(doc, list):
        items = [_mutate_json(rng, x, depth + 1) for x in doc]
        if items and rng.random() < 0.2:
            items.append(rng.choice(items))  # a duplicated record: conflicting ids
        return items
    return doc


def m_json(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    if seed.json_doc is None:
        return json.dumps(_random_json(rng)).encode()
    roll = rng.random()
    if roll < 0.15:
        doc = _random_json(rng)
    elif roll < 0.25:
        n = rng.randint(50, 5000)
        return (b"[" * n + b"{}" + b"]" * n) if rng.random() < 0.5 else (
            b'{"a":' * n + b"1" + b"}" * n)
    else:
        doc = _mutate_json(rng, seed.json_doc)
    if seed.ndjson and isinstance(doc, list):
        return "\n".join(json.dumps(x, ensure_ascii=rng.random() < 0.5) for x in doc).encode()
    return json.dumps(doc).encode()


def m_zip(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    """Damage a workbook's zip bytes (or turn a text seed into a zip of itself)."""
    if not seed.xlsx:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            _write_entry(zf, "export.csv", data)
        return buf.getvalue()
    return (m_truncate if rng.random() < 0.5 else m_flip)(rng, seed, data)


MUTATORS: list[tuple[Mutator, int]] = [
    (m_truncate, 6), (m_flip, 8), (m_insert, 8), (m_delete, 4), (m_duplicate, 3),
    (m_random_bytes, 2), (_rows_mutation(_swap_headers), 5), (_rows_mutation(_swap_cells), 8),
    (_rows_mutation(_giant_cell), 1), (_rows_mutation(_ragged), 3),
    (_rows_mutation(_drop_columns), 2), (_rows_mutation(_many_rows), 2), (m_delimiter, 3),
    (m_encoding, 3), (m_unclosed_quote, 2), (m_json, 6), (m_zip, 2),
]
_WEIGHTS = [w for _, w in MUTATORS]
_SUFFIXES = [".csv", ".xlsx", ".json", ".ndjson", ".txt", ".tsv"]


def generate(seed_value: int, importer: str, index: int,
             seeds: list[Seed]) -> tuple[str, bytes, list[str]]:
    """The ``index``-th input for ``importer``: (file suffix, bytes, mutations applied)."""
    rng = random.Random(f"{seed_value}:{importer}:{index}")
    seed = seeds[index % len(seeds)]
    data = seed.data
    applied = []
    for _ in range(1 if rng.random() < 0.6 else rng.randint(2, 3)):
        fn = rng.choices([f for f, _ in MUTATORS], weights=_WEIGHTS)[0]
        data = fn(rng, seed, data)
        applied.append(getattr(fn, "__name__", "rows"))
    suffix = rng.choice(_SUFFIXES) if rng.random() < 0.1 else seed.suffix
    return suffix, data, applied


# ---- running -----------------------------------------------------------------------------

@dataclass
class Result:
    importer: str
    done: int = 0
    full: int = 0
    clean_errors: int = 0
    read_ok: int = 0
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0


_MAPPERS: dict[str, Any] = {}


def run_one(path: Path, importer: str, index: int, full: bool) -> str:
    """'ok', 'error' (an ItsmDiagError) — anything else propagates."""
    from itsm_diag.errors import ItsmDiagError
    from itsm_diag.importers import registry
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.mapping import load_mapping
    from itsm_diag.importers.readers import read_raw

    _, source, mapping = IMPORTERS[importer]
    forced = source if index % 2 else None
    try:
        parts = []
        for raw in read_raw(path):
            if mapping is not None:
                imp = _MAPPERS.get(mapping) or _MAPPERS.setdefault(mapping, load_mapping(
                    Path(mapping)))
                det = imp.detect(raw)
            else:
                imp, det = registry.detect(raw, forced)
            if full:
                parts.append(imp.load(raw, det, ImportOptions()))
        if full:
            registry.combine(parts)
        return "ok"
    except ItsmDiagError as exc:
        text = exc.one_line()
        assert "\n" not in text and text.endswith("."), text
        return "error"


def work(args: tuple[int, str, int, int, int, float, str, float]) -> Result:
    seed_value, importer, start, stop, full_every, deadline, failures, slow = args
    # pyarrow reports an invalid row whose bytes are not UTF-8 as an "Exception ignored"
    # (it cannot build the row's text for the handler); the read then continues on its
    # tolerant path, so the noise says nothing about the outcome checked here
    hook, sys.unraisablehook = sys.unraisablehook, lambda _: None
    seeds = load_seeds(importer)
    result = Result(importer)
    tmp = Path(tempfile.mkdtemp(prefix="itsm-fuzz-", dir="/dev/shm" if Path(
        "/dev/shm").is_dir() else None))
    try:
        for index in range(start, stop):
            if time.monotonic() > deadline:
                break
            suffix, data, applied = generate(seed_value, importer, index, seeds)
            path = tmp / f"input{suffix}"
            path.write_bytes(data)
            full = index % full_every == 0
            t0 = time.monotonic()
            try:
                outcome = run_one(path, importer, index, full)
            except Exception as exc:  # the thing being hunted
                outcome = "failure"
                _save(failures, importer, index, suffix, data,
                      f"{applied}\n{''.join(traceback.format_exception(exc))}")
                result.failures.append(f"{importer}:{index} {type(exc).__name__}: "
                                       f"{str(exc)[:200]} (mutations {applied})")
            took = time.monotonic() - t0
            result.slowest = max(result.slowest, took)
            if took > slow and outcome != "failure":
                _save(failures, importer, index, suffix, data, f"{applied}\nslow: {took:.1f}s")
                result.failures.append(f"{importer}:{index} took {took:.1f} s (mutations "
                                       f"{applied})")
            result.done += 1
            result.full += full
            result.clean_errors += outcome == "error"
            result.read_ok += outcome == "ok"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.unraisablehook = hook
    return result


def _save(folder: str, importer: str, index: int, suffix: str, data: bytes, why: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{importer}-{index}{suffix}").write_bytes(data)
    (out / f"{importer}-{index}.txt").write_text(why, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=8)
    ap.add_argument("--per-importer", type=int, default=10_000)
    ap.add_argument("--budget", type=float, default=420.0, help="seconds, whole run")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--full-every", type=int, default=100,
                    help="every Nth input also goes through the importer's load and combine")
    ap.add_argument("--slow", type=float, default=10.0, help="seconds one input may take")
    ap.add_argument("--failures", default=str(Path(tempfile.gettempdir()) / "itsm-fuzz-failures"))
    ap.add_argument("--importers", default=",".join(IMPORTERS))
    ap.add_argument("--only", help="IMPORTER:INDEX: rerun one input, with its traceback")
    args = ap.parse_args(argv)
    os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp(prefix="itsm-fuzz-mpl-"))
    if args.only:
        importer, index = args.only.split(":")
        suffix, data, applied = generate(args.seed, importer, int(index), load_seeds(importer))
        tmp = Path(tempfile.mkdtemp()) / f"input{suffix}"
        tmp.write_bytes(data)
        print(f"{importer}:{index} mutations {applied}, {len(data):,} bytes, {tmp}")
        print(run_one(tmp, importer, int(index), full=True))
        return 0
    importers = args.importers.split(",")
    start = time.monotonic()
    deadline = start + args.budget
    # chunks interleave the importers, so a budget cut shortens every importer evenly
    chunk = 500
    jobs = [(args.seed, imp, lo, min(lo + chunk, args.per_importer), args.full_every,
             deadline, args.failures, args.slow)
            for lo in range(0, args.per_importer, chunk) for imp in importers]
    totals = {imp: Result(imp) for imp in importers}
    with contextlib.ExitStack() as stack:
        if args.jobs > 1:
            pool = stack.enter_context(ProcessPoolExecutor(max_workers=args.jobs))
            results: Iterable[Result] = pool.map(work, jobs)
        else:
            results = map(work, jobs)
        for r in results:
            t = totals[r.importer]
            t.done += r.done
            t.full += r.full
            t.clean_errors += r.clean_errors
            t.read_ok += r.read_ok
            t.failures += r.failures
            t.slowest = max(t.slowest, r.slowest)
    elapsed = time.monotonic() - start
    failed = False
    for t in totals.values():
        print(f"fuzz {t.importer:<13} {t.done:>6,} inputs ({t.full:,} through load+combine): "
              f"{t.read_ok:,} read, {t.clean_errors:,} clean ItsmDiagError, "
              f"{len(t.failures)} failures; slowest {t.slowest:.2f} s")
        for f in t.failures[:10]:
            print(f"  FAIL {f}")
        failed |= bool(t.failures)
        if t.done < args.per_importer:
            print(f"  FAIL only {t.done:,} of {args.per_importer:,} inputs within the "
                  f"{args.budget:.0f} s budget")
            failed = True
    done = sum(t.done for t in totals.values())
    print(f"fuzz: {done:,} inputs in {elapsed:.0f} s ({done / max(elapsed, 1e-9):,.0f} a "
          f"second; seed {args.seed}, {args.jobs} jobs)"
          + (f"; failing inputs in {args.failures}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
