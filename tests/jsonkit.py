"""What the JSON reader's tests share: a file's tables (or its error's text) as
``read_json`` gives them, and their comparison (names in order, cells, Arrow types,
warnings, delimiter)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from itsm_diag.errors import InputError
from itsm_diag.importers import jsonfiles


def tables(path: Path) -> Any:
    """``read_json``'s tables as (frame, warnings, delimiter), or its error's text."""
    try:
        return [(t.frame, t.warnings, t.delimiter) for t in jsonfiles.read_json(path)]
    except InputError as exc:
        return str(exc)


def same_tables(got: Any, want: Any) -> None:
    """Two :func:`tables` results are the same: the same error, or the same tables."""
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    assert len(got) == len(want)
    for (frame, *rest), (frame_w, *rest_w) in zip(got, want, strict=True):
        assert list(frame.columns) == list(frame_w.columns)
        assert frame.equals(frame_w)
        assert [str(t) for t in frame.dtypes] == [str(t) for t in frame_w.dtypes]
        assert rest == rest_w


@contextlib.contextmanager
def msgspec_refused() -> Iterator[None]:
    """msgspec refusing every text: the reading before it, the oracle of what it reads."""
    import msgspec

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise msgspec.DecodeError("refused")

    with mock.patch.object(msgspec.json, "decode", refuse):
        yield
