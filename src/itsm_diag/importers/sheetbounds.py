"""A workbook's declared sizes, checked on its XML bytes before the XLSX parser sees them.

calamine (the parser under fastexcel) allocates a sheet's whole used range at once, 32
bytes a cell, from the smallest to the largest row and column any cell names, and
reserves room for as many shared strings as ``sharedStrings.xml`` declares. A 2 KB
workbook with one cell at ``XFD1048576`` asks for 512 GiB, one with
``uniqueCount="4000000000"`` for 89 GiB, and a row number past 2^32 wraps around: the
allocation fails inside Rust, which aborts the process (SIGABRT), where no Python code
can answer. These checks run on the bytes :func:`~.guards._inflate` already inflates to
prove a workbook's declared sizes honest, with numpy, a chunk at a time:

- :class:`SheetBounds` reads every ``r="..."`` cell or row reference (an ``r``
  attribute spelt another way sends its chunk to a regular expression) for the largest
  row and column, and counts rows and the cells of each row by their end tags, for
  cells placed by position; a reference past Excel's own limits (1,048,576 rows, 16,384
  columns) is refused outright, and so is a used range (largest reference plus what
  position can add) holding more cells than the sheet has XML bytes (:data:`AREA_FLOOR`
  at least; a real sheet spends 15 or more bytes a cell). It costs about 3 ms of CPU a
  MB of sheet XML (0.2 s for ServiceNow's 100k-row workbook, 70 MB of XML), in the
  threads that inflate the parts;
- :func:`check_shared_strings` refuses a declared string count the part's size cannot
  hold (every string takes at least :data:`MIN_SI_BYTES` bytes of XML).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from itsm_diag.errors import InputError

#: Excel's own limits: a reference past them was not written by a spreadsheet program
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
#: cells a sheet's used range may always span (320 MB in calamine), however small its XML
AREA_FLOOR = 10_000_000
#: bytes of XML the smallest shared string takes (``<si/>``)
MIN_SI_BYTES = 5
#: shared strings any workbook may declare, however small its XML
SI_FLOOR = 100_000

_HINT = "open it in Excel and save it again as .xlsx, or export the tickets again"
#: `` r="``: what a reference's value follows
_REF_LEN = 4
#: a reference's bytes looked at: up to 3 letters, up to 7 digits, the closing quote
_WIDTH = 12
#: a chunk is cut before its last ``<`` at least this far from its end
_KEEP = 32
#: attribute spellings other than `` r="`` that an XML parser also reads as ``r``
#: (single quotes, spaces around ``=``, a tab or line break before it) are read, in the
#: rare chunk holding one, with this
_ANY_REF = re.compile(rb"\sr\s*=\s*[\"']([A-Za-z]*)(\d*)")
_SPACES = np.zeros(256, dtype=bool)
_SPACES[[9, 10, 13, 32]] = True


def _r_attributes(head: np.ndarray) -> tuple[np.ndarray, int]:
    """The positions of the `` r="`` references, and how many attributes are named ``r``
    however spelt (``r='``, ``r = "``, after a tab or line break): one pass over the
    ``r`` bytes."""
    at = np.flatnonzero(head[1:-2] == ord("r")) + 1
    before, eq = head[at - 1], head[at + 1]
    named = _SPACES[before] & ((eq == ord("=")) | _SPACES[eq])
    standard = named & (before == ord(" ")) & (eq == ord("=")) & (head[at + 2] == ord('"'))
    return at[standard] - 1, int(named.sum())


class SheetBounds:
    """The largest row and column one worksheet part can make calamine allocate.

    Every `` r="..."`` attribute is read for its row and column (an ``r`` attribute
    spelt another way sends the chunk to a regular expression). Cells and rows placed by
    position (without ``r``) are bounded by counting: the row is at most the largest
    referenced row plus the number of rows, the column at most the largest referenced
    column plus the most cells any row holds. Rows and cells are counted by their end
    tags (``</c>``, ``</x:c>``, ``</row>``): calamine reads a cell from its start tag to
    its end tag, and moves to the next row at a row's end.
    """

    def __init__(self, path: Path, part: str, size: int) -> None:
        self.path, self.part, self.size = path, part, size
        self.max_row = 0
        self.max_col = 0
        self.rows = 0
        self.row_cells = 0  # cells of the row still open at the last chunk's end
        self.widest_row = 0
        self._tail = b""

    def feed(self, chunk: bytes, last: bool = False) -> None:
        data = self._tail + chunk
        # cut before the last tag that may not be whole, so no tag or reference is split
        # between two chunks
        upto = len(data) if last else max(data.rfind(b"<", 0, max(len(data) - _KEEP, 0)), 0)
        self._tail = data[upto:]
        if upto:
            self._scan(data, upto)
        if last:
            self._check()

    def _scan(self, data: bytes, upto: int) -> None:
        arr = np.frombuffer(data, dtype=np.uint8)
        pad = np.concatenate([arr, np.zeros(_WIDTH + 8, dtype=np.uint8)])
        head = arr[:upto]
        refs, named = _r_attributes(head)
        self._refs(pad, refs)
        if named > len(refs):  # an r attribute spelt another way
            self._odd_refs(data[: upto + _KEEP])
        closes = np.flatnonzero(head[1:] == ord(">")) + 1  # the '>' of "c>" and "row>"
        closes = closes[closes >= 3]
        b1, b2, b3 = pad[closes - 1], pad[closes - 2], pad[closes - 3]
        cells = closes[(b1 == ord("c")) & ((b2 == ord("/")) | (b2 == ord(":")))]
        rows = closes[(b1 == ord("w")) & (b2 == ord("o")) & (b3 == ord("r"))]
        rows = rows[(pad[rows - 4] == ord("/")) | (pad[rows - 4] == ord(":"))]
        self.rows += len(rows)
        owner = np.searchsorted(rows, cells)  # 0: the row open since the last chunk
        counts = np.bincount(owner, minlength=len(rows) + 1)
        counts[0] += self.row_cells
        self.widest_row = max(self.widest_row, int(counts.max()))
        self.row_cells = int(counts[-1]) if len(rows) else int(counts[0])

    def _refs(self, pad: np.ndarray, at: np.ndarray) -> None:
        """The largest row and column of the `` r="..."`` references at ``at``; one past
        Excel's limits is refused. Column by column (one gather each): a reference is at
        most 3 letters and 7 digits long."""
        if not len(at):
            return
        base = at + _REF_LEN
        letters = np.zeros(len(at), dtype=np.int64)
        col = np.zeros(len(at), dtype=np.int64)
        going = np.ones(len(at), dtype=bool)
        for i in range(4):
            low = pad[base + i] | 0x20
            going &= (low >= ord("a")) & (low <= ord("z"))
            letters += going
            col = np.where(going, col * 26 + (low.astype(np.int64) - (ord("a") - 1)), col)
        digits = np.zeros(len(at), dtype=np.int64)
        row = np.zeros(len(at), dtype=np.int64)
        going[:] = True
        for i in range(8):
            b = pad[base + letters + i]
            going &= (b >= ord("0")) & (b <= ord("9"))
            digits += going
            row = np.where(going, row * 10 + (b.astype(np.int64) - ord("0")), row)
        if letters.max() > 3 or digits.max() > 7:
            self._refuse_reference()
        self.max_row = max(self.max_row, int(row.max()))
        self.max_col = max(self.max_col, int(col.max()))
        if self.max_row > EXCEL_ROWS or self.max_col > EXCEL_COLUMNS:
            self._refuse_reference()

    def _odd_refs(self, data: bytes) -> None:
        """References spelt another way (quotes, spaces): read one by one (rare)."""
        for letters, digits in _ANY_REF.findall(data):
            if len(letters) > 3 or len(digits) > 7:
                self._refuse_reference()
            col = 0
            for ch in letters.upper():
                col = col * 26 + ch - ord("A") + 1
            self.max_col = max(self.max_col, col)
            self.max_row = max(self.max_row, int(digits or 0))
        if self.max_row > EXCEL_ROWS or self.max_col > EXCEL_COLUMNS:
            self._refuse_reference()

    def _refuse_reference(self) -> None:
        raise InputError(
            f"the workbook's sheet {self.part!r} names a cell beyond Excel's limits "
            f"({EXCEL_ROWS:,} rows, {EXCEL_COLUMNS:,} columns): it was not written by a "
            "spreadsheet program, and reading it would exhaust memory",
            file=self.path, hint=_HINT)

    def _check(self) -> None:
        # at most: every row or cell placed by position after the largest reference
        rows, cols = self.max_row + self.rows, self.max_col + self.widest_row
        area = rows * cols
        limit = max(AREA_FLOOR, self.size)
        if area > limit:
            raise InputError(
                f"the workbook's sheet {self.part!r} spans up to {rows:,} rows by {cols:,} columns "
                f"({area:,} cells) but holds {self.size:,} bytes: reading it would take "
                f"{area * 32 / 2**30:,.0f} GiB of memory",
                file=self.path, hint=_HINT)


_COUNT = re.compile(rb'\b(?:uniqueCount|count)\s*=\s*["\'](\d+)["\']')


def check_shared_strings(path: Path, size: int, head: bytes) -> None:
    """Refuse a shared-string table declaring more strings than its size can hold."""
    start = head.find(b"<sst")
    if start < 0:
        return
    tag = head[start: head.find(b">", start) + 1 or len(head)]
    declared = max((int(n) for n in _COUNT.findall(tag)), default=0)
    room = max(SI_FLOOR, size // MIN_SI_BYTES)
    if declared > room:
        raise InputError(
            f"the workbook declares {declared:,} shared strings in {size:,} bytes, room for "
            f"{room:,} at most: reading it would exhaust memory",
            file=path, hint=_HINT)
