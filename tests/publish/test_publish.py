"""The whole path: the sample show in, a feed apps parse and pages out."""

from __future__ import annotations

import io
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import feedparser
import podcastparser
from lxml import etree

from pipeline.config.settings import load_settings
from pipeline.publish.recipe import publish
from tests._meter import decoded_seconds

NS = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd", "podcast": "https://podcastindex.org/namespace/1.0"}
SLUGS = ["001-lets-take-this-offline", "002-mailbag-better-offsites"]


def test_publish_writes_feed_pages_and_media(published_sample: Path) -> None:
    public = published_sample / "public"
    assert (public / "feed.xml").is_file() and (public / "index.html").is_file()
    for slug in SLUGS:
        assert (public / "episodes" / f"{slug}.html").is_file()
    media = sorted((public / "media").glob("*.mp3"))
    assert [m.name.rsplit("-", 1)[0] for m in media] == SLUGS


def test_feed_parses_in_feedparser(published_sample: Path) -> None:
    public = published_sample / "public"
    feed = feedparser.parse((public / "feed.xml").read_bytes())
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title == "Marketing Smarts"
    entries = feed.entries
    assert [e.title for e in entries] == ["Mailbag: Three Rules for a Better Offsite",
                                          "Let's Take This Offline: Why Meeting in Person Matters"]
    assert len({e.id for e in entries}) == 2
    for e in entries:
        (enc,) = e.enclosures
        assert enc.type == "audio/mpeg"
        key = enc.href.removeprefix("https://podcast.example.com/")
        local = public / key
        assert int(enc.length) == local.stat().st_size
        assert abs(int(e.itunes_duration) - decoded_seconds(local)) <= 1.0


def test_feed_parses_in_podcastparser(published_sample: Path) -> None:
    public = published_sample / "public"
    parsed = podcastparser.parse("https://podcast.example.com/feed.xml", io.BytesIO((public / "feed.xml").read_bytes()))
    assert parsed["title"] == "Marketing Smarts"
    episodes = {e["title"]: e for e in parsed["episodes"]}
    ep = episodes["Let's Take This Offline: Why Meeting in Person Matters"]
    (enc,) = ep["enclosures"]
    local = public / enc["url"].removeprefix("https://podcast.example.com/")
    assert enc["file_size"] == local.stat().st_size and enc["mime_type"] == "audio/mpeg"
    assert abs(ep["total_time"] - decoded_seconds(local)) <= 1.0
    assert ep["guid"] and ep["guid"] != enc["url"]
    assert ep["link"] == "https://podcast.example.com/episodes/001-lets-take-this-offline.html"


def test_rerun_changes_nothing(published_sample: Path, run_cli) -> None:
    feed_before = (published_sample / "public" / "feed.xml").read_bytes()
    result = run_cli("publish", "--json", "--workspace", str(published_sample))
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["uploads"] == [] and report["upload_bytes"] == 0
    assert {e["state"] for e in report["episodes"]} == {"published"}
    assert (published_sample / "public" / "feed.xml").read_bytes() == feed_before


def guids(show: Path) -> dict[str, str]:
    root = etree.parse(str(show / "public" / "feed.xml"))
    return {item.findtext("itunes:episode", namespaces=NS): item.findtext("guid") for item in root.iter("item")}


def test_guids_survive_title_change_slug_rename_and_fresh_clone(published_sample: Path, tmp_path: Path) -> None:
    before = guids(published_sample)
    show = tmp_path / "show"
    shutil.copytree(published_sample, show, ignore=shutil.ignore_patterns(".castline"))  # a fresh clone: no cache
    shutil.rmtree(show / "public")
    shutil.copytree(published_sample / "public", show / "public")  # ... publishing to the same store
    notes = show / "show_notes" / "002-mailbag-better-offsites.md"
    notes.write_text(notes.read_text().replace("Three Rules", "Three Better Rules"))
    notes.rename(show / "show_notes" / "002-mailbag.md")
    (show / "episodes" / "002-mailbag-better-offsites.mp3").rename(show / "episodes" / "002-mailbag.mp3")
    report = publish(load_settings(show))
    assert report.problems == ()
    assert guids(show) == before
    assert {e.slug: e.state for e in report.episodes} == {"001-lets-take-this-offline": "published",
                                                          "002-mailbag": "changed"}


def test_drafts_and_future_episodes_stay_out(show: Path) -> None:
    src = show / "episodes" / "002-mailbag-better-offsites.mp3"
    for slug, extra in (("003-draft", "draft: true\n"), ("004-future", "")):
        shutil.copy(src, show / "episodes" / f"{slug}.mp3")
        date = "2999-01-01" if slug == "004-future" else "2012-05-01"
        (show / "show_notes" / f"{slug}.md").write_text(f"---\ntitle: {slug}\ndate: {date}\n{extra}---\nNotes\n")
    report = publish(load_settings(show), now=datetime(2020, 1, 1, tzinfo=timezone.utc))
    states = {e.slug: e.state for e in report.episodes}
    assert states["003-draft"] == "draft" and states["004-future"] == "scheduled"
    feed = (show / "public" / "feed.xml").read_text()
    assert "003-draft" not in feed and "004-future" not in feed
    assert not (show / "public" / "episodes" / "003-draft.html").exists()
    # the scheduled episode comes due: a later publish (from cron) picks it up
    later = publish(load_settings(show), now=datetime(3000, 1, 1, tzinfo=timezone.utc))
    assert {e.slug: e.state for e in later.episodes}["004-future"] == "new"
    assert "004-future" in (show / "public" / "feed.xml").read_text()


def test_a_publish_that_would_change_a_published_guid_is_refused(show: Path, run_cli) -> None:
    before = (show / "public" / "feed.xml").read_bytes()
    published_guid = guids(show)["1"]
    notes = show / "show_notes" / "001-lets-take-this-offline.md"
    notes.write_text(notes.read_text().replace("number: 1\n", "number: 1\nguid: a-brand-new-guid\n"))
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 1
    assert result.stderr.strip() == (
        f"error: show_notes/001-lets-take-this-offline.md: guid: guid 'a-brand-new-guid' would replace the published guid "
        f"'{published_guid}'; set `guid: {published_guid}` or remove the field; a published GUID never changes")
    assert (show / "public" / "feed.xml").read_bytes() == before


def test_the_podcast_guid_is_kept_when_the_feed_moves(published_sample: Path, show: Path) -> None:
    channel_guid = etree.parse(str(show / "public" / "feed.xml")).findtext("channel/podcast:guid", namespaces=NS)
    config = show / "config.toml"
    config.write_text(config.read_text().replace("https://podcast.example.com/", "https://new-home.example.org/pod/"))
    publish(load_settings(show))
    feed = etree.parse(str(show / "public" / "feed.xml"))
    assert feed.findtext("channel/podcast:guid", namespaces=NS) == channel_guid
    assert feed.find("channel/item/enclosure").get("url").startswith("https://new-home.example.org/pod/media/")
    assert guids(show) == guids(published_sample)
