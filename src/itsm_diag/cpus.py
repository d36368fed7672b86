"""How many CPUs this process may use: one answer for every thread pool in the tool."""

from __future__ import annotations

import os


def usable() -> int:
    """The CPUs the process may run on (its affinity mask on Linux, so a container pinned
    to one CPU gets 1), else the machine's count; at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def wanted(most: int) -> int:
    """How many CPUs a pool of the tool uses: ``ITSM_DIAG_THREADS`` when it is a positive
    whole number (1: everything in one thread and one process), else :func:`usable`, at
    most ``most``."""
    asked = os.environ.get("ITSM_DIAG_THREADS", "").strip()
    if asked.isdigit() and int(asked) > 0:
        return int(asked)
    return min(most, usable())
