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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from itsm_diag.text import cap, shown

Listener = Callable[[str], None]

_listener: Listener | None = None
_hide: Callable[[str], str] | None = None

#: the longest stage a listener hears (a file name may be 255 bytes; a status is one line)
STAGE_LIMIT = 300


def say(text: str) -> None:
    """Tell the listener, if any, what the run is doing now."""
    listener = _listener
    if listener is None:
        return
    hide = _hide
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
    global _hide
    previous, _hide = _hide, hide
    try:
        yield
    finally:
        _hide = previous
