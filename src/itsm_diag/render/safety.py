"""The output-safety layer: every string from outside made safe for the format it lands in.

File names, headers, cell values, ticket ids, config values and a baseline report's
fields all reach people through the renderers, the command line's own lines (``inspect``,
``batch``, ``compare``) and stderr. Rather than trusting each place that prints one to
remember, each format passes the whole Report (or Comparison) through one function here
before it is arranged:

- terminal: control characters (escape sequences, OSC 52 clipboard writes, bidi
  overrides, zero-width characters) are shown as ``\\x1b``-style escapes, lone surrogates
  become U+FFFD, and a line break inside a value is shown as ``\\x0a``, so a file name or
  id can never start a line of its own (a fake ``itsm-diag: score 0/7 HEALTHY``);
- Markdown: the same, with line breaks inside a value folded to a space (a Markdown
  line break would start a new block); :func:`itsm_diag.render.markdown.md` then escapes
  the Markdown and HTML syntax of every piece;
- HTML: control characters shown and surrogates replaced (Jinja's autoescaping then
  makes markup inert); line breaks are harmless there and kept;
- JSON: only lone surrogates are replaced (JSON escapes every control character itself,
  and a program reading the report gets the text as typed).

A trailing line break (rule-file text ends with one) is kept in every format: it cannot
start a line anyone else wrote. :func:`line` is the same for one line of the command
line's own output (stdout or stderr).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from itsm_diag.text import shown

M = TypeVar("M", bound=BaseModel)

_SURROGATE = re.compile("[\ud800-\udfff]")
#: a line break with more text after it in the same value
_INNER_BREAK = re.compile("(?:\r\n|[\n\r\u2028\u2029\x85\x0b\x0c])(?=.*\\S)", re.S)


def _break(match: re.Match[str]) -> str:
    """A line break inside a value, shown as its escape (CR LF as one ``\\x0a``)."""
    code = ord(match.group()[-1])
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def _terminal(text: str) -> str:
    return shown(_INNER_BREAK.sub(_break, text))


def _markdown(text: str) -> str:
    return shown(_INNER_BREAK.sub(" ", text))


def _html(text: str) -> str:
    return shown(text)


def _json(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


#: the string function of each format
_FORMATS: dict[str, Callable[[str], str]] = {
    "terminal": _terminal, "markdown": _markdown, "html": _html, "json": _json,
}


def _walk(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, BaseModel):
        return _model(value, fn)
    if isinstance(value, list):
        return [_walk(v, fn) for v in value]
    if isinstance(value, tuple):
        return tuple(_walk(v, fn) for v in value)
    if isinstance(value, dict):
        return {_walk(k, fn): _walk(v, fn) for k, v in value.items()}
    return value


def _model(model: M, fn: Callable[[str], str]) -> M:
    changes = {}
    for name in type(model).model_fields:
        old = getattr(model, name)
        new = _walk(old, fn)
        if new is not old:
            changes[name] = new
    return model.model_copy(update=changes) if changes else model


def safe(model: M, fmt: str) -> M:
    """A copy of ``model`` (a Report or Comparison) with every string made safe for
    ``fmt`` (terminal, markdown, html or json); numbers and structure unchanged."""
    return _model(model, _FORMATS[fmt])
