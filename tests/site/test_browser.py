"""The pages in a real headless Chromium, served by castline's preview
server: no console errors, the player loads metadata and knows the
duration, chapters and transcript timestamps seek it (mouse and keyboard),
axe-core finds no serious or critical violations in light or dark mode, and
screenshots at phone and desktop widths are written for a human to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline.tools.ffmpeg import find_ffmpeg, run
from tests._browser import chromium_context, preview_server
from tests._pages_sample import build_site

pytestmark = pytest.mark.browser

EP1 = "episodes/001-lets-take-this-offline.html"
SECONDS = 7.0


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("browser-site")
    mp3 = tmp / "tone.mp3"
    run(["-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}:sample_rate=44100",
         "-ac", "1", "-b:a", "64k", str(mp3)], ffmpeg=find_ffmpeg())
    out = tmp / "public"
    build_site(tmp / "show", out, mp3=mp3.read_bytes(), duration=SECONDS)
    return out


@pytest.fixture(scope="module")
def base_url(site) -> str:
    with preview_server(site) as url:
        yield url


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as ctx:
        yield ctx


@pytest.fixture
def page(context):
    """A fresh tab that records console errors, page errors, failed and
    off-site requests; the test fails if any happened."""
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}")
           if "media/" not in r.url else None)  # players cancel media reads on seek
    tab.on("request", lambda r: problems.append(f"off-site request: {r.url}")
           if urlsplit(r.url).hostname not in ("127.0.0.1", None) and r.url.startswith("http") else None)
    yield tab
    tab.close()
    assert problems == []


def _metadata(page) -> dict:
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=10_000)
    return page.evaluate("(() => { const a = document.getElementById('player');"
                         " return {duration: a.duration, error: a.error && a.error.code, src: a.currentSrc}; })()")


def test_player_loads_metadata_and_reports_the_duration(page, base_url):
    page.goto(base_url + EP1)
    info = _metadata(page)
    assert info["error"] is None and info["src"].endswith("/media/001-lets-take-this-offline.mp3")
    assert info["duration"] == pytest.approx(SECONDS, abs=0.15)
    assert page.title() == "Let's Take This Offline: Why Meeting in Person Matters · Marketing Smarts"
    assert page.evaluate("window.__pwned") is None  # the note's <script> did not run
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # lazy images load when near
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)", timeout=5_000)


def test_chapters_and_transcript_seek_the_player(page, base_url):
    page.goto(base_url + EP1)
    _metadata(page)
    now = "document.getElementById('player').currentTime"
    page.get_by_role("link", name="Play from 0:02: Meet Jonah Lehrer").click()
    page.wait_for_function(f"{now} >= 2", timeout=5_000)
    assert 2.0 <= page.evaluate(now) < 3.5
    assert page.evaluate("location.hash") == "#t=2"

    page.evaluate("document.getElementById('player').pause()")
    page.locator(".chapters a[data-seek='4.5']").focus()  # the keyboard way: focus, Enter
    page.keyboard.press("Enter")
    page.wait_for_function(f"{now} >= 4.5", timeout=5_000)
    assert 4.5 <= page.evaluate(now) < 6.0

    page.evaluate("document.getElementById('player').pause()")
    page.get_by_text("Read the full transcript").click()
    page.locator(".transcript-body a[data-seek='0']").click()
    page.wait_for_function(f"{now} < 1.5", timeout=5_000)


def test_a_time_in_the_address_starts_the_player_there(page, base_url):
    page.goto(base_url + EP1 + "#t=4.5")
    _metadata(page)
    assert page.evaluate("document.getElementById('player').currentTime") == pytest.approx(4.5, abs=0.1)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", [EP1, "index.html", "page/2.html"])
def test_axe_finds_no_serious_violations(page, base_url, path, scheme):
    from axe_playwright_python.sync_playwright import Axe

    page.emulate_media(color_scheme=scheme)
    page.goto(base_url + path)
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    results = Axe().run(page)
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == []


def test_screenshots_at_phone_and_desktop_widths(page, base_url, tmp_path):
    shots = []
    for name, path in (("episode", EP1), ("front", "index.html")):
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 844 if width == 390 else 900})
            page.goto(base_url + path)
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")  # load the lazy images
            page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
            page.evaluate("window.scrollTo(0, 0)")
            target = tmp_path / f"{name}-{width}.png"
            page.screenshot(path=str(target), full_page=True)
            assert target.stat().st_size > 10_000 and target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{path} scrolls sideways at {width} px ({scroll} px wide)"
            shots.append(target)
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url + EP1)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(23, 24, 27)"
    page.screenshot(path=str(tmp_path / "episode-1280-dark.png"))
    shots.append(tmp_path / "episode-1280-dark.png")
    keep = os.environ.get("CASTLINE_SHOTS")  # e.g. /tmp/castline-shots: keep them to look at
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for shot in shots:
            shutil.copy(shot, Path(keep) / shot.name)
