"""The newer Podcasting 2.0 keys from config.toml and front matter to the
feed: validated once with one clear line each, then written by render
(art sizes, archive pages, live items at a given time)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from pipeline.config.settings import load_settings
from pipeline.errors import CastlineError
from pipeline.ingest.folder import ingest
from pipeline.ingest import Markdown
from pipeline.model import Encoding, MasteredAudio
from pipeline.publish.notify import due_notifications
from pipeline.site.render import ART_SET_DIR, FEED_KEY, Built, TreeInputs, archive_key, iter_all, live_statuses, notes_html
from tests._showfiles import tone

NS = {"podcast": "https://podcastindex.org/namespace/1.0", "atom": "http://www.w3.org/2005/Atom",
      "fh": "http://purl.org/syndication/history/1.0"}
GUID = "d8582db3-a7c6-50a5-a509-a29f7ddd6cec"


def add_config(show: Path, text: str) -> None:
    config = show / "config.toml"
    body = config.read_text()
    if text.lstrip().startswith("["):
        config.write_text(body + "\n" + text)
    else:  # [show] keys go right after the [show] header
        config.write_text(body.replace("[show]\n", "[show]\n" + text + "\n", 1))


def problems_of(show: Path) -> list[str]:
    with pytest.raises(CastlineError) as caught:
        load_settings(show)
    return str(caught.value).splitlines()


def test_sample_show_reads_the_new_keys(sample_show: Path) -> None:
    settings = load_settings(sample_show)
    show = settings.show
    assert (show.location, show.location_rel, show.location_country) == ("Boston, MA", "creator", "us")
    assert show.chat.protocol == "irc" and show.chat.space == "#marketing-smarts"
    assert show.ai_content.startswith("none") and show.feed_limit == 0
    assert settings.notify.websub_hubs == () and settings.notify.podping is False
    (first, _) = ingest(settings.ingest).episodes
    assert first.content_links[0].url == "https://example.com/video/lets-take-this-offline"
    assert (first.location_rel, first.location_country) == ("subject", "us")


def test_notify_section_and_lnaddress_recipients(sample_show: Path) -> None:
    add_config(sample_show, 'feed_limit = 300\nvalue = [{ name = "Matt", type = "lnaddress", '
                            'address = "matt@getalby.com", split = 95 }, { name = "App", address = "03ab", '
                            'split = 5, fee = true }]\npublisher = { feed_url = "https://example.com/pub.xml" }')
    add_config(sample_show, '[notify]\nwebsub_hubs = ["https://pubsubhubbub.appspot.com/"]\npodping = true\n')
    settings = load_settings(sample_show)
    assert settings.show.feed_limit == 300
    assert [(r.type, r.address, r.fee) for r in settings.show.value_recipients] == [
        ("lnaddress", "matt@getalby.com", False), ("node", "03ab", True)]
    assert settings.show.publisher.medium == "publisher"
    assert settings.notify.websub_hubs == ("https://pubsubhubbub.appspot.com/",) and settings.notify.podping


def test_bad_new_keys_are_one_line_each(sample_show: Path) -> None:
    config = sample_show / "config.toml"
    config.write_text("".join(line for line in config.read_text().splitlines(keepends=True)
                              if not line.startswith(("location_country", "chat ="))))
    add_config(sample_show, 'location_country = "usa"\nchat = { server = "irc.libera.chat" }\n'
                            'value = [{ name = "M", type = "lnaddress", address = "not-an-address", split = 1 }]\n'
                            'remote_items = [{ feed_guid = "nope" }]\nblock_platforms = ["Google Podcasts"]')
    add_config(sample_show, '[notify]\nwebsub_hubs = ["ftp://hub.example"]\ntoken = "secret"\n')
    lines = problems_of(sample_show)
    text = "\n".join(lines)
    for expected in ("show.location_country: 'usa' is not a two-letter country code",
                     "show.chat: needs server and protocol",
                     "show.value: entry 1 'not-an-address' is not a Lightning Address",
                     "show.remote_items: entry 1 feed_guid 'nope' is not a UUID",
                     "show.block_platforms: 'Google Podcasts' is not a service slug",
                     "notify.websub_hubs:",
                     "notify.token: a secret does not belong in config.toml"):
        assert expected in text, (expected, text)
    assert "secret" not in text.replace("a secret does", "")


def write_notes(show: Path, name: str, front: str, body: str = "Notes.\n") -> Path:
    path = show / "show_notes" / name
    path.write_text(f"---\n{front}\n---\n\n{body}")
    return path


def test_live_notes_without_a_recording_are_a_live_event_not_a_problem(sample_show: Path) -> None:
    write_notes(sample_show, "003-live-mailbag.md",
                "title: Live mailbag\nlive: {start: 2030-05-01T18:00:00, end: 2030-05-01T19:00:00, "
                "url: https://stream.example.com/live.mp3, page: https://example.com/live}")
    found = ingest(load_settings(sample_show).ingest)
    assert found.problems == ()
    (event,) = found.live
    assert event.title == "Live mailbag" and event.live.url == "https://stream.example.com/live.mp3"
    assert event.live.start.utcoffset() == timedelta(hours=-4)  # the show's zone, New York in May
    write_notes(sample_show, "003-live-mailbag.md",
                "title: Live mailbag\nlive: {start: someday, url: https://stream.example.com/live.mp3}")
    (problem,) = ingest(load_settings(sample_show).ingest).problems
    assert str(problem).startswith("show_notes/003-live-mailbag.md:3: live: start 'someday' is not a date and time")


def test_value_splits_and_bad_content_links_in_front_matter(sample_show: Path) -> None:
    tone(sample_show / "episodes/003-split.wav")
    write_notes(sample_show, "003-split.md",
                "title: Split\ndate: 2012-04-11T09:00:00\nvalue_splits:\n  - start: \"1:00\"\n    duration: 30\n"
                "    recipients:\n      - {name: Guest, type: lnaddress, address: guest@example.com, split: 50}\n"
                "  - start: 120\n    duration: 60\n    remote: {feed_guid: 917393e3-1b1e-5cef-ace4-edaa54e1f810, "
                "item_guid: ep-1}\n    remote_percentage: 90")
    found = ingest(load_settings(sample_show).ingest)
    assert found.problems == ()
    ep = next(e for e in found.episodes if e.slug == "003-split")
    assert [(s.start, s.duration, len(s.recipients), s.remote is not None) for s in ep.value_splits] == [
        (60.0, 30.0, 1, False), (120.0, 60.0, 0, True)]
    write_notes(sample_show, "003-split.md", "title: Split\ndate: 2012-04-11T09:00:00\n"
                "content_links:\n  - name: Video\n    url: javascript:alert(1)")
    (problem,) = ingest(load_settings(sample_show).ingest).problems
    assert "content_links: link 1 url:" in str(problem) and ":4:" in str(problem)


# -- through render ---------------------------------------------------------------


def built_episodes(settings, count: int = 1) -> list[Built]:
    eps = ingest(settings.ingest).episodes
    out = []
    for ep in eps[:count]:
        enc = Encoding(path=Path("x.mp3"), format="mp3", mime="audio/mpeg", size=1234, sha256="0" * 64, bitrate=96,
                       sha384="38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
                              "274edebfe76f65fbd51ad2f14898b95b")
        alt = Encoding(path=Path("x.opus"), format="opus", mime="audio/ogg", size=999, sha256="1" * 64, bitrate=48,
                       sha384="38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
                              "274edebfe76f65fbd51ad2f14898b95b")
        media = MasteredAudio(main=enc, duration=61.0, channels=1, sample_rate=44100, alternates=(alt,))
        out.append(Built(episode=ep, guid=f"guid-{ep.slug}", media=media, media_key=f"media/{ep.slug}.mp3",
                         alternate_keys=(f"media/{ep.slug}.opus",), art_key=None, chapters=(), transcript=(),
                         transcript_key=None))
    return out


def render(settings, built, live=(), now=None) -> dict[str, bytes]:
    site = settings.site
    return dict(iter_all(site, TreeInputs(tuple(built), notes_html(site, built, Markdown()), GUID, "art/cover-28033a695e8a.jpg",
                                          tuple(live), now)))


def test_render_publishes_the_art_sizes_and_lists_them_with_integrity(sample_show: Path) -> None:
    settings = load_settings(sample_show)
    objects = render(settings, built_episodes(settings, 2))
    art = sorted(k for k in objects if k.startswith("art/"))
    assert [k.rsplit("-", 1)[0] for k in art] == ["art/cover-600", "art/cover-social"]
    assert (sample_show / ART_SET_DIR).is_dir()
    feed = etree.fromstring(objects[FEED_KEY])
    assert feed.xpath("/rss/channel/podcast:image/@width", namespaces=NS) == ["1400", "600", "1200"]
    assert feed.xpath("/rss/channel/podcast:image/@purpose", namespaces=NS) == ["artwork", "artwork", "social"]
    integrity = feed.xpath("//podcast:alternateEnclosure/podcast:integrity/@value", namespaces=NS)
    assert len(integrity) == 4 and set(integrity) == {
        "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"}
    social = "https://podcast.example.com/" + next(k for k in art if "social" in k)
    assert f'<meta property="og:image" content="{social}">'.encode() in objects["index.html"]


def test_feed_limit_writes_archive_pages_under_their_keys(sample_show: Path) -> None:
    add_config(sample_show, "feed_limit = 1")
    settings = load_settings(sample_show)
    objects = render(settings, built_episodes(settings, 2))
    assert archive_key(1) in objects and archive_key(2) not in objects
    main = etree.fromstring(objects[FEED_KEY])
    assert len(main.xpath("//item")) == 1
    assert main.xpath("//atom:link[@rel='prev-archive']/@href", namespaces=NS) == [
        "https://podcast.example.com/feed-archive-1.xml"]
    page = etree.fromstring(objects[archive_key(1)])
    assert page.xpath("//fh:archive", namespaces=NS) and len(page.xpath("//item")) == 1


def test_live_item_status_and_podping_reasons_follow_now(sample_show: Path) -> None:
    write_notes(sample_show, "003-live.md", "title: Live mailbag\nlive: {start: 2030-05-01T18:00:00-04:00, "
                "end: 2030-05-01T19:00:00-04:00, url: https://stream.example.com/live.mp3}")
    settings = load_settings(sample_show)
    live = ingest(settings.ingest).live
    start = datetime(2030, 5, 1, 22, 0, tzinfo=timezone.utc)
    built = built_episodes(settings)
    statuses, record = [], None
    for now in (start - timedelta(days=1), start + timedelta(minutes=1), start + timedelta(hours=2)):
        feed = etree.fromstring(render(settings, built, live=live, now=now)[FEED_KEY])
        statuses += feed.xpath("//podcast:liveItem/@status", namespaces=NS)
        plan = due_notifications(settings.__class__(**{**settings.__dict__, "notify": settings.notify.__class__(
            podping=True)}), str(now), record, live_statuses(settings, GUID, live, now))
        record = {"feed_sha256": str(now), "live": dict(plan.live), "pending": []}
        statuses.append(plan.notifications[0].reason)
    assert statuses == ["pending", "update", "live", "live", "ended", "liveEnd"]
    assert etree.fromstring(render(settings, built, live=live)[FEED_KEY]).xpath(
        "//podcast:liveItem", namespaces=NS) == []  # no clock given, no live item
    write_notes(sample_show, "003-live.md", "title: Live mailbag\ndraft: true\nlive: {start: 2030-05-01T18:00:00, "
                "url: https://stream.example.com/live.mp3}")
    drafts = ingest(settings.ingest).live
    assert drafts[0].draft and etree.fromstring(render(settings, built, live=drafts, now=start)[FEED_KEY]).xpath(
        "//podcast:liveItem", namespaces=NS) == []
