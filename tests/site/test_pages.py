"""The companion pages, checked with an HTML parser (lxml.html): every field
the issue names is present, the host's words are escaped where they must
be, links between pages resolve, and the notes/transcript readers behave."""

from __future__ import annotations

import json
import posixpath
from html.parser import HTMLParser

import lxml.html
import pytest

from pipeline.errors import ConfigError, NotesError
from pipeline.ingest.notes import plain_text, render_markdown
from pipeline.site.pages import render_site
from pipeline.ingest.transcript import Cue, read_transcript
from tests._pages_sample import BASE_URL, FEED_URL, SHOW_IMAGE_URL, build_site, sample_episodes, sample_settings

EP1 = "episodes/001-lets-take-this-offline.html"
EP2 = "episodes/002-newsletter-2.html"
EP3 = "episodes/003-newsletter-3.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, bytes]:
    tmp = tmp_path_factory.mktemp("site")
    return build_site(tmp / "show", tmp / "out")


def doc(site, key):
    return lxml.html.fromstring(site[key])


def text(el) -> str:
    return " ".join(el.text_content().split())


def meta(tree, attr, name) -> str:
    (value,) = tree.xpath(f"//meta[@{attr}='{name}']/@content")
    return value


def test_site_has_every_page_and_asset_and_is_deterministic(site, tmp_path):
    assert sorted(site) == sorted(["index.html", "page/2.html", EP1, EP2, EP3, "style.css", "player.js"])
    again = build_site(tmp_path / "show", tmp_path / "out")
    assert again == site


def test_episode_head_metadata(site):
    tree = doc(site, EP1)
    title = "Let's Take This Offline: Why Meeting in Person Matters"
    assert tree.findtext(".//title") == f"{title} · Marketing Smarts"
    assert meta(tree, "name", "description") == "Jonah Lehrer on why creativity needs people in one room."
    assert tree.xpath("//link[@rel='canonical']/@href") == [BASE_URL + EP1]
    assert tree.xpath("//link[@rel='alternate'][@type='application/rss+xml']/@href") == [FEED_URL]
    assert meta(tree, "property", "og:audio") == BASE_URL + "media/001-lets-take-this-offline.mp3"
    assert meta(tree, "property", "og:audio:type") == "audio/mpeg"
    assert meta(tree, "property", "og:image") == BASE_URL + "art/001-lets-take-this-offline.jpg"
    assert meta(tree, "property", "og:title") == title
    assert meta(tree, "property", "og:url") == BASE_URL + EP1
    assert meta(tree, "name", "twitter:card") == "summary_large_image"
    assert meta(tree, "name", "twitter:image") == BASE_URL + "art/001-lets-take-this-offline.jpg"
    (ld,) = tree.xpath("//script[@type='application/ld+json']/text()")
    data = json.loads(ld)
    assert data["@type"] == "PodcastEpisode" and data["name"] == title
    assert data["url"] == BASE_URL + EP1 and data["episodeNumber"] == 1
    assert data["partOfSeason"] == {"@type": "PodcastSeason", "seasonNumber": 1}
    assert data["partOfSeries"]["@type"] == "PodcastSeries" and data["partOfSeries"]["webFeed"] == FEED_URL
    assert data["associatedMedia"]["contentUrl"].endswith("001-lets-take-this-offline.mp3")
    assert data["associatedMedia"]["contentSize"] == "123456" and data["timeRequired"] == "PT7S"
    assert data["actor"][0]["name"] == "Jonah Lehrer"


def test_episode_article_head_byline_art_and_player(site):
    tree = doc(site, EP1)
    (h1,) = tree.xpath("//h1")
    assert text(h1) == "Let's Take This Offline: Why Meeting in Person Matters"
    assert text(tree.xpath("//*[@class='kicker']")[0]) == "Season 1 · Episode 1"
    byline = tree.xpath("//p[@class='byline']")[0]
    assert text(byline) == "By Matthew T. Grant with Jonah Lehrer"
    assert byline.xpath(".//a[@class='guest']/@href") == ["#guest-1"]
    (dateline,) = tree.xpath("//p[@class='dateline']")
    assert text(dateline) == "March 28, 2012 · 1 min listen"
    (when,) = dateline.xpath(".//time")
    assert when.text == "March 28, 2012"  # 01:30 UTC on the 29th is the 28th in New York
    assert when.get("datetime") == "2012-03-28T21:30:00-04:00"
    (img,) = tree.xpath("//div[@class='notes']/figure[@class='art']/img")
    assert img.get("alt") == "Jonah Lehrer, smiling, in front of a bookshelf"
    assert img.get("src") == "../art/001-lets-take-this-offline.jpg"
    assert text(tree.xpath("//figure/figcaption")[0]) == "Photo: Nina Subin"
    (audio,) = tree.xpath("//audio")
    assert audio.get("preload") == "metadata" and audio.get("controls") is not None
    assert audio.get("src") == "../media/001-lets-take-this-offline.mp3"
    assert tree.xpath("//time[@class='duration']")[0].text == "0:07"
    (download,) = tree.xpath("//a[@class='download']")
    assert download.get("href") == audio.get("src") and "download" in download.attrib
    assert "123 kB" in text(download) and "MP3" in text(download)


def test_notes_render_as_prose_with_pull_quotes_and_escape_script(site):
    tree = doc(site, EP1)
    (notes,) = tree.xpath("//div[@class='notes']")
    quotes = [text(q) for q in notes.xpath(".//blockquote")]
    assert quotes == ["“The most creative places are the ones where people bump into each other.”",
                      "“Criticism is the fuel of creativity, not its enemy.”"]
    assert [text(h) for h in notes.xpath(".//h2")] == ["Why the hallway beats the inbox"]
    assert len(notes.xpath(".//ul/li")) == 3
    assert notes.xpath(".//a/@href") == ["https://example.com/imagine", "https://example.com/blog"]
    assert tree.xpath("//body//script") == []  # the note's <script> is not an element
    assert "<script>document.title" in text(notes)  # ... but shown as text
    assert b"<script>document.title" not in site[EP1]


def test_allow_html_keeps_raw_html_in_notes(tmp_path):
    files = build_site(tmp_path / "show", tmp_path / "out", allow_html=True)
    tree = lxml.html.fromstring(files[EP1])
    assert len(tree.xpath("//div[@class='notes']//script")) == 1
    assert tree.xpath("//div[@class='host-bio']//b/text()") == ["bold"]


def test_chapters_transcript_guests_subscribe_host_and_discussion(site):
    tree = doc(site, EP1)
    chapters = tree.xpath("//section[@class='chapters']//ol/li/a[@data-seek]")
    assert [(a.get("data-seek"), a.get("href"), a.findtext("time")) for a in chapters] == [
        ("0", "#t=0", "0:00"), ("2", "#t=2", "0:02"), ("4.5", "#t=4.5", "0:04")]
    assert [a.findtext("span") for a in chapters] == ["Welcome", "Meet Jonah Lehrer", "Why the hallway matters"]
    assert tree.xpath("//section[@class='chapters']//a[@class='chapter-link']/@href") == ["https://example.com/pixar"]

    (details,) = tree.xpath("//section[@class='transcript']/details")
    assert "open" not in details.attrib and text(details.find("summary")) == "Read the full transcript"
    paragraphs = details.xpath(".//div[@class='transcript-body']/p")
    assert [p.xpath("a/@data-seek")[0] for p in paragraphs] == ["0", "4.5"]
    assert text(paragraphs[1]) == "0:04 Jonah Lehrer: Thanks, Matt. Let's take this offline & talk in person."
    assert tree.xpath("//p[@class='transcript-file']/a/@href") == ["../transcripts/001-lets-take-this-offline.vtt"]

    (guest,) = tree.xpath("//section[@class='guests']//div[@class='person']")
    assert guest.xpath(".//h3/a/@href") == ["https://example.com/lehrer"]
    assert guest.xpath(".//img/@alt") == ["Jonah Lehrer"]
    assert guest.xpath(".//img/@src") == ["../art/lehrer.jpg"]  # inside the site: relative
    assert text(guest.xpath(".//div[@class='bio']")[0]) == "Author of Imagine: How Creativity Works."

    sub = tree.xpath("//section[@class='subscribe-box']//ul[@class='subscribe']/li/a")
    assert [(text(a), a.get("href")) for a in sub] == [
        ("Apple Podcasts", "https://podcasts.apple.example/smarts"),
        ("Spotify", "https://open.spotify.example/smarts"), ("RSS feed", "../feed.xml")]

    (box,) = tree.xpath("//aside[@class='host-box']")
    assert box.xpath(".//img/@src") == ["../art/grant.jpg"] and box.xpath(".//img/@alt") == ["Matthew T. Grant"]
    assert "Matthew T. Grant is director of content at MarketingProfs. <b>bold</b>" in text(box)
    assert box.xpath(".//ul[@class='host-links']//a/@href") == [
        "https://twitter.example/matthewtgrant", "https://example.com/mtg-blog"]
    assert tree.xpath("//section[@class='discussion']//a/@href") == [
        "https://forum.example.com/t/lets-take-this-offline"]


def test_previous_and_next_episode_links(site):
    def links(key):
        tree = doc(site, key)
        return {a.get("class"): a.get("href") for a in tree.xpath("//nav[@class='prev-next']/a")}

    assert links(EP3) == {"older": "../" + EP2}  # newest: no next
    assert links(EP2) == {"older": "../" + EP1, "newer": "../" + EP3}
    assert links(EP1) == {"newer": "../" + EP2}
    assert doc(site, EP2).xpath("//section[@class='discussion']") == []  # no discussion given
    assert doc(site, EP2).xpath("//figure") == []  # no art of its own: the show's is not repeated
    assert meta(doc(site, EP2), "property", "og:image") == SHOW_IMAGE_URL  # ... but shared


def test_front_page_lists_newest_first_in_pages(site):
    tree = doc(site, "index.html")
    assert tree.xpath("//img[@class='show-art']/@src") == ["art/show.jpg"]
    assert text(tree.xpath("//h1")[0]) == "Marketing Smarts"
    assert "Real-world advice" in text(tree.xpath("//p[@class='show-description']")[0])
    assert [text(a) for a in tree.xpath("//ul[@class='subscribe']//a")] == ["Apple Podcasts", "Spotify", "RSS feed"]
    cards = tree.xpath("//ol[@class='episode-list']/li/article")
    assert [c.xpath(".//h3/a/@href")[0] for c in cards] == [EP3, EP2]
    assert [c.findtext(".//p[@class='meta']/time") for c in cards] == ["April 9, 2012", "April 6, 2012"]
    assert all(c.xpath(".//p[@class='meta']/time")[1].text == "0:07" for c in cards)
    assert text(cards[0].xpath(".//p[@class='summary']")[0]).startswith("How a small newsletter")
    assert tree.xpath("//nav[@class='pager']/a/@href") == ["page/2.html"]
    assert json.loads(tree.xpath("//script[@type='application/ld+json']/text()")[0])["@type"] == "PodcastSeries"
    assert tree.xpath("//link[@rel='canonical']/@href") == [BASE_URL]
    assert meta(tree, "property", "og:image") == SHOW_IMAGE_URL

    page2 = doc(site, "page/2.html")
    assert page2.xpath("//ol[@class='episode-list']//h3/a/@href") == ["../" + EP1]
    assert page2.xpath("//nav[@class='pager']/a/@href") == ["../index.html"]
    assert page2.xpath("//link[@rel='canonical']/@href") == [BASE_URL + "page/2.html"]
    assert "page 2 of 2" in text(page2.xpath("//h2[@id='episodes-heading']")[0])


def test_relative_links_resolve_inside_the_site(site, tmp_path):
    known = set(site) | {"feed.xml", "art/show.jpg", "art/001-lets-take-this-offline.jpg", "art/grant.jpg", "art/lehrer.jpg",
                         "transcripts/001-lets-take-this-offline.vtt"}
    known |= {f"media/{p.split('/')[1][:-5]}.mp3" for p in site if p.startswith("episodes/")}
    for key in (k for k in site if k.endswith(".html")):
        tree = doc(site, key)
        for url in tree.xpath("//@href | //@src"):
            if url.startswith(("http://", "https://", "#", "mailto:")):
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(key), url))
            assert target in known, f"{key}: {url} -> {target}"


class _Balance(HTMLParser):
    """Every non-void element closed in order; no duplicate ids."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack, self.ids, self.errors = [], [], []

    def handle_starttag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}> at {self.getpos()}")


@pytest.mark.parametrize("key", ["index.html", "page/2.html", EP1, EP2])
def test_pages_are_well_formed_html5_with_landmarks(site, key):
    raw = site[key].decode()
    assert raw.startswith("<!doctype html>\n")
    checker = _Balance()
    checker.feed(raw)
    assert checker.errors == [] and checker.stack == []
    assert len(checker.ids) == len(set(checker.ids))
    tree = lxml.html.fromstring(site[key])
    assert tree.get("lang") == "en-us"
    assert tree.xpath("//meta[@name='viewport']") and tree.xpath("//meta[@charset='utf-8']")
    assert len(tree.xpath("//body/header")) == 1 and len(tree.xpath("//body/main")) == 1
    assert len(tree.xpath("//body/footer")) == 1 and len(tree.xpath("//h1")) == 1
    assert all(nav.get("aria-label") for nav in tree.xpath("//nav"))
    assert all(img.get("alt") is not None for img in tree.xpath("//img"))
    assert tree.xpath("//a[@class='skip-link']/@href") == ["#main"]
    assert tree.xpath("//a//a") == []  # no nested links


def test_show_templates_override_the_built_in_ones(tmp_path):
    templates = tmp_path / "show" / "templates"
    templates.mkdir(parents=True)
    (templates / "_host.html").write_text('<aside class="my-host">Ask {{ show.author }}</aside>\n')
    (templates / "style.css").write_text("body { color: red; }\n")
    files = build_site(tmp_path / "show", tmp_path / "out")
    tree = lxml.html.fromstring(files[EP1])
    assert tree.xpath("//aside[@class='my-host']/text()") == ["Ask MarketingProfs"]
    assert tree.xpath("//aside[@class='host-box']") == []
    assert files["style.css"] == b"body { color: red; }\n"
    assert b"data-seek" in files["player.js"]  # not overridden: the built-in one


def test_a_broken_show_template_names_its_file_and_line(tmp_path):
    root = tmp_path / "show"
    (root / "templates").mkdir(parents=True)
    (root / "templates" / "index.html").write_text("<p>\n{% if %}\n")
    settings = sample_settings(root)
    with pytest.raises(ConfigError) as err:
        render_site(settings, sample_episodes(root, settings), feed_url=FEED_URL, show_image_url=SHOW_IMAGE_URL)
    assert err.value.line == 2 and err.value.path.endswith("index.html")


def test_an_empty_show_still_has_a_front_page(tmp_path):
    settings = sample_settings(tmp_path)
    files = render_site(settings, [], feed_url=FEED_URL, show_image_url=SHOW_IMAGE_URL)
    assert sorted(files) == ["index.html", "player.js", "style.css"]
    assert "No episodes yet" in lxml.html.fromstring(files["index.html"]).text_content()


# -- notes.py -------------------------------------------------------------

def test_render_markdown_escapes_html_and_drops_unsafe_links():
    html = render_markdown('Hi <img src=x onerror="alert(1)">\n\n[click](javascript:alert(1)) [ok](https://a.example)')
    tree = lxml.html.fragment_fromstring(html, create_parent="div")
    assert tree.xpath("//img") == [] and "onerror" in tree.text_content()
    assert tree.xpath("//a/@href") == ["https://a.example"]


def test_render_markdown_starts_headings_at_h2_keeping_their_shape():
    tree = lxml.html.fragment_fromstring(render_markdown("# A\n\n## B\n\n# C"), create_parent="div")
    assert [el.tag for el in tree] == ["h2", "h3", "h2"]
    tree = lxml.html.fragment_fromstring(render_markdown("### Only\n\ntext"), create_parent="div")
    assert tree[0].tag == "h2"


def test_render_markdown_tables_and_raw_html_when_allowed():
    tree = lxml.html.fragment_fromstring(render_markdown("|a|b|\n|-|-|\n|1|2|"), create_parent="div")
    assert tree.xpath("//td/text()") == ["1", "2"]
    kept = render_markdown("<aside>Hi</aside>", allow_html=True)
    assert "<aside>Hi</aside>" in kept


def test_plain_text_strips_markup_and_cuts_at_a_word():
    md = "# Title\n\nSome **bold** and [a link](https://x.example).\n\n<b>raw</b>\n\n```\ncode\n```\n\nEnd"
    assert plain_text(md) == "Title Some bold and a link. raw End"  # tags dropped, words kept
    assert plain_text("one two three four", 12) == "one two…"
    assert len(plain_text("word " * 100, 50)) <= 50
    assert plain_text("short", 50) == "short"


# -- transcript.py ---------------------------------------------------------

def test_read_vtt_with_voices_settings_notes_and_entities(tmp_path):
    path = tmp_path / "t.vtt"
    path.write_text("\ufeffWEBVTT - test\n\nNOTE a comment\n\nintro\n00:00.000 --> 00:01.500 align:start\n"
                    "<v.loud Matthew T. Grant>Hello <i>there</i> &amp; welcome</v>\n\n"
                    "01:00:02.250 --> 01:00:04.000\nsecond\nline\n", encoding="utf-8")
    assert read_transcript(path) == (
        Cue(0.0, 1.5, "Hello there & welcome", "Matthew T. Grant"),
        Cue(3602.25, 3604.0, "second line", None))


def test_read_srt_with_crlf(tmp_path):
    path = tmp_path / "t.srt"
    path.write_bytes(b"1\r\n00:00:01,000 --> 00:00:02,500\r\nHello\r\nworld\r\n\r\n2\r\n00:01:03,500 --> 00:01:04,000\r\nBye\r\n")
    assert read_transcript(path) == (Cue(1.0, 2.5, "Hello world"), Cue(63.5, 64.0, "Bye"))


@pytest.mark.parametrize("name, content, line", [
    ("no-header.vtt", "00:00.000 --> 00:01.000\nhi\n", 1),
    ("bad-time.vtt", "WEBVTT\n\n00:00.000 --> 00:01.000\nok\n\n00:00:99.000 --> 00:01.000\nbad\n", 6),
    ("backwards.srt", "1\n00:00:05,000 --> 00:00:01,000\nhi\n", 2),
    ("no-timing.srt", "1\nhello\n", 1),
])
def test_malformed_transcripts_name_the_line(tmp_path, name, content, line):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(NotesError) as err:
        read_transcript(path)
    assert err.value.line == line and err.value.path == str(path)
    assert f"{name}:{line}:" in str(err.value)


def test_non_utf8_transcript_is_a_notes_error(tmp_path):
    path = tmp_path / "latin.vtt"
    path.write_bytes("WEBVTT\n\n00:00.000 --> 00:01.000\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(NotesError, match="UTF-8"):
        read_transcript(path)
