"""Ticket identity: ids normalised, and kept apart by source when several are combined.

Two rows are one ticket only when they carry the same id from the same source (the
exporting tool, or a mapping's ``tool``): chunked exports of one tool meet and are
de-duplicated; a Zendesk ticket 101 and a Freshservice ticket 101 are two tickets.

- :func:`normalise`: an id copied through a spreadsheet or a web page picks up invisible
  characters (U+200B zero-width space, a BOM, a soft hyphen), no-break or full-width
  characters and stray spaces, and ``INC0001`` and ``INC0001\u200b`` would count as two
  tickets. Ids are brought to Unicode NFKC (full-width letters and digits, no-break
  spaces become plain ones), stripped of invisible format characters and of whitespace
  at the ends, with inner runs of whitespace folded to one space. Only ids that are not
  plain ASCII, or that start or end with whitespace, are touched: the usual export costs
  one pass of cheap checks. How many ids changed is reported per file.
- :func:`namespace`: with tickets from more than one source, every id (and the problem
  and change references, which point within the same source) becomes ``source:id``; a
  run over one source keeps its ids exactly as exported.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.text import SPACE, SPACE_RUNS, quote

#: Unicode format characters that never belong in an id: soft hyphen, Arabic letter mark,
#: Mongolian vowel separator, zero-width space/joiners and direction marks, line and
#: paragraph separators, bidi embeddings/overrides/isolates, word joiner and invisible
#: operators, BOM
INVISIBLE = ("[\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
             "\ufeff]")
#: canonical columns holding ticket ids of the same source
ID_COLUMNS = (m.TICKET_ID, m.PROBLEM_REF, m.CAUSED_BY_CHANGE, m.PARENT_REF)


def normalise(ids: pd.Series) -> tuple[pd.Series, int, str | None]:
    """``(ids normalised, how many changed, an example 'before' -> 'after')``."""
    import pyarrow.compute as pc

    from itsm_diag.importers.readers import may_need_trim

    if len(ids) == 0 or ids.isna().all():
        return ids, 0, None
    text = ids if m.is_arrow_text(ids) else ids.astype(m.STRING_DTYPE)
    column = text.array.__arrow_array__()  # a ChunkedArray of strings, no copy
    plain = _ascii(column)
    if plain and not may_need_trim(column):
        return ids, 0, None
    new = column
    if not plain:
        new = pc.utf8_normalize(new, "NFKC")
        new = pc.replace_substring_regex(new, INVISIBLE, "")
    new = pc.utf8_trim_whitespace(new)
    if not plain:
        new = pc.replace_substring_regex(new, SPACE_RUNS, " ")
        new = pc.replace_substring_regex(new, f"^{SPACE}+|{SPACE}+$", "")
    changed = pc.fill_null(pc.not_equal(new, column), False)
    n = int(pc.sum(changed).as_py() or 0)
    if not n:
        return ids, 0, None
    at = int(pc.index(changed, True).as_py())
    example = f"{quote(column[at].as_py())} -> {quote(new[at].as_py())}"
    # an id of invisible characters alone stays as it was: something is better than none
    new = pc.if_else(pc.fill_null(pc.equal(new, ""), False), column, new)
    out = pd.Series(pd.arrays.ArrowStringArray(new), index=ids.index, name=ids.name)
    return out.astype(m.STRING_DTYPE), n, example


def _ascii(column: object) -> bool:
    """Whether every byte of an Arrow string column is ASCII: one numpy ``max`` over each
    chunk's character buffer (a tenth of Arrow's per-value ``string_is_ascii``)."""
    import numpy as np

    for chunk in column.chunks:  # type: ignore[attr-defined]
        data = chunk.buffers()[2]
        if data is not None and data.size and int(np.frombuffer(data, np.uint8).max()) >= 0x80:
            return False
    return True


def note(changed: int, example: str | None) -> str:
    """The warning for a file whose ids :func:`normalise` changed."""
    return (f"{changed:,} ticket id(s) held invisible characters, odd spaces or full-width "
            f"forms and were normalised (e.g. {example}), so the same ticket is not counted "
            "twice")


def sources(parts_tools: Sequence[str]) -> list[str]:
    """The distinct sources, in order of first appearance."""
    return list(dict.fromkeys(parts_tools))


def namespace(frame: pd.DataFrame, source: str, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` with every present id in ``columns`` prefixed ``source:``."""
    out = frame.copy()
    prefix = f"{source}:"
    for col in columns:
        if col in out.columns:
            values = out[col]
            out[col] = (prefix + values.astype(m.STRING_DTYPE)).where(values.notna())
    return out


#: rows of one number whose opened times lie further apart than this are two tickets: a
#: ticket's opened time does not move (in the real ServiceNow audit log, none of 24,918
#: numbers carries two), while numbering restarted by a migration, or two instances'
#: tickets in one file, give one number to tickets opened months apart
REUSE_GAP = pd.Timedelta(days=1)


def split_reused(ids: pd.Series, opened: pd.Series) -> tuple[pd.Series, int, str | None]:
    """``(ids, how many numbers were held by more than one ticket, an example)``: a row
    opened more than :data:`REUSE_GAP` before the latest-opened row of its number is
    another ticket, its id ``NUMBER (opened YYYY-MM-DD)`` (the opened day, UTC); the
    latest-opened ticket keeps the number. A row without an id or an opened time is left
    as it is."""
    text = ids.astype(m.STRING_DTYPE)
    codes, _ = pd.factorize(text, use_na_sentinel=True)
    at = m.ts_us(opened)
    present = (codes >= 0) & (at != m.NAT)
    if not present.any():
        return ids, 0, None
    latest = np.full(int(codes.max()) + 1, m.NAT, dtype=np.int64)
    np.maximum.at(latest, codes[present], at[present])
    gap = int(REUSE_GAP / pd.Timedelta(microseconds=1))
    older = present & (at < latest[np.where(codes >= 0, codes, 0)] - gap)
    if not older.any():
        return ids, 0, None
    rows = np.flatnonzero(older)
    renamed = (text.iloc[rows] + " (opened "
               + opened.iloc[rows].dt.strftime("%Y-%m-%d").astype(m.STRING_DTYPE) + ")")
    out = text.copy()
    out.iloc[rows] = renamed.to_numpy()
    return out, int(np.unique(codes[rows]).size), f"{text.iloc[rows[0]]} -> {renamed.iloc[0]}"


def reused_note(numbers: int, example: str | None) -> str:
    """The warning for :func:`split_reused`'s tickets."""
    return (f"{numbers:,} {'number is' if numbers == 1 else 'numbers are'} held by tickets "
            f"opened more than {REUSE_GAP.days} day apart (e.g. {example}): read as "
            "different tickets (numbering restarted by a migration, or two instances' "
            "tickets in one export), the older ones named by their number and opened day; "
            "a ticket's own rows never carry two opened times")
