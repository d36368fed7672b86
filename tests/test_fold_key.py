"""fold_key: the one text fold behind every grouping or comparison key (signs and checks)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from casekit import context_over
from itsm_diag import model as m
from itsm_diag.signs import common
from itsm_diag.signs.base import Context
from itsm_diag.signs.common import fold_codes, fold_key, folded

# (raw value, folded, folded with spaces=True); None stands for <NA>
CASES: list[tuple[str | None, str | None, str | None]] = [
    ("VPN", "vpn", "vpn"),
    (" vpn ", "vpn", "vpn"),
    # Unicode whitespace is trimmed at both ends (ideographic space, NBSP, NEL)
    ("Vpn\u3000", "vpn", "vpn"),
    ("\xa0VPN\x85", "vpn", "vpn"),
    ("\x1cx\x1f", "x", "x"),
    # inner whitespace is kept as it is, unless spaces=True folds each run to one space
    ("a  b", "a  b", "a b"),
    ("A\tB", "a\tb", "a b"),
    ("a\u202f\u205fb", "a\u202f\u205fb", "a b"),
    # a zero-width space is no whitespace: it stays
    ("x\u200by", "x\u200by", "x\u200by"),
    # blank is missing, as is missing
    ("", None, None),
    ("  \t", None, None),
    ("\u2028", None, None),
    (None, None, None),
    # lower case, not casefold: ß stays, so "Straße" and "STRASSE" are two keys
    ("Straße", "straße", "straße"),
    ("STRASSE", "strasse", "strasse"),
    ("ΣΑΣ", "σασ", "σασ"),
    ("Ünïcode", "ünïcode", "ünïcode"),
    # punctuation is part of the key
    ("N/A", "n/a", "n/a"),
    ("n/a.", "n/a.", "n/a."),
]


def _as_list(values: pd.Series) -> list[str | None]:
    return [None if pd.isna(v) else str(v) for v in values]


@pytest.mark.parametrize("spaces", [False, True])
def test_fold_key_known_values(spaces: bool) -> None:
    raw = pd.Series([c[0] for c in CASES], dtype=m.STRING_DTYPE)
    want = [c[2] if spaces else c[1] for c in CASES]
    got = fold_key(raw, spaces=spaces)
    assert _as_list(got) == want
    assert got.dtype == m.STRING_DTYPE


def test_fold_key_of_object_text_is_arrow_text() -> None:
    got = fold_key(pd.Series([" Mail ", None, ""], dtype=object))
    assert got.dtype == m.STRING_DTYPE
    assert _as_list(got) == ["mail", None, None]


def _ctx(values: list[str | None]) -> Context:
    # an index not starting at 0: the per-ticket result must follow the tickets' index
    index = pd.RangeIndex(10, 10 + len(values))
    return context_over(pd.DataFrame(
        {m.CATEGORY: pd.Series(values, dtype=m.STRING_DTYPE, index=index)}))


def test_folded_and_fold_codes_share_one_fold_per_column(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def counted(values: pd.Series, *, spaces: bool = False) -> pd.Series:
        calls.append(len(values))
        return fold_key(values, spaces=spaces)

    monkeypatch.setattr(common, "fold_key", counted)
    ctx = _ctx(["Network", " network", "NETWORK\u3000", "Access", "", None, "a  b"])
    text = folded(ctx, m.CATEGORY)  # the text first, then the codes: still one fold
    codes, keys = fold_codes(ctx, m.CATEGORY)
    assert folded(ctx, m.CATEGORY) is text
    assert calls == [7]  # once, on the 6 distinct values and one <NA>
    assert _as_list(text) == ["network", "network", "network", "access", None, None, "a  b"]
    assert text.index.equals(ctx.tickets.index)
    # equal codes exactly where the folded keys are equal; -1 where blank
    assert codes.tolist() == [0, 0, 0, 1, -1, -1, 2]
    assert list(np.asarray(keys, dtype=object)) == ["network", "access", "a  b"]


def test_configured_words_fold_as_their_column_does() -> None:
    # the word list and the column go through the same fold: a word matches exactly the
    # values that fold to it, whatever its case or spacing in the config
    words = [" Other ", "GENERAL\u3000", "", "   ", "two  words", 7]
    assert common.fold_words(words) == {"other", "general", "two  words", "7"}
    assert common.fold_words(words, spaces=True) == {"other", "general", "two words", "7"}
    column = pd.Series(["other", "General", "Two  Words", "two words", None],
                       dtype=m.STRING_DTYPE)
    for spaces in (False, True):
        hits = fold_key(column, spaces=spaces).isin(common.fold_words(words, spaces=spaces))
        assert hits.fillna(False).tolist() == [True, True, True, spaces, False]
