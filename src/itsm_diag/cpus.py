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
