"""Review 4's Jira cliffs (fixjira): the repeated Comment / Log Work / issue-link columns
are read by their filled cells only and cut by Arrow kernels, comment times stay typed,
and date-format screening skips strptime calls that cannot succeed. These pin the new
code to the old code's answers: the old ``_cells``, ``_pick_link`` and ``_events`` and
the old ``_screen`` / ``_looks_iso`` are kept here verbatim as the reference (speed is
measured by the benchmarks, never by a test)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from itsm_diag import model as m
from itsm_diag.importers import dates, jira
from itsm_diag.importers.base import ImportOptions
from itsm_diag.importers.readers import read_raw

# --- the code before the fix (441f599), as the reference --------------------------------


def _old_cells(frame: pd.DataFrame, headers: list[str], parts: int) -> pd.DataFrame:
    empty = pd.DataFrame({"row": pd.Series([], dtype="int64"),
                          "at": pd.Series([], dtype=m.STRING_DTYPE),
                          "author": pd.Series([], dtype=m.STRING_DTYPE),
                          "body": pd.Series([], dtype=m.STRING_DTYPE)})
    if not headers:
        return empty
    block = frame[headers].copy()
    block.columns = range(len(headers))
    block["row"] = np.arange(len(frame))
    long = block.melt(id_vars="row", var_name="pos", value_name="cell").dropna(subset=["cell"])
    if long.empty:
        return empty
    long = long.sort_values(["row", "pos"], kind="stable")
    cell = long["cell"].astype(m.STRING_DTYPE)
    split = cell.str.split(";", n=parts - 1, expand=True).reindex(
        columns=range(parts)).astype(m.STRING_DTYPE)
    shaped = cell.str.match(r"^[^;\n]{6,40};[^;\n]*;").fillna(False).astype(bool)
    body = split[parts - 1].astype(m.STRING_DTYPE).fillna("")
    return pd.DataFrame({
        "row": long["row"].to_numpy(),
        "at": split[0].where(shaped).str.strip().to_numpy(),
        "author": split[1].where(shaped).str.strip().to_numpy(),
        "body": body.where(shaped, cell).str.strip().to_numpy(),
    }).astype({"at": m.STRING_DTYPE, "author": m.STRING_DTYPE, "body": m.STRING_DTYPE})


def _old_pick_link(frame: pd.DataFrame, family: list[tuple[str, str]], keys: pd.Series,
                   kind: pd.Series, key_kind: pd.Series, target: str) -> pd.Series:
    result = pd.Series(pd.NA, index=frame.index, dtype=m.STRING_DTYPE)
    if not family:
        return result
    parts = []
    for pos, (h, direction) in enumerate(family):
        parts.append(pd.DataFrame({"row": np.arange(len(frame)), "pos": pos,
                                   "inward": direction == "inward",
                                   "key": frame[h].to_numpy(dtype=object)}))
    long = pd.concat(parts, ignore_index=True).dropna(subset=["key"])
    long["linked"] = long["key"].map(key_kind)
    long["own"] = kind.to_numpy(dtype=object)[long["row"].to_numpy()]
    long["own_key"] = keys.to_numpy(dtype=object)[long["row"].to_numpy()]
    # review 21 (defect 2): a change link counts in its causing direction only (an
    # incident's inward "is caused by", a change's outward "causes"); a problem link either
    directed = target == "change"
    # review 22b (item 5): a problem link to an issue not in the file either way too, the
    # inward one first
    fwd = long[(long["own"] != target) & (long["inward"] | (not directed))
               & ((long["linked"] == target)
                  | (long["linked"].isna() & (long["inward"] | (not directed))))]
    fwd = fwd.assign(rank=np.where(fwd["linked"] == target, 0,
                                   np.where(fwd["inward"], 1, 2)))
    fwd = fwd.sort_values(["row", "rank", "pos"], kind="stable").drop_duplicates("row")
    result.iloc[fwd["row"].to_numpy()] = fwd["key"].to_numpy()
    back = long[(long["own"] == target) & (long["linked"] != target) & long["linked"].notna()
                & (~long["inward"] | (not directed))]
    if len(back):
        by_key = back.drop_duplicates("key").set_index("key")["own_key"]
        fill = keys.map(by_key).astype(m.STRING_DTYPE)
        result = result.fillna(fill.where((kind != target).fillna(True).to_numpy()))
    return result


def _old_events(
    comments: pd.DataFrame,
    work: pd.DataFrame,
    stamps: pd.Series | None,
    frame: pd.DataFrame,
    cols: dict[str, str],
    ids: pd.Series,
    warnings: list[str],
) -> pd.DataFrame:
    """Comment and work-log cells -> events; comment roles by matching the reporter."""
    if stamps is None or (comments.empty and work.empty):
        return m.empty_events()
    n_c = len(comments)
    at = stamps.reset_index(drop=True)
    both = pd.concat([comments.assign(kind="comment"), work.assign(kind="worklog")],
                     ignore_index=True)
    both = both.assign(at=at.iloc[: len(both)].to_numpy())
    author = both["author"]
    # match authors to reporters in the same identity space (account ids or names)
    ids_like = author.dropna().str.match(jira._ACCOUNT_RE).mean() > 0.5 if author.notna().any() \
        else False
    rep_key = "_reporter_id" if ids_like and "_reporter_id" in cols else m.REQUESTER
    agent_key = "_assignee_id" if rep_key == "_reporter_id" else m.ASSIGNEE
    role = pd.Series(pd.NA, index=both.index, dtype="object")
    rows = both["row"].to_numpy()
    if rep_key in cols:
        reporters = frame[cols[rep_key]].astype(m.STRING_DTYPE)
        reporter = pd.Series(reporters.array.take(rows), index=both.index)
        # looked up by hash, not through a Python set built ticket by ticket
        known = author.isin(reporters.dropna().unique())
        if agent_key in cols:
            known |= author.isin(frame[cols[agent_key]].astype(m.STRING_DTYPE).dropna().unique())
        known = known.fillna(False)
        if author.notna().any() and known[author.notna()].mean() >= 0.2:
            is_req = (author == reporter).fillna(False).astype(bool)
            role = pd.Series(np.where(is_req, "requester", "agent"), index=both.index,
                             dtype="object").where(author.notna() & reporter.notna())
        else:
            role[:] = pd.NA
            warnings.append("comment authors are not in the same form as the Reporter "
                            "column (account ids vs names): comment roles left unknown; "
                            "export with Reporter Id to tell requesters from agents")
    elif n_c:
        warnings.append("no Reporter column: comment roles left unknown")
    # work logs are agents' time entries whoever wrote them
    role = role.mask(both["kind"] == "worklog", "agent")
    return pd.DataFrame({
        m.EV_TICKET_ID: ids.to_numpy(dtype=object)[rows],
        m.EV_AT: both["at"].to_numpy(),
        m.EV_KIND: both["kind"].to_numpy(),
        m.EV_AUTHOR_ROLE: role.to_numpy(),
        m.EV_AUTHOR: author.to_numpy(),
        m.EV_VALUE: both["body"].to_numpy(),
    }).loc[lambda e: e[m.EV_TICKET_ID].notna()]


def _old_screen(sample: pd.Series, allowed: int, n: int = 24) -> list[tuple[str, object]]:
    head = [str(x).strip() for x in sample.iloc[:n]]
    limit = min(allowed, len(head) - 1)
    shapes = [dates._NUMERIC_FILL.sub("", value) for value in head]
    lettered = [any(c.isalpha() for c in value) for value in head]
    named = not dates._names_hold_letters()
    out = []
    for fmt, order in dates.CANDIDATES:
        skeleton = dates._SKELETONS[fmt]
        failed = 0
        for value, shape, letter in zip(head, shapes, lettered, strict=True):
            fits = shape == skeleton if skeleton is not None else letter or named
            if fits:
                try:
                    datetime.strptime(value, fmt)
                except ValueError:
                    fits = False
            if not fits:
                failed += 1
                if failed > limit:
                    break
        if failed <= limit:
            out.append((fmt, order))
    return out


# --- inputs -----------------------------------------------------------------------------

#: cells a Comment / Log Work column may hold: shaped or not, ';' and newlines in the
#: body, a first field too short or too long, padding, three and four parts, non-ASCII
_CELLS = [
    "02/Oct/25 8:57 AM;557058:abc;Printer on fire; please help",
    "02/Oct/25 9:17 PM;Anna Berg;line one\nline two; and ; more",
    "13/Mär/26 1:05 PM;Jörg;Grüße",
    "  03/Oct/25 10:00 AM ; Bob ;  padded body  ",
    "no separators at all",
    "short;x;y",
    "x" * 41 + ";author;too long a date field",
    "02/Oct/25 8:57 AM;;empty author",
    "02/Oct/25 8:57 AM;a\nb;newline in the author",
    "02/Oct/25 8:57 AM\n;a;newline in the date",
    "02/Oct/25 8:57 AM;bob;3600",
    "02/Oct/25 8:57 AM;bob;3600;fixed the printer; twice",
    "02/Oct/25 8:57 AM;bob;",
    "02/Oct/25 8:57 AM;bob;3600;",
    "",
    "   ",
    "02/Oct/25 8:57 AM;bob",
    "日本語の日付です;担当者;本文;続き",
]


def _repeated_frame(n_rows: int, n_cols: int, name: str, seed: int) -> pd.DataFrame:
    """``n_cols`` repeated columns, mostly empty, a few rows filled (one row wide)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, list[object]] = {}
    for c in range(n_cols):
        values: list[object] = [None] * n_rows
        if c < 3:  # the first columns filled on many rows
            for r in rng.choice(n_rows, size=n_rows // 2, replace=False):
                values[r] = _CELLS[int(rng.integers(len(_CELLS)))]
        values[0] = _CELLS[c % len(_CELLS)]  # one issue with every column filled
        cols[name if c == 0 else f"{name}.{c}"] = values
    cols["Issue key"] = [f"ITSM-{i}" for i in range(n_rows)]
    return pd.DataFrame(cols)


def _as_arrow(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(m.STRING_DTYPE)


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=True)


# --- tests ------------------------------------------------------------------------------


@pytest.mark.parametrize("arrow", [True, False])
@pytest.mark.parametrize("parts", [3, 4])
def test_cells_equal_the_melted_cells(arrow: bool, parts: int) -> None:
    frame = _repeated_frame(60, 40, "Comment", seed=parts)
    if arrow:
        frame = _as_arrow(frame)
    headers = jira.repeated(list(frame.columns), "Comment")
    new = jira._cells(frame, headers, parts)
    _same(new, _old_cells(frame, headers, parts))
    assert len(new) > 40  # the one wide row and the filled columns were read
    assert list(new.dtypes) == [np.dtype("int64"), m.STRING_DTYPE, m.STRING_DTYPE,
                                m.STRING_DTYPE]


def test_cells_of_empty_and_absent_columns() -> None:
    frame = _as_arrow(pd.DataFrame({"Comment": [None, None], "Comment.1": [None, None]}))
    for headers in ([], ["Comment", "Comment.1"]):
        _same(jira._cells(frame, headers, 3), _old_cells(frame, headers, 3))


@pytest.mark.parametrize("arrow", [True, False])
def test_links_equal_the_full_length_frames(arrow: bool) -> None:
    n, width = 80, 60
    rng = np.random.default_rng(5)
    keys = [f"ITSM-{i}" for i in range(n)]
    kinds = ["problem" if i % 10 == 0 else "change" if i % 10 == 1 else
             "incident" if i % 3 else None for i in range(n)]
    data: dict[str, list[object]] = {"Issue key": keys}
    heads = ([f"Outward issue link (Problem/Incident){'' if c == 0 else f'.{c}'}"
              for c in range(width)]
             + [f"Inward issue link (Problem/Incident){'' if c == 0 else f'.{c}'}"
                for c in range(3)]
             + ["Outward issue link (Causes)", "Inward issue link (Causes)",
                "Inward issue link (Causes).1"])
    for h in heads:
        data[h] = [None] * n
    # a problem linked to every incident; the rest sparse, unknown keys too
    incidents = [k for k, kd in zip(keys, kinds, strict=True) if kd == "incident"]
    for c, key in enumerate(incidents[:width]):
        data[heads[c]][0] = key
    for h in heads[:2] + heads[width:]:
        for r in rng.choice(n, size=12, replace=False):
            data[h][r] = keys[int(rng.integers(n))] if rng.random() < 0.8 else "OTHER-9"
    frame = pd.DataFrame(data)
    if arrow:
        frame = _as_arrow(frame)
    key_s = frame["Issue key"].astype(m.STRING_DTYPE)
    kind = pd.Series(kinds, dtype="object")
    key_kind = pd.Series(kind.to_numpy(), index=key_s.to_numpy()).groupby(level=0).first()
    families: dict[str, list[tuple[str, str]]] = {"problem": [], "change": []}
    for h in heads:
        hit = jira._LINK_RE.match(h.lower())
        assert hit
        families["problem" if "problem" in hit.group(2) else "change"].append(
            (h, hit.group(1)))
    for target, family in families.items():
        new = jira._pick_link(frame, family, key_s, kind, key_kind, target)
        old = _old_pick_link(frame, family, key_s, kind, key_kind, target)
        pd.testing.assert_series_equal(new, old, check_exact=True)
    assert jira._pick_link(frame, families["problem"], key_s, kind, key_kind,
                           "problem").notna().sum() >= len(incidents[:width])


def _export(path: Path, n_rows: int, n_comments: int, n_links: int) -> None:
    """A Jira export whose first issue (a problem) has ``n_comments`` comments and
    ``n_links`` links; the others a few comments, work logs and links each."""
    head = (["Issue key", "Issue id", "Issue Type", "Summary", "Status", "Priority",
             "Reporter", "Reporter Id", "Assignee", "Assignee Id", "Created", "Updated",
             "Resolved"] + ["Comment"] * n_comments + ["Log Work"] * 3
            + ["Outward issue link (Problem/Incident)"] * n_links
            + ["Inward issue link (Causes)"] * 2)
    rows = []
    for i in range(n_rows):
        kind = "Problem" if i == 0 else "Change" if i % 7 == 1 else "Incident"
        reporter, rid = f"User {i % 9}", f"557058:{i % 9:08d}-aaaa-bbbb-cccc-dddddddddddd"
        day = 1 + i % 28
        created = f"{day:02d}/Oct/25 {1 + i % 12}:{i % 60:02d} {'AM' if i % 2 else 'PM'}"
        width = n_comments if i == 0 else i % 4
        comments = [f"{1 + j % 28:02d}/Nov/25 {1 + j % 12}:05 PM;"
                    f"{rid if j % 2 else '557058:agent-1'};note {j}; with ; semicolons"
                    if j % 5 else f"free text {j}" for j in range(width)]
        comments += [""] * (n_comments - width)
        work = ([f"03/Nov/25 9:0{i % 10} AM;557058:agent-1;3600;worked {i}", "", ""]
                if i % 3 == 0 else ["", "", ""])
        links = ([f"ITSM-{k}" for k in range(2, min(n_rows, n_links + 2))]
                 if i == 0 else [f"ITSM-{(i * 7) % n_rows}"] if i % 5 == 0 else [])
        links += [""] * (n_links - len(links))
        causes = [f"ITSM-{(i + 1) % n_rows}" if i % 4 == 0 else "", ""]
        rows.append([f"ITSM-{i}", str(10000 + i), kind, f"Issue {i}", "In Progress",
                     "High", reporter, rid, "Agent One", "557058:agent-1", created,
                     created, "", *comments, *work, *links, *causes])
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(head)
        writer.writerows(rows)


def test_load_equals_the_old_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small export with many Comment and link columns: the tickets and events the
    new code reads are the old code's (old ``_cells``, ``_pick_link`` and ``_events``
    patched in)."""
    path = tmp_path / "jira.csv"
    _export(path, 120, 150, 90)
    raw = read_raw(path)[0]
    detection = jira.IMPORTER.detect(raw)
    new = jira.IMPORTER.load(raw, detection, ImportOptions())
    with monkeypatch.context() as patch:
        patch.setattr(jira, "_cells", _old_cells)
        patch.setattr(jira, "_pick_link", _old_pick_link)
        patch.setattr(jira, "_events", _old_events)
        old = jira.IMPORTER.load(raw, detection, ImportOptions())
    _same(new.tickets, old.tickets)
    # the comment roles follow one rule since review 21 (importers.roles, tested in
    # test_fix_review21_chasers*): this test keeps the cells' reading as before
    _same(new.events.drop(columns=[m.EV_AUTHOR_ROLE]),
          old.events.drop(columns=[m.EV_AUTHOR_ROLE]))
    assert new.tickets[m.PROBLEM_REF].notna().sum() >= 80
    assert (new.events[m.EV_KIND] == "comment").sum() > 150
    assert (new.events[m.EV_KIND] == "worklog").sum() == 40
    assert new.info.date_formats == old.info.date_formats
    assert [w for w in new.info.warnings if "comment" not in w] == [
        w for w in old.info.warnings if "comment" not in w]


_SCREENED = [
    ["02/Oct/25 8:57 AM", "13/Oct/25 11:05 PM", "1/Jan/26 12:00 AM"],
    ["2025-10-02 08:57", "2025-10-13 23:05:11", "2026-01-01"],
    ["02.10.2025 08:57", "13.10.2025 23:05"],
    ["10/2/2025 08:57:35 AM", "10/13/2025 11:05:00 PM"],
    ["2/10/2025 8:57", "13/10/2025 23:05"],
    ["Oct 02, 2025 8:57 AM", "Oct 13, 2025 11:05 PM"],
    ["02-Oct-25 8:57", "13-Oct-2025 23:05", "02 Oct 25"],
    ["02/Oct/25 8:57 AM", "02-Oct-25 8:57 AM", "02/Oct/25 8:57", "junk"],
    ["02/Oct/25 8:57 a.m.", "13/Oct/25 1:05 p.m."],
    ["31/Feb/25 8:57 AM", "30/Feb/25 8:57 PM"],
    ["٠٢/Oct/25 8:57 AM", "02/Oct/25\u00a08:57 AM", "02/Oct/25  8:57 am"],
    ["Okt 02, 2025", "2/OCT/25 8:57 pm", "02/oct/25 08:57 PM"],
]


@pytest.mark.parametrize("values", _SCREENED)
@pytest.mark.parametrize("allowed", [0, 1, 2])
def test_screen_keeps_the_strptime_answer(values: list[str], allowed: int) -> None:
    sample = pd.Series(values * 4, dtype="str")
    assert dates._screen(sample, allowed) == _old_screen(sample, allowed)
    sample = pd.Series(values, dtype=object)
    assert dates._screen(sample, allowed) == _old_screen(sample, allowed)


def test_marks_of_the_candidate_formats() -> None:
    assert dates._MARKS["%d/%b/%y %I:%M %p"] == "//:"
    assert dates._MARKS["%b %d, %Y"] == ","
    assert dates._marks("02/Oct/25 8:57 AM") == "//:"
    assert dates._names_plain()  # the C locale's names: the pre-check is on in tests


@pytest.mark.parametrize("values", [
    *_SCREENED, ["2025-10-02T08:57:00Z", "٢٠٢٥-10-02 08:57Z"],  # Unicode digits: re's \d
    ["2025-10-02 08:57:12+02", "2025-10-02T08:57Z", "x"],
    ["2025-10-02 08:57Z\n", "2025-10-02 08:57Z", "2025-10-02\n08:57Z"],  # re's $
    ["2025-10-02 08:57:12.5+02:00", "2025-10-02 08:57 +0200", "2025-10-02T08:57:12Zé"],
])
def test_looks_iso_counts_as_str_match(values: list[str]) -> None:
    for dtype in ("str", m.STRING_DTYPE, object):
        sample = pd.Series(values, dtype=dtype)
        matched = int(sample.str.match(dates._ISO_PATTERN).fillna(False).sum())
        for allowed in (0, 1, 2):
            assert dates._looks_iso(sample, allowed) == (
                matched > 0 and len(sample) - matched <= allowed)

