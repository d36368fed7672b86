"""How the HTML charts are drawn (issue 19: what --format html costs): matplotlib lists
only its own fonts (no scan of the computer's), the charts are the same bytes as with
matplotlib's full font list, and each chart is drawn once.

The font cases run in a fresh interpreter: the font list is made once per process, when
matplotlib is first imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from itsm_diag.render import charts
from renderkit import GOLDEN, ROOT, demo_report

#: renders the demo and the hostile report as HTML, then says which fonts matplotlib knows
_SCRIPT = """
import json, re, sys
sys.path.insert(0, {tests!r})
import itsm_diag.safety as safety
if sys.argv[2] == "unreadable":  # a matplotlib whose font list version cannot be read
    safety._FONT_LIST_VERSION = re.compile("no such line")
from itsm_diag.render import html
from renderkit import demo_html, hostile_report
out = {{"demo": demo_html(), "hostile": html.render(hostile_report())}}
import matplotlib
from matplotlib import font_manager
fm = font_manager.fontManager
out["data"] = matplotlib.get_data_path()
out["ttf"] = [e.fname for e in fm.ttflist]
out["afm"] = len(fm.afmlist)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(out, f)
"""


def _render(tmp_path: Path, mode: str) -> dict:
    home, tmp = tmp_path / f"home-{mode}", tmp_path / f"tmp-{mode}"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MPL"))}
    env.update(HOME=str(home), TMPDIR=str(tmp))
    if mode == "own-config":  # the user's own MPLCONFIGDIR: matplotlib lists every font
        env["MPLCONFIGDIR"] = str(tmp_path / "mplconfig")
    out = tmp_path / f"{mode}.json"
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.format(tests=str(ROOT / "tests")), str(out), mode],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "findfont" not in done.stderr  # no font went missing
    assert list(home.rglob("*")) == []
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The reports drawn as a run draws them: no MPLCONFIGDIR, matplotlib not imported."""
    return _render(tmp_path_factory.mktemp("seeded"), "seeded")


def test_charts_list_only_matplotlibs_own_fonts(seeded: dict) -> None:
    data = Path(seeded["data"])
    shipped = sorted(p.name for p in (data / "fonts" / "ttf").glob("*.ttf"))
    fonts = [Path(f) for f in seeded["ttf"]]
    assert fonts and all(f.parent == data / "fonts" / "ttf" for f in fonts)
    assert sorted({f.name for f in fonts}) == shipped  # every shipped font, no system font
    assert seeded["afm"] == 0  # the 60 AFM files matplotlib parses on a cold start
    assert seeded["demo"] == (GOLDEN / "demo.html").read_text(encoding="utf-8")


def test_charts_are_the_same_bytes_with_every_font_listed(tmp_path: Path,
                                                          seeded: dict) -> None:
    full = _render(tmp_path, "own-config")
    # the user's own folder: matplotlib listed its fonts, AFM files too, and kept the list
    assert full["afm"] > 0 and any((tmp_path / "mplconfig").glob("fontlist-*.json"))
    assert len(full["ttf"]) >= len(seeded["ttf"])
    assert full["demo"] == seeded["demo"]
    assert full["hostile"] == seeded["hostile"]
    assert "<svg" in seeded["hostile"]


def test_a_matplotlib_whose_font_list_version_is_unknown_lists_its_fonts(
        tmp_path: Path, seeded: dict) -> None:
    unknown = _render(tmp_path, "unreadable")
    assert unknown["afm"] > 0  # nothing seeded: matplotlib built its list as before
    assert unknown["demo"] == seeded["demo"]
    assert unknown["hostile"] == seeded["hostile"]


def test_each_chart_is_drawn_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # savefig would draw each figure twice: once with drawing switched off to work out
    # the constrained layout, then for real; the SVG canvas lays out inside its one draw
    from matplotlib.figure import Figure

    drawn: list[Figure] = []
    real = Figure.draw

    def draw(self: Figure, renderer: object) -> None:
        drawn.append(self)
        real(self, renderer)

    monkeypatch.setattr(Figure, "draw", draw)
    made = [c for found in charts.charts_for(demo_report()).values() for c in found]
    assert len(made) >= 5
    assert len(drawn) == len(made) == len(set(map(id, drawn)))
