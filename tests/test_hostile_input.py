"""Hostile and careless host text, published: what reaches the pages, the
chapters JSON, the feed and the transcript files.

Each case starts from the sample show published once and goes through
``castline publish`` the way a host runs it. Text is cleaned once, at
ingest, so these check the outputs: no control character anywhere in them,
no ``javascript:`` link, and a transcript published with its escaping kept.
A mistake (a bad link, a file linked from outside the show, a broken
transcript) is one line naming the file, exit 1, and the published tree
unchanged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree, html

from tests._published import assert_consistent, snapshot
from tests._showfiles import edit

NOTES1 = "show_notes/001-lets-take-this-offline.md"
VTT1 = "episodes/001-lets-take-this-offline.vtt"
PAGE1 = "episodes/001-lets-take-this-offline.html"
# what XML 1.0 and HTML forbid, and the noncharacters the Nu checker rejects
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff]")
URL_FIX = "write it like https://example.com/page (only http, https and mailto links are published)"


def published_text(show: Path) -> dict[str, str]:
    """Every text object of the published tree, by key."""
    public = show / "public"
    return {p.relative_to(public).as_posix(): p.read_text() for p in sorted(public.rglob("*"))
            if p.is_file() and p.suffix in (".html", ".xml", ".json", ".vtt", ".srt")}


def hostile_notes(show: Path) -> None:
    """Control characters, an escape sequence, noncharacters and stray
    spaces in every kind of field, and a raw NUL and DEL in the body."""
    edit(show / NOTES1, 'title: "Let\'s Take This Offline: Why Meeting in Person Matters"',
         r"""title: " Let's Take\x0b This Offline:\x00 Why Meeting\x1b[2J in Person\x7f Matters\uFFFE " """.rstrip())
    edit(show / NOTES1, "summary: >-\n  Jonah Lehrer, author of Imagine: How Creativity Works, explains why the\n"
                       "  ideas that matter most still come from people who share a hallway.\n",
         'summary: "  \\x01Jonah\\x08 Lehrer on hallways.\\x9b  "\n')
    edit(show / NOTES1, "image_alt: Three colleagues talking around a table in a sunlit office\n",
         'image_alt: "\\x0cThree\\x00 colleagues"\n')
    edit(show / NOTES1, "  - name: Jonah Lehrer\n", '  - name: "\\x00Jonah\\x0b Lehrer\\uFFFF "\n')
    edit(show / NOTES1, "    title: Introduction\n", '    title: "\\x00Intro\\x0bduction "\n')
    edit(show / NOTES1, "We all know the feeling", "We all\x00 know\x0b the\x7f feeling")


def test_control_characters_reach_no_output(show: Path, run_cli) -> None:
    hostile_notes(show)
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 0, result.stderr
    texts = published_text(show)
    for key, text in texts.items():
        bad = FORBIDDEN.search(text)
        assert bad is None, f"{key} holds {bad.group()!r} near {text[max(0, bad.start() - 40):bad.end() + 40]!r}"
    page = html.fromstring(texts[PAGE1].encode())
    title = "Let's Take This Offline: Why Meeting[2J in Person Matters"
    assert page.findtext(".//title").startswith(title)
    assert page.findtext(".//h1").strip() == title
    assert "We all know the feeling" in texts[PAGE1]
    chapters = json.loads(texts["episodes/001-lets-take-this-offline.chapters.json"])
    assert chapters["title"] == title and chapters["chapters"][0]["title"] == "Introduction"
    feed = etree.fromstring(texts["feed.xml"].encode())
    item = next(i for i in feed.iter("item") if i.findtext("title") == title)
    assert item.findtext("description") == item.findtext("description").strip()
    assert "Jonah Lehrer on hallways." in etree.tostring(item, encoding="unicode")
    assert_consistent(show)


def test_no_script_link_reaches_a_page(show: Path, run_cli) -> None:
    """A ``javascript:`` link in the Markdown body is left as text; every
    link and source on every page is http(s), mailto or relative."""
    edit(show / NOTES1, "We all know the feeling", "[click](javascript:alert(1)) <a href='javascript:x'>x</a> "
                                                  "We all know the feeling")
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 0, result.stderr
    for key, text in published_text(show).items():
        if key.endswith(".html"):
            for value in html.fromstring(text.encode()).xpath("//@href | //@src | //@action | //@formaction"):
                assert not re.match(r"\s*(javascript|vbscript|data):", value, re.IGNORECASE), (key, value)


@pytest.mark.parametrize("old,new,expected", [
    ("    href: https://example.com/jonah-lehrer\n", "    href: javascript:alert(document.cookie)\n",
     f"error: {NOTES1}:15: guests: guest 1 href: 'javascript:alert(document.cookie)' is not an absolute http(s) or "
     f"mailto URL; {URL_FIX}"),
    ("    url: https://example.com/imagine\n", "    url: ' javascript:alert(1)'\n",
     f"error: {NOTES1}:20: chapters: chapter 2 url: 'javascript:alert(1)' has spaces or control characters around or "
     f"in it; {URL_FIX}"),
    ("discussion: https://example.com/community/lets-take-this-offline\n", "discussion: data:text/html;base64,PHM+\n",
     f"error: {NOTES1}:30: discussion: 'data:text/html;base64,PHM+' is not an absolute http(s) or mailto URL; "
     f"{URL_FIX}"),
])
def test_a_script_link_in_front_matter_is_refused(show: Path, run_cli, old: str, new: str, expected: str) -> None:
    before = snapshot(show / "public")
    edit(show / NOTES1, old, new)
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 1
    assert result.stderr.splitlines() == [expected]
    assert snapshot(show / "public") == before


ESCAPED_VTT = """WEBVTT

NOTE the host's own escaping, which the published file must keep

intro
00:00:02.000 --> 00:00:15.300 align:start
<v Matthew T. Grant>5 &lt; 6 and 7 &gt; 3, AT&amp;T, &lt;b&gt;literal&lt;/b&gt; and <i>real</i> italics

00:00:15.840 --> 00:00:24.400
<v.loud Jonah Lehrer>Tom &amp; Jerry&#x21;
second line
"""


def test_a_published_transcript_keeps_its_escaping(show: Path, run_cli) -> None:
    (show / VTT1).write_text(ESCAPED_VTT)
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 0, result.stderr
    published = (show / "public" / VTT1).read_text()
    cues = published.split("\n\n")
    assert cues[0] == "WEBVTT"
    first = cues[1].split("\n")
    assert first[0] == "intro"
    assert re.fullmatch(r"\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3} align:start", first[1])
    assert first[2] == ("<v Matthew T. Grant>5 &lt; 6 and 7 &gt; 3, AT&amp;T, &lt;b&gt;literal&lt;/b&gt; and "
                        "<i>real</i> italics")
    assert cues[2].strip().split("\n")[1:] == ["<v.loud Jonah Lehrer>Tom &amp; Jerry&#x21;", "second line"]
    # the page shows the words as a reader reads them, escaped once for HTML
    page = html.fromstring((show / "public" / PAGE1).read_bytes())
    body = " ".join(page.xpath("//div[@class='transcript-body']//text()"))
    assert "5 < 6 and 7 > 3, AT&T, <b>literal</b> and real italics" in " ".join(body.split())
    assert "Tom & Jerry! second line" in " ".join(body.split())


def test_a_published_srt_transcript_is_the_hosts_file_moved(show: Path, run_cli) -> None:
    (show / VTT1).unlink()
    (show / VTT1).with_suffix(".srt").write_text(
        "1\n00:00:02,000 --> 00:00:15,300\n5 < 6, <i>AT&T</i>\n\n2\n00:00:15,840 --> 00:00:24,400\nsecond\n")
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 0, result.stderr
    published = (show / "public" / VTT1).with_suffix(".srt").read_text()
    assert [block.split("\n")[2:] for block in published.strip().split("\n\n")] == [["5 < 6, <i>AT&T</i>"], ["second"]]


@pytest.mark.parametrize("content,expected", [
    ("WEBVTT\n\n00:00:02.000 --> 00:00:15.300\nok\n\n00:00:16.000 --> 00:00:99.000\nbad\n",
     f"error: {VTT1}:6: bad cue timing '00:00:16.000 --> 00:00:99.000'; write cues as '00:01:02.500 --> "
     "00:01:05.000' followed by the text (see the WebVTT spec)"),
    ("WEBVTT\n\n00:00:02.000 --> 00:00:15.300\nok\n\nwords a blank line cut off their cue\n",
     f"error: {VTT1}:6: expected a cue timing line with '-->'; write cues as '00:01:02.500 --> 00:01:05.000' followed "
     "by the text (see the WebVTT spec)"),
    ("00:00:02.000 --> 00:00:15.300\nno header\n",
     f"error: {VTT1}:1: a WebVTT file must start with 'WEBVTT'; write cues as '00:01:02.500 --> 00:01:05.000' "
     "followed by the text (see the WebVTT spec)"),
    ("WEBVTT\n\n\n00:00:20.000 --> 00:00:05.000\nbackwards\n",
     f"error: {VTT1}:4: cue ends before it starts: '00:00:20.000 --> 00:00:05.000'; write cues as '00:01:02.500 --> "
     "00:01:05.000' followed by the text (see the WebVTT spec)"),
    ("WEBVTT\n\n00:00:02.000 --> 00:00:15.300 align:middle\nhi\n",
     f"error: {VTT1}:3: invalid cue setting 'align:middle' in '00:00:02.000 --> 00:00:15.300 align:middle'; write cues "
     "as '00:01:02.500 --> 00:01:05.000' followed by the text (see the WebVTT spec)"),
])
def test_a_malformed_transcript_is_one_line_with_its_line(show: Path, run_cli, content: str, expected: str) -> None:
    before = snapshot(show / "public")
    (show / VTT1).write_text(content)
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 1
    assert result.stderr.splitlines() == [expected]
    assert snapshot(show / "public") == before


@pytest.mark.parametrize("name", [NOTES1, VTT1, "episodes/001-lets-take-this-offline.flac"])
def test_a_file_linked_from_outside_the_show_is_not_published(show: Path, run_cli, tmp_path: Path, name: str) -> None:
    """A link found by its name (not named in front matter) that leads out
    of the show folder is refused like a named one, and nothing changes."""
    before = snapshot(show / "public")
    secret = tmp_path / "secret" / Path(name).name
    secret.parent.mkdir()
    secret.write_bytes((show / name).read_bytes())
    (show / name).unlink()
    (show / name).symlink_to(secret)
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 1
    assert result.stderr.splitlines() == [
        f"error: {name}: is a link to {secret}, outside the show folder; copy the file into the show folder instead of "
        "linking to it"]
    assert snapshot(show / "public") == before


@pytest.mark.browser
def test_chromium_reads_every_word_of_a_published_cue(tmp_path: Path) -> None:
    """Chromium's own WebVTT parser reads the published cues whole: an
    unescaped ``<`` or ``&`` would make it drop words."""
    from pipeline.ingest.transcript import read_transcript, transcript_bytes
    from tests._browser import chromium_context, preview_server

    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "source.vtt").write_text(ESCAPED_VTT)
    (site / "t.vtt").write_bytes(transcript_bytes(read_transcript(tmp_path / "source.vtt"), "vtt"))
    (site / "index.html").write_text('<!doctype html><html lang="en"><title>cues</title>'
                                     '<video id="v" muted><track id="t" kind="captions" src="t.vtt" default></video>')
    script = "[...document.getElementById('t').track.cues].map(c => c.getCueAsHTML().textContent)"
    with preview_server(site) as url, chromium_context(tmp_path / "profile") as context:
        page = context.new_page()
        page.goto(url + "index.html")
        page.evaluate("document.getElementById('t').track.mode = 'hidden'")
        page.wait_for_function("document.getElementById('t').readyState === 2", timeout=10_000)
        texts = page.evaluate(script)
    assert texts == ["5 < 6 and 7 > 3, AT&T, <b>literal</b> and real italics", "Tom & Jerry!\nsecond line"]
