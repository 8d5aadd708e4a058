"""feeds/: the feed as podcast apps read it.

Every test renders a feed from plain values and reads it back the way apps
do: lxml XPath for the exact facts, feedparser and gPodder's podcastparser
for what an app would show. podcastparser 0.6.11 only knows an old GitHub
URI for the ``podcast:`` namespace, so those tags are checked with lxml.
"""

from __future__ import annotations

import io
import json
import os
import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
import feedparser
import podcastparser
import pytest
from lxml import etree

from feeds import (
    APPLE_CATEGORIES,
    FeedBlock,
    FeedCategory,
    FeedChannel,
    FeedChapter,
    FeedChat,
    FeedEnclosure,
    FeedImage,
    FeedInputError,
    FeedItem,
    FeedLink,
    FeedLiveItem,
    FeedLocation,
    FeedPerson,
    FeedRemoteItem,
    FeedSoundbite,
    FeedTranscript,
    FeedValueRecipient,
    FeedValueTimeSplit,
    analytics_url,
    chapters_json,
    chapters_text,
    check_feed,
    live_status,
    podcast_guid,
    render_feed,
    render_paged,
    sri,
)
from tests.conftest import GOLDEN_DIR, REPO

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "fh": "http://purl.org/syndication/history/1.0",
}
FEED_URL = "https://example.com/show/feed.xml"
START = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
SHA384_EMPTY = ("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
                "274edebfe76f65fbd51ad2f14898b95b")  # sha384 of no bytes


# -- fixtures: a fully described show with three episodes ------------------


def show_channel(**changes) -> FeedChannel:
    channel = FeedChannel(
        title="Let's Take This Offline",
        link="https://example.com/show/",
        feed_url=FEED_URL,
        description_html="<p>A show about <em>working</em> offline &amp; on paper.</p>",
        language="en-us",
        author="Ann Author",
        owner_name="Ann Author",
        owner_email="ann@example.com",
        image_url="https://example.com/show/art.jpg",
        categories=(FeedCategory("Technology"), FeedCategory("Society & Culture", "Documentary")),
        copyright="© 2024 Ann Author",
        persons=(FeedPerson("Ann Author", role="host", img="https://example.com/ann.jpg",
                            href="https://ann.example.com/"),),
        funding=(FeedLink("Support the show", "https://example.com/support"),),
        license="CC-BY-4.0",
        license_url="https://creativecommons.org/licenses/by/4.0/",
        update_frequency="FREQ=WEEKLY",
        podroll=(FeedLink("Paper Cuts", "https://papercuts.example/feed.xml"),),
        value_recipients=(FeedValueRecipient("Ann Author", "02abcdef", 95),
                          FeedValueRecipient("Podcast Index", "03fedcba", 5, fee=True)),
        apple_verify="apple-verify-token",
        keywords=("offline", "paper"),
        images=(FeedImage("https://example.com/show/art-3000.jpg", alt="A notebook on a desk",
                          aspect_ratio="1/1", width=3000, height=3000, type="image/jpeg",
                          purpose="artwork"),
                FeedImage("https://example.com/show/art-social.jpg", alt="A notebook on a desk",
                          aspect_ratio="1200/630", width=1200, height=630, type="image/jpeg",
                          purpose="social")),
        locations=(FeedLocation("Lisbon, Portugal", rel="creator", country="pt",
                                geo="geo:38.7223,-9.1393", osm="R5400890"),),
        platform_blocks=(FeedBlock("google"), FeedBlock("amazon")),
        chat=FeedChat("irc.libera.chat", "irc", account_id="@ann", space="#offline"),
        remote_items=(FeedRemoteItem("917393e3-1b1e-5cef-ace4-edaa54e1f810",
                                     "https://mp3s.nashownotes.com/pc20rss.xml",
                                     title="Podcasting 2.0"),),
        publisher=FeedRemoteItem("003af0a0-6a45-55cf-b765-68e3d349551a",
                                 "https://example.com/publisher.xml", medium="publisher"),
        ai_content="none: written, recorded and edited by people",
        hubs=("https://pubsubhubbub.appspot.com/",),
        podping=True,
    )
    return replace(channel, **changes)


def show_item(n: int, *, size: int | None = None, **changes) -> FeedItem:
    item = FeedItem(
        guid=f"castline:ep-{n:03d}",
        title=["The Trailer", "Notebooks", "Index Cards"][(n - 1) % 3],
        link=f"https://example.com/show/{n:03d}/",
        pub_date=START + timedelta(days=7 * (n - 1)),
        description_html=f"<p>Notes for episode {n}.</p>",
        content_html=f"<p>Notes for episode {n}.</p><ul><li>a link</li></ul>",
        summary_text=f"Notes for episode {n}.",
        enclosure=FeedEnclosure(f"https://cdn.example.com/show/{n:03d}.mp3",
                                1_000_000 + n if size is None else size, "audio/mpeg", 128),
        duration=1800 + n,
        image_url=f"https://example.com/show/{n:03d}.jpg",
        episode=n,
        season=1,
        episode_type="trailer" if n == 1 else "full",
        persons=(FeedPerson("Gus Guest", role="guest", href="https://gus.example/"),),
        transcripts=(FeedTranscript(f"https://example.com/show/{n:03d}.vtt", "text/vtt", "en"),
                     FeedTranscript(f"https://example.com/show/{n:03d}.srt",
                                    "application/x-subrip", "en")),
        chapters_url=f"https://example.com/show/{n:03d}.chapters.json",
        soundbites=(FeedSoundbite(62.5, 30.0, "The good bit"),),
        alternates=(FeedEnclosure(f"https://cdn.example.com/show/{n:03d}.opus", 500_000 + n,
                                  "audio/ogg", 64, "Opus", integrity=sri(SHA384_EMPTY)),),
        social_interact_url=f"https://social.example/@show/{n}",
        keywords=("notebooks",),
        images=(FeedImage(f"https://example.com/show/{n:03d}-1400.jpg", alt=f"Episode {n} art",
                          aspect_ratio="1/1", width=1400, height=1400, type="image/jpeg",
                          purpose="artwork"),),
        content_links=(FeedLink("Watch on PeerTube", f"https://video.example/w/{n}"),),
    )
    return replace(item, **changes)


def show_items() -> list[FeedItem]:
    return [show_item(n) for n in (1, 2, 3)]


def parse(xml: bytes) -> etree._Element:
    return etree.fromstring(xml)  # raises unless well-formed


def xp(root: etree._Element, path: str) -> list:
    return root.xpath(path, namespaces=NS)


# -- the Apple essentials ---------------------------------------------------


def test_namespaces_are_declared_with_their_official_uris():
    root = parse(render_feed(show_channel(), show_items()))
    assert root.tag == "rss" and root.get("version") == "2.0"
    for prefix, uri in NS.items():
        if prefix != "fh":  # only archive pages declare feed history
            assert root.nsmap[prefix] == uri


def test_channel_has_every_apple_element_well_formed():
    root = parse(render_feed(show_channel(), show_items()))
    ch = xp(root, "/rss/channel")[0]

    assert xp(ch, "title/text()") == ["Let's Take This Offline"]
    assert xp(ch, "link/text()") == ["https://example.com/show/"]
    assert xp(ch, "description/text()") == [
        "<p>A show about <em>working</em> offline &amp; on paper.</p>"]
    assert xp(ch, "language/text()") == ["en-us"]
    assert xp(ch, "copyright/text()") == ["© 2024 Ann Author"]
    assert xp(ch, "itunes:image/@href") == ["https://example.com/show/art.jpg"]
    assert xp(ch, "itunes:explicit/text()") == ["false"]
    assert xp(ch, "itunes:author/text()") == ["Ann Author"]
    assert xp(ch, "itunes:type/text()") == ["episodic"]
    assert xp(ch, "itunes:owner/itunes:name/text()") == ["Ann Author"]
    assert xp(ch, "itunes:owner/itunes:email/text()") == ["ann@example.com"]
    assert xp(ch, "atom:link[@rel='self']/@href") == [FEED_URL]
    assert xp(ch, "itunes:category/@text") == ["Technology", "Society & Culture"]
    assert xp(ch, "itunes:category[@text='Society & Culture']/itunes:category/@text") == [
        "Documentary"]
    assert xp(ch, "podcast:txt[@purpose='applepodcastsverify']/text()") == [
        "apple-verify-token"]
    # Off unless set: Apple reads any itunes:block as a request to hide the show.
    assert xp(ch, "itunes:block | itunes:complete | itunes:new-feed-url") == []
    # The channel description is HTML in CDATA, as Apple asks.
    assert b"<description><![CDATA[<p>A show about" in render_feed(show_channel(), [])


def test_block_complete_new_feed_url_and_explicit_when_set():
    channel = show_channel(block=True, complete=True, explicit=True,
                           new_feed_url="https://new.example.com/feed.xml", type="serial")
    root = parse(render_feed(channel, [show_item(2, explicit=False), show_item(3)]))
    assert xp(root, "/rss/channel/itunes:block/text()") == ["Yes"]
    assert xp(root, "/rss/channel/itunes:complete/text()") == ["Yes"]
    assert xp(root, "/rss/channel/itunes:new-feed-url/text()") == [
        "https://new.example.com/feed.xml"]
    assert xp(root, "/rss/channel/itunes:explicit/text()") == ["true"]
    assert xp(root, "/rss/channel/itunes:type/text()") == ["serial"]
    # Item 3 inherits the show's explicit flag; item 2 overrides it.
    assert xp(root, "//item/itunes:explicit/text()") == ["true", "false"]


def test_items_have_every_apple_element_and_exact_enclosure_lengths(tmp_path):
    files = {}
    for n in (1, 2, 3):
        path = tmp_path / f"{n:03d}.mp3"
        path.write_bytes(os.urandom(1000 * n + 17))
        files[n] = path
    items = [show_item(n, size=files[n].stat().st_size) for n in (1, 2, 3)]
    root = parse(render_feed(show_channel(), items))

    for item_el in xp(root, "//item"):
        n = int(xp(item_el, "itunes:episode/text()")[0])
        given = show_item(n)
        assert xp(item_el, "title/text()") == [given.title]
        assert xp(item_el, "itunes:title/text()") == [given.title]
        assert xp(item_el, "enclosure/@length") == [str(files[n].stat().st_size)]
        assert xp(item_el, "enclosure/@type") == ["audio/mpeg"]
        assert xp(item_el, "enclosure/@url") == [given.enclosure.url]
        assert xp(item_el, "guid/text()") == [given.guid]
        assert xp(item_el, "guid/@isPermaLink") == ["false"]
        assert parsedate_to_datetime(xp(item_el, "pubDate/text()")[0]) == given.pub_date
        assert xp(item_el, "itunes:duration/text()") == [str(given.duration)]
        assert xp(item_el, "link/text()") == [given.link]
        assert xp(item_el, "itunes:image/@href") == [given.image_url]
        assert xp(item_el, "itunes:explicit/text()") == ["false"]
        assert xp(item_el, "itunes:season/text()") == ["1"]
        assert xp(item_el, "itunes:episodeType/text()") == [given.episode_type]
        assert xp(item_el, "description/text()") == [given.description_html]
        assert xp(item_el, "content:encoded/text()") == [given.content_html]


def test_guids_are_unique_and_never_the_enclosure_url():
    items = [show_item(n) for n in range(1, 8)]
    root = parse(render_feed(show_channel(analytics_prefix="https://op3.dev/e/"), items))
    guids = xp(root, "//item/guid/text()")
    assert len(guids) == len(set(guids)) == 7
    assert set(guids) == {i.guid for i in items}
    assert not set(guids) & set(xp(root, "//item/enclosure/@url"))


def test_duplicate_guid_relative_url_naive_date_and_zero_length_are_refused():
    with pytest.raises(FeedInputError) as err:
        render_feed(show_channel(), [show_item(2), show_item(3, guid="castline:ep-002")])
    assert err.value.field == "guid" and err.value.episode == "castline:ep-002"
    with pytest.raises(FeedInputError) as err:
        render_feed(show_channel(), [show_item(2, link="/show/002/")])
    assert err.value.field == "link" and "/show/002/" in str(err.value)
    with pytest.raises(FeedInputError) as err:
        render_feed(show_channel(), [show_item(2, pub_date=datetime(2024, 1, 1))])
    assert err.value.field == "pubDate"
    with pytest.raises(FeedInputError) as err:
        render_feed(show_channel(), [show_item(2, size=0)])
    assert err.value.field == "enclosure"
    with pytest.raises(FeedInputError) as err:
        render_feed(show_channel(image_url="art.jpg"), [])
    assert err.value.field == "itunes:image"


# -- determinism --------------------------------------------------------------


def test_same_inputs_give_identical_bytes_newest_first_whatever_the_input_order():
    items = [show_item(n) for n in range(1, 7)]
    first = render_feed(show_channel(), items)
    shuffled = items[:]
    random.Random(4).shuffle(shuffled)
    assert render_feed(show_channel(), shuffled) == first
    assert render_feed(show_channel(), tuple(items)) == first

    root = parse(first)
    dates = [parsedate_to_datetime(d) for d in xp(root, "//item/pubDate/text()")]
    assert dates == sorted(dates, reverse=True) and len(dates) == 6
    newest = parsedate_to_datetime(xp(root, "/rss/channel/lastBuildDate/text()")[0])
    assert newest == max(i.pub_date for i in items)


def test_last_build_date_is_given_or_absent_never_now():
    given = datetime(2030, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    root = parse(render_feed(show_channel(last_build_date=given), show_items()))
    assert xp(root, "/rss/channel/lastBuildDate/text()") == ["Mon, 06 May 2030 07:08:09 +0000"]
    empty = render_feed(show_channel(), [])
    assert xp(parse(empty), "/rss/channel/lastBuildDate") == []
    assert xp(parse(empty), "//item") == []


def test_golden_feed_is_pinned_byte_for_byte():
    """The whole feed for the fixed show. After an intended change, rebuild
    with CASTLINE_UPDATE_GOLDEN=1 and review the diff of the golden file."""
    golden = GOLDEN_DIR / "feed_full_show.xml"
    channel = show_channel(analytics_prefix="https://op3.dev/e/", live_items=(live_item(LIVE_START),))
    built = render_feed(channel, show_items())
    if os.environ.get("CASTLINE_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(exist_ok=True)
        golden.write_bytes(built)
    assert built == golden.read_bytes()
    assert render_feed(channel, show_items()) == built


# -- hostile text ---------------------------------------------------------------

HOSTILE_TITLE = 'Tom & Jerry <3 "quotes" \'apostrophes\' 🎙️ שלום עולם ]]> bell\x07ring\x1bend'
HOSTILE_HTML = ('<p>Fish &amp; chips &lt;b&gt; 🐟 "q" مرحبا ]]&gt; and a raw ]]> in notes'
                '\x00\x0b</p>')


def test_hostile_titles_and_notes_give_a_feed_every_parser_reads_back_exactly():
    expected_title = HOSTILE_TITLE.replace("\x07", "").replace("\x1b", "")
    expected_html = HOSTILE_HTML.replace("\x00", "").replace("\x0b", "")
    items = [show_item(2, title=HOSTILE_TITLE, description_html=HOSTILE_HTML,
                       content_html=HOSTILE_HTML, summary_text=HOSTILE_TITLE),
             show_item(3, description_html="<p>plain CDATA ok</p>", content_html=None,
                       summary_text=None)]
    channel = show_channel(title=HOSTILE_TITLE, description_html=HOSTILE_HTML)
    xml = render_feed(channel, items)

    root = parse(xml)  # well-formed
    assert xp(root, "/rss/channel/title/text()") == [expected_title]
    assert xp(root, "/rss/channel/description/text()") == [expected_html]
    hostile = xp(root, "//item[guid='castline:ep-002']")[0]
    assert xp(hostile, "title/text()") == [expected_title]
    assert xp(hostile, "itunes:title/text()") == [expected_title]
    assert xp(hostile, "description/text()") == [expected_html]
    assert xp(hostile, "content:encoded/text()") == [expected_html]

    app = podcastparser.parse(FEED_URL, io.BytesIO(xml))
    assert app["title"] == expected_title
    episode = next(e for e in app["episodes"] if e["guid"] == "castline:ep-002")
    assert episode["title"] == expected_title
    assert episode["description_html"] == expected_html

    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0
    assert parsed.feed.title == expected_title
    entry = next(e for e in parsed.entries if e.id == "castline:ep-002")
    assert entry.title == expected_title
    assert entry.itunes_title == expected_title
    # The episode without hostile notes still reads through CDATA.
    plain = next(e for e in parsed.entries if e.id == "castline:ep-003")
    assert plain.summary == "<p>plain CDATA ok</p>"
    assert plain.content[0].value == "<p>plain CDATA ok</p>"  # content:encoded defaults to it


# -- what apps show -------------------------------------------------------------


def test_podcastparser_reads_the_show_as_gpodder_does():
    app = podcastparser.parse(FEED_URL, io.BytesIO(render_feed(show_channel(), show_items())))
    assert app["title"] == "Let's Take This Offline"
    assert app["link"] == "https://example.com/show/"
    assert app["cover_url"] == "https://example.com/show/art.jpg"
    assert app["explicit"] is False
    assert app["type"] == "episodic"
    assert app["itunes_categories"] == [["Technology"], ["Society & Culture", "Documentary"]]
    assert app["itunes_owner"] == {"name": "Ann Author", "email": "ann@example.com"}
    assert [e["guid"] for e in app["episodes"]] == [
        "castline:ep-003", "castline:ep-002", "castline:ep-001"]
    third = app["episodes"][0]
    assert third["total_time"] == 1803
    assert third["number"] == 3 and third["season"] == 1 and third["type"] == "full"
    assert third["enclosures"] == [{"url": "https://cdn.example.com/show/003.mp3",
                                    "file_size": 1_000_003, "mime_type": "audio/mpeg"}]
    assert third["published"] == int(show_item(3).pub_date.timestamp())
    assert app["episodes"][2]["type"] == "trailer"


def test_feedparser_reads_the_show_and_the_podcast_namespace():
    parsed = feedparser.parse(render_feed(show_channel(), show_items()))
    assert parsed.bozo == 0
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Let's Take This Offline"
    assert parsed.feed.language == "en-us"
    first = parsed.entries[0]
    assert first.id == "castline:ep-003"
    assert first.enclosures[0].href == "https://cdn.example.com/show/003.mp3"
    assert first.enclosures[0].length == "1000003"
    assert first.itunes_duration == "1803"
    assert first.podcast_chapters["type"] == "application/json+chapters"


# -- the Podcasting 2.0 namespace ----------------------------------------------


def test_podcast_guid_matches_the_spec_examples():
    # docs/tags/guid.md of Podcastindex-org/podcast-namespace
    assert podcast_guid("mp3s.nashownotes.com/pc20rss.xml") == (
        "917393e3-1b1e-5cef-ace4-edaa54e1f810")
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == (
        "917393e3-1b1e-5cef-ace4-edaa54e1f810")
    assert podcast_guid("http://mp3s.nashownotes.com/pc20rss.xml//") == (
        "917393e3-1b1e-5cef-ace4-edaa54e1f810")
    assert podcast_guid("https://podnews.net/rss") == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_podcast_guid_is_computed_from_the_feed_url_unless_pinned():
    root = parse(render_feed(show_channel(), []))
    assert xp(root, "/rss/channel/podcast:guid/text()") == [podcast_guid(FEED_URL)]
    pinned = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
    moved = show_channel(feed_url="https://elsewhere.example/feed.xml", podcast_guid=pinned)
    assert xp(parse(render_feed(moved, [])), "/rss/channel/podcast:guid/text()") == [pinned]


def test_channel_podcast_tags():
    root = parse(render_feed(show_channel(locked=True), show_items()))
    ch = xp(root, "/rss/channel")[0]
    assert xp(ch, "podcast:locked/text()") == ["yes"]
    assert xp(ch, "podcast:locked/@owner") == ["ann@example.com"]
    assert xp(ch, "podcast:funding/@url") == ["https://example.com/support"]
    assert xp(ch, "podcast:funding/text()") == ["Support the show"]
    host = xp(ch, "podcast:person")[0]
    assert (host.text, host.get("role"), host.get("group"), host.get("img"), host.get("href")) == (
        "Ann Author", "host", "cast", "https://example.com/ann.jpg", "https://ann.example.com/")
    assert xp(ch, "podcast:license/text()") == ["CC-BY-4.0"]
    assert xp(ch, "podcast:license/@url") == ["https://creativecommons.org/licenses/by/4.0/"]
    assert xp(ch, "podcast:medium/text()") == ["podcast"]
    assert xp(ch, "podcast:updateFrequency/@rrule") == ["FREQ=WEEKLY"]
    assert xp(ch, "podcast:updateFrequency/text()") == ["Weekly"]
    remote = xp(ch, "podcast:podroll/podcast:remoteItem")[0]
    assert remote.get("feedUrl") == "https://papercuts.example/feed.xml"
    assert remote.get("feedGuid") == podcast_guid("https://papercuts.example/feed.xml")
    value = xp(ch, "podcast:value")[0]
    assert (value.get("type"), value.get("method")) == ("lightning", "keysend")
    assert [(r.get("address"), r.get("split"), r.get("fee")) for r in
            xp(value, "podcast:valueRecipient")] == [("02abcdef", "95", None),
                                                     ("03fedcba", "5", "true")]
    # Only the trailer episode is announced as podcast:trailer.
    trailer = xp(ch, "podcast:trailer")
    assert len(trailer) == 1
    assert trailer[0].text == "The Trailer"
    assert trailer[0].get("url") == "https://cdn.example.com/show/001.mp3"
    assert trailer[0].get("length") == "1000001" and trailer[0].get("type") == "audio/mpeg"
    assert trailer[0].get("season") == "1"
    assert parsedate_to_datetime(trailer[0].get("pubdate")) == show_item(1).pub_date


def test_item_podcast_tags():
    root = parse(render_feed(show_channel(), [show_item(3)]))
    item = xp(root, "//item")[0]
    assert xp(item, "podcast:season/text()") == ["1"]
    assert xp(item, "podcast:episode/text()") == ["3"]
    guest = xp(item, "podcast:person")[0]
    assert (guest.text, guest.get("role"), guest.get("href")) == (
        "Gus Guest", "guest", "https://gus.example/")
    vtt, srt = xp(item, "podcast:transcript")
    assert (vtt.get("type"), vtt.get("language"), vtt.get("rel")) == ("text/vtt", "en", "captions")
    assert (srt.get("type"), srt.get("rel")) == ("application/x-subrip", None)
    assert xp(item, "podcast:chapters/@url") == [
        "https://example.com/show/003.chapters.json"]
    assert xp(item, "podcast:chapters/@type") == ["application/json+chapters"]
    bite = xp(item, "podcast:soundbite")[0]
    assert (bite.get("startTime"), bite.get("duration"), bite.text) == ("62.5", "30",
                                                                        "The good bit")
    alts = xp(item, "podcast:alternateEnclosure")
    assert [(a.get("type"), a.get("length"), a.get("bitrate"), a.get("default")) for a in alts] == [
        ("audio/mpeg", "1000003", "128000", "true"), ("audio/ogg", "500003", "64000", None)]
    assert xp(alts[1], "podcast:source/@uri") == ["https://cdn.example.com/show/003.opus"]
    assert xp(item, "podcast:socialInteract/@protocol") == ["activitypub"]
    assert xp(item, "podcast:socialInteract/@uri") == ["https://social.example/@show/3"]
    disabled = parse(render_feed(show_channel(), [show_item(3, comments_disabled=True)]))
    assert [dict(e.attrib) for e in xp(disabled, "//podcast:socialInteract")] == [
        {"protocol": "disabled"}]


def test_analytics_prefix_wraps_enclosures_but_never_guids():
    assert analytics_url("https://op3.dev/e/", "https://cdn.example.com/a.mp3") == (
        "https://op3.dev/e/cdn.example.com/a.mp3")
    assert analytics_url("https://op3.dev/e", "http://cdn.example.com/a.mp3") == (
        "https://op3.dev/e/http://cdn.example.com/a.mp3")
    assert analytics_url(None, "https://cdn.example.com/a.mp3") == "https://cdn.example.com/a.mp3"

    plain = parse(render_feed(show_channel(), show_items()))
    prefixed = parse(render_feed(show_channel(analytics_prefix="https://op3.dev/e/"),
                                 show_items()))
    assert xp(prefixed, "//item/guid/text()") == xp(plain, "//item/guid/text()")
    assert xp(prefixed, "//item/enclosure/@url") == [
        f"https://op3.dev/e/cdn.example.com/show/{n:03d}.mp3" for n in (3, 2, 1)]
    assert xp(prefixed, "//item/enclosure/@length") == xp(plain, "//item/enclosure/@length")
    assert xp(prefixed, "//podcast:alternateEnclosure/podcast:source/@uri")[1] == (
        "https://op3.dev/e/cdn.example.com/show/003.opus")
    assert xp(prefixed, "//podcast:trailer/@url") == [
        "https://op3.dev/e/cdn.example.com/show/001.mp3"]


# -- chapters -----------------------------------------------------------------

CHAPTERS = (FeedChapter(0, "Intro"),
            FeedChapter(190.25, "Notebooks 📓", url="https://example.com/notebooks"),
            FeedChapter(61, "Why paper", img="https://example.com/paper.jpg"))


def test_chapters_json_is_the_namespace_format_sorted_and_stable():
    data = chapters_json(CHAPTERS, title="Notebooks", podcast_name="Let's Take This Offline",
                         author="Ann Author")
    doc = json.loads(data.decode("utf-8"))
    assert doc["version"] == "1.2.0"
    assert (doc["title"], doc["podcastName"], doc["author"]) == (
        "Notebooks", "Let's Take This Offline", "Ann Author")
    assert doc["chapters"] == [
        {"startTime": 0, "title": "Intro"},
        {"startTime": 61, "title": "Why paper", "img": "https://example.com/paper.jpg"},
        {"startTime": 190.25, "title": "Notebooks 📓", "url": "https://example.com/notebooks"},
    ]
    assert chapters_json(tuple(reversed(CHAPTERS)), title="Notebooks",
                         podcast_name="Let's Take This Offline", author="Ann Author") == data


def test_chapters_text_follows_apples_rule():
    assert chapters_text(CHAPTERS) == "0:00 Intro\n1:01 Why paper\n3:10 Notebooks 📓"
    assert chapters_text(CHAPTERS[:2]) is None  # fewer than three
    late = (FeedChapter(5, "Intro"), FeedChapter(60, "A"), FeedChapter(120, "B"))
    assert chapters_text(late) is None  # does not start at 0:00
    same_second = (FeedChapter(0, "Intro"), FeedChapter(60.2, "A"), FeedChapter(60.7, "B"))
    assert chapters_text(same_second) is None
    long = (FeedChapter(0, "Intro"), FeedChapter(600, "Middle"), FeedChapter(3725, "End"))
    assert chapters_text(long) == "0:00:00 Intro\n0:10:00 Middle\n1:02:05 End"
    assert chapters_text(()) is None


# -- Apple's rules, reported before publish --------------------------------------


def test_apple_category_list_is_the_current_one():
    assert len(APPLE_CATEGORIES) == 19
    assert "True Crime" in APPLE_CATEGORIES and "Games & Hobbies" not in APPLE_CATEGORIES
    assert "Documentary" in APPLE_CATEGORIES["Society & Culture"]
    assert APPLE_CATEGORIES["Technology"] == ()


def test_check_feed_passes_the_full_show():
    assert check_feed(show_channel(), show_items()) == []


def test_check_feed_reports_every_broken_rule_by_element_and_episode():
    channel = show_channel(
        description_html="<p>" + "é" * 2100 + "</p>",
        language="English",
        categories=(FeedCategory("Games & Hobbies"), FeedCategory("Technology", "Gadgets")),
        owner_email=None,
        type="serial",
        podcast_guid="not-a-uuid",
        value_recipients=(FeedValueRecipient("Ann Author", "02abcdef", 0),),
    )
    items = [
        show_item(2, title="Episode 2: Notebooks", episode=None),
        show_item(3, guid="castline:ep-002", size=0, link="/relative/",
                  enclosure=FeedEnclosure("https://cdn.example.com/3.opus", 10, "audio/ogg")),
    ]
    found = {(p.element, p.episode, p.severity) for p in check_feed(channel, items)}
    assert ("description", None, "error") in found
    assert ("language", None, "error") in found
    assert ("itunes:category", None, "error") in found
    assert ("itunes:owner", None, "warning") in found
    assert ("podcast:guid", None, "error") in found
    assert ("podcast:valueRecipient", None, "error") in found
    assert ("title", "castline:ep-002", "warning") in found
    assert ("itunes:episode", "castline:ep-002", "error") in found  # serial needs numbers
    assert ("guid", "castline:ep-002", "error") in found  # duplicate
    assert ("enclosure", "castline:ep-002", "error") in found  # ogg type
    assert ("link", "castline:ep-002", "error") in found  # relative URL
    categories = [p.message for p in check_feed(channel, items)
                  if p.element == "itunes:category"]
    assert len(categories) == 2
    assert "'Games & Hobbies' is not an Apple Podcasts category" in categories[0]
    assert "'Gadgets' is not a subcategory of 'Technology'" in categories[1]
    assert all(str(p) for p in check_feed(channel, items))


@pytest.mark.parametrize("title", ["Ep. 12 Notebooks", "#12 Notebooks", "S1E2 Notebooks",
                                   "12: Notebooks", "Notebooks (Episode 12)"])
def test_titles_with_episode_numbers_are_warned(title):
    problems = check_feed(show_channel(), [show_item(2, title=title)])
    assert [(p.element, p.severity) for p in problems] == [("title", "warning")]


def test_plain_titles_are_not_warned():
    for title in ("Notebooks", "2024 in review", "Why 3 notebooks beat 1"):
        assert check_feed(show_channel(), [show_item(2, title=title)]) == []


def test_any_text_at_all_gives_a_well_formed_feed_that_reads_back_cleaned():
    rng = random.Random(2024)
    alphabet = [chr(c) for c in range(0, 0x250)] + [
        "\r\n", "\ud800", "\udfff", "\ufffe", "\uffff", "]]>", "<![CDATA[", "&amp;",
        "\u202e", "\u200f", "👩🏽‍💻", "𝄞"]
    for _ in range(25):
        text = "x" + "".join(rng.choice(alphabet) for _ in range(60))
        root = parse(render_feed(show_channel(title=text, description_html=text),
                                 [show_item(2, title=text, description_html=text)]))
        lf = text.replace("\r\n", "\n").replace("\r", "\n")  # line ends become LF
        legal = [ch for ch in lf if ch in "\t\n\r" or (" " <= ch < "\x7f") or
                 ("\xa0" <= ch < "\ud800") or ("\ue000" <= ch < "\ufffe") or ch > "\uffff"]
        expected = "".join(legal)
        assert xp(root, "/rss/channel/title/text()") == [expected]
        assert xp(root, "/rss/channel/description/text()") == [expected]
        assert xp(root, "//item/title/text()") == [expected]
        assert xp(root, "//item/description/text()") == [expected]


def test_feeds_stands_alone_and_survives_the_feedgen_import_trap():
    """feeds/ never imports pipeline/, and importing the podcast namespace
    module first (before feedgen.feed) still works."""
    import subprocess
    import sys

    code = ("import sys, feeds.podcast_ns, feeds; "
            "assert not any(m == 'pipeline' or m.startswith('pipeline.') for m in sys.modules); "
            "print(feeds.podcast_guid('podnews.net/rss'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "9b024349-ccf0-5f69-a609-6b82873eab3c"


def test_update_frequency_label_follows_the_rrule():
    for rrule, label in (("FREQ=DAILY", "Daily"), ("FREQ=WEEKLY;INTERVAL=2", "Every 2 weeks"),
                         ("FREQ=MONTHLY;BYDAY=1MO", "Monthly")):
        root = parse(render_feed(show_channel(update_frequency=rrule), []))
        assert xp(root, "//podcast:updateFrequency/text()") == [label]
        assert xp(root, "//podcast:updateFrequency/@rrule") == [rrule]


# -- the rest of the namespace: images, blocks, chat, links, live, value splits ----


def test_podcast_image_lists_every_size_with_its_attributes_never_podcast_images():
    root = parse(render_feed(show_channel(), show_items()))
    square, social = xp(root, "/rss/channel/podcast:image")
    assert dict(square.attrib) == {
        "href": "https://example.com/show/art-3000.jpg", "alt": "A notebook on a desk",
        "aspect-ratio": "1/1", "width": "3000", "height": "3000", "type": "image/jpeg",
        "purpose": "artwork"}
    assert (social.get("aspect-ratio"), social.get("width"), social.get("height"),
            social.get("purpose")) == ("1200/630", "1200", "630", "social")
    item = xp(root, "//item[guid='castline:ep-003']")[0]
    assert xp(item, "podcast:image/@href") == ["https://example.com/show/003-1400.jpg"]
    assert xp(item, "podcast:image/@alt") == ["Episode 3 art"]
    assert xp(root, "//podcast:images") == []


def test_block_chat_remote_item_publisher_txt_and_podping_on_the_channel():
    root = parse(render_feed(show_channel(block=True), []))
    ch = xp(root, "/rss/channel")[0]
    assert [(b.get("id"), b.text) for b in xp(ch, "podcast:block")] == [
        (None, "yes"), ("google", "yes"), ("amazon", "yes")]
    let_in = parse(render_feed(show_channel(platform_blocks=(FeedBlock("spotify", False),)), []))
    assert [(b.get("id"), b.text) for b in xp(let_in, "//podcast:block")] == [("spotify", "no")]
    chat = xp(ch, "podcast:chat")[0]
    assert dict(chat.attrib) == {"server": "irc.libera.chat", "protocol": "irc",
                                 "accountId": "@ann", "space": "#offline"}
    remote = xp(ch, "podcast:remoteItem")
    assert [(r.get("feedGuid"), r.get("feedUrl"), r.get("title")) for r in remote] == [
        ("917393e3-1b1e-5cef-ace4-edaa54e1f810", "https://mp3s.nashownotes.com/pc20rss.xml",
         "Podcasting 2.0")]
    publisher = xp(ch, "podcast:publisher/podcast:remoteItem")
    assert len(publisher) == 1 and publisher[0].get("medium") == "publisher"
    assert publisher[0].get("feedUrl") == "https://example.com/publisher.xml"
    assert xp(ch, "podcast:txt[@purpose='ai-content']/text()") == [
        "none: written, recorded and edited by people"]
    assert xp(ch, "podcast:podping/@usesPodping") == ["true"]
    assert xp(parse(render_feed(show_channel(podping=False), [])), "//podcast:podping") == []


def test_websub_hub_links_follow_the_self_link_and_feedparser_reads_them():
    xml = render_feed(show_channel(hubs=("https://hub.example/", "https://pubsubhubbub.appspot.com/")),
                      show_items())
    root = parse(xml)
    assert xp(root, "/rss/channel/atom:link/@rel") == ["self", "hub", "hub"]
    assert xp(root, "/rss/channel/atom:link[@rel='hub']/@href") == [
        "https://hub.example/", "https://pubsubhubbub.appspot.com/"]
    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0
    assert [link.href for link in parsed.feed.links if link.rel == "hub"] == [
        "https://hub.example/", "https://pubsubhubbub.appspot.com/"]


def test_locations_with_rel_country_geo_and_osm_and_the_plain_form():
    loc = FeedLocation("Austin, TX", rel="subject", country="us", geo="geo:30.2672,97.7431",
                       osm="R113314")
    root = parse(render_feed(show_channel(location="Lisbon"), [show_item(2, locations=(loc,))]))
    assert [(e.text, dict(e.attrib)) for e in xp(root, "/rss/channel/podcast:location")] == [
        ("Lisbon", {}), ("Lisbon, Portugal", {"rel": "creator", "geo": "geo:38.7223,-9.1393",
                                              "osm": "R5400890", "country": "pt"})]
    assert xp(root, "//item/podcast:location/@country") == ["us"]
    assert xp(root, "//item/podcast:location/@rel") == ["subject"]
    bad = FeedLocation("x" * 130, rel="nearby", country="usa")
    found = {(p.element, p.severity, p.message.split()[0])
             for p in check_feed(show_channel(locations=(bad,)), [])}
    assert ("podcast:location", "warning", repr("x" * 40) + "...") in found
    assert ("podcast:location", "error", "rel") in found
    assert ("podcast:location", "error", "country") in found


def test_alternate_enclosures_carry_source_and_sri_integrity_of_the_bytes():
    data = os.urandom(5000)
    digest = __import__("hashlib").sha384(data).hexdigest()
    item = show_item(3, enclosure=FeedEnclosure("https://cdn.example.com/show/003.mp3", 5000,
                                                "audio/mpeg", 128, integrity=sri(digest)))
    root = parse(render_feed(show_channel(), [item]))
    main, opus = xp(root, "//podcast:alternateEnclosure")
    assert xp(main, "podcast:source/@uri") == ["https://cdn.example.com/show/003.mp3"]
    (integrity,) = xp(main, "podcast:integrity")
    assert integrity.get("type") == "sri"
    value = integrity.get("value")
    assert value.startswith("sha384-")
    import base64
    import hashlib
    assert base64.b64decode(value.removeprefix("sha384-")) == hashlib.sha384(data).digest()
    assert xp(opus, "podcast:integrity/@value") == [sri(SHA384_EMPTY)]
    assert sri(SHA384_EMPTY) == "sha384-OLBgp1GsljhM2TJ+sbHjaiH9txEUvgdDTAzHv2P24donTt6/529l+9Ua0vFImLlb"


def test_lnaddress_recipients_and_value_time_splits():
    channel = show_channel(value_recipients=(
        FeedValueRecipient("Ann Author", "ann@getalby.com", 95, type="lnaddress"),
        FeedValueRecipient("Podcast Index", "03fedcba", 5, fee=True)))
    guest = FeedValueRecipient("Gus Guest", "gus@example.com", 50, type="lnaddress")
    song = FeedRemoteItem("a94f5cc9-8c58-55fc-91fe-a324087a655b",
                          item_guid="https://podcastindex.org/podcast/4148683#1", medium="music")
    item = show_item(3, value_time_splits=(FeedValueTimeSplit(60, 237, recipients=(guest,)),
                                           FeedValueTimeSplit(330, 53, remote=song, remote_start=174,
                                                              remote_percentage=95)))
    root = parse(render_feed(channel, [item, show_item(2)]))
    assert xp(root, "/rss/channel/podcast:value/podcast:valueRecipient/@type") == [
        "lnaddress", "node"]
    assert xp(root, "/rss/channel/podcast:value/podcast:valueRecipient/@address") == [
        "ann@getalby.com", "03fedcba"]
    (value,) = xp(root, "//item[guid='castline:ep-003']/podcast:value")
    assert xp(value, "podcast:valueRecipient/@address") == ["ann@getalby.com", "03fedcba"]
    first, second = xp(value, "podcast:valueTimeSplit")
    assert (first.get("startTime"), first.get("duration")) == ("60", "237")
    assert xp(first, "podcast:valueRecipient/@address") == ["gus@example.com"]
    assert (second.get("remoteStartTime"), second.get("remotePercentage")) == ("174", "95")
    assert xp(second, "podcast:remoteItem/@medium") == ["music"]
    assert xp(root, "//item[guid='castline:ep-002']/podcast:value") == []
    assert check_feed(channel, [item]) == []
    problems = check_feed(show_channel(value_recipients=()), [item])
    assert [(p.element, p.episode) for p in problems] == [("podcast:valueTimeSplit",
                                                           "castline:ep-003")]
    bad = show_channel(value_recipients=(FeedValueRecipient("Ann", "not an address", 1,
                                                            type="lnaddress"),))
    assert [p.element for p in check_feed(bad, [])] == ["podcast:valueRecipient"]


def test_item_chat_content_links_and_ai_content():
    item = show_item(3, chat=FeedChat("relay.example.com", "nostr", space="#ep3"),
                     ai_content="assisted: transcript made by machine, checked by people")
    root = parse(render_feed(show_channel(), [item]))
    it = xp(root, "//item")[0]
    assert xp(it, "podcast:contentLink/@href") == ["https://video.example/w/3"]
    assert xp(it, "podcast:contentLink/text()") == ["Watch on PeerTube"]
    assert xp(it, "podcast:chat/@protocol") == ["nostr"]
    assert xp(it, "podcast:txt[@purpose='ai-content']/text()") == [
        "assisted: transcript made by machine, checked by people"]


LIVE_START = datetime(2024, 4, 1, 18, 0, tzinfo=timezone.utc)
LIVE_END = LIVE_START + timedelta(hours=1)


def live_item(now: datetime, **changes) -> FeedLiveItem:
    item = FeedLiveItem(
        guid="castline:live-2024-04-01", title="Live from the studio",
        status=live_status(LIVE_START, LIVE_END, now), start=LIVE_START, end=LIVE_END,
        stream=FeedEnclosure("https://stream.example.com/live.mp3", 1, "audio/mpeg"),
        content_links=(FeedLink("Listen in your browser", "https://example.com/show/live/"),),
        description_html="<p>Questions from listeners, live.</p>",
        link="https://example.com/show/live/",
        chat=FeedChat("irc.libera.chat", "irc", space="#offline-live"))
    return replace(item, **changes)


def test_live_item_status_follows_the_clock_it_is_given():
    assert live_status(LIVE_START, LIVE_END, LIVE_START - timedelta(seconds=1)) == "pending"
    assert live_status(LIVE_START, LIVE_END, LIVE_START) == "live"
    assert live_status(LIVE_START, LIVE_END, LIVE_END) == "ended"
    assert live_status(LIVE_START, None, LIVE_START + timedelta(hours=23)) == "live"
    assert live_status(LIVE_START, None, LIVE_START + timedelta(hours=24)) == "ended"
    statuses = []
    for now in (LIVE_START - timedelta(days=1), LIVE_START + timedelta(minutes=5),
                LIVE_END + timedelta(minutes=5)):
        root = parse(render_feed(show_channel(live_items=(live_item(now),)), show_items()))
        statuses += xp(root, "/rss/channel/podcast:liveItem/@status")
    assert statuses == ["pending", "live", "ended"]


def test_live_item_has_what_apps_need_to_play_the_stream():
    root = parse(render_feed(show_channel(live_items=(live_item(LIVE_START),)), show_items()))
    (live,) = xp(root, "/rss/channel/podcast:liveItem")
    assert parsedate_to_datetime(xp(root, "/rss/channel/lastBuildDate/text()")[0]) == (
        show_item(3).pub_date)
    assert datetime.fromisoformat(live.get("start")) == LIVE_START
    assert datetime.fromisoformat(live.get("end")) == LIVE_END
    assert xp(live, "title/text()") == ["Live from the studio"]
    assert xp(live, "guid/text()") == ["castline:live-2024-04-01"]
    assert xp(live, "enclosure/@url") == ["https://stream.example.com/live.mp3"]
    assert xp(live, "podcast:alternateEnclosure/podcast:source/@uri") == [
        "https://stream.example.com/live.mp3"]
    assert xp(live, "podcast:contentLink/@href") == ["https://example.com/show/live/"]
    assert xp(live, "podcast:chat/@space") == ["#offline-live"]
    # a live item is not an episode: apps that do not know the tag list three episodes
    assert len(podcastparser.parse(FEED_URL, io.BytesIO(render_feed(
        show_channel(live_items=(live_item(LIVE_START),)), show_items())))["episodes"]) == 3
    no_link = show_channel(live_items=(live_item(LIVE_START, content_links=()),))
    assert [p.element for p in check_feed(no_link, [])] == ["podcast:liveItem"]


# -- paged archives (RFC 5005) ----------------------------------------------------


def archive_url(n: int) -> str:
    return f"https://example.com/show/feed-archive-{n}.xml"


def many_items(count: int) -> list[FeedItem]:
    return [show_item(n, episode_type="full", soundbites=(), alternates=(), persons=(),
                      transcripts=(), images=(), content_links=()) for n in range(1, count + 1)]


def test_paged_feed_keeps_the_newest_in_the_main_feed_and_archives_the_rest_oldest_first():
    items = many_items(23)
    docs = dict(render_paged(show_channel(), items, limit=5, archive_url=archive_url))
    assert sorted(docs) == [0, 1, 2, 3, 4]  # 5 current, 18 archived in pages of 5, 5, 5, 3
    main = parse(docs[0])
    assert xp(main, "//item/itunes:episode/text()") == [str(n) for n in range(23, 18, -1)]
    assert xp(main, "/rss/channel/atom:link[@rel='prev-archive']/@href") == [archive_url(4)]
    assert xp(main, "/rss/channel/atom:link[@rel='hub']/@href") == [
        "https://pubsubhubbub.appspot.com/"]
    assert xp(main, "//fh:archive") == []
    seen = []
    for n in (1, 2, 3, 4):
        page = parse(docs[n])
        ch = xp(page, "/rss/channel")[0]
        assert xp(ch, "fh:archive") != []
        assert xp(ch, "atom:link[@rel='self']/@href") == [archive_url(n)]
        assert xp(ch, "atom:link[@rel='current']/@href") == [FEED_URL]
        assert xp(ch, "atom:link[@rel='prev-archive']/@href") == ([archive_url(n - 1)] if n > 1 else [])
        assert xp(ch, "atom:link[@rel='next-archive']/@href") == ([archive_url(n + 1)] if n < 4 else [])
        assert xp(ch, "atom:link[@rel='hub'] | podcast:podping | podcast:liveItem") == []
        assert xp(ch, "podcast:guid/text()") == [podcast_guid(FEED_URL)]
        numbers = [int(e) for e in xp(ch, "item/itunes:episode/text()")]
        assert parsedate_to_datetime(xp(ch, "lastBuildDate/text()")[0]) == show_item(max(numbers)).pub_date
        seen += numbers
        assert feedparser.parse(docs[n]).bozo == 0
    assert sorted(seen) == list(range(1, 19))
    assert sorted(int(e) for e in xp(parse(docs[1]), "//itunes:episode/text()")) == [1, 2, 3, 4, 5]


def test_a_new_episode_changes_only_the_newest_archive_page_and_the_main_feed():
    before = dict(render_paged(show_channel(), many_items(23), limit=5, archive_url=archive_url))
    after = dict(render_paged(show_channel(), many_items(24), limit=5, archive_url=archive_url))
    changed = sorted(n for n in after if before.get(n) != after[n])
    assert changed == [0, 4]
    again = dict(render_paged(show_channel(), many_items(24), limit=5, archive_url=archive_url))
    assert again == after  # deterministic bytes: unchanged pages are never re-uploaded
    # the newest page fills up: a new page appears, and the full one gains its next link once
    full = dict(render_paged(show_channel(), many_items(26), limit=5, archive_url=archive_url))
    assert sorted(n for n in full if after.get(n) != full[n]) == [0, 4, 5]
    edited = many_items(26)
    edited[1] = replace(edited[1], title="Notebooks, revised")
    retitled = dict(render_paged(show_channel(), edited, limit=5, archive_url=archive_url))
    assert sorted(n for n in retitled if full[n] != retitled[n]) == [1]


def test_a_short_feed_has_no_archive_pages_and_matches_the_unpaged_feed():
    docs = list(render_paged(show_channel(), show_items(), limit=5, archive_url=archive_url))
    assert docs == [(0, render_feed(show_channel(), show_items()))]
    with pytest.raises(FeedInputError):
        list(render_paged(show_channel(), show_items(), limit=0, archive_url=archive_url))


def test_feedparser_reads_the_new_tags_back():
    """feedparser keeps the attributes of each podcast: element (the last of
    several); podcastparser knows none of these, so XPath covers the rest."""
    xml = render_feed(show_channel(live_items=(live_item(LIVE_START),)), show_items())
    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0
    feed, entry = parsed.feed, parsed.entries[0]
    assert feed.podcast_image["purpose"] == "social" and feed.podcast_image["aspect-ratio"] == "1200/630"
    assert (feed.podcast_location["rel"], feed.podcast_location["country"]) == ("creator", "pt")
    assert (feed.podcast_chat["server"], feed.podcast_chat["protocol"]) == ("irc.libera.chat", "irc")
    assert feed.podcast_podping["usespodping"] == "true"
    assert feed.podcast_block["id"] == "amazon"
    assert feed.podcast_liveitem["status"] == "live"
    assert feed.podcast_remoteitem["medium"] == "publisher"  # the last remoteItem: the publisher's
    assert [link.href for link in feed.links if link.rel == "hub"] == ["https://pubsubhubbub.appspot.com/"]
    assert entry.podcast_image["href"] == "https://example.com/show/003-1400.jpg"
    assert entry.podcast_contentlink["href"] == "https://video.example/w/3"
    assert entry.podcast_integrity["type"] == "sri"
    assert entry.podcast_integrity["value"] == sri(SHA384_EMPTY)
