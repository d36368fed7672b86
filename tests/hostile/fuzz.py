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

Issue 15 added mutations for the classes it closed: workbooks declaring huge used
ranges or shared-string counts (far cells, rows past 2^32, cells placed by position,
odd attribute spellings), times in the hours clocks skip or repeat (read with
``--tz Europe/Berlin`` on every third input), two exports joined with ``cat``, lone
surrogate escapes in JSON, and control characters, bidi overrides, fake verdict lines
and markup in cells, headers and file names; and a whole column of odd numbers,
durations and dates (a fraction beside 1e30, whole hours beside ``01:30``). Two more
targets: ``yaml`` (mapping and config files: alias bombs, duplicate keys, deep nesting,
non-UTF-8 bytes, NaN, infinity and out-of-range numbers) and ``mixed`` (a folder of two
or three exports from different tools, so ids must stay apart by source).

Each input is written to a temporary file and read in-process through the real entry
point: ``readers.read_raw`` (the guards, encoding, delimiter, CSV/XLSX/JSON parsing),
then detection (``registry.detect``, alternately with ``--source``) and, for every
``--full-every``-th input, the importer's ``load`` and ``registry.combine`` (dates,
vocabularies, the canonical model). Every ``--render-every``-th input goes the whole way,
as the command line does (``api.diagnose_paths``, under a file name holding control
characters), and is rendered as terminal text, Markdown and JSON (and, one in ten of
those, HTML): no output may hold an active control character, and JSON must parse. The
only exception allowed to escape is :class:`ItsmDiagError`, whose one line must be
safe too; anything else, and any input taking longer than ``--slow`` seconds, is a
failure: the input is saved under ``--failures`` and the run exits 1.

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
#: targets beyond the importers: mapping and config YAML, and folders mixing tools;
#: each runs this share of --per-importer inputs (a mixed input reads two or three files)
EXTRA_TARGETS: dict[str, float] = {"yaml": 0.5, "mixed": 0.02}
TARGETS = (*IMPORTERS, *EXTRA_TARGETS)


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
    if importer == "yaml":
        return _yaml_seeds()
    if importer == "mixed":
        return [s for imp in ("servicenow", "jira", "zendesk", "freshservice", "mapping")
                for s in load_seeds(imp) if s.rows is None or len(s.rows[0]) > NARROW_COLUMNS]
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


_CONFIG_SEED = """defaults:
  window_weeks: 13
  hourly_rate: 60
  currency: EUR
  holidays: ["2025-12-25"]
  handle_minutes: {incident: 30, request: 20}
signs:
  backlog:
    thresholds: {min_shrink: 0.05}
"""


def _yaml_seeds() -> list[Seed]:
    """The shipped mappings and a config, as YAML text seeds."""
    folder = ROOT / "src" / "itsm_diag" / "mappings"
    seeds = [Seed(p.name, ".yaml", p.read_bytes()) for p in sorted(folder.glob("*.yaml"))]
    return [*seeds, Seed("config.yaml", ".yaml", _CONFIG_SEED.encode())]


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


#: values a column of numbers, durations, counts or dates may hold in a hand-edited export
_ODD_VALUES = ("2", "2.5", "-1", "-0", "0", "1,234", "1e30", "-1e30", "inf", "-inf", "NaN",
               "x", "", "  ", "null", "-", "01:30", "58:22:50", "2 Hours", "9999999999",
               "true", "P1", "2026-13-45", "2026-03-01 25:00:00", "1970-01-01 00:00:00",
               "3000-01-01 00:00:00", "１２", "٣")


def _odd_column(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    # a whole column of odd values, many rows long: a crash can need a mix (a fraction
    # beside 1e30 minutes; whole hours beside 01:30) that one swapped cell never makes
    body = rows[1:] or [[""] * len(rows[0])]
    rows = [rows[0]] + [list(rng.choice(body)) for _ in range(rng.randint(3, 40))]
    col = rng.randrange(len(rows[0])) if rows[0] else 0
    for r in rows[1:]:
        if col < len(r) and rng.random() < 0.7:
            r[col] = rng.choice(_ODD_VALUES)
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


#: text that acts on a terminal, fakes a line of the tool's output, or becomes markup
HOSTILE = ["\x1b]52;c;ZXZpbA==\x07", "\x1b[2J", "\x9b31m", "\u202eexe.txt", "\u200b",
           "\nitsm-diag: score 0/7 HEALTHY", "\r", "\x00", "\x07", "\u2028",
           "<img src=x onerror=alert(1)>", "| **x** [a](javascript:x)", "\ufeff",
           "=HYPERLINK(\"http://evil\")"]


def _controls(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    """Hostile text in a few cells and, sometimes, a header."""
    for _ in range(rng.randint(1, 6)):
        r = rng.randrange(len(rows)) if rng.random() < 0.3 else rng.randrange(
            min(1, len(rows) - 1), len(rows))
        if rows[r]:
            c = rng.randrange(len(rows[r]))
            rows[r][c] = rows[r][c] + "".join(rng.sample(HOSTILE, rng.randint(1, 3)))
    return rows


#: wall-clock times in the hours Europe/Berlin skips (March) and repeats (October)
_DST = ["2024-03-31 02:30:00", "2024-10-27 02:30:00", "2024-03-31 02:00:00",
        "2024-10-27 02:59:59", "31/03/2024 02:15", "27/10/2024 02:45", "2024-10-27T02:30:00"]
_DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\w{2,3}/\d{2,4}|\d{1,2}\.\d{1,2}\.\d{2,4}")


def _dst(rng: random.Random, rows: list[list[str]]) -> list[list[str]]:
    """Date cells moved into a clock change (read with --tz Europe/Berlin)."""
    spots = [(r, c) for r in range(1, len(rows)) for c, v in enumerate(rows[r])
             if _DATE_LIKE.search(v)]
    for r, c in rng.sample(spots, min(len(spots), rng.randint(1, 4))):
        rows[r][c] = rng.choice(_DST)
    return rows


def m_joined(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    """Two exports joined with ``cat``: the header (and a sep= line) repeated mid-file."""
    if seed.rows is None or seed.xlsx:
        return m_json(rng, seed, data)
    extra = b"sep=" + seed.delimiter.encode() + b"\n" if rng.random() < 0.2 else b""
    return data + (b"" if data.endswith(b"\n") else b"\n") + extra + data


def m_surrogate(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    """Lone UTF-16 surrogate escapes (half an emoji) in a JSON export's strings."""
    if seed.json_doc is None:
        return m_insert(rng, seed, data)
    halves = [b"\\ud83d", b"\\ude00", b"\\udbff", b"\\\\ud83d", b"\\ud83d\\ude00"]
    quotes = [i for i, b in enumerate(data) if b == 0x22]
    for _ in range(rng.randint(1, 5)):
        if not quotes:
            break
        at = rng.choice(quotes) + 1
        data = data[:at] + rng.choice(halves) + data[at:]
        quotes = [q if q < at else q + 6 for q in quotes]
    return data


def _cell_xml(ref: str | None) -> str:
    at = f' r="{ref}"' if ref else ""
    return f'<c{at} t="inlineStr"><is><t>x</t></is></c>'


def m_dims(rng: random.Random, seed: Seed, data: bytes) -> bytes:
    """A workbook declaring a huge used range or shared-string table, written one of the
    ways an XML parser reads (references far out, past 2^32, placed by position, spelt
    with single quotes or spaces, inside prefixed tags)."""
    rows = seed.rows if seed.rows is not None else [["number", "opened_at"],
                                                     ["INC1", "2024-01-01 10:00:00"]]
    choice = rng.randrange(7)
    far = rng.choice(["XFD1048576", "ZZ999999", "A99999999999", "AAAA1", "XFE1", "B1048577",
                      "C65000", "AB20000"])
    extra_row = {
        0: f'<row r="{far.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") or 1}">{_cell_xml(far)}</row>',
        1: "<row r='900000'><c r = 'XFD900000' t='inlineStr'><is><t>x</t></is></c></row>",
        2: '<row r="2">' + _cell_xml(None) * rng.randint(100, 3000)
           + f'</row><row r="{rng.randint(10, 1048576)}">{_cell_xml(None)}</row>',
        3: "<x:row r=\"1048576\"><x:c r=\"XFD1048576\" t=\"inlineStr\"><x:is><x:t>x</x:t>"
           "</x:is></x:c></x:row>",
        4: "", 5: "",
        6: f'<row r="{rng.randint(3, 5000)}">{_cell_xml(f"B{rng.randint(3, 5000)}")}</row>',
    }[choice]
    n = rng.choice([4_000_000_000, 2**32 + 5, 10**7, 50])
    return patched_workbook(
        [list(r) for r in rows], extra_row,
        dimension="A1:XFD1048576" if choice == 5 else None,
        parts={"xl/sharedStrings.xml": f'<sst xmlns="http://schemas.openxmlformats.org/'
               f'spreadsheetml/2006/main" count="{n}" uniqueCount="{n}"><si><t>a</t></si>'
               "</sst>"} if choice == 4 else None)


def patched_workbook(rows: list[list[str | None]], sheet_rows: str = "",
                     dimension: str | None = None,
                     parts: dict[str, str] | None = None) -> bytes:
    """:func:`_xlsx_bytes` of ``rows`` with raw XML ``sheet_rows`` added to the sheet, a
    ``<dimension>`` declared, and ``parts`` added (a shared-string table, say)."""
    src = zipfile.ZipFile(io.BytesIO(_xlsx_bytes(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in src.namelist():
            part = src.read(name)
            if name == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", sheet_rows.encode() + b"</sheetData>")
                if dimension is not None:
                    part = part.replace(b"<sheetData>", f'<dimension ref="{dimension}"/>'
                                        "<sheetData>".encode())
            _write_entry(zf, name, part)
        for name, text in (parts or {}).items():
            _write_entry(zf, name, text)
    return out.getvalue()


MUTATORS: list[tuple[Mutator, int]] = [
    (m_truncate, 6), (m_flip, 8), (m_insert, 8), (m_delete, 4), (m_duplicate, 3),
    (m_random_bytes, 2), (_rows_mutation(_swap_headers), 5), (_rows_mutation(_swap_cells), 8),
    (_rows_mutation(_giant_cell), 1), (_rows_mutation(_ragged), 3),
    (_rows_mutation(_drop_columns), 2), (_rows_mutation(_many_rows), 2), (m_delimiter, 3),
    (m_encoding, 3), (m_unclosed_quote, 2), (m_json, 6), (m_zip, 2),
    # issue 15's classes
    (_rows_mutation(_controls), 5), (_rows_mutation(_dst), 3), (m_joined, 2),
    (m_surrogate, 2), (m_dims, 3),
    # a column of odd numbers, durations and dates (tenth round of issue 19)
    (_rows_mutation(_odd_column), 5),
]
_WEIGHTS = [w for _, w in MUTATORS]
_SUFFIXES = [".csv", ".xlsx", ".json", ".ndjson", ".txt", ".tsv"]


def _yaml_mutation(rng: random.Random, text: str) -> tuple[str, bytes]:
    """A mapping or config YAML made hostile one way: (what was done, bytes)."""
    kind = rng.randrange(7)
    if kind == 0:  # an alias bomb: nested aliases, each level `width` times the last
        width, depth = rng.randint(2, 9), rng.randint(3, 9)
        lines = ["bomb:", f'  a0: &a0 [{",".join(["lol"] * width)}]']
        for d in range(1, depth):
            lines.append(f"  a{d}: &a{d} [{','.join([f'*a{d - 1}'] * width)}]")
        target = rng.choice(["columns:\n  ticket_id", "values:\n  status", "defaults:\n  holidays",
                             "description"])
        return "alias bomb", (text + "\n".join(lines) + f"\n{target}: *a{depth - 1}\n").encode()
    if kind == 1:  # a key twice
        lines = text.splitlines()
        keyed = [ln for ln in lines if ":" in ln and not ln.lstrip().startswith("#")]
        if keyed:
            at = rng.randrange(len(lines) + 1)
            lines.insert(at, rng.choice(keyed))
        return "duplicate key", "\n".join(lines).encode()
    if kind == 2:  # deep flow nesting
        n = rng.randint(50, 3000)
        return "deep nesting", (text + "deep: " + "[" * n + "]" * n + "\n").encode()
    if kind == 3:  # bytes that are not UTF-8
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 4)):
            data.insert(rng.randrange(len(data) + 1), rng.choice([0xFF, 0xC3, 0xE9, 0x80, 0x00]))
        return "not utf-8", bytes(data)
    if kind == 4:  # numbers out of range, NaN, infinity, wrong types
        value = rng.choice([".nan", ".inf", "-.inf", "-5", "1000000", "1e400", "0", "[]", "{}",
                            "'x'", "true", "~", "2024-13-45", '"' + "x" * 5000 + '"'])
        key = rng.choice(["window_weeks", "hourly_rate", "active_week_share", "tail_weeks",
                          "structural_weight", "max_samples", "weekmask", "holidays",
                          "currency"])
        where = rng.choice([f"defaults:\n  {key}: {value}\n",
                            f"signs:\n  backlog:\n    thresholds:\n      min_shrink: {value}\n",
                            f"values:\n  priority:\n    P0: {value}\n",
                            f"time_zone: {value}\n", f"date_format: {value}\n"])
        return "bad value", (text + "\n" + where).encode()
    if kind == 5:  # an alias referring to itself, a tag, an anchor-only document
        odd = ["\nloop: &l [*l]\n", "\nx: !!python/object:os.system 1\n", "\n&a\n",
               "\n--- \n---\n", "\n? [a]\n: b\n"]
        return "odd yaml", (text + rng.choice(odd)).encode()
    data = text.encode()
    for _ in range(rng.randint(1, 8)):  # bytes flipped
        if data:
            at = rng.randrange(len(data))
            data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
    return "flipped", data


def _generate_mixed(rng: random.Random, seeds: list[Seed]) -> tuple[str, bytes, list[str]]:
    """Two or three exports of different tools (lightly mutated) in one folder, packed as
    a stored zip the runner unpacks into a folder."""
    buf = io.BytesIO()
    applied = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for n, seed in enumerate(rng.sample(seeds, rng.randint(2, 3))):
            data = seed.data
            if rng.random() < 0.5:
                fn = rng.choices([f for f, _ in MUTATORS], weights=_WEIGHTS)[0]
                data = fn(rng, seed, data)
                applied.append(getattr(fn, "__name__", "rows"))
            _write_entry(zf, f"{n}_{Path(seed.name).stem}{seed.suffix}", data)
            applied.append(seed.name)
    return ".mixed", buf.getvalue(), applied


def generate(seed_value: int, importer: str, index: int,
             seeds: list[Seed]) -> tuple[str, bytes, list[str]]:
    """The ``index``-th input for ``importer``: (file suffix, bytes, mutations applied)."""
    rng = random.Random(f"{seed_value}:{importer}:{index}")
    if importer == "yaml":
        seed = seeds[index % len(seeds)]
        if rng.random() < 0.1:
            return ".yaml", seed.data, ["none"]
        what, data = _yaml_mutation(rng, seed.data.decode())
        return ".yaml", data, [what]
    if importer == "mixed":
        return _generate_mixed(rng, seeds)
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


#: what no report or error line may hold: control characters but tab and line feed,
#: bidi embeddings/overrides/isolates, and lone surrogates
ACTIVE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: the time zone every third input is read in (its clock changes are in _DST)
TZ = "Europe/Berlin"


def _tz(index: int) -> str:
    return TZ if index % 3 == 1 else "UTC"


def run_one(path: Path, importer: str, index: int, full: bool, render: bool = False,
            html: bool = False) -> str:
    """'ok', 'error' (an ItsmDiagError) — anything else propagates."""
    from itsm_diag.errors import ItsmDiagError

    try:
        if importer == "yaml":
            _read_yaml(path, index)
        elif render or importer == "mixed":
            _diagnose(path, importer, index, render, html)
        else:
            _read(path, importer, index, full)
        return "ok"
    except ItsmDiagError as exc:
        text = exc.one_line()
        assert "\n" not in text and text.endswith("."), text
        assert not ACTIVE.search(text), text
        return "error"


def _read(path: Path, importer: str, index: int, full: bool) -> None:
    """read_raw, detection, and (``full``) the importer's load and combine."""
    from itsm_diag.importers import registry
    from itsm_diag.importers.base import ImportOptions
    from itsm_diag.importers.mapping import load_mapping
    from itsm_diag.importers.readers import read_raw

    _, source, mapping = IMPORTERS[importer]
    forced = source if index % 2 else None
    parts = []
    for raw in read_raw(path):
        if mapping is not None:
            imp = _MAPPERS.get(mapping) or _MAPPERS.setdefault(mapping, load_mapping(
                Path(mapping)))
            det = imp.detect(raw)
        else:
            imp, det = registry.detect(raw, forced)
        if full:
            parts.append(imp.load(raw, det, ImportOptions(tz=_tz(index))))
    if full:
        registry.combine(parts)


def _diagnose(path: Path, importer: str, index: int, render: bool, html: bool) -> None:
    """The whole diagnosis, as the command line runs it, and (``render``) every report
    format checked: no active control character anywhere, JSON that parses."""
    import json

    from itsm_diag import api

    _, source, _mapping = IMPORTERS.get(importer, ((), None, None))
    options = api.RunOptions(source=source if index % 2 else None, tz=_tz(index),
                             mapping=("glpi",) if importer in ("mapping", "mixed") else ())
    if importer == "mixed":
        from itsm_diag.importers.base import ImportOptions
        from itsm_diag.importers.registry import load_paths

        loaded = load_paths([path], ImportOptions(tz=_tz(index)), mapping=("glpi",))
        tools = {s.tool for s in loaded.sources}
        if len(tools) > 1:  # tickets of different tools are never merged
            assert loaded.tickets["ticket_id"].str.contains(":", regex=False).all()
        if not render:
            return
    report = api.diagnose_paths([path], options)
    from itsm_diag.render import json as render_json
    from itsm_diag.render import markdown, terminal

    texts = {"terminal": terminal.render(report, color=False),
             "markdown": markdown.render(report)}
    if html:
        from itsm_diag.render import html as render_html

        texts["html"] = render_html.render(report)
    for fmt, text in texts.items():
        found = ACTIVE.search(text)
        assert found is None, f"{fmt} report holds {found.group()!r}"
        text.encode("utf-8")
    json.loads(render_json.render(report))


def _read_yaml(path: Path, index: int) -> None:
    """A mapping file (even index) or a config file (odd), as --mapping and --config
    read them."""
    from itsm_diag import config
    from itsm_diag.importers.mapping import load_mapping

    if index % 2 == 0:
        load_mapping(path)
    else:
        config.apply_overrides(config.load_rules(), config.load_config_file(path),
                               source=str(path))


def work(args: tuple[int, str, int, int, int, float, str, float, int]) -> Result:
    seed_value, importer, start, stop, full_every, deadline, failures, slow, render_every = args
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
            render = render_every > 0 and index % render_every == render_every // 2
            html = render and index % (render_every * 10) == render_every // 2
            path = _materialise(tmp, index, suffix, data, hostile_name=render)
            full = index % full_every == 0
            t0 = time.monotonic()
            try:
                outcome = run_one(path, importer, index, full, render, html)
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
            result.full += full or render
            result.clean_errors += outcome == "error"
            result.read_ok += outcome == "ok"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.unraisablehook = hook
    return result


def _materialise(tmp: Path, index: int, suffix: str, data: bytes,
                 hostile_name: bool = False) -> Path:
    """The input on disk: one file (under a name holding an escape sequence and a line
    break when ``hostile_name``), or, for a mixed input, a folder of its files."""
    for old in tmp.iterdir():
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    if suffix == ".mixed":
        folder = tmp / "mixed"
        folder.mkdir()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                target = folder / (f"\x1b[2J\n{name}" if hostile_name else name)
                target.write_bytes(zf.read(name))
        return folder
    path = tmp / (f"in\x1b]52;c;eA==\x07\nitsm-diag: score 0{suffix}" if hostile_name
                  else f"input{suffix}")
    path.write_bytes(data)
    return path


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
    ap.add_argument("--render-every", type=int, default=500,
                    help="every Nth input is diagnosed whole and rendered in every format "
                         "(one in ten of those also as HTML); 0: never")
    ap.add_argument("--importers", default=",".join(TARGETS),
                    help="targets: the importers, yaml and mixed")
    ap.add_argument("--only", help="IMPORTER:INDEX: rerun one input, with its traceback")
    args = ap.parse_args(argv)
    if args.only:
        importer, index = args.only.split(":")
        suffix, data, applied = generate(args.seed, importer, int(index), load_seeds(importer))
        tmp = _materialise(Path(tempfile.mkdtemp()), int(index), suffix, data)
        print(f"{importer}:{index} mutations {applied}, {len(data):,} bytes, {tmp}")
        print(run_one(tmp, importer, int(index), full=True, render=True, html=True))
        return 0
    importers = args.importers.split(",")
    start = time.monotonic()
    deadline = start + args.budget
    # chunks interleave the importers, so a budget cut shortens every importer evenly
    chunk = 500
    wanted = {imp: round(args.per_importer * EXTRA_TARGETS.get(imp, 1.0)) for imp in importers}
    jobs = [(args.seed, imp, lo, min(lo + chunk, wanted[imp]), args.full_every,
             deadline, args.failures, args.slow, args.render_every)
            for lo in range(0, args.per_importer, chunk) for imp in importers
            if lo < wanted[imp]]
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
        print(f"fuzz {t.importer:<13} {t.done:>6,} inputs ({t.full:,} through load+combine "
              f"or the whole diagnosis): "
              f"{t.read_ok:,} read, {t.clean_errors:,} clean ItsmDiagError, "
              f"{len(t.failures)} failures; slowest {t.slowest:.2f} s")
        for f in t.failures[:10]:
            print(f"  FAIL {f}")
        failed |= bool(t.failures)
        if t.done < wanted[t.importer]:
            print(f"  FAIL only {t.done:,} of {wanted[t.importer]:,} inputs within the "
                  f"{args.budget:.0f} s budget")
            failed = True
    done = sum(t.done for t in totals.values())
    print(f"fuzz: {done:,} inputs in {elapsed:.0f} s ({done / max(elapsed, 1e-9):,.0f} a "
          f"second; seed {args.seed}, {args.jobs} jobs)"
          + (f"; failing inputs in {args.failures}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
