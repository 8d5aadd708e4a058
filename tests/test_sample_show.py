"""The sample show in this repository, published for real and checked as its
three users meet it: the file a player downloads (tags), the feed an app
reads (golden file), the page a listener opens (castline serve + chromium)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from mutagen.id3 import ID3
from PIL import Image

from pipeline.tags.write import read_tags
from tests._browser import chromium_context
from tests._meter import decoded_seconds
from tests.conftest import GOLDEN_DIR, REPO

NS = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "podcast": "https://podcastindex.org/namespace/1.0"}
GOLDEN = GOLDEN_DIR / "sample_show_feed.xml"
GOLDEN_PAGES = GOLDEN_DIR / "sample_show_pages"
TEXT_TREE = (".html", ".json", ".vtt", ".srt", ".css", ".js", ".txt")  # every text object but the feed and the state
EP1 = "episodes/001-lets-take-this-offline.html"


@pytest.fixture(scope="module")
def feed(published_sample: Path):
    return etree.parse(str(published_sample / "public" / "feed.xml"))


def episode_item(feed, number: int):
    return feed.xpath(f"//item[itunes:episode='{number}']", namespaces=NS)[0]


def local(show: Path, url: str) -> Path:
    return show / "public" / url.removeprefix("https://podcast.example.com/")


def test_published_episode_carries_every_tag(published_sample: Path, feed) -> None:
    item = episode_item(feed, 1)
    mp3 = local(published_sample, item.find("enclosure").get("url"))
    tags = read_tags(mp3)
    assert tags["title"] == "Let's Take This Offline: Why Meeting in Person Matters"
    assert tags["album"] == "Marketing Smarts" and tags["artist"] == "Matthew T. Grant"
    assert tags["track"] == 1 and tags["season"] == 1 and tags["genre"] == "Podcast"
    id3 = ID3(mp3)
    assert id3.version[:2] == (2, 4)
    assert str(id3["TDRC"].text[0]).startswith("2012-03-28")
    assert id3.getall("WOAS")[0].url == "https://podcast.example.com/" + EP1
    assert id3.getall("WFED")[0].url == "https://podcast.example.com/feed.xml"
    assert id3["TGID"].text[0] == item.findtext("guid")
    assert "PCST" in id3
    (apic,) = id3.getall("APIC")
    cover = Image.open(io.BytesIO(apic.data))
    assert cover.size == (1400, 1400) and apic.mime == "image/jpeg"
    # chapters: the notes' chapters, on the published timeline, in the file, the JSON and the feed alike
    chapters_json = json.loads(local(published_sample, item.find("podcast:chapters", NS).get("url")).read_bytes())
    from_json = [(round(c["startTime"], 2), c["title"]) for c in chapters_json["chapters"]]
    from_tags = [(round(c["start_ms"] / 1000, 2), c["title"]) for c in tags["chapters"]]
    assert from_tags == from_json and [t for _, t in from_tags] == [
        "Introduction", "Why proximity breeds ideas", "The friction of other people", "Thanks and goodbye"]
    duration = int(item.findtext("itunes:duration", namespaces=NS))
    ends = [c["end_ms"] / 1000 for c in tags["chapters"]]
    assert ends[:-1] == [c["start_ms"] / 1000 for c in tags["chapters"][1:]]
    assert abs(ends[-1] - duration) <= 1.0
    assert abs(decoded_seconds(mp3) - duration) <= 1.0
    assert int(item.find("enclosure").get("length")) == mp3.stat().st_size


def test_feed_matches_golden_file(published_sample: Path) -> None:
    """The whole feed of the sample show is pinned. After an intended change,
    regenerate with CASTLINE_UPDATE_GOLDEN=1 and review the diff."""
    produced = (published_sample / "public" / "feed.xml").read_bytes()
    if os.environ.get("CASTLINE_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(produced)
    assert produced.decode() == GOLDEN.read_text()


def _text_tree(public: Path) -> dict[str, bytes]:
    return {p.relative_to(public).as_posix(): p.read_bytes() for p in sorted(public.rglob("*"))
            if p.is_file() and p.suffix in TEXT_TREE and ".castline" not in p.parts}


def test_pages_match_golden_files(published_sample: Path) -> None:
    """Every page and text sidecar of the sample show is pinned, byte for
    byte, beside the golden feed (Pelican's tests/output). After an intended
    change, refresh both with
    ``CASTLINE_UPDATE_GOLDEN=1 python3 -m pytest tests/test_sample_show.py -k golden``
    and review the diff."""
    produced = _text_tree(published_sample / "public")
    if os.environ.get("CASTLINE_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN_PAGES, ignore_errors=True)
        for key, data in produced.items():
            (GOLDEN_PAGES / key).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN_PAGES / key).write_bytes(data)
    golden = _text_tree(GOLDEN_PAGES)
    assert sorted(produced) == sorted(golden)
    for key, data in produced.items():
        assert data.decode() == golden[key].decode(), key


def test_feed_has_apple_and_podcasting20_essentials(feed) -> None:
    channel = feed.getroot().find("channel")
    x = lambda path: channel.xpath(path, namespaces=NS)  # noqa: E731
    assert x("string(itunes:explicit)") == "false"
    assert x("itunes:category/@text") == ["Business", "Arts"]
    assert x("itunes:category[@text='Business']/itunes:category/@text") == ["Marketing"]
    assert re.fullmatch(r"[0-9a-f-]{36}", x("string(podcast:guid)"))
    assert x("podcast:person/text()") == ["Matthew T. Grant"]
    item = episode_item(feed, 1)
    assert item.find("guid").get("isPermaLink") == "false"
    assert item.xpath("podcast:person/text()", namespaces=NS) == ["Jonah Lehrer"]
    assert item.find("podcast:transcript", NS).get("type") == "text/vtt"
    assert "0:00 Introduction" in item.findtext("description")


@pytest.fixture(scope="module")
def served(published_sample: Path):
    """``castline serve`` itself, as a host runs it, on a free port."""
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--workspace", str(published_sample), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    line = proc.stdout.readline()
    match = re.search(r"at (http://127\.0\.0\.1:\d+/)", line)
    assert match, line + proc.stderr.read() if proc.poll() is not None else line
    yield match.group(1)
    proc.terminate()
    proc.wait(10)


@pytest.mark.browser
def test_sample_episode_page_in_chromium(published_sample: Path, feed, served: str, tmp_path: Path) -> None:
    from axe_playwright_python.sync_playwright import Axe

    item = episode_item(feed, 1)
    duration = int(item.findtext("itunes:duration", namespaces=NS))
    chapters = json.loads(local(published_sample, item.find("podcast:chapters", NS).get("url")).read_bytes())["chapters"]
    with chromium_context(tmp_path / "profile") as context:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(served + EP1)
        page.wait_for_function("document.querySelector('audio').readyState >= 1", timeout=10_000)
        assert page.evaluate("document.querySelector('audio').duration") == pytest.approx(duration, abs=1.0)
        second = chapters[1]
        page.locator(f".chapters a[data-seek='{second['startTime']:g}']").first.click()
        page.wait_for_function(f"document.querySelector('audio').currentTime >= {second['startTime'] - 0.05}",
                               timeout=5_000)
        assert page.locator("h1").inner_text() == "Let's Take This Offline: Why Meeting in Person Matters"
        assert page.locator("blockquote").count() >= 2
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        violations = [v["id"] for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        assert violations == []
        shots = os.environ.get("CASTLINE_SHOTS")
        for path, name in ((EP1, "sample-episode"), ("index.html", "sample-front")):
            for width in (390, 1280):
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(served + path)
                target = tmp_path / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                assert target.stat().st_size > 10_000
                if shots:
                    Path(shots).mkdir(parents=True, exist_ok=True)
                    shutil.copy(target, Path(shots) / target.name)
        assert errors == []
