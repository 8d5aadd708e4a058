"""castline import: a show brought over from another host keeps every GUID.

Feeds are served from a real HTTP server on 127.0.0.1 (``Site``), written
by the tests with the quirks feeds in the wild have; the recordings are
synthesized with the real ffmpeg. Results are read back through ingest (the
notes as castline reads them) and, for the round trip, through podcastparser
and feedparser (the published feed as apps read it).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline.config.settings import load_settings
from pipeline.ingest.folder import ingest
from tests._showfiles import picture, tone

ITUNES = 'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"'
PODCAST = 'xmlns:podcast="https://podcastindex.org/namespace/1.0"'
ATOM = 'xmlns:atom="http://www.w3.org/2005/Atom"'


@dataclass
class Site:
    """A tiny web host: ``routes`` maps a path to bytes, ``(status, bytes)``
    or ``("redirect", "/other")``. Answers byte ranges like a CDN."""

    routes: dict = field(default_factory=dict)
    hits: list = field(default_factory=list)
    base: str = ""

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def site():
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            state.hits.append((self.path, self.headers.get("Range")))
            route = state.routes.get(self.path.split("?")[0])
            if route is None:
                return self._send(404, b"not found")
            if isinstance(route, tuple) and route[0] == "redirect":
                self.send_response(302)
                self.send_header("Location", route[1])
                self.end_headers()
                return
            if isinstance(route, tuple) and route[0] == "flaky" and not self.headers.get("Range"):
                self.send_response(200)  # the connection drops halfway; a range request then gets the rest
                self.send_header("Content-Length", str(len(route[1])))
                self.end_headers()
                self.wfile.write(route[1][:len(route[1]) // 2])
                self.close_connection = True
                return
            if isinstance(route, tuple) and route[0] == "flaky":
                route = route[1]
            if isinstance(route, tuple) and route[0] == "short":  # says more bytes than it sends
                self.send_response(200)
                self.send_header("Content-Length", str(len(route[1]) + 1000))
                self.end_headers()
                self.wfile.write(route[1])
                return
            status, body = route if isinstance(route, tuple) else (200, route)
            rng = self.headers.get("Range")
            if rng and status == 200:
                start = int(rng.split("=")[1].split("-")[0])
                if start >= len(body):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(body)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                self.wfile.write(body[start:])
                return
            self._send(status, body)

        def _send(self, status, body):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def mp3(tmp_path_factory) -> bytes:
    return tone(tmp_path_factory.mktemp("audio") / "a.mp3", 0.5).read_bytes()


def rss(items: str, channel: str = "", ns: str = f"{ITUNES} {PODCAST} {ATOM}") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" {ns}><channel><title>Old Show</title><link>https://old.example.com/</link>
<description>&lt;p&gt;A show about &lt;a href="https://example.com/x"&gt;things&lt;/a&gt;.&lt;/p&gt;</description>
<language>en-US</language>{channel}{'' if 'itunes:category' in channel else '<itunes:category text="Technology"/>'}{items}</channel></rss>""".encode()


def item(n: int, url: str, *, date: str | None = None, extra: str = "", guid: str | None = "default") -> str:
    guid = f"old-guid-{n}" if guid == "default" else guid
    day = datetime(2020, 1, 1, 9, tzinfo=timezone.utc) + timedelta(days=n)
    return (f"<item><title>Episode {n}</title>"
            + (f"<guid isPermaLink=\"false\">{guid}</guid>" if guid else "")
            + f"<pubDate>{date or format_datetime(day)}</pubDate>"
            + f'<enclosure url="{url}" length="0" type="audio/mpeg"/>{extra}</item>')


def episodes(show: Path):
    found = ingest(load_settings(show).ingest)
    assert found.problems == (), [str(p) for p in found.problems]
    return {e.guid: e for e in found.episodes}


# --- the round trip -------------------------------------------------------------------------------------------------

def serve_published(site: Site, show: Path) -> str:
    """The published sample's public/ folder, as its old host serves it."""
    public = show / "public"
    old_base = load_settings(show).show.base_url
    for path in public.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix in (".xml", ".json"):
                data = data.replace(old_base.encode(), (site.base + "/").encode())
            site.routes["/" + path.relative_to(public).as_posix()] = data
    return site.url("/feed.xml")


def read_back(feed: Path) -> tuple[dict, dict]:
    import feedparser
    import podcastparser

    with feed.open("rb") as fh:
        pp = podcastparser.parse(str(feed), fh)
    fp = feedparser.parse(feed.read_bytes())
    by_guid = {}
    for e in pp["episodes"]:
        fe = next(x for x in fp.entries if x.id == e["guid"])
        by_guid[e["guid"]] = (e["title"], e["published"], e.get("number"), fe.get("itunes_season"),
                              fe.get("itunes_episodetype"), fe.get("itunes_episode"))
    return by_guid, {"podcast_guid": fp.feed.get("podcast_guid")}


def test_round_trip_keeps_guids_titles_dates_numbers_and_podcast_guid(published_sample, site, tmp_path, run_cli):
    feed_url = serve_published(site, published_sample)
    target = tmp_path / "moved"
    base = load_settings(published_sample).show.base_url
    result = run_cli("import", feed_url, "--workspace", str(target), "--base-url", "https://new.example.org/show/")
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "castline publish" in result.stdout and "301" in result.stdout
    eps = episodes(target)
    assert all(not e.master for e in eps.values())
    published = run_cli("publish", "--workspace", str(target))
    assert published.code == 0, published.stderr
    before, show_before = read_back(published_sample / "public" / "feed.xml")
    after, show_after = read_back(target / "public" / "feed.xml")
    assert before == after and len(after) == 2
    assert show_before == show_after and show_after["podcast_guid"]
    assert base not in (target / "public" / "feed.xml").read_text()
    # Published as it was: the audio frames are the old file's, only the tags are new.
    old = next((published_sample / "public" / "media").glob("002-*.mp3"))
    new = next((target / "public" / "media").glob("002-*.mp3"))
    from mutagen.mp3 import MP3

    assert abs(MP3(old).info.length - MP3(new).info.length) < 0.01


# --- quirks ---------------------------------------------------------------------------------------------------------

def chap_mp3(path: Path) -> bytes:
    from mutagen.id3 import CHAP, CTOC, ID3, TIT2, CTOCFlags

    tone(path, 2.0)
    tag = ID3()
    tag.add(CHAP(element_id="c0", start_time=0, end_time=1000, sub_frames=[TIT2(text=["Hello"])]))
    tag.add(CHAP(element_id="c1", start_time=1000, end_time=2000, sub_frames=[TIT2(text=["World"])]))
    tag.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=["c0", "c1"]))
    tag.save(path)
    return path.read_bytes()


def test_feed_quirks_are_read_like_apps_read_them(site, tmp_path, mp3, run_cli):
    art = picture(tmp_path / "cover.png", 1500, 1500).read_bytes()
    site.routes.update({"/ep5.jpg": picture(tmp_path / "ep5.jpg").read_bytes(),
                        "/small.jpg": picture(tmp_path / "small.jpg", 300, 300).read_bytes()})
    site.routes.update({"/cover.png": art, "/a.mp3": mp3, "/media/b.mp3": mp3, "/c.mp3": mp3,
                        "/chap.mp3": chap_mp3(tmp_path / "chap.mp3"),
                        "/op3/e/media/d.mp3": ("redirect", "/media/d.mp3"), "/media/d.mp3": mp3,
                        "/t.vtt": b"WEBVTT\n\n00:00.000 --> 00:00.400\n<v Ann>Hi there\n",
                        "/ch.json": json.dumps({"version": "1.2.0", "chapters": [
                            {"startTime": 0, "title": "Start"}, {"startTime": 0.2, "title": "Hidden", "toc": False},
                            {"startTime": 0.3, "title": "Middle", "url": "https://example.com/m"}]}).encode()})
    channel = (f'<itunes:image href="{site.url("/cover.png")}"/><itunes:author>Ann Host</itunes:author>'
               '<itunes:owner><itunes:name>Ann</itunes:name><itunes:email>ann@example.com</itunes:email></itunes:owner>'
               '<itunes:category text="Games &amp; Hobbies"/><itunes:category text="Business">'
               '<itunes:category text="Management &amp; Marketing"/></itunes:category>'
               '<itunes:category text="Underwater Basket Weaving"/><itunes:explicit>clean</itunes:explicit>'
               '<itunes:type>episodic</itunes:type><podcast:guid>11111111-2222-5333-8444-555555555555</podcast:guid>'
               '<itunes:new-feed-url>https://elsewhere.example.com/feed</itunes:new-feed-url>')
    items = "".join([
        item(1, site.url("/a.mp3"), date="Wednesday, 01 January 2020 09:00 PST",
             extra='<content:encoded><![CDATA[<p>Links: <a href="https://example.com/a">one</a></p>'
                   '<ul><li>first</li><li>second</li></ul>]]></content:encoded><itunes:episode>1</itunes:episode>'
                   f'<podcast:transcript url="{site.url("/t.vtt")}" type="text/vtt"/>'
                   f'<podcast:chapters url="{site.url("/ch.json")}" type="application/json+chapters"/>'
                   '<podcast:person role="guest" href="https://example.com/g">Gus Guest</podcast:person>'
                   '<podcast:soundbite startTime="0.1" duration="0.3">Best bit</podcast:soundbite>'),
        item(2, "  media/b.mp3  ", date="2020-01-03T09:00:00+01:00", guid=None,
             extra='<itunes:season>2</itunes:season><itunes:episodeType>bonus</itunes:episodeType>'
                   '<psc:chapters xmlns:psc="http://podlove.org/simple-chapters">'
                   '<psc:chapter start="00:00:00.000" title="Intro"/><psc:chapter start="00:00:00.250" title="Talk"/>'
                   '</psc:chapters>'),
        item(3, site.url("/cover.png")).replace("audio/mpeg", "image/png"),  # an image enclosure: no audio
        item(4, site.url("/chap.mp3"), date="not a date",
             extra=f'<enclosure url="{site.url("/c.mp3")}" type="audio/mpeg"/>'),
        item(5, site.url("/op3/e/media/d.mp3"), extra=f'<itunes:image href="{site.url("/ep5.jpg")}"/>'),
        item(7, site.url("/c.mp3"), extra=f'<itunes:image href="{site.url("/small.jpg")}"/>'),
        item(6, site.url("/missing.mp3")),
        item(5, site.url("/c.mp3")),  # the same GUID again
    ]).replace('length="0" type="audio/mpeg"/>', "/>", 1)
    feed = rss(items, channel, ns=f'{PODCAST} xmlns:content="http://purl.org/rss/1.0/modules/content/"')
    site.routes["/feed.xml"] = feed  # itunes: is used but never declared
    show = tmp_path / "show"
    result = run_cli("import", site.url("/feed.xml"), "--workspace", str(show))
    assert result.code == 1
    assert "Traceback" not in result.stderr
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "/missing.mp3" in errors[0] and "404" in errors[0], result.stderr
    for quirk in ("without declaring the namespace", "Underwater Basket Weaving", "has no audio enclosure",
                  "repeats item 5", "'not a date' is not a date", "2 enclosures",
                  "has moved to https://elsewhere.example.com/feed (itunes:new-feed-url)",
                  "1 item(s) with an enclosure without type or length", "1 item(s) with a relative or space-padded"):
        assert quirk in result.stderr, quirk
    config = (show / "config.toml").read_text()
    assert 'categories = ["Leisure", "Business > Marketing"]' in config
    assert 'podcast_guid = "11111111-2222-5333-8444-555555555555"' in config
    checked = run_cli("check", "--no-store", "--workspace", str(show))  # the placeholder base_url is named
    assert "show.base_url" in checked.stderr and "placeholder" in checked.stderr and "Traceback" not in checked.stderr
    settings = load_settings(show)
    assert settings.show.explicit is False and settings.show.email == "ann@example.com"
    assert "[things](https://example.com/x)" in settings.show.description
    eps = episodes(show)
    assert set(eps) == {"old-guid-1", site.url("/media/b.mp3"), "old-guid-4", "old-guid-5", "old-guid-7"}
    one = eps["old-guid-1"]
    assert one.date == datetime(2020, 1, 1, 17, tzinfo=timezone.utc) and one.number == 1
    assert "[one](https://example.com/a)" in one.body and "- first" in one.body
    assert [c.title for c in one.chapters] == ["Start", "Middle"] and one.transcript is not None
    assert one.guests[0].name == "Gus Guest" and one.soundbites[0].title == "Best bit"
    two = eps[site.url("/media/b.mp3")]  # no guid: the enclosure URL, trimmed and made absolute
    assert (two.season, two.type, [c.title for c in two.chapters]) == (2, "bonus", ["Intro", "Talk"])
    four = eps["old-guid-4"]
    assert [c.title for c in four.chapters] == ["Hello", "World"]  # from the MP3's CHAP frames
    assert four.date == eps["old-guid-5"].date + timedelta(minutes=1) or four.date > one.date
    five = eps["old-guid-5"]
    assert five.audio_path.name.startswith(five.slug) and "op3" not in five.audio_path.name
    assert five.audio_path.read_bytes() == mp3
    assert five.image is not None and five.image.parent.name == "art" and one.image is None
    assert eps["old-guid-7"].image is None and "episode art not imported" in result.stderr

    # Re-run after the old host fixed the missing file: only that episode comes, nothing twice.
    (show / "show_notes" / f"{one.slug}.md").write_text(one.notes_path.read_text().replace("Episode 1", "Mine"))
    site.routes["/missing.mp3"] = mp3  # and changed two titles: one the host has edited since, one not
    site.routes["/feed.xml"] = feed.replace(b"Episode 1<", b"Episode One<").replace(b"Episode 5<", b"Episode Five<")
    again = run_cli("import", site.url("/feed.xml"), "--workspace", str(show))
    assert again.code == 0, again.stderr
    assert "Imported 1 episode(s)" in again.stdout and "5 already there" in again.stdout
    assert "1 updated from the old feed" in again.stdout
    assert "1 notes edited since import left as they are" in again.stdout
    assert f"show_notes/{one.slug}.md: the old feed changed this episode, but you have edited" in again.stderr
    eps = episodes(show)
    assert len(eps) == 6 and eps["old-guid-1"].title == "Mine" and eps["old-guid-5"].title == "Episode Five"
    assert run_cli("import", site.url("/feed.xml"), "--workspace", str(show)).stdout.startswith(
        "Imported 0 episode(s)")
    assert sorted(p.name for p in (show / "show_notes").iterdir())[0].startswith("001-")


def test_a_paged_show_of_150_episodes_is_imported_whole_and_only_once(site, tmp_path, mp3):
    from pipeline.importer.recipe import import_show

    pages = [range(150, 100, -1), range(100, 50, -1), range(50, 0, -1)]
    for i, numbers in enumerate(pages):
        links = f'<atom:link rel="next" href="/feed{i + 2}.xml"/>' if i < 2 else ""
        if i == 1:
            links = links.replace('rel="next"', 'rel="prev-archive"')
        body = "".join(item(n, f"/media/{n}.mp3", extra=f"<itunes:episode>{n}</itunes:episode>") for n in numbers)
        site.routes["/feed.xml" if i == 0 else f"/feed{i + 1}.xml"] = rss(body, links)
    for n in range(1, 152):
        site.routes[f"/media/{n}.mp3"] = mp3
    show = tmp_path / "show"
    report = import_show(site.url("/feed.xml"), show, base_url="https://cdn.example.com/")
    assert report.problems == () and len(report.imported) == 150
    eps = episodes(show)
    assert sorted(e.number for e in eps.values()) == list(range(1, 151))
    from feeds.podcast_ns import podcast_guid  # no podcast:guid in the feed: the spec's, from the OLD feed URL

    assert load_settings(show).show.podcast_guid == podcast_guid(site.url("/feed.xml"))
    assert eps["old-guid-1"].slug == "001-episode-1" and eps["old-guid-150"].slug == "150-episode-150"
    again = import_show(site.url("/feed.xml"), show)
    assert again.imported == () and again.known == 150
    site.routes["/feed.xml"] = site.routes["/feed.xml"].replace(b"<item>", item(151, "/media/151.mp3").encode()
                                                                + b"<item>", 1)
    third = import_show(site.url("/feed.xml"), show)
    assert third.imported == ("151-episode-151",)
    assert len(episodes(show)) == 151


# --- bad input ------------------------------------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("case, expected", [
    ("unreachable", "cannot reach the feed (connection refused)"),
    ("404", "the feed answered HTTP 404"),
    ("html", "is a web page, not a feed; import the feed it links to: http://127.0.0.1"),
    ("not-xml", "is not well-formed XML"),
    ("atom", "is an Atom feed"),
    ("no-items", "has no episodes"),
    ("locked", "is locked"),
    ("file", "is neither an http(s) URL nor a feed file"),
])
def test_a_bad_source_is_one_line(site, tmp_path, run_cli, case, expected):
    pages = {
        "html": b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/rss"></head>',
        "not-xml": b"<rss><channel><title>x</title>",
        "atom": b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>',
        "no-items": rss(""),
        "locked": rss(item(1, "/a.mp3"), '<podcast:locked owner="ann@example.com">yes</podcast:locked>'),
    }
    site.routes["/feed.xml"] = pages.get(case, b"")
    source = {"unreachable": f"http://127.0.0.1:{free_port()}/feed.xml", "404": site.url("/nothing.xml"),
              "file": str(tmp_path / "nope.xml")}.get(case, site.url("/feed.xml"))
    result = run_cli("import", source, "--workspace", str(tmp_path / "show"))
    assert result.code == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr


def test_a_feed_of_10000_items_is_read_in_one_go(site):
    from pipeline.importer.recipe import read_source

    body = "".join(item(n, f"/media/{n}.mp3") for n in range(10_000, 0, -1))
    site.routes["/feed.xml"] = rss(body.replace('length="0"', 'length="50000000"'))
    show, items, warnings = read_source(site.url("/feed.xml"))
    assert len(items) == 10_000 and len({i.guid for i in items}) == 10_000
    assert warnings[-1] == (f"{site.url('/feed.xml')}: 10000 episodes (about 500.0 GB) to download: this takes a "
                            "while; an interrupted import resumes where it stopped")
    assert len(warnings) == 2 and "10000 item(s) with a relative or space-padded enclosure URL" in warnings[0]


def test_a_locked_feed_imports_for_its_owner(site, tmp_path, mp3):
    from pipeline.importer.recipe import import_show

    site.routes.update({"/a.mp3": mp3, "/feed.xml": rss(item(1, "/a.mp3"),
                                                        '<podcast:locked owner="Ann@Example.com">yes</podcast:locked>')})
    report = import_show(site.url("/feed.xml"), tmp_path / "show", owner_email="ann@example.com")
    assert len(report.imported) == 1


def test_a_download_resumes_and_a_short_one_is_refused(site, tmp_path, mp3):
    from pipeline.tools import http as fetch
    from pipeline.errors import ImportSourceError

    site.routes.update({"/a.mp3": mp3, "/short.mp3": ("short", mp3[:100])})
    target = tmp_path / "a.mp3"
    target.with_name("a.mp3.part").write_bytes(mp3[:1000])
    size, _ = fetch.download(site.url("/a.mp3"), target)
    assert size == len(mp3) and target.read_bytes() == mp3
    assert site.hits[-1] == ("/a.mp3", "bytes=1000-")
    with pytest.raises(ImportSourceError, match="run import again"):
        fetch.download(site.url("/short.mp3"), tmp_path / "short.mp3")
    assert not (tmp_path / "short.mp3").exists()
    assert sum(1 for path, _ in site.hits if path == "/short.mp3") == fetch.RETRIES + 1
    big = bytes(range(256)) * 2000  # 512 KB: the drop comes after whole chunks arrived
    site.routes["/flaky.mp3"] = ("flaky", big)
    fetch.download(site.url("/flaky.mp3"), tmp_path / "flaky.mp3")
    assert (tmp_path / "flaky.mp3").read_bytes() == big
    ranges = [r for p, r in site.hits if p == "/flaky.mp3"]
    assert ranges[0] is None and ranges[1].startswith("bytes=") and len(ranges) == 2


def test_rfc822_dates_in_the_forms_seen_in_the_wild():
    from pipeline.importer.sourcefeed import parse_date

    want = datetime(2021, 1, 5, 10, tzinfo=timezone.utc)
    for text in ("Tue, 05 Jan 2021 10:00:00 +0000", "Tuesday, 05 January 2021 10:00:00 GMT",
                 "Mon, 05 Jan 2021 10:00:00 GMT", "Tue, 5 Jan 2021 10:00 UT", "Tue, 05 Jan 2021 11:00:00 +01:00",
                 "Tue, 05 Jan 2021 02:00:00 PST", "Tue, 05 Jan 2021 12:00:00 GMT+2", "2021-01-05T10:00:00Z",
                 "05 Jan 2021 10:00:00", "Tue, 05 Jan 21 10:00:00 GMT", "Tue,05 Jan 2021 10:00:00 Z",
                 "Jan 5 2021 10:00:00 +0000", "tue, 05 jan 2021 10:00:00 gmt", "Tue, 05 Jan 2021 11:00:00 CET"):
        assert parse_date(text) == want, text
    assert parse_date("last tuesday") is None


def test_master_false_publishes_the_recording_as_it_is(tmp_path):
    from pipeline.errors import AudioError
    from pipeline.model import AudioSettings
    from pipeline.audio import passthrough

    for ext, mime in ((".mp3", "audio/mpeg"), (".m4a", "audio/x-m4a")):
        source = tone(tmp_path / f"a{ext}", 1.0)
        made = passthrough(source, tmp_path / ext, AudioSettings(), stem="master")
        assert made.main.path.read_bytes() == source.read_bytes() and made.main.mime == mime
        assert abs(made.duration - 1.0) < 0.1 and made.offset == 0 and made.alternates == ()
    with pytest.raises(AudioError, match="cannot be published as it is"):
        passthrough(tone(tmp_path / "a.wav", 0.5), tmp_path / "wav", AudioSettings(), stem="master")


def test_html_entities_a_bare_ampersand_and_a_saved_feed_file(site, tmp_path, mp3):
    from pipeline.importer.recipe import import_show

    site.routes["/media/1.mp3"] = mp3
    feed = rss(item(1, "media/1.mp3").replace("Episode 1", "Tom &amp; Jerry &mdash; Q&A&nbsp;time"),
               f'<atom:link rel="self" href="{site.url("/feed.xml")}"/>').replace(b"&amp; Jerry", b"& Jerry")
    saved = tmp_path / "saved-feed.xml"  # a feed saved to disk: relative URLs resolve against its self link
    saved.write_bytes(feed)
    report = import_show(str(saved), tmp_path / "show")
    assert report.problems == () and len(report.imported) == 1
    assert "uses &mdash;, &nbsp;, a bare '&', which XML does not define" in report.warnings[0]
    (ep,) = episodes(tmp_path / "show").values()
    assert ep.title == "Tom & Jerry \u2014 Q&A time" and ep.audio_path.read_bytes() == mp3
