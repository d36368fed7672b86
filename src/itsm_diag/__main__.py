"""The ``itsm-diag`` console script and ``python -m itsm_diag``.

``itsm-diag signs`` is answered here from the rule files' titles, before the command
line (typer) or the rule models (pydantic) are imported: a listing should cost what the
interpreter costs. Everything else goes to :func:`itsm_diag.cli.main`.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    """Run one ``itsm-diag`` command."""
    # Before numpy is imported (it reads this once): no transparent-huge-page advice on
    # numpy's large arrays. Where the kernel's THP defrag is "madvise" (a common
    # default), that advice makes page faults compact memory in place: at 1M tickets the
    # command's system time varied 0.6-2.1 s with it and 0.56-0.61 s without, for the
    # same work (benchmarks/README.md). A user's own setting wins.
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    if sys.argv[1:] == ["signs"]:
        from itsm_diag.rulefiles import print_titles

        try:
            done = print_titles()  # else the rule files need the validated load to say why
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left (| head): a normal end
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        if done:
            return
    from itsm_diag.cli import main as run

    run()


if __name__ == "__main__":
    main()
