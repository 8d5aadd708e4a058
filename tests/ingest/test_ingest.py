"""Show notes: the format, and every mistake reported with file and line."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.config.settings import load_settings
from pipeline.ingest.folder import ingest
from tests._showfiles import edit

NOTES = "show_notes/001-lets-take-this-offline.md"


def write(show: Path, name: str, text: str) -> Path:
    path = show / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems(show: Path) -> list[str]:
    return [str(p) for p in ingest(load_settings(show).ingest).problems]


def test_sample_show_ingests(sample_show: Path) -> None:
    found = ingest(load_settings(sample_show).ingest)
    assert found.problems == ()
    first, second = found.episodes
    assert first.slug == "001-lets-take-this-offline"
    assert first.title == "Let's Take This Offline: Why Meeting in Person Matters"
    assert first.date.astimezone(timezone.utc) == datetime(2012, 3, 28, 13, 0, tzinfo=timezone.utc)  # New York, EDT
    assert first.audio_path.name == "001-lets-take-this-offline.flac"
    assert first.image and first.image.name == "001-lets-take-this-offline.jpg"
    assert first.transcript and first.transcript.suffix == ".vtt"
    assert [g.name for g in first.guests] == ["Jonah Lehrer"]
    assert [(c.start, c.title) for c in first.chapters][:2] == [(0.0, "Introduction"), (14.0, "Why proximity breeds ideas")]
    assert "> Email is great for coordination" in first.body
    assert second.type == "bonus" and second.number == 2  # TOML front matter
    assert second.date.utcoffset().total_seconds() == -4 * 3600


def test_bad_yaml_names_its_line(sample_show: Path) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace("season: 1\n", "season: [1\n"))
    (message,) = problems(sample_show)
    assert message.startswith(f"{NOTES}:5: bad YAML in the front matter"), message


@pytest.mark.parametrize("old,new", [
    ('Matters"\n', "Matters\n"),  # a double quote opened, never closed: PyYAML notices it lines later
    ("number: 1\n", "number: 1\nsubtitle: 'It''s here\n"),  # a single quote ('' is one ' inside it)
])
def test_a_quote_left_open_names_the_line_it_opened_on(sample_show: Path, old: str, new: str) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace(old, new, 1))
    (message,) = problems(sample_show)
    line = 2 if "Matters" in old else 4
    assert message.startswith(f"{NOTES}:{line}: bad YAML in the front matter: a quote opened on this line"), message
    assert "close the quote" in message and "\n" not in message


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ("number: 1\n", "number: one\n", f"{NOTES}:3: number: 'one' is not a whole number; write `number: 3`"),
        ("date: 2012-03-28T09:00:00\n", "date: last tuesday\n",
         f"{NOTES}:5: date: 'last tuesday' is not a date; write an ISO 8601 date"),
        ("explicit: false\n", "explicit: nope\n", f"{NOTES}:7: explicit: 'nope' is not true or false"),
        ("type: full\n", "typ: full\n", f"{NOTES}:6: typ: is not a known field; did you mean `type`?"),
        ("type: full\n", "type: episode\n", f"{NOTES}:6: type: 'episode' is not allowed; use one of full, trailer, bonus"),
        ('  - start: "0:14"\n', '  - start: "soon"\n', "chapters: chapter 2 start 'soon' is not a time"),
    ],
)
def test_field_errors(sample_show: Path, old: str, new: str, expected: str) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace(old, new, 1))
    (message,) = problems(sample_show)
    assert expected in message, message


def test_notes_without_audio_and_audio_without_notes(sample_show: Path) -> None:
    write(sample_show, "show_notes/003-no-audio.md", "---\ntitle: Lost\ndate: 2012-05-01\n---\nBody\n")
    (sample_show / "episodes" / "004-orphan.mp3").write_bytes(b"x")
    found = problems(sample_show)
    assert "show_notes/003-no-audio.md: has no recording; put the audio at episodes/003-no-audio.wav" in found[0]
    assert "episodes/004-orphan.mp3: is a recording with no show notes" in found[1]


def test_duplicate_episode_number(sample_show: Path) -> None:
    src = sample_show / "episodes" / "002-mailbag-better-offsites.mp3"
    (sample_show / "episodes" / "003-copy.mp3").write_bytes(src.read_bytes())
    write(sample_show, "show_notes/003-copy.md", "---\ntitle: Copy\nnumber: 1\nseason: 1\ndate: 2012-05-01\n---\nB\n")
    (message,) = problems(sample_show)
    assert message.startswith("show_notes/003-copy.md: number: episode number 1 is also used by show_notes/001"), message


@pytest.mark.parametrize("field", ["slug: ../x", "audio: ../../etc/passwd"])
def test_paths_may_not_leave_the_show(sample_show: Path, field: str) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace("type: full\n", f"type: full\n{field}\n"))
    (message,) = problems(sample_show)
    assert message.startswith(f"{NOTES}:7: {field.split(':')[0]}:"), message
    assert "not allowed" in message or "outside the show folder" in message


def test_notes_not_utf8(sample_show: Path) -> None:
    path = sample_show / NOTES
    path.write_bytes(path.read_text().replace("Offline", "Offline caf\u00e9").encode("latin-1"))
    (message,) = problems(sample_show)
    assert message.startswith(f"{NOTES}:2: is not UTF-8 text; save the file as UTF-8"), message


def test_unsupported_format(sample_show: Path) -> None:
    (sample_show / "episodes" / "005-old.wma").write_bytes(b"x")
    (message,) = problems(sample_show)
    assert message == "episodes/005-old.wma: .wma is not a format castline reads; convert it to WAV, FLAC, MP3, M4A, Ogg or Opus"


# -- hostile and careless input (issue 12) ------------------------------------

HOSTILE_FRONT = r'''---
title: " \x00Let's\x0b Take \x7fThis\uFFFE  Offline\x1b[2J "
number: 1
season: 1
date: 2012-03-28T09:00:00
summary: "\x01A summary\x08 with\r\nlines \x9b "
image_alt: "\x0cThree colleagues\x00"
image_credit: " Illustration\x07 "
keywords: ["crea\x00tivity", " ", "\x1f"]
location: "New\x00 York "
license: " CC\x0b BY "
guid: " \x00abc "
guests:
  - name: "\x00Jonah\x0b Lehrer "
    role: " guest\x00"
    bio: "Author\x00 of *Imagine*.\x1b "
chapters:
  - start: "0:00"
    title: "\x00Intro\x0b duction\uFFFF"
soundbites:
  - start: 1
    duration: 5
    title: "\x00A\x0b bite "
---

'''


def test_every_text_field_is_cleaned_once_at_ingest(sample_show: Path) -> None:
    """NUL, C0/C1 controls, DEL, escape sequences and noncharacters never
    leave ingest, and surrounding spaces go too, in every field."""
    path = sample_show / NOTES
    path.write_text(HOSTILE_FRONT + "\n  \n\x00Body\x0b text\x7f\r\n\n    indented code\n \n")
    found = ingest(load_settings(sample_show).ingest)
    assert found.problems == ()
    ep = next(e for e in found.episodes if e.slug == "001-lets-take-this-offline")
    assert ep.title == "Let's Take This Offline[2J"
    assert ep.summary == "A summary with\nlines"
    assert ep.body == "Body text\n\n    indented code\n"
    assert (ep.image_alt, ep.image_credit, ep.location, ep.license, ep.guid) == (
        "Three colleagues", "Illustration", "New York", "CC BY", "abc")
    assert ep.keywords == ("creativity",)
    (guest,) = ep.guests
    assert (guest.name, guest.role, guest.bio) == ("Jonah Lehrer", "guest", "Author of *Imagine*.")
    assert [c.title for c in ep.chapters] == ["Intro duction"]
    assert [s.title for s in ep.soundbites] == ["A bite"]


def test_a_title_of_control_characters_is_empty(sample_show: Path) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace(
        'title: "Let\'s Take This Offline: Why Meeting in Person Matters"', r'title: "\x00\x0b \x7f"'))
    assert problems(sample_show) == [f"{NOTES}:2: title: is empty; add `title: ...` to the front matter"]


URL_FIX = "write it like https://example.com/page (only http, https and mailto links are published)"


@pytest.mark.parametrize("old,new,expected", [
    ("    href: https://example.com/jonah-lehrer\n", "    href: javascript:alert(1)\n",
     f"{NOTES}:15: guests: guest 1 href: 'javascript:alert(1)' is not an absolute http(s) or mailto URL; {URL_FIX}"),
    ("    href: https://example.com/jonah-lehrer\n", "    href: https://example.com/j\n    img: /me.png\n",
     f"{NOTES}:15: guests: guest 1 img: '/me.png' is not an absolute http(s) or mailto URL; {URL_FIX}"),
    ("    url: https://example.com/imagine\n", "    url: data:text/html,hi\n",
     f"{NOTES}:20: chapters: chapter 2 url: 'data:text/html,hi' is not an absolute http(s) or mailto URL; {URL_FIX}"),
    ("    url: https://example.com/imagine\n", "    url: https://example.com/imagine\n    img: JavaScript:x\n",
     f"{NOTES}:20: chapters: chapter 2 img: 'JavaScript:x' is not an absolute http(s) or mailto URL; {URL_FIX}"),
    ("discussion: https://example.com/community/lets-take-this-offline\n", 'discussion: " https://e.com/\\x00"\n',
     f"{NOTES}:30: discussion: 'https://e.com/' has spaces or control characters around or in it; {URL_FIX}"),
    ("discussion: https://example.com/community/lets-take-this-offline\n", "discussion: vbscript:msgbox\n",
     f"{NOTES}:30: discussion: 'vbscript:msgbox' is not an absolute http(s) or mailto URL; {URL_FIX}"),
])
def test_one_url_rule_for_every_url_field(sample_show: Path, old: str, new: str, expected: str) -> None:
    edit(sample_show / NOTES, old, new)
    assert problems(sample_show) == [expected]


def test_mailto_and_https_links_pass(sample_show: Path) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace("https://example.com/jonah-lehrer", "mailto:jonah@example.com"))
    (ep, _) = ingest(load_settings(sample_show).ingest).episodes
    assert ep.guests[0].href == "mailto:jonah@example.com"


@pytest.mark.parametrize("old,new,expected", [
    ("number: 1\n", "number: 70000\n", f"{NOTES}:3: number: 70000 is too large; use a whole number from 0 to 65535"),
    ("number: 1\n", "number: [1, 2]\n", f"{NOTES}:3: number: a list is not a whole number; write `number: 3`"),
    ("number: 1\n", "number: 1.5\n", f"{NOTES}:3: number: 1.5 is not a whole number; write `number: 3`"),
    ("number: 1\n", "number: '²'\n", f"{NOTES}:3: number: '²' is not a whole number; write `number: 3`"),
    ("date: 2012-03-28T09:00:00\n", "date: '9999-12-31T23:59:59-05:00'\n",
     f"{NOTES}:5: date: '9999-12-31T23:59:59-05:00' is not a plausible date (the year must be 1900 to 2999); write an "
     "ISO 8601 date like 2024-05-01 or 2024-05-01T09:00:00-04:00"),
    ("date: 2012-03-28T09:00:00\n", "date: '2026-02-30'\n",
     f"{NOTES}:5: date: '2026-02-30' is not a date; write an ISO 8601 date like 2024-05-01 or 2024-05-01T09:00:00-04:00"),
    ("date: 2012-03-28T09:00:00\n", "date: {a: 1}\n",
     f"{NOTES}:5: date: a table is not a date; write an ISO 8601 date like 2024-05-01 or 2024-05-01T09:00:00-04:00"),
    ('  - start: "0:14"\n', "  - start: .inf\n",
     f"{NOTES}:20: chapters: chapter 2 start inf is not a time; write it as \"M:SS\" or \"H:MM:SS\", like \"12:30\""),
    ('  - start: "0:14"\n', '  - start: "' + "9" * 5000 + ':00:00"\n',
     f"{NOTES}:20: chapters: chapter 2 start '" + "9" * 59 + "…' is not a time; write it as \"M:SS\" or \"H:MM:SS\", "
     "like \"12:30\""),
    ('  - start: "0:14"\n', '  - start: "101:00:00"\n',
     f"{NOTES}:20: chapters: chapter 2 start '101:00:00' is past 100 hours; write the time from the start of the "
     "recording, like \"12:30\""),
    ("    title: Introduction\n", "    title: [a]\n",
     f"{NOTES}:20: chapters: chapter 1 title must be text, not a list; write it as plain text"),
    ("    role: guest\n", "    role: guest\n    twitter: x\n",
     f"{NOTES}:15: guests: guest 1 has an unknown key 'twitter'; use name, role, group, href, img, bio"),
])
def test_values_out_of_range_are_one_short_line(sample_show: Path, old: str, new: str, expected: str) -> None:
    edit(sample_show / NOTES, old, new)
    assert problems(sample_show) == [expected]


def test_an_unknown_key_with_control_characters_is_quoted_short(sample_show: Path) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace("type: full\n", '"\\x1b]0;pwned\\x07' + "k" * 200 + '": 1\n'))
    (message,) = problems(sample_show)
    assert message == f"{NOTES}:6: ]0;pwned{'k' * 51}…: is not a known field; remove it; the fields are listed in README"


# -- files found by their name must be inside the show folder ----------------

LINK_FIX = "copy the file into the show folder instead of linking to it"


@pytest.fixture
def outside(tmp_path: Path, sample_show: Path) -> Path:
    """A folder next to the show, holding copies of its files."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    for name in ("episodes/001-lets-take-this-offline.flac", "episodes/001-lets-take-this-offline.vtt",
                 "episodes/001-lets-take-this-offline.jpg", NOTES):
        (folder / Path(name).name).write_bytes((sample_show / name).read_bytes())
    return folder


@pytest.mark.parametrize("name", ["episodes/001-lets-take-this-offline.flac", "episodes/001-lets-take-this-offline.vtt",
                                  NOTES])
def test_a_link_out_of_the_show_is_refused(sample_show: Path, outside: Path, name: str) -> None:
    link = sample_show / name
    link.unlink()
    link.symlink_to(outside / link.name)
    assert problems(sample_show) == [f"{name}: is a link to {outside / link.name}, outside the show folder; {LINK_FIX}"]


def test_a_link_to_art_out_of_the_show_is_refused(sample_show: Path, outside: Path) -> None:
    """Art found beside the recording (no `image:` field) follows the rule too."""
    path = sample_show / NOTES
    path.write_text(path.read_text().replace("image: episodes/001-lets-take-this-offline.jpg\n", ""))
    link = sample_show / "episodes/001-lets-take-this-offline.jpg"
    link.unlink()
    link.symlink_to(outside / link.name)
    assert problems(sample_show) == [
        f"episodes/001-lets-take-this-offline.jpg: is a link to {outside / link.name}, outside the show folder; {LINK_FIX}"]


def test_a_link_inside_the_show_is_fine(sample_show: Path) -> None:
    store = sample_show / "recordings"
    store.mkdir()
    audio = sample_show / "episodes/001-lets-take-this-offline.flac"
    audio.rename(store / audio.name)
    audio.symlink_to(store / audio.name)
    found = ingest(load_settings(sample_show).ingest)
    assert found.problems == ()
    assert found.episodes[0].audio_path == audio


def test_a_link_that_loops_is_one_line(sample_show: Path) -> None:
    loop = sample_show / "show_notes" / "003-loop.md"
    loop.symlink_to(loop)
    path = sample_show / NOTES
    path.write_text(path.read_text().replace("type: full\n", "type: full\ntranscript: episodes/loop.vtt\n"))
    (sample_show / "episodes" / "loop.vtt").symlink_to(sample_show / "episodes" / "loop.vtt")
    assert problems(sample_show) == [
        f"{NOTES}:7: transcript: 'episodes/loop.vtt' does not exist; check the path; it is relative to the show folder",
        "show_notes/003-loop.md: cannot read the file (Too many levels of symbolic links); check the file's permissions"]


def test_a_control_character_in_yaml_names_its_line(sample_show: Path) -> None:
    write(sample_show, "show_notes/003-x.md", "---\ntitle: X\nnumber: 3\nsummary: a\x0bb\ndate: 2012-05-01\n---\nNotes.\n")
    (sample_show / "episodes" / "003-x.mp3").write_bytes((sample_show / "episodes" / "002-mailbag-better-offsites.mp3")
                                                          .read_bytes())
    assert problems(sample_show) == [
        "show_notes/003-x.md:4: an invisible control character (#x000b) is in the front matter; delete it (retyping "
        "the line removes it)"]

