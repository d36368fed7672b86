"""S3 ``reporting``: the five core KPIs cannot be reported without manual assembly.

For each KPI (time to resolve, first-contact resolution via its proxy first-assignment
resolution, SLA adherence, volume by category, backlog trend) decide whether the export
supports it reliably, and when not, whether it is a configuration gap (the field exists
but is empty or junk) or a capability gap (no such field in the export). A field exists
when some ticket holds a value for it or some input of in-scope tickets read it from a
column of its header (``Context.read_fields``; not a column its tool fills only on other
kinds of tickets, ``unfilled_in_scope``: :func:`exported_fields`): a column in the
header blank on every row (or holding one tool default everywhere, read as not filled
on import) is a configuration gap; only a
field no input's header has and no ticket holds is a capability gap. Scope: incidents
and service requests. Fewer than ``min_done`` done in the window make the sign unknown.

Volume by category is judged on the classification the KPI panel counts the volume by
(:func:`~itsm_diag.signs.kpis.by_item`): a ticket's category, or, for a request of a
table with no category field (ServiceNow's requested items, which their catalogue item
classifies), its catalogue item: filled when that is, catch-all when that is one
(``catch_all_categories`` or the sign's ``catch_all_items``), uncategorised when blank.
A ServiceNow export's requests had made volume a configuration gap on every desk whose
requests are more than a tenth of its tickets.

A status the reading could not put in the vocabulary (a status the mapping's
``values.status`` does not name, a tool's custom status) leaves ``status`` empty and
``status_raw`` filled: the field is filled in the client's tool, so it is no
configuration gap. Such a KPI is ``unread``: not reliable in this report (its caveat
names the values and what to do), not counted as missing from the export; when counting
it would change the verdict, the sign is unknown (``absence_unproven``). Status is the
one field the sign checks that keeps a raw column.

A field some input files left out while their tool exports it (another file of the same
tool carries it; a done time, which every built-in tool exports: a Jira chunk taken with
"current fields" has no ``Resolved``) is neither a configuration nor a capability gap:
those files' tickets are not exported for it, not unfilled. A KPI computable over the
other files' tickets is ``export``: not reliable here, naming the files, counted apart as
``unread`` is.

An extract without the tickets open at its cut (selected on closure, none open, cut on
its updates, a tool's open tickets carried past its end: the extract shape) rebuilds no
week's backlog: the backlog trend is ``extract``, not reliable here (as the KPI panel
says), not counted as missing as ``unread`` is, and counted under its own metric
(``kpis_cut``, not ``kpis_unread``: nothing in such an export is unread): the
extract's, not the tool's.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePath
from typing import Any, Literal

import numpy as np
import pandas as pd

from itsm_diag import model as m
from itsm_diag.signs.backlog import NO_TREND_SHAPES
from itsm_diag.signs.base import Context, Figure, Measurement, Note, input_file, ratio
from itsm_diag.signs.common import (
    NEVER,
    fold_codes,
    fold_words,
    folded_in,
    phrase_pattern,
    sla_outcome,
    too_few,
    unread_labels,
)
from itsm_diag.signs.kpis import by_item
from itsm_diag.text import figure_beside, figure_exact, quote

#: ``unread``: the field is filled, with values the reading could not put in the
#: vocabulary (no gap of the export; the reading's to fix); ``export``: the field is
#: filled where the export carries it, and some input files left the column out (no gap
#: of the client's tool or workflow; the export's to redo)
Gap = Literal["configuration", "capability", "unread", "export", "extract"]
#: the gaps that say nothing of the client's tool: not counted as missing
NOT_THE_TOOLS: frozenset[str] = frozenset({"unread", "export", "extract"})
KPIS: tuple[str, ...] = (
    "time_to_resolve",
    "first_contact_resolution",
    "sla_adherence",
    "volume_by_category",
    "backlog_trend",
)


@dataclass
class Verdict:
    """One KPI: computable or not, the gap when not, a detail code and the fill share."""

    kpi: str
    computable: bool
    detail: str
    gap: Gap | None = None
    share: float | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {"kpi": self.kpi, "computable": self.computable, "gap": self.gap,
                "detail": self.detail, "share": self.share}


#: the extract shapes the backlog sign rebuilds no week's backlog from (its own list,
#: and an export selected on its update time, whose weeks lack the tickets still open
#: but untouched since its floor, as many in each)
_CUT_SHAPES: tuple[str, ...] = (*NO_TREND_SHAPES, "updated_since")


def _cut_shape(ctx: Context) -> str | None:
    """The first extract shape that leaves the backlog trend unreliable, by its code: an
    update cut whose own open tickets show that few can have gone untouched since its
    floor (:attr:`~itsm_diag.signs.shape.UpdatedSince.covered`) does not."""
    seen = ctx.shape.as_dict()
    cut = ctx.shape.updated_since
    covered = cut is not None and cut.covered
    return next((code for code in _CUT_SHAPES
                 if code in seen and not (code == "updated_since" and covered)), None)


def _share(part: pd.Series, whole: pd.Series) -> float:
    if part.dtype == bool and whole.dtype == bool:  # the usual masks: counted in numpy,
        # not through two pandas operations on a million rows
        of = whole.to_numpy()
        n = int(np.count_nonzero(of))
        return float(np.count_nonzero(part.to_numpy() & of)) / n if n else 1.0
    n = int(whole.sum())
    return float((part & whole).sum()) / n if n else 1.0


def _on_edge(share: float, n: int, limit: float, op: str) -> bool:
    """Whether one ticket more or less behind ``share`` (of ``n`` tickets) moves it
    across ``limit`` (``op`` the side that passes: ">=", "<" or "<=")."""
    if n <= 0:
        return False
    k = round(share * n)
    passes = {">=": float.__ge__, "<": float.__lt__, "<=": float.__le__}[op]
    now = passes(k / n, limit)
    return any(passes(j / n, limit) != now for j in (k - 1, k + 1) if 0 <= j <= n)


#: the shares a note prints beside a bar, each with the bar it is held against:
#: (figure, bar) param names
_BESIDE: tuple[tuple[str, str], ...] = (
    ("share", "min_fill"), ("read_share", "min_fill"), ("catch_all_share", "max_catch_all"),
    ("top_share", "one_value_share"))


def _shown(v: Verdict) -> dict[str, str]:
    """A verdict's shares as its note prints them beside their bars: ``<share>_shown``
    with the decimals that tell it from the bar (:func:`~itsm_diag.text.figure_beside`),
    ``<bar>_shown`` as the bar in force reads (:func:`~itsm_diag.text.figure_exact`). At
    the bar's precision a failing share read as a pass: "only 90% ... (needs 90%)" for
    1,043 of 1,160 (89.91%), "20% ... (at most 20% allowed)" for 239 of 1,193 (20.03%)."""
    values = {"share": v.share, **v.params}
    out: dict[str, str] = {}
    for name, bar in _BESIDE:
        figure, limit = values.get(name), values.get(bar)
        if isinstance(figure, int | float) and isinstance(limit, int | float):
            out[f"{name}_shown"] = figure_beside(float(figure), float(limit), "ratio")
            out[f"{bar}_shown"] = figure_exact(float(limit), "ratio")
    return out


def _verdict(kpi: str, ok: bool, absent: bool, sparse: str, share: float,
             prefix: str, **params: Any) -> Verdict:
    """ok -> computable; else a capability gap when the export lacks the column, a
    configuration gap (``sparse`` detail) when it has it but it is not filled enough."""
    if ok:
        return Verdict(kpi, True, "ok", None, share)
    if absent:
        return Verdict(kpi, False, f"{prefix}_no_field", "capability", share, params)
    return Verdict(kpi, False, sparse, "configuration", share, params)


#: in a column's name, these count as spaces (Custom field (Time to resolution),
#: u_sla_status, sla.result)
_COLUMN_SEPARATORS = re.compile(r"[_.\-]+")


def sla_columns(columns: tuple[str, ...], params: Mapping[str, Any],
                filled: Mapping[str, int] | None = None, needed: int = 0) -> list[str]:
    """The columns of the inputs' headers no field was read from
    (:attr:`Context.unread_columns`) whose name looks like an SLA outcome (a
    ``sla_column_words`` phrase, none of ``not_sla_column_words``), in the files' order:
    JSM's ``Custom field (Time to resolution)``, a text this report does not read. Named,
    never read: with ``filled`` (:attr:`Context.unread_filled`), only a column at least
    ``needed`` rows fill (the done tickets it would have to give an outcome to for the
    KPI to reach its bar): a Jira all-fields export carries every custom field of the
    site, filled or not, and an empty one keeps no SLA. A column ``filled`` does not know
    is named on its name alone."""
    looks = phrase_pattern([str(x) for x in params.get("sla_column_words", [])])
    not_it = phrase_pattern([str(x) for x in params.get("not_sla_column_words", [])])
    if looks == NEVER or not columns:
        return []
    out = []
    for column in columns:
        name = _COLUMN_SEPARATORS.sub(" ", column)
        if re.search(looks, name, re.IGNORECASE) and not (
                not_it != NEVER and re.search(not_it, name, re.IGNORECASE)) and (
                filled is None or column not in filled or filled[column] >= needed):
            out.append(column)
    return out


#: how many input files a note names before "and N more"
FILES_NAMED = 3


class _Files:
    """The input files the tickets came from (a file of one source tool: ``source_tool``
    with ``source_file``), and which fields each file carries at all.

    A file carries a field when some ticket read from it holds a value for it. A field
    no ticket of a file holds, while another file of the same tool holds it on tickets of
    the same kind, was left out of that file's export (a Jira "current fields" chunk
    without ``Resolved``): its tickets are not exported for that field, not unfilled. (A
    ServiceNow requested-item table, which has no category, left nothing out that the
    incident table holds.) A done time is exported by every built-in tool, so a built-in
    tool's file without one left it out even when no other file holds it, unless an
    input's header has the column (:func:`exported_fields`): then it is unfilled.
    """

    def __init__(self, ctx: Context, exported: frozenset[str] = frozenset()) -> None:
        t = ctx.tickets
        #: the fields an in-scope input's header has (:func:`exported_fields`)
        self.exported = exported
        tool_codes, tools = ctx.source_codes
        if m.SOURCE_FILE in t.columns:
            file_codes, files = ctx.distinct(m.SOURCE_FILE)
        else:
            file_codes, files = np.zeros(len(t), dtype=np.intp), pd.Series([pd.NA])
        self.ctx = ctx
        self._tools, self._tool_codes = tools, tool_codes
        self._seen: dict[tuple[str, ...], np.ndarray] = {}
        if len(t) and (file_codes == file_codes[0]).all() and \
                (tool_codes == tool_codes[0]).all():
            # one file of one tool (the usual export): one group, no key per ticket
            found = np.array([int(tool_codes[0]) * len(files) + int(file_codes[0])])
            self.group = np.zeros(len(t), dtype=np.intp)
        else:
            key = tool_codes.astype(np.int64) * len(files) + file_codes.astype(np.int64)
            # the (tool, file) pairs that hold tickets, numbered in order: no sort
            seen = np.bincount(key, minlength=len(tools) * len(files)) > 0
            found = np.flatnonzero(seen)
            self.group = (np.cumsum(seen) - 1)[key]
        self.names = [str(files.iloc[int(f)]) if pd.notna(files.iloc[int(f)]) else "?"
                      for f in found % len(files)]
        self._built_in = np.array(
            [pd.notna(tools.iloc[int(c)]) and str(tools.iloc[int(c)]) in m.BUILT_IN_TOOLS
             for c in found // len(files)], dtype=bool)

    @property
    def built_in(self) -> np.ndarray:
        """Per ticket: its file is a built-in tool's."""
        return self._spread(self._built_in)

    @cached_property
    def tool_kind(self) -> np.ndarray:
        """Per ticket: its tool and kind, as one code (read only when a file left a
        field out)."""
        kind_codes, kinds = self.ctx.distinct(m.KIND)
        return self._tool_codes.astype(np.int64) * len(kinds) + kind_codes

    @property
    def n_tool_kinds(self) -> int:
        return len(self._tools) * len(self.ctx.distinct(m.KIND)[1])

    def _filled(self, cols: tuple[str, ...]) -> np.ndarray:
        """Per ticket: one of ``cols`` holds a value (each set of columns read once: the
        done times are asked for by four KPIs)."""
        if cols not in self._seen:
            has = np.zeros(len(self.ctx.tickets), dtype=bool)
            for col in cols:
                has |= self.ctx.filled(col).to_numpy(dtype=bool)
            self._seen[cols] = has
        return self._seen[cols]

    def _holding(self, has: np.ndarray) -> np.ndarray:
        """Per file: some of its tickets is ``has`` (one file, the usual export: no pass
        over a million group numbers)."""
        if len(self.names) == 1:
            return np.array([bool(has.any())])
        return np.bincount(self.group[has], minlength=len(self.names)) > 0

    def _spread(self, per_file: np.ndarray) -> np.ndarray:
        """A per-file flag per ticket (all alike: no gather)."""
        if per_file.all() or not per_file.any():
            return np.full(len(self.group), bool(per_file.all()))
        return per_file[self.group]

    def holds(self, *cols: str) -> np.ndarray:
        """Per ticket: some ticket of its file holds a value in one of ``cols``."""
        return self._spread(self._holding(self._filled(cols)))

    def left_out(self, *cols: str, done_time: bool = False) -> np.ndarray:
        """Per ticket: its file holds none of ``cols`` while its tool exports one for
        tickets of its kind (a ticket of another file of the tool and of the same kind
        holds it; with ``done_time``, or the tool is a built-in one)."""
        has = self._filled(cols)
        in_files = self._holding(has)
        if in_files.all() or (not in_files.any()
                              and not self.exported.isdisjoint(cols)):
            # every file holds it: none left it out; or no file holds it while an input's
            # header has its column: it is exported, and left unfilled (a done time too)
            return np.zeros(len(self.group), dtype=bool)
        exported = (np.bincount(self.tool_kind[has], minlength=self.n_tool_kinds)
                    > 0)[self.tool_kind]
        if done_time:
            exported = exported | self.built_in
        return ~self._spread(in_files) & exported

    def rows(self, per_ticket: np.ndarray) -> pd.Series:
        """``per_ticket`` as a mask on the tickets' index."""
        return pd.Series(per_ticket, index=self.ctx.tickets.index)

    def named(self, rows: pd.Series) -> dict[str, Any]:
        """``files``: the files holding the tickets of ``rows`` (the first
        :data:`FILES_NAMED`, then how many more); ``left_out``: how many tickets."""
        held = np.flatnonzero(np.bincount(self.group[rows.to_numpy(dtype=bool)],
                                          minlength=len(self.names)))
        names = sorted(self.names[g] for g in held)
        text = ", ".join(names[:FILES_NAMED])
        if len(names) > FILES_NAMED:
            text += f" and {len(names) - FILES_NAMED} more"
        return {"files": text, "left_out": int(rows.sum())}


def _left_out_verdict(kpi: str, prefix: str, full_ok: bool, pop: pd.Series,
                      left: pd.Series, held_ok: bool, share: float, files: _Files,
                      gone_all: list[pd.Series], carried: np.ndarray,
                      **params: Any) -> Verdict | None:
    """The KPI's verdict when the export left its field out of some files: not
    computable over every ticket (``full_ok`` false), computable over the tickets of the
    files that carry the field (``held_ok``, or no such ticket), and some tickets of
    ``pop`` come from the files that do not (added to ``gone_all``). ``carried``: the
    tickets of the files that carry the field. None otherwise (judged as before)."""
    gone = pop & left
    if full_ok or not gone.any() or not held_ok:
        return None
    gone_all.append(gone)
    # some files carry the field (their share is the one given), or none does
    some = bool((pop.to_numpy(dtype=bool) & carried).any())
    detail = f"{prefix}_left_out" if some else f"{prefix}_not_exported"
    return Verdict(kpi, False, detail, "export", share,
                   {**params, **files.named(gone), "of": int(pop.sum())})


def _by_item_params(pop: pd.Series, item: pd.Series, ok: pd.Series,
                    catch: pd.Series) -> dict[str, Any]:
    """The volume's figures apart for the tickets of ``pop`` a catalogue item classifies
    (``item``) and the others: how many (``items``, ``others``), the share filled
    (``item_share``, ``other_share``: 1 when none) and the share blank or catch-all
    (``item_catch``, ``other_catch``)."""
    items, others = pop & item, pop & ~item
    return {"items": int(items.sum()), "others": int(others.sum()),
            "item_share": _share(ok, items), "other_share": _share(ok, others),
            "item_catch": _share(catch, items), "other_catch": _share(catch, others)}


def _top_value(ctx: Context, pop: pd.Series, item: np.ndarray) -> dict[str, Any]:
    """The one classification value that holds the most of the ``pop`` tickets (their
    category; a ticket ``item`` marks, its catalogue item: :func:`by_item`), compared
    case and spaces aside: ``top``, how many tickets; ``top_share``, their share of
    ``pop`` (0 when none is classified); ``value``, the value as a ticket of them holds
    it, quoted; ``n``, how many ``pop`` holds. One value on nearly every ticket is no
    breakdown by category: JSM's default request type, "Get IT help", on all 2,430
    incidents and requests read as a volume "filled well enough", one bar of 1,089."""
    rows = pop.to_numpy(dtype=bool)
    n = int(rows.sum())
    codes, keys = fold_codes(ctx, m.CATEGORY)
    codes = codes.astype(np.int64)
    column = np.full(len(codes), m.CATEGORY, dtype=object) if item.any() else None
    if column is not None:
        item_codes, item_keys = fold_codes(ctx, m.REQUEST_ITEM)
        # a catalogue item's code after the categories': the two are counted apart
        codes = np.where(item, np.where(item_codes >= 0, item_codes + len(keys), -1), codes)
        column[item] = m.REQUEST_ITEM
        size = len(keys) + len(item_keys)
    else:
        size = len(keys)
    held = rows & (codes >= 0)
    if not n or not held.any():
        return {"top": 0, "top_share": 0.0, "value": "", "n": n}
    per = np.bincount(codes[held], minlength=size)
    top = int(per.argmax())
    at = int(np.flatnonzero(held & (codes == top))[0])  # a ticket that holds it, as written
    name = m.CATEGORY if column is None else str(column[at])
    return {"top": int(per[top]), "top_share": float(per[top]) / n, "n": n,
            "value": quote(str(ctx.tickets[name].iloc[at]).strip(), 60)}


def exported_fields(ctx: Context, scope: pd.Series,
                    unfilled: Mapping[str, Any]) -> frozenset[str]:
    """The fields the export has for the tickets of ``scope`` by its header alone: those
    read from a column (:attr:`Context.read_fields`) by an input some of whose tickets are
    in ``scope`` (a change table's category says nothing of the incidents'), or by an
    input no ticket came from; less the columns ``unfilled`` lists for the input's tool,
    which its export has on every ticket but fills only on tickets of other kinds (the
    Zendesk admin CSV's Due date: tasks only)."""
    read = ctx.read_fields
    if isinstance(read, frozenset):  # one input of no known tool or file
        return read
    t = ctx.tickets
    tool_codes, tools = ctx.source_codes
    if m.SOURCE_FILE in t.columns:
        file_codes, files = ctx.distinct(m.SOURCE_FILE)
    else:
        file_codes, files = np.zeros(len(t), dtype=np.intp), pd.Series([pd.NA])
    def pair_of(k: int) -> tuple[str, str]:
        return str(tools.iloc[k // len(files)]), str(files.iloc[k % len(files)])

    in_scope = scope.to_numpy(dtype=bool)
    if len(t) and (file_codes == file_codes[0]).all() and \
            (tool_codes == tool_codes[0]).all():
        # one file of one tool (the usual export): its one pair, no key per ticket
        every = {pair_of(int(tool_codes[0]) * len(files) + int(file_codes[0]))}
        within = every if in_scope.any() else set()
    else:
        key = tool_codes.astype(np.int64) * len(files) + file_codes.astype(np.int64)
        size = len(tools) * len(files)

        def pairs(rows: np.ndarray) -> set[tuple[str, str]]:
            return {pair_of(int(k)) for k in np.flatnonzero(np.bincount(key[rows],
                                                                     minlength=size))}

        every = pairs(np.ones(len(t), dtype=bool))
        within = pairs(in_scope)
    # the tickets' source file is the file's name; the input's path has a sheet's name
    # after it ("tickets.xlsx [Tickets]"): the sheets of one workbook share their tickets'
    # file name, so which sheet a ticket came from is not known
    names = [PurePath(path).name for _, path, _ in read]
    bare = [input_file(path) for _, path, _ in read]
    inputs_of = Counter((tool, file) for (tool, _, _), file in zip(read, bare, strict=True))
    out: set[str] = set()
    for (tool, _, fields), name, file in zip(read, names, bare, strict=True):
        if name != file and inputs_of[tool, file] > 1:
            continue  # a sheet among others: its header says nothing of given tickets
        # an input no ticket came from, or one some of whose tickets are in scope
        if (tool, file) not in every or (tool, file) in within:
            out.update(fields.difference(unfilled.get(tool, ())))
    return frozenset(out)


def measure(ctx: Context, params: Mapping[str, Any]) -> Measurement:
    t = ctx.tickets
    w = ctx.window
    min_fill = float(params["min_fill"])

    def present(*cols: str) -> bool:
        """The export has one of ``cols``: some input's header has its column (empty or
        junk it may be), or some ticket of the export (any kind) holds a value for it."""
        return any(c in exported or bool(ctx.filled(c).any()) for c in cols)

    scope = ctx.of_kind("incident", "request")
    if not scope.any():
        return Measurement(unknown=Note(code="no_scope"))
    exported = exported_fields(ctx, scope, params.get("unfilled_in_scope", {}))
    opened = t[m.OPENED_AT]
    # without a status column a resolved/closed time still says the ticket is done
    status_known = t[m.STATUS].notna()
    finish = ctx.done_stamp
    finished = scope & (ctx.is_done() | (~status_known & finish.notna()))
    done_pop = finished & (w.contains(finish) | (finish.isna() & w.contains(opened)))
    if not done_pop.any():
        return Measurement(unknown=Note(code="no_done_tickets"))
    # fill shares of a handful of tickets cannot tell a configuration gap from chance
    short = too_few(int(done_pop.sum()), int(params["min_done"]))
    if short is not None:
        return Measurement(unknown=short)
    in_window = scope & ctx.opened_in_window()
    # the tickets of the files whose export left a field out: not exported for it, not
    # unfilled (a KPI computable over the other files' tickets is the export's gap)
    files = _Files(ctx, exported)
    gone_all: list[pd.Series] = []
    no_done_time = files.left_out(m.RESOLVED_AT, m.CLOSED_AT, done_time=True)
    left_done = files.rows(no_done_time)

    # time to resolve: both times on >= min_fill of done tickets, < max_negative negative
    both = done_pop & opened.notna() & finish.notna()
    negative = both & (finish < opened).fillna(False).astype(bool)
    times_share = _share(both, done_pop)
    # a held share is the whole share again when no file left the field out (the usual
    # export): not counted twice
    any_left_done = bool(no_done_time.any())
    held_times = _share(both, done_pop & ~left_done) if any_left_done else times_share
    neg_share = _share(negative, both) if both.any() else 0.0
    neg_ok = neg_share < float(params["max_negative"])
    ttr = _left_out_verdict(
        "time_to_resolve", "ttr", times_share >= min_fill and neg_ok, done_pop, left_done,
        held_times >= min_fill and neg_ok, held_times, files, gone_all,
        files.holds(m.RESOLVED_AT, m.CLOSED_AT), min_fill=min_fill,
    ) or _verdict(
        "time_to_resolve",
        times_share >= min_fill and neg_ok,
        not present(m.OPENED_AT) or not present(m.RESOLVED_AT, m.CLOSED_AT),
        "ttr_sparse" if held_times < min_fill else "ttr_negative",
        times_share if times_share >= min_fill else held_times, "ttr", min_fill=min_fill,
        negative_share=neg_share,
    )

    # first-contact resolution, by its proxy: first-assignment resolution
    fcr_filled = done_pop & t[m.REASSIGNMENT_COUNT].notna()
    fcr_share = _share(fcr_filled, done_pop)
    fcr_out = files.left_out(m.REASSIGNMENT_COUNT)
    left_fcr = files.rows(fcr_out)
    held_fcr = _share(fcr_filled, done_pop & ~left_fcr) if fcr_out.any() else fcr_share
    fcr = _left_out_verdict(
        "first_contact_resolution", "fcr", fcr_share >= min_fill, done_pop, left_fcr,
        held_fcr >= min_fill, held_fcr, files, gone_all,
        files.holds(m.REASSIGNMENT_COUNT), min_fill=min_fill,
    ) or _verdict("first_contact_resolution", fcr_share >= min_fill,
                  not present(m.REASSIGNMENT_COUNT), "fcr_sparse",
                  fcr_share if fcr_share >= min_fill else held_fcr, "fcr", min_fill=min_fill)

    # SLA adherence: the tickets with an SLA outcome, the one the KPI, sla-by-priority and
    # the drivers read (the flag, else a due time with a done time to hold it against); a
    # flag on the urgent few and a due time on the rest cover the done tickets together
    # (the larger of the two shares judged the panel on tickets its figure did not describe)
    sla_known = pd.Series(sla_outcome(ctx).known, index=t.index)
    sla_share = _share(done_pop & sla_known, done_pop)
    # a file gives an SLA outcome from its flag, or from a due time and a done time: it
    # left that out when it cannot, and could with the columns its tool exports
    # a flag the reading left empty where the file holds one (sla_met_raw) is filled in
    # the tool, as an unread status is: no gap of the export, unread in this report
    has_flag, has_due, has_done = (files.holds(m.SLA_MET, m.SLA_MET_RAW),
                                   files.holds(m.DUE_AT),
                                   files.holds(m.RESOLVED_AT, m.CLOSED_AT))
    flag_out = files.left_out(m.SLA_MET, m.SLA_MET_RAW)
    due_out = files.left_out(m.DUE_AT)
    sla_out = ~(has_flag | (has_due & has_done)) & (
        (has_flag | flag_out) | ((has_due | due_out) & (has_done | no_done_time)))
    left_sla = files.rows(sla_out)
    held_sla = (_share(done_pop & sla_known, done_pop & ~left_sla) if sla_out.any()
                else sla_share)
    sla = _left_out_verdict(
        "sla_adherence", "sla", sla_share >= min_fill, done_pop, left_sla,
        held_sla >= min_fill, held_sla, files, gone_all, has_flag | (has_due & has_done),
        min_fill=min_fill,
    ) or _verdict("sla_adherence", sla_share >= min_fill, not present(m.SLA_MET, m.DUE_AT),
                  "sla_sparse", sla_share if sla_share >= min_fill else held_sla, "sla",
                  min_fill=min_fill)
    sla_unread = done_pop & ~sla_known & t[m.SLA_MET].isna() & ctx.filled(m.SLA_MET_RAW)
    if sla.gap in ("configuration", "capability") and sla_unread.any():
        filled_share = _share(done_pop & (sla_known | sla_unread), done_pop)
        if filled_share >= min_fill:
            unread = unread_labels(ctx, m.SLA_MET_RAW, sla_unread)
            unread.pop("by_tool")
            sla = Verdict("sla_adherence", False, "sla_unread", "unread", filled_share,
                          {"min_fill": min_fill, "read_share": sla_share, **unread})
    # an SLA the export keeps in a column this report does not read (JSM's Time to
    # resolution, a text): the tool records it there, so it is no gap of the tool or the
    # workflow (it read "configuration gap ... attach an SLA to every ticket"), but
    # unread here, named, counted as a status left unread is; only where the export
    # fills it: on at least as many rows as the done tickets without a readable outcome
    # it would have to give one to for the KPI's bar (an empty column of a Jira
    # all-fields export, or a near-empty one, leaves the gap as it was)
    n_done = int(done_pop.sum())
    needed = math.ceil(min_fill * n_done - 1e-9) - int((done_pop & sla_known).sum())
    held_in = (sla_columns(ctx.unread_columns, params, ctx.unread_filled, max(needed, 1))
               if sla.gap in ("configuration", "capability") else [])
    if held_in:
        sla = Verdict("sla_adherence", False, "sla_column_unread", "unread", sla.share, {
            **sla.params, "columns": ", ".join(quote(c, 60) for c in held_in[:3])})

    # volume by category: filled, and not drowned in catch-all values. A request of a
    # table with no category field (ServiceNow's requested items) is classified by its
    # catalogue item, as the KPI panel counts it (kpis.by_item): filled when that is,
    # catch-all when that is (a blank one is uncategorised)
    vol_pop = in_window | done_pop
    item = by_item(ctx)
    catch_words = fold_words(ctx.defaults.get("catch_all_categories", []))
    # a blank category folds to <NA>, not "": it is caught by ~cat_ok, whatever the list
    catch_cat = folded_in(ctx, m.CATEGORY, catch_words)
    if item.any():
        item_words = catch_words | fold_words(params.get("catch_all_items", []))
        cat_ok = pd.Series(np.where(item, ctx.filled(m.REQUEST_ITEM).to_numpy(dtype=bool),
                                    ctx.filled(m.CATEGORY).to_numpy(dtype=bool)),
                           index=t.index)
        catch_cat = np.where(item, folded_in(ctx, m.REQUEST_ITEM, item_words), catch_cat)
    else:
        cat_ok = ctx.filled(m.CATEGORY)
    catch = ~cat_ok | pd.Series(catch_cat, index=t.index)
    item_rows = pd.Series(item, index=t.index)
    cat_share = _share(cat_ok, vol_pop)
    catch_share = _share(catch, vol_pop)
    max_catch = float(params["max_catch_all"])
    # one value on nearly every ticket (a tool's default request type left in place) is
    # no breakdown by category, however well filled and whatever its name
    # (on a queue too small for one value to say so, not judged: a share above any bar)
    one_value = float(params["one_value_share"])
    one_value_min = int(params["one_value_min_tickets"])
    top = _top_value(ctx, vol_pop, item)
    # the requests a catalogue item classifies left no category out: their table has none
    left_cat = files.rows(files.left_out(m.CATEGORY) & ~item)
    one_ok = bool(top["top_share"] < one_value or top["n"] < one_value_min)
    cat_ok_all = cat_share >= min_fill and catch_share <= max_catch and one_ok
    if (vol_pop & left_cat).any() and not cat_ok_all:
        cat_share = _share(cat_ok, vol_pop & ~left_cat)
        catch_share = _share(catch, vol_pop & ~left_cat)
        top = _top_value(ctx, vol_pop & ~left_cat, item)
        one_ok = bool(top["top_share"] < one_value or top["n"] < one_value_min)
    # which gap it is (a catalogue item's requests among them: its _items wording)
    gap = ("volume_sparse" if cat_share < min_fill else
           "volume_catch_all" if catch_share > max_catch else "volume_one_value")
    if gap != "volume_one_value" and (vol_pop & item_rows).any():
        gap += "_items"
    volume = _left_out_verdict(
        "volume_by_category", "volume", cat_ok_all, vol_pop, left_cat,
        cat_share >= min_fill and catch_share <= max_catch and one_ok,
        cat_share, files, gone_all, files.holds(m.CATEGORY), min_fill=min_fill,
    ) or _verdict(
        "volume_by_category", cat_ok_all,
        not present(m.CATEGORY) and not (
            bool((vol_pop & item_rows).any()) and present(m.REQUEST_ITEM)),
        gap, cat_share, "volume", min_fill=min_fill, catch_all_share=catch_share,
        max_catch_all=max_catch, one_value_share=one_value, **top,
        **_by_item_params(vol_pop, item_rows, cat_ok, catch),
    )

    # backlog trend: opened time, status, and a done time on done tickets. A status the
    # reading left empty while the file holds one (status_raw) is filled in the tool:
    # it counts as filled for the gap, and as unread for this report
    bl_pop = in_window | done_pop | (scope & ~finished)
    status_unread = pd.Series(False, index=t.index)
    if not bool(status_known.all()):
        status_unread = ~status_known & ctx.filled(m.STATUS_RAW)
    opened_share = _share(opened.notna(), bl_pop)
    done_share = _share(finish.notna(), bl_pop & finished)
    # with every status read (none unread) the two shares are one
    known_share = _share(status_known | status_unread, bl_pop)
    bl_read = min(opened_share, _share(status_known, bl_pop) if status_unread.any()
                  else known_share, done_share)
    bl_share = min(opened_share, known_share, done_share)
    status_out = files.left_out(m.STATUS, m.STATUS_RAW)
    left_status = files.rows(status_out)
    held_bl = min(opened_share,
                  _share(status_known | status_unread, bl_pop & ~left_status)
                  if status_out.any() else known_share,
                  _share(finish.notna(), bl_pop & finished & ~left_done)
                  if any_left_done else done_share)
    backlog_out = _left_out_verdict(
        "backlog_trend", "backlog", bl_share >= min_fill, bl_pop,
        (bl_pop & ~status_known & left_status) | (bl_pop & finished & left_done),
        held_bl >= min_fill, held_bl, files, gone_all,
        files.holds(m.RESOLVED_AT, m.CLOSED_AT) & files.holds(m.STATUS, m.STATUS_RAW),
        min_fill=min_fill,
    )
    if backlog_out is not None:
        backlog = backlog_out
    elif bl_read < min_fill <= bl_share:
        unread = unread_labels(ctx, m.STATUS_RAW, bl_pop & status_unread)
        unread.pop("reader")  # the two codes tell the built-in reading from the rest
        code = "backlog_unread" if unread.pop("by_tool") else "backlog_unmapped"
        backlog = Verdict("backlog_trend", False, code, "unread", bl_share,
                          {"min_fill": min_fill, "read_share": bl_read, **unread})
    else:
        backlog = _verdict(
            "backlog_trend", bl_share >= min_fill,
            not present(m.OPENED_AT) or not present(m.STATUS, m.STATUS_RAW)
            or not present(m.RESOLVED_AT, m.CLOSED_AT),
            "backlog_sparse", bl_share, "backlog", min_fill=min_fill,
        )

    cut = _cut_shape(ctx)
    if backlog.computable and cut is not None:
        # an extract without the tickets open at its cut rebuilds no week's backlog: not
        # reliable here (the KPI panel says so), but the tool is not short of it
        backlog = Verdict("backlog_trend", False, "backlog_extract", "extract", bl_share,
                          {"shape": cut, "lacks": Note(
                              code="cut_lacks_stale" if cut == "updated_since"
                              else "cut_lacks_open")})
    verdicts = [ttr, fcr, sla, volume, backlog]
    # per KPI: one ticket more or less behind a share it is judged by moves it across
    # its bar (the engine's one-ticket test of the verdict reads these)
    n_done, n_vol, n_bl = int(done_pop.sum()), int(vol_pop.sum()), int(bl_pop.sum())
    edges = [
        _on_edge(times_share, n_done, min_fill, ">=")
        or _on_edge(neg_share, int(both.sum()), float(params["max_negative"]), "<"),
        _on_edge(fcr_share, n_done, min_fill, ">="),
        _on_edge(sla_share, n_done, min_fill, ">="),
        _on_edge(cat_share, n_vol, min_fill, ">=")
        or _on_edge(catch_share, n_vol, max_catch, "<=")
        or (top["n"] >= one_value_min
            and _on_edge(float(top["top_share"]), int(top["n"]), one_value, "<")),
        _on_edge(opened_share, n_bl, min_fill, ">=")
        or _on_edge(known_share, n_bl, min_fill, ">=")
        or _on_edge(done_share, int((bl_pop & finished).sum()), min_fill, ">="),
    ]
    # a KPI left unread is not reliable here, but the export is not short of it: counted
    # apart, and the verdict is unknown when counting it as missing would change it
    not_computable = [v for v in verdicts if not v.computable]
    missing = [v for v in not_computable if v.gap not in NOT_THE_TOOLS]
    # each counted under its own label: a status the reading could not read, a trend
    # the extract's cut leaves unreliable, a column some files left out
    unread_kpis = [v for v in not_computable if v.gap in ("unread", "extract")]
    left_kpis = [v for v in not_computable if v.gap == "export"]
    # the KPI's code: the engine words it with the KPI's name in force
    notes = [Note(code=v.detail, params={"gap": v.gap, "share": v.share, **v.params,
                                         "kpi": v.kpi, **_shown(v)})
             for v in not_computable]
    decides = None
    if unread_kpis:
        first = unread_kpis[0]
        decides = Note(code=f"{first.detail}_decides",
                       params={"gap": first.gap, "share": first.share, **first.params,
                               "missing": len(missing)})
    elif left_kpis:
        every = files.named(pd.concat(gone_all, axis=1).any(axis=1))
        decides = Note(code="left_out_decides",
                       params={"missing": len(missing), "kpis": len(left_kpis),
                               "files": every["files"]})
    # a computable KPI one ticket could lose makes one more missing; a KPI short of
    # its fill by one ticket (a configuration gap) one fewer
    nudged = ([float(len(missing) + 1)] if any(
        e and v.computable for v, e in zip(verdicts, edges, strict=True)) else []) + (
        [float(len(missing) - 1)] if any(
            e and v.gap == "configuration" for v, e in zip(verdicts, edges, strict=True)) else [])
    return Measurement(
        metrics={
            "kpis_missing": Figure(value=float(len(missing)), numerator=float(len(missing)),
                                   denominator=float(len(KPIS)), nudged=nudged),
            "kpis_computable": Figure(value=float(len(KPIS) - len(not_computable))),
            "kpis_unread": Figure(value=float(sum(v.gap == "unread" for v in unread_kpis))),
            "kpis_cut": Figure(value=float(sum(v.gap == "extract" for v in unread_kpis))),
            "kpis_left_out": Figure(value=float(len(left_kpis))),
            "configuration_gaps": Figure(value=float(sum(v.gap == "configuration"
                                                         for v in missing))),
            "capability_gaps": Figure(value=float(sum(v.gap == "capability"
                                                      for v in missing))),
            "resolve_times_share": ratio(int(both.sum()), n_done,
                                         ctx.samples(done_pop & ~both)),
            "category_filled_share": ratio(int((cat_ok & vol_pop).sum()), n_vol,
                                           ctx.samples(vol_pop & ~cat_ok)),
            "catch_all_share": ratio(int((catch & vol_pop).sum()), n_vol,
                                     ctx.samples(vol_pop & catch)),
        },
        tables={"kpis": [v.row() for v in verdicts]},
        notes=notes,
        absence_unproven=decides,
        clear_case={"kpis_missing": float(len(not_computable))} if decides else {},
    )
