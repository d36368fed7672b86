"""The ``itsm-diag`` console script and ``python -m itsm_diag``.

``itsm-diag signs`` is answered here from the rule files' titles, before the command
line (typer) or the rule models (pydantic) are imported: a listing should cost what the
interpreter costs. Everything else goes to :func:`itsm_diag.cli.main`.

A command run also tells numpy, before it is imported, not to ask Linux for transparent
huge pages (:func:`no_huge_page_advice`), glibc's allocator to keep the memory it frees
(:func:`keep_freed_memory`), and pydantic not to look for plugins
(:func:`no_pydantic_plugins`).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping


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


#: glibc ``mallopt`` settings a command run takes (parameter code, value, name): freed
#: memory kept for reuse (no trim; the heap grown 256 MB at a time), blocks up to 32 MB
#: (glibc's ceiling) served from the heap rather than mapped afresh each time, and one
#: arena for every thread (the measuring threads' temporaries reuse the same pages)
MALLOPT_SETTINGS: tuple[tuple[int, int, str], ...] = (
    (-1, 2**31 - 1, "M_TRIM_THRESHOLD"),
    (-2, 256 << 20, "M_TOP_PAD"),
    (-3, 32 << 20, "M_MMAP_THRESHOLD"),
    (-8, 1, "M_ARENA_MAX"),
)


def malloc_tuned_by_user(environ: Mapping[str, str]) -> bool:
    """Whether the environment already tunes glibc's allocator (``GLIBC_TUNABLES`` or
    any ``MALLOC_*`` variable glibc reads): then the user's settings stand alone."""
    return "GLIBC_TUNABLES" in environ or any(k.startswith("MALLOC_") for k in environ)


def keep_freed_memory() -> list[str]:
    """Tell glibc's allocator, for this process, to keep the memory it frees and reuse
    it (:data:`MALLOPT_SETTINGS`), unless the user tunes the allocator themselves (then
    nothing changes) or the C library is not glibc (musl, macOS, Windows: nothing to
    do). Returns the names of the settings taken.

    A diagnosis frees and makes again hundreds of 8-32 MB temporaries (a column's codes,
    masks, sorted copies). By default glibc maps each block over its threshold afresh
    and unmaps it on free, and gives the heap's freed top back to the system: every new
    temporary is faulted in page by page again. Kept, the pages are reused. Measured
    (``benchmarks/README.md``, "Twenty-third session"): system time at 3M tickets 2.2
    -> 1.1 s, a third fewer page faults, the same peak memory and the same report.
    """
    if malloc_tuned_by_user(os.environ):
        return []
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return []
    except (AttributeError, ValueError, OSError):  # no confstr, or no such name here
        return []
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return []
    return [name for code, value, name in MALLOPT_SETTINGS if mallopt(code, value) == 1]


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
    keep_freed_memory()
    from itsm_diag.cli import main as run

    run()


if __name__ == "__main__":
    main()
