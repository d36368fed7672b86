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

from renderkit import ROOT, demo_html

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
    assert 'id="headline"' in dom and "Fix plan" in dom

    shot = tmp_path / "report.png"
    run = chromium(tmp_path, "--window-size=1200,1500", f"--screenshot={shot}",
                   page.as_uri())
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

    pdf = tmp_path / "report.pdf"
    run = chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert run.returncode == 0 and pdf.exists(), run.stderr[-2000:]
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf.read_bytes()))
    # the headline, fix plan, each of the seven signs, checks and data notes start pages
    assert pages >= 10, pages
