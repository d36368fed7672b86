"""Make a 10-million-ticket export by tiling a generated one (issue 7: "10M complete").

``synth.generate`` holds every ticket in memory while it builds them, so ten million
would need more memory than the diagnosis itself. This script instead streams an
existing ``make_data.py`` export N times into one CSV, renumbering the ``number``
column (``INC0000001``... across all copies) so every ticket id is distinct. Dates and
everything else repeat per copy: the file measures size, not realism::

    python benchmarks/make_data.py --sizes 1m
    python benchmarks/tile.py benchmarks/data/servicenow_incident_list_1m_s7.csv --times 10
    /usr/bin/time -v itsm-diag diagnose benchmarks/data/servicenow_incident_list_10m_tiled.csv \\
        --format json --output benchmarks/out/report_10m.json

Writes ``<stem without size>_<N x size>_tiled.csv`` next to the input (git-ignored).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

# benchmarks/ is not a package: run as a script, this folder is on sys.path
from make_data import size_label


def tile(src: Path, times: int) -> Path:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    table = pacsv.read_csv(src, convert_options=pacsv.ConvertOptions(
        column_types={}, strings_can_be_null=True, quoted_strings_can_be_null=True,
        auto_dict_encode=False))
    table = table.cast(pa.schema([(f.name, pa.string()) for f in table.schema]))
    n = table.num_rows
    stem = src.stem.rsplit("_", 2)[0]  # servicenow_incident_list_1m_s7 -> ..._list
    out = src.with_name(f"{stem}_{size_label(n * times)}_tiled.csv")
    tmp = out.with_suffix(".part")
    number = table.schema.get_field_index("number")
    digits = len(str(n * times))
    with pacsv.CSVWriter(tmp, table.schema,
                         write_options=pacsv.WriteOptions(quoting_style="all_valid")) as writer:
        for k in range(times):
            numbers = pc.cast(pa.array(np.arange(k * n + 1, (k + 1) * n + 1)), pa.string())
            ids = pc.binary_join_element_wise(
                "INC", pc.utf8_lpad(numbers, max(7, digits), "0"), "")
            writer.write_table(table.set_column(number, "number", ids))
    tmp.replace(out)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("--times", type=int, default=10)
    args = ap.parse_args()
    t0 = time.perf_counter()
    out = tile(args.src, args.times)
    print(f"{out} ({out.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
