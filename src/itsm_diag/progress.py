"""Where a long run is: the pipeline says each stage, a display may listen.

Importers and the engine call :func:`say` at each stage (the file being read, the rows
read, the tool detected, the signs measured so far). Nothing is shown unless a listener
is attached with :func:`listening`: the command line attaches one only when stderr is a
terminal, so pipes, CI logs and tests see nothing. Listeners may be called from the
engine's measuring threads and must be cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

Listener = Callable[[str], None]

_listener: Listener | None = None


def say(text: str) -> None:
    """Tell the listener, if any, what the run is doing now."""
    listener = _listener
    if listener is not None:
        listener(text)


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send every :func:`say` inside the block to ``listener``."""
    global _listener
    previous, _listener = _listener, listener
    try:
        yield
    finally:
        _listener = previous
