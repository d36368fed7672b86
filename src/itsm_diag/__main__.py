"""The ``itsm-diag`` console script and ``python -m itsm_diag``.

``itsm-diag signs`` is answered here from the rule files' titles, before the command
line (typer) or the rule models (pydantic) are imported: a listing should cost what the
interpreter costs. Everything else goes to :func:`itsm_diag.cli.main`.

A command run also tells numpy, before it is imported, not to ask Linux for transparent
huge pages (:func:`no_huge_page_advice`), and pydantic not to look for plugins
(:func:`no_pydantic_plugins`).
"""

from __future__ import annotations

import os
import sys


def no_huge_page_advice() -> None:
    """Turn off numpy's ``MADV_HUGEPAGE`` advice on its large arrays for this process,
    unless the user set ``NUMPY_MADVISE_HUGEPAGE`` (numpy's own switch, read once when
    numpy is imported).

    A diagnosis is one short process that makes and frees hundreds of 1-25 MB temporaries:
    faulting them in as 2 MB pages and splitting those pages again when they are freed
    cost far more system time than the fewer TLB misses save. Measured on the benchmark
    machine (``benchmarks/README.md``, "Huge pages"): 1M tickets 3.37 -> 2.33 s, 3M 9.3 ->
    5.9 s, the same user time and the same report; 100k unchanged. See also numpy issue
    31590 (advised memory stalling later allocations).
    """
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")


def no_pydantic_plugins() -> None:
    """Tell pydantic, unless the user set ``PYDANTIC_DISABLE_PLUGINS``, not to look for
    plugins for this process: the first report model built scans every installed
    package's entry points for them (``importlib.metadata``, 15-40 ms of each command
    run), and a command's models are never meant to be instrumented. Library callers
    (``import itsm_diag``) keep their plugins."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def main() -> None:
    """Run one ``itsm-diag`` command."""
    no_huge_page_advice()
    no_pydantic_plugins()
    # a closed standard output (>&-) is said by the command line's one error line
    if sys.argv[1:] == ["signs"] and sys.stdout is not None:
        from itsm_diag.rulefiles import print_titles

        try:
            done = print_titles()  # else the rule files need the validated load to say why
            sys.stdout.flush()
        except BrokenPipeError:  # the reader left (| head): a normal end
            from itsm_diag.text import silence_stdout

            silence_stdout()
            return
        if done:
            return
    from itsm_diag.cli import main as run

    run()


if __name__ == "__main__":
    main()
