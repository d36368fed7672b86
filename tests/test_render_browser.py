"""The HTML report in a real browser (headless Chromium): it renders its charts, makes no
network request, logs no console message, prints to a multi-page PDF, and gives the
README its screenshot (``docs/report.png``, rewritten with ``pytest --update-golden``).

Skipped, saying why, where no Chromium is installed (CI installs Debian's ``chromium``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from renderkit import ROOT, demo_html, demo_report

SCREENSHOT = ROOT / "docs" / "report.png"
MAX_PNG_BYTES = 300_000
BROWSER = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)),
               None)
pytestmark = pytest.mark.skipif(
    BROWSER is None,
    reason="no Chromium on PATH (apt-get install chromium); the HTML report is checked "
           "statically in test_render.py",
)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--mute-audio"]
CONSOLE = re.compile(r":CONSOLE[:(]|CONSOLE\(")


def chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    return subprocess.run(
        [str(BROWSER), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=90, check=False,
    )


def page_requests(netlog: Path) -> list[str]:
    """URLs the page itself asked for, from Chromium's net log. The browser's own
    housekeeping requests (update checks and the like) have no page as their site; the
    page's requests carry the file:// site of the report."""
    doc = json.loads(netlog.read_text(encoding="utf-8"))
    start = doc["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for event in doc["events"]:
        params = event.get("params") or {}
        if event["type"] == start and "file://" in params.get("network_isolation_key", ""):
            url = params.get("url", "")
            if not url.startswith(("file:", "data:")):
                urls.append(url)
    return urls


def load(tmp: Path, page: Path) -> tuple[str, str, list[str]]:
    """The page's DOM after loading, the browser's log, and the page's network requests."""
    netlog = tmp / f"net-{page.stem}.json"
    run = chromium(tmp, "--enable-logging=stderr", "--v=0", f"--log-net-log={netlog}",
                   "--virtual-time-budget=3000", "--dump-dom", page.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout, run.stderr, page_requests(netlog)


def test_detector_sees_a_network_request(tmp_path: Path) -> None:
    """The control: a page that does fetch something is caught (else the test below
    could pass by measuring nothing)."""
    page = tmp_path / "leaky.html"
    page.write_text('<!DOCTYPE html><img src="http://leak.invalid/pixel.png">'
                    "<script>console.error('boom')</script>", encoding="utf-8")
    _, log, requests = load(tmp_path, page)
    assert any("leak.invalid" in u for u in requests), requests
    assert CONSOLE.search(log), "console messages are not in the log"


def test_html_report_in_chromium(tmp_path: Path, update_golden: bool) -> None:
    html = demo_html()
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    charts = len(re.findall(r"<svg\b", html))
    assert charts >= 5

    dom, log, requests = load(tmp_path, page)
    assert requests == [], f"the report made network requests: {requests}"
    console = [line for line in log.splitlines() if CONSOLE.search(line)]
    assert console == [], "console messages:\n" + "\n".join(console)
    assert len(re.findall(r"<svg\b", dom)) == charts, "the browser did not keep every chart"
    assert 'id="summary"' in dom and "Fix plan" in dom

    shot = tmp_path / "report.png"
    run = chromium(tmp_path, "--window-size=1200,1500", "--hide-scrollbars",
                   f"--screenshot={shot}", page.as_uri())
    assert run.returncode == 0 and shot.exists(), run.stderr[-2000:]
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (1200, 1500)
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 50, "the screenshot is blank"
        if update_golden or not SCREENSHOT.exists():
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            # a palette PNG keeps the README image commit-sized; the page is mostly flat
            image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT,
                                          dither=Image.Dither.NONE).save(SCREENSHOT,
                                                                         optimize=True)
    assert SCREENSHOT.stat().st_size < MAX_PNG_BYTES


def pdf_pages(pdf: Path) -> list[str]:
    import unicodedata

    from pypdf import PdfReader

    # NFKC: the PDF's "fi" ligatures read as the two letters the report wrote
    return [" ".join(unicodedata.normalize("NFKC", p.extract_text() or "").split())
            for p in PdfReader(pdf).pages]


def test_pdf_of_the_demo_is_a_short_deliverable(tmp_path: Path) -> None:
    """``demo -o x.pdf`` prints through this Chromium: at most 10 A4 pages, page 1 the
    executive summary (score, the seven signs, the top fixes), no browser header or
    footer (no file:// address, no date line), no page left nearly empty, and no table
    header that is a dict key."""
    from typer.testing import CliRunner

    from itsm_diag.cli import app

    pdf = tmp_path / "demo.pdf"
    result = CliRunner().invoke(app, ["demo", "-o", str(pdf), "--client", "Acme Corp",
                                      "--browser", str(BROWSER)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes()[:5] == b"%PDF-"
    pages = pdf_pages(pdf)
    assert 2 <= len(pages) <= 10, len(pages)
    report = demo_report()
    first = pages[0]
    assert "ACME CORP" in first.upper() and "of 7 warning signs triggered" in first
    assert re.search(rf"(?<![\d/]){report.score}(?![\d/])", first), "the score"
    for f in report.signs:
        assert " ".join(f.title.split())[:25] in first, f.title
    for fix in report.fixes[:3]:
        assert " ".join(fix.action.split())[:25] in first, fix.action
    for n, text in enumerate(pages, 1):
        assert "file://" not in text and ".html" not in text, f"browser header on page {n}"
        assert f"page {n} of {len(pages)}" in text
        # an orphan page: a heading or a few lines pushed alone onto a page
        assert len(text) > 400, f"page {n} holds almost nothing: {text[:200]!r}"


IDENTIFIER = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$|^[a-z]+[A-Z]\w*$")


def test_no_table_header_is_an_identifier() -> None:
    """Every table header and caption of the HTML report is a phrase for people, never a
    dict key such as ``volume_sparse`` or ``chaser_share``."""
    html = demo_html()
    headers = re.findall(r"<(?:th|h[1-4]|summary|dt)[^>]*>(.*?)</(?:th|h[1-4]|summary|dt)>",
                         html, flags=re.S)
    texts = [re.sub(r"<[^>]+>", "", h).strip() for h in headers]
    assert len(texts) > 40
    bad = [t for t in texts if any(IDENTIFIER.match(w) for w in t.split())]
    assert bad == [], bad


def test_readable_at_400_pixels(tmp_path: Path) -> None:
    """At 400 px (a phone) the page does not scroll sideways: wide tables scroll in their
    own box. Measured in the browser: the document is no wider than its viewport.
    Headless Chromium's window is at least 500 px wide, so the report sits in a 400 px
    frame of a wrapper page, and tells the wrapper its widths."""
    # the page has no script (its CSP forbids one): a probe copy measures itself
    probe = demo_html().replace(
        "default-src &#39;none&#39;;", "default-src &#39;none&#39;; script-src "
        "&#39;unsafe-inline&#39;;", 1).replace(
        "</body>", "<script>parent.postMessage('W=' + document.documentElement.scrollWidth "
        "+ '/' + window.innerWidth, '*');</script></body>", 1)
    assert "postMessage" in probe and "script-src" in probe
    (tmp_path / "report.html").write_text(probe, encoding="utf-8")
    wrapper = tmp_path / "phone.html"
    wrapper.write_text(
        "<!DOCTYPE html><html><head><title>waiting</title></head><body style='margin:0'>"
        "<iframe src='report.html' style='width:400px;height:860px;border:0'></iframe>"
        "<script>addEventListener('message', e => { document.title = e.data; });</script>"
        "</body></html>", encoding="utf-8")
    run = chromium(tmp_path, "--window-size=500,900", "--allow-file-access-from-files",
                   "--virtual-time-budget=3000", "--dump-dom", wrapper.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    found = re.search(r"<title>W=(\d+)/(\d+)</title>", run.stdout)
    assert found, run.stdout[:500]
    scroll, inner = int(found.group(1)), int(found.group(2))
    assert inner == 400, f"the frame is {inner} px wide"
    assert scroll <= inner, f"the page is {scroll} px wide in a {inner} px window"
