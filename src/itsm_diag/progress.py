"""Where a long run is: the pipeline says each stage, a display may listen.

Importers and the engine call :func:`say` at each stage (the file being read, the rows
read, the tool detected, the signs measured so far). Nothing is shown unless a listener
is attached with :func:`listening`: the command line attaches one only when stderr is a
terminal, so pipes, CI logs and tests see nothing. Listeners may be called from the
engine's measuring threads and must be cheap.

A stage names files, sheets and folders from outside, so what a listener hears is made
safe here, once, for every display: control characters and line breaks shown as
``\\x1b``-style escapes (a file named ``evil_<ESC>[31m.csv`` must not colour the
terminal), and, inside :func:`hiding` (a ``--redact`` run), every input named as the
report names it (``input 1``, ``the input folder``).

The hider belongs to the run that set it, not to the process: it is held in a
:class:`contextvars.ContextVar`, so two redacted runs in threads of one service each hide
their own names and neither leaves its hider behind for a later run. Threads a run
starts for itself (the engine's measuring threads) carry the run's context along
(:func:`carried`). The listener is the process's display and stays one for all threads.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from itsm_diag.text import cap, shown

Listener = Callable[[str], None]

_listener: Listener | None = None
#: the running diagnosis's hider (per run: a context variable, not a module global)
_hide: contextvars.ContextVar[Callable[[str], str] | None] = contextvars.ContextVar(
    "itsm_diag_progress_hide", default=None)

_T = TypeVar("_T")

#: the longest stage a listener hears (a file name may be 255 bytes; a status is one line)
STAGE_LIMIT = 300


def say(text: str) -> None:
    """Tell the listener, if any, what the run is doing now."""
    listener = _listener
    if listener is None:
        return
    hide = _hide.get()
    if hide is not None:
        text = hide(text)
    listener(cap(shown(text, one_line=True), STAGE_LIMIT))


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send every :func:`say` inside the block to ``listener``."""
    global _listener
    previous, _listener = _listener, listener
    try:
        yield
    finally:
        _listener = previous


@contextmanager
def hiding(hide: Callable[[str], str]) -> Iterator[None]:
    """Pass every :func:`say` inside the block through ``hide`` (a redacted run's input
    names replaced by their labels) before any listener hears it."""
    token = _hide.set(hide)
    try:
        yield
    finally:
        _hide.reset(token)


def carried(fn: Callable[..., _T]) -> Callable[..., _T]:
    """``fn`` to be run in another thread with the caller's context (its run's hider):
    a pool's worker thread starts with an empty one. Each call runs in a fresh copy, so
    calls in several threads at once never share a context."""
    context = contextvars.copy_context()

    def run(*args: Any, **kwargs: Any) -> _T:
        return context.copy().run(fn, *args, **kwargs)
    return run
