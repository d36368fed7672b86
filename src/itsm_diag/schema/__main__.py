"""``python -m itsm_diag.schema``: the JSON Schema of the JSON report.

Printed to standard output by default; ``-o FILE`` writes it to FILE (atomically, as a
report is written); ``--update`` rewrites the file shipped in the package
(``report.schema.json``), the developers' step after a change to the Report model. Only
``--update`` writes into the package: a user's read-only install is never touched.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

PROG = "python -m itsm_diag.schema"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Print the JSON Schema (draft 2020-12) of itsm-diag's JSON report\n"
                    "(--format json): the one the package ships as report.schema.json.",
        epilog=f"examples:\n  {PROG} > report.schema.json\n"
               f"  {PROG} -o report.schema.json\n"
               f"  {PROG} --update   # developers, after changing the Report model")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="FILE", type=Path,
                       help="write the schema to FILE (atomically) instead of standard "
                            "output")
    where.add_argument("--update", action="store_true",
                       help="developers: rewrite the package's own report.schema.json from "
                            "the Report model (in a source checkout) and print its path")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; the exit code: 0, or 2 with one error line on stderr (as for
    argparse's usage errors)."""
    from itsm_diag import schema
    from itsm_diag.errors import UsageError
    from itsm_diag.render import deliver
    from itsm_diag.text import shown

    args = _parser().parse_args(argv)
    try:
        if args.update:
            try:
                written = schema.write()
            except OSError as exc:
                where = Path(schema.__file__).with_name(schema.SCHEMA_FILE)
                raise UsageError(
                    f"cannot write the schema to {where}: {exc.strerror or exc}",
                    hint=f"--update is for a source checkout you can write to; to get the "
                         f"schema, print it ({PROG}) or write it with -o FILE") from exc
            deliver(None, f"{written}\n", "the schema's path")
        else:  # the writing, its errors and a closed pipe as for a report
            deliver(args.output, schema.text().rstrip("\n") + "\n", "the schema")
    except UsageError as error:
        print(shown(f"{PROG}: error: {error.one_line()}", one_line=True), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
