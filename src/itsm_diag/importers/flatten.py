"""JSON records flattened into Arrow text columns: the part of reading a JSON export that
works a record at a time, without pandas, so that a second process can do it for the last
part of a big export (:mod:`~itsm_diag.importers.jsonworker`) as the reader does for the rest.

Nested objects become dotted names (``via.channel``), lists of scalars are ``;``-joined,
``[{id, value}]`` lists become one name per id (``custom_fields.360001``), other lists
stay JSON text; every value is text, as from a CSV.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from itsm_diag.errors import InputError

#: objects nested deeper than this are not ticket exports (and would make huge headers)
MAX_DEPTH = 16
_WRAPPERS = ("ticket", "request", "record", "item")


def unwrap(item: Any) -> Any:
    """``{"ticket": {...}}`` -> the ticket (NDJSON full exports wrap each line)."""
    if isinstance(item, dict):
        for key in _WRAPPERS:
            inner = item.get(key)
            if isinstance(inner, dict) and len(item) == 1:
                return inner
    return item


def _scalar(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def flatten_record(record: dict[str, Any], path: Path, index: int) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    _flatten(record, "", out, 1, path, index)
    return out


def _flatten(obj: dict[str, Any], prefix: str, out: dict[str, str | None], depth: int,
             path: Path, index: int) -> None:
    # called for every object of every record: the common cases (text, numbers, None)
    # are tested by exact type first, before the general isinstance chain
    if depth > MAX_DEPTH:
        raise InputError(f"record {index + 1} nests objects more than {MAX_DEPTH} levels deep "
                         f"(at {prefix.rstrip('.')!r})", file=path, row=index + 1,
                         hint="pass the ticket export itself (JSON pages or NDJSON)")
    for key, value in obj.items():
        name = prefix + key if prefix else key
        kind = type(value)
        if kind is str:
            out[name] = value
        elif value is None:
            out[name] = None
        elif kind is int:
            out[name] = str(value)
        elif isinstance(value, dict):
            if value or depth >= MAX_DEPTH:  # an empty object has no cell (unless too deep)
                _flatten(value, name + ".", out, depth + 1, path, index)
        elif isinstance(value, list):
            if not value:
                out[name] = None
            elif type(value[0]) is not dict and all(type(x) is str for x in value):
                out[name] = ";".join(value) or None
            elif type(value[0]) is not dict and all(not isinstance(x, (dict, list))
                                                    for x in value):
                out[name] = ";".join(s for s in map(_scalar, value) if s is not None) or None
            else:
                # custom fields (every item an object with an id and a value): one column
                # per field id; text, number and null ids and values (nearly all of them)
                # converted here, without the calls. Anything else is the list's JSON text.
                cells = []
                for x in value:
                    if not (isinstance(x, dict) and "id" in x and "value" in x):
                        out[name] = _json_text(value)
                        break
                    fid, fval = x["id"], x["value"]
                    kind = type(fid)
                    fname = (f"{name}.{fid}" if kind is str or kind is int
                             else f"{name}.{_scalar(fid)}")
                    kind = type(fval)
                    if kind is str or fval is None:
                        cells.append((fname, fval))
                    elif kind is int:
                        cells.append((fname, str(fval)))
                    else:
                        cells.append((fname, _list_value(fval)))
                else:
                    out.update(cells)
        else:
            out[name] = _scalar(value)


#: ``json.dumps(value, ensure_ascii=False)``, without building the encoder on every call
#: (a tenth of a comment list's text)
_json_text = json.JSONEncoder(ensure_ascii=False).encode


def _list_value(value: Any) -> str | None:
    if isinstance(value, list):
        return ";".join(s for s in map(_scalar, value) if s is not None) or None
    if isinstance(value, dict):
        return _json_text(value)
    return _scalar(value)


def arrow_columns(rows: list[dict[str, str | None]]) -> tuple[list[str], list[Any]]:
    """Flattened records -> the keys in the order first seen, and each key's cells as an
    Arrow text column (null where a record lacks the key).

    The records go to Arrow once, as a struct of one text field per key: Arrow reads each
    record's dict by key in C, where transposing them into Python tuples first and
    converting each tuple cost twice as much (100k Zendesk tickets: 0.48 against 0.92
    CPU-s). Anything the struct refuses is converted a column at a time, which converts
    it or fails as the columns always did (rare: a lone surrogate in a key, which no
    column's values hold; one in a cell fails either way)."""
    import pyarrow as pa

    names = list(dict.fromkeys(itertools.chain.from_iterable(rows)))
    if not names:
        return [], []
    try:
        whole = pa.array(rows, type=pa.struct([(n, pa.large_string()) for n in names]))
    except (pa.ArrowException, ValueError, TypeError):  # UnicodeEncodeError is a ValueError
        return names, [pa.array([row.get(n) for row in rows], type=pa.large_string())
                       for n in names]
    return names, [whole.field(i) for i in range(len(names))]


class TextColumns:
    """Arrow text columns built a part of the flattened records at a time, one per key in
    the order the keys are first seen (a record without a key, or a part before its key
    was first seen, has no value there).

    Each part's columns come from :func:`arrow_columns`: ``DataFrame.from_records``
    made an object array of every cell, inferred each column's type, and the cast to
    Arrow text copied every cell once more (half of reading a 100k-ticket export)."""

    def __init__(self) -> None:
        self.parts: dict[str, list[Any]] = {}
        self.size = 0

    def add(self, rows: list[dict[str, str | None]]) -> None:
        """A part's flattened records."""
        names, arrays = arrow_columns(rows)
        self.add_columns(names, arrays, len(rows))

    def add_columns(self, names: list[str], arrays: Sequence[Any], size: int) -> None:
        """``size`` more rows: the column of each of ``names`` (an Arrow text array, or
        a chunked one), null under every other name."""
        import pyarrow as pa

        for name in self.parts.keys() - set(names):
            self.parts[name].append(pa.nulls(size, pa.large_string()))
        for name, array in zip(names, arrays, strict=True):
            if name not in self.parts:
                self.parts[name] = [pa.nulls(self.size, pa.large_string())] if self.size else []
            if isinstance(array, pa.ChunkedArray):
                self.parts[name].extend(array.chunks)
            else:
                self.parts[name].append(array)
        self.size += size

    def arrays(self) -> dict[str, Any]:
        """Each name's column as one chunked Arrow text array (its parts, not copied)."""
        import pyarrow as pa

        return {name: pa.chunked_array(parts, pa.large_string())
                for name, parts in self.parts.items()}

    def flatten(self, records: Iterable[tuple[int, dict[str, Any]]], path: Path,
                per_part: int) -> None:
        """Flatten the records, each with its place in the file (for errors), ``per_part``
        at a time (so a part's flattened rows are the most alive at once)."""
        rows: list[dict[str, str | None]] = []
        for index, record in records:
            rows.append(flatten_record(record, path, index))
            if len(rows) == per_part:
                self.add(rows)
                rows = []
        if rows:
            self.add(rows)


class NotPlain(Exception):
    """A record that is not an object: the whole read names it, with its number."""


def plain(values: Iterable[Any]) -> Iterator[dict[str, Any]]:
    """The records ``values`` hold (unwrapped), each as it is asked for; :class:`NotPlain`
    at the first that is not an object."""
    for value in values:
        record = unwrap(value)
        if type(record) is not dict:
            raise NotPlain
        yield record


def line_parts(data: bytes, start: int, stop: int, part_bytes: int) -> Iterator[list[bytes]]:
    """The non-blank lines of ``data[start:stop]``, about ``part_bytes`` at a time, split
    at line breaks only (``\\n``, ``\\r``, ``\\r\\n``)."""
    while start < stop:
        end = data.find(b"\n", min(start + part_bytes, stop), stop)
        end = stop if end < 0 else end + 1
        lines = [ln for ln in data[start:end].splitlines() if ln.strip()]
        if lines:
            yield lines
        start = end
