"""The bad-input catalogue: every mistake a host makes, through the CLI.

Each case starts from the sample show published once, makes one mistake,
runs ``castline publish`` and pins the exact line the host reads: it names
the file (and the line or field) and the fix; the exit code is 1; there is
no traceback; and the published tree (``public/``, state included) is byte
for byte what it was. The one exception the design allows is a broken NEW
episode: it is reported and left out, and the others stay published.
"""

from __future__ import annotations

import os
import random
import shutil
import time
from pathlib import Path

import pytest
from PIL import Image

from tests._published import assert_consistent, feed_items, snapshot
from tests._showfiles import edit

NOTES1 = "show_notes/001-lets-take-this-offline.md"
NOTES2 = "show_notes/002-mailbag-better-offsites.md"
MP3_2 = "episodes/002-mailbag-better-offsites.mp3"
AUDIO_FIX = "export it again as WAV, FLAC, MP3, M4A or Ogg and check that it plays"


def new_episode(show: Path, slug: str, audio: bytes, number: int = 3) -> None:
    (show / "episodes" / f"{slug}.mp3").write_bytes(audio)
    (show / "show_notes" / f"{slug}.md").write_text(
        f"---\ntitle: Episode {number}\nnumber: {number}\nseason: 1\ndate: 2012-05-01T09:00:00\n---\nNotes.\n")


def corrupt_published_mp3(show: Path) -> None:
    (show / MP3_2).write_bytes(random.Random(40).randbytes(40_000))  # fixed bytes: random ones may read as a stream-less file


def zero_byte_audio(show: Path) -> None:
    (show / MP3_2).write_bytes(b"")


def text_named_mp3(show: Path) -> None:
    (show / MP3_2).write_text("These are my notes for the episode, not the recording.\n")


def unsupported_format(show: Path) -> None:
    (show / "episodes" / "003-old-interview.wma").write_bytes(b"0&\xb2u" + bytes(200))


def notes_without_audio(show: Path) -> None:
    (show / "show_notes" / "003-lost.md").write_text("---\ntitle: Lost\ndate: 2012-05-01\n---\nBody\n")


def audio_without_notes(show: Path) -> None:
    shutil.copy(show / MP3_2, show / "episodes" / "003-orphan.mp3")


def bad_yaml(show: Path) -> None:
    edit(show / NOTES1, "season: 1\n", "season: [1\n")


def wrong_field_type(show: Path) -> None:
    edit(show / NOTES1, "number: 1\n", "number: one\n")


def date_not_a_date(show: Path) -> None:
    edit(show / NOTES1, "date: 2012-03-28T09:00:00\n", "date: last tuesday\n")


def duplicate_number(show: Path) -> None:
    edit(show / NOTES2, "number = 2\n", "number = 1\n")


def slug_leaves_the_show(show: Path) -> None:
    edit(show / NOTES1, "type: full\n", "type: full\nslug: ../../x\n")


def audio_leaves_the_show(show: Path) -> None:
    edit(show / NOTES1, "type: full\n", "type: full\naudio: ../../etc/passwd\n")


def notes_not_utf8(show: Path) -> None:
    path = show / NOTES1
    path.write_bytes(path.read_text().replace("Offline", "Offline caf\u00e9").encode("latin-1"))


def show_art_missing(show: Path) -> None:
    (show / "art" / "cover.jpg").unlink()


def show_art_not_square(show: Path) -> None:
    Image.new("RGB", (1600, 1400), (200, 80, 40)).save(show / "art" / "cover.jpg")


def episode_art_not_square(show: Path) -> None:
    Image.new("RGB", (1400, 1000), (200, 80, 40)).save(show / "episodes" / "001-lets-take-this-offline.jpg")


def yaml_alias_bomb(show: Path) -> None:
    """A 'billion laughs' in number: expanded, it is 9^9 strings."""
    laughs = "number: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))
    edit(show / NOTES1, "number: 1\n", laughs)


def yaml_nested_deep(show: Path) -> None:
    edit(show / NOTES1, "season: 1\n", "season: " + "[" * 1200 + "]" * 1200 + "\n")


def toml_nested_deep(show: Path) -> None:
    edit(show / NOTES2, "season = 1\n", "season = " + "[" * 5000 + "]" * 5000 + "\n")


def config_nested_deep(show: Path) -> None:
    edit(show / "config.toml", 'license = "CC-BY-4.0"\n', 'license = "CC-BY-4.0"\nx = ' + "[" * 5000 + "]" * 5000 + "\n")


def impossible_month(show: Path) -> None:
    edit(show / NOTES1, "date: 2012-03-28T09:00:00\n", "date: 2026-13-45\n")


def impossible_day(show: Path) -> None:
    edit(show / NOTES1, "date: 2012-03-28T09:00:00\n", "date: 2026-02-30\n")


def impossible_hour(show: Path) -> None:
    edit(show / NOTES1, "date: 2012-03-28T09:00:00\n", "date: 2026-12-03T25:00:00\n")


def number_of_5000_digits(show: Path) -> None:
    edit(show / NOTES1, "number: 1\n", "number: " + "9" * 5000 + "\n")


def javascript_subscribe_link(show: Path) -> None:
    edit(show / "config.toml", 'url = "https://overcast.fm/itunes000000000"', 'url = "javascript:alert(1)"')


def javascript_host_box_link(show: Path) -> None:
    edit(show / "config.toml", 'url = "https://mastodon.example/@mtgrant"', 'url = " javascript:alert(1)"')


def required_key_misspelt(show: Path) -> None:
    edit(show / "config.toml", 'author = "Matthew T. Grant"', 'auther = "Matthew T. Grant"')


def config_line(show: Path, text: str, nth: int = 1) -> int:
    """The line of the show's config.toml holding ``text`` (its ``nth`` time)."""
    return [n for n, raw in enumerate((show / "config.toml").read_text().splitlines(), 1) if text in raw][nth - 1]


_DEPTH = "lists and tables nest more than 32 levels deep; write the lists and tables flatter"
_DATE = "write an ISO 8601 date like 2024-05-01 or 2024-05-01T09:00:00-04:00"
_URL = "write it like https://example.com/page (only http, https and mailto links are published)"

CASES = [
    (corrupt_published_mp3, f"error: {MP3_2}: is not audio ffmpeg can read (Error opening input files: Invalid data "
                            f"found when processing input); {AUDIO_FIX}"),
    (zero_byte_audio, f"error: {MP3_2}: recording is empty (0 bytes); {AUDIO_FIX}"),
    (text_named_mp3, f"error: {MP3_2}: is not audio ffmpeg can read (Error opening input files: Invalid data found "
                     f"when processing input); {AUDIO_FIX}"),
    (unsupported_format, "error: episodes/003-old-interview.wma: .wma is not a format castline reads; convert it to "
                         "WAV, FLAC, MP3, M4A, Ogg or Opus"),
    (notes_without_audio, "error: show_notes/003-lost.md: has no recording; put the audio at episodes/003-lost.wav "
                          "(or .flac, .mp3, .m4a, .ogg), or name it in `audio:`"),
    (audio_without_notes, "error: episodes/003-orphan.mp3: is a recording with no show notes; write "
                          "show_notes/003-orphan.md (try `castline new`), or move the file out of episodes/"),
    (bad_yaml, f"error: {NOTES1}:5: bad YAML in the front matter: expected ',' or ']', but got ':'; fix the YAML on "
               "that line (quote text that contains ': ' or starts with a special character)"),
    (wrong_field_type, f"error: {NOTES1}:3: number: 'one' is not a whole number; write `number: 3`"),
    (date_not_a_date, f"error: {NOTES1}:5: date: 'last tuesday' is not a date; write an ISO 8601 date like "
                      "2024-05-01 or 2024-05-01T09:00:00-04:00"),
    (duplicate_number, f"error: {NOTES2}: number: episode number 1 is also used by {NOTES1}; give each episode its "
                       "own number"),
    (slug_leaves_the_show, f"error: {NOTES1}:7: slug: the slug '../../x' is not allowed; use letters, digits, '-' "
                           "and '_' only, like 001-my-episode"),
    (audio_leaves_the_show, f"error: {NOTES1}:7: audio: '../../etc/passwd' points outside the show folder; keep the "
                            "file inside the show folder"),
    (notes_not_utf8, f"error: {NOTES1}:2: is not UTF-8 text; save the file as UTF-8 (most editors: Save with "
                     "Encoding > UTF-8)"),
    (show_art_missing, "error: art/cover.jpg: art file not found; put the image there or correct the art path"),
    (show_art_not_square, "error: art/cover.jpg: is 1600x1400 px; Apple requires a square image; crop it to a "
                          "square of 1400 to 3000 px"),
    (episode_art_not_square, "error: episodes/001-lets-take-this-offline.jpg: is 1400x1000 px; Apple requires a "
                             "square image; crop it to a square of 1400 to 3000 px"),
    (yaml_alias_bomb, f"error: {NOTES1}:3: YAML anchors and aliases (& and *) are not allowed in front matter; write "
                      "each value out in full (quote text that starts with & or *)"),
    (yaml_nested_deep, f"error: {NOTES1}:4: the front matter: {_DEPTH}"),
    (toml_nested_deep, f"error: {NOTES2}:4: the front matter: {_DEPTH}"),
    (config_nested_deep, lambda show: f"error: config.toml:{config_line(show, 'x = [[[')}: {_DEPTH}"),
    (impossible_month, f"error: {NOTES1}:5: date: '2026-13-45' is not a real date or time (month must be in 1..12); "
                       + _DATE),
    (impossible_day, f"error: {NOTES1}:5: date: '2026-02-30' is not a real date or time (day is out of range for "
                     "month); " + _DATE),
    (impossible_hour, f"error: {NOTES1}:5: date: '2026-12-03T25:00:00' is not a real date or time (hour must be in "
                      "0..23); " + _DATE),
    (number_of_5000_digits, f"error: {NOTES1}:3: number: '{'9' * 40}...' is a number with too many digits; write a "
                            "shorter number, or quote it to keep it as text"),
    (javascript_subscribe_link, lambda show: f"error: config.toml:{config_line(show, '[[show.subscribe]]', 3)}: "
                                             "show.subscribe: entry 3 url: 'javascript:alert(1)' is not an absolute "
                                             f"http(s) or mailto URL; {_URL}"),
    (javascript_host_box_link, lambda show: f"error: config.toml:{config_line(show, 'links = [')}: show.host_box.links: "
                                            "entry 2 url: 'javascript:alert(1)' has spaces or control characters "
                                            f"around or in it; {_URL}"),
]

# Mistakes reported as several lines at once, each pinned.
MANY = [
    (required_key_misspelt, [
        "error: config.toml:10: show.auther: is not a known key; did you mean `author`?",
        "error: config.toml:10: show.author: is missing; `auther` on this line looks like a misspelling of it: rename "
        "it to `author`"]),
]


@pytest.mark.parametrize("mistake,expected", CASES, ids=[c[0].__name__ for c in CASES])
def test_mistake_is_one_line_and_nothing_published_changes(show: Path, run_cli, mistake, expected) -> None:
    before = snapshot(show / "public")
    mistake(show)
    expected = expected(show) if callable(expected) else expected
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 1, result.stdout + result.stderr
    assert result.stderr.splitlines() == [expected]
    assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(show / "public") == before


@pytest.mark.parametrize("mistake,expected", MANY, ids=[c[0].__name__ for c in MANY])
def test_mistakes_found_together_are_one_line_each(show: Path, run_cli, mistake, expected: list[str]) -> None:
    before = snapshot(show / "public")
    mistake(show)
    for command in ("check", "publish"):
        result = run_cli(command, "--workspace", str(show))
        assert result.code == 1, result.stdout + result.stderr
        assert result.stderr.splitlines() == expected
        assert "Traceback" not in result.stderr + result.stdout
    assert snapshot(show / "public") == before


def test_broken_new_episode_stops_the_publish_unless_skip_broken(show: Path, run_cli) -> None:
    """One rule: any problem in the show changes nothing in the store (exit 1,
    naming it); --skip-broken publishes what is ready and reports the rest."""
    before = snapshot(show / "public")
    new_episode(show, "003-broken", os.urandom(30_000))
    retitle = show / NOTES2
    retitle.write_text(retitle.read_text().replace("Three Rules", "Four Rules"))
    broken = (f"error: episodes/003-broken.mp3: is not audio ffmpeg can read (Error opening input files: Invalid data "
              f"found when processing input); {AUDIO_FIX}")
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 1
    assert result.stderr.splitlines() == [broken]
    assert snapshot(show / "public") == before  # not even 002's new title
    result = run_cli("publish", "--skip-broken", "--workspace", str(show))
    assert result.code == 1
    assert result.stderr.splitlines() == [broken]
    assert "episodes 1 changed, 1 failed, 1 published" in result.stdout
    assert [i["title"] for i in feed_items(show)] == ["Mailbag: Four Rules for a Better Offsite",
                                                      "Let's Take This Offline: Why Meeting in Person Matters"]
    assert "003-broken" not in (show / "public" / "feed.xml").read_text()
    assert_consistent(show)


def test_long_description_warns_by_how_much_and_publishes(show: Path, run_cli) -> None:
    path = show / NOTES2
    path.write_text(path.read_text() + "\n" + "Offsites work when people talk. " * 150 + "\n")
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 0, result.stderr
    (line,) = result.stderr.splitlines()
    size = len(next(i for i in _descriptions(show) if "Offsites work" in i).encode())
    assert size > 4000
    assert line == (f"warning: {NOTES2}: feed <description> is {size} bytes in the feed, {size - 4000} over Apple's "
                    "limit of 4000; Apple cuts it (the full notes stay in content:encoded): shorten the notes")
    assert "Offsites work when people talk." in (show / "public" / "feed.xml").read_text()
    assert_consistent(show)


def _descriptions(show: Path) -> list[str]:
    from lxml import etree

    return [d.text for d in etree.parse(str(show / "public" / "feed.xml")).iter("description")]


def test_unreachable_store_fails_fast(show: Path, run_cli, monkeypatch) -> None:
    """Nothing listens on 127.0.0.1:9; the store check uses a client without
    retries, so the host hears about it in seconds, not after a minute."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key-id")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    edit(show / "config.toml", 'url = "public"', 'url = "s3://bucket/x"\nendpoint_url = "http://127.0.0.1:9"')
    before = snapshot(show / "public")
    started = time.monotonic()
    result = run_cli("publish", "--workspace", str(show))
    elapsed = time.monotonic() - started
    assert result.code == 1
    assert result.stderr.splitlines() == [UNREACHABLE]
    assert elapsed < 5, elapsed
    assert snapshot(show / "public") == before


UNREACHABLE = ("error: s3://bucket/x: cannot reach the S3 endpoint http://127.0.0.1:9; check storage.endpoint_url and "
               "that the server is running and reachable")


def test_output_folder_not_writable(show: Path, run_cli) -> None:
    """The tests run as root, and chmod 0o500 does not stop root writing,
    so "cannot write the output folder" is made honestly another way: the
    path in storage.url is a regular file, where no folder can be made or
    written (the OS refuses every write under it, root included). The file
    stays as it was."""
    shutil.rmtree(show / "public")
    (show / "public").write_bytes(b"not a folder\n")
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "error: public/: cannot create the folder: File exists; check that the folder in storage.url exists, is "
        "writable and the disk is not full"]
    assert (show / "public").read_bytes() == b"not a folder\n"
