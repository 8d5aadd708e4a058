"""Tags, cover and chapters written into episode files, read back with mutagen.

Every test synthesizes a few seconds of audio with the real ffmpeg, tags it
with ``write_tags``, and checks the file as a player would see it: the tags
through mutagen, the chapter frames as raw bytes on disk, and the audio by
decoding it from start to end.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import subprocess
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest
from mutagen.apev2 import APEv2
from mutagen.flac import Picture
from mutagen.id3 import ID3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from PIL import Image, ImageDraw

from pipeline.errors import AudioError, NotesError
from pipeline.tools.ffmpeg import find_ffmpeg, run
from pipeline.model import Chapter
from pipeline.tags.write import TagInfo, file_facts, read_tags, write_tags

SECONDS = 5.0
RATE = 22050

# The first chapter has the longest frame, so mutagen's size order
# (its issue 506) differs from start order and the on-disk test can fail.
CHAPTERS = (
    Chapter(0.0, "Cold open, where the hosts argue about the weather for a while",
            "https://example.com/cold-open"),
    Chapter(1.25, "News"),
    Chapter(2.5, "Interview with a guest", "https://example.com/guest"),
    Chapter(4.0, "Outro"),
)


@pytest.fixture(scope="module")
def ffmpeg() -> str:
    return find_ffmpeg()


@pytest.fixture(scope="module")
def cover_jpeg() -> bytes:
    """A 1400 px JPEG cover, drawn so it is not trivially compressible."""
    image = Image.new("RGB", (1400, 1400), (20, 60, 120))
    draw = ImageDraw.Draw(image)
    for i in range(0, 1400, 70):
        draw.ellipse((i, i // 2, i + 300, i // 2 + 300), fill=(i % 255, 180, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def info(cover_jpeg: bytes) -> TagInfo:
    return TagInfo(
        title="Let's take this offline",
        artist="Ada Host, Ben Host",
        album="The Castline Show",
        date=datetime(2024, 5, 1, 7, 30, tzinfo=timezone.utc),
        duration=SECONDS,
        track=12,
        season=2,
        summary="We take things offline.",
        description="A longer description of the episode, with ünïcödé.",
        copyright="© 2024 Castline",
        page_url="https://example.com/episodes/012/",
        feed_url="https://example.com/feed.xml",
        guid="urn:uuid:0b7c5a4e-3c52-4d6b-9b7e-5a0d4f1c2e3a",
        cover=cover_jpeg,
        cover_mime="image/jpeg",
        chapters=CHAPTERS,
        language="en",
    )


def synth(ffmpeg: str, path: Path, codec: list[str], *extra: str) -> Path:
    """A few seconds of tone with the source's own tags, as a recording
    mastered by ffmpeg would carry them."""
    run(["-y", "-f", "lavfi", "-i", f"sine=frequency=440:duration={SECONDS}:sample_rate={RATE}",
         "-metadata", "title=Source title", "-metadata", "artist=Recorder app",
         "-metadata", "comment=from the recorder", *codec, *extra, str(path)], ffmpeg=ffmpeg)
    return path


@pytest.fixture
def mp3(tmp_path: Path, ffmpeg: str) -> Path:
    path = synth(ffmpeg, tmp_path / "012-episode.mp3", ["-c:a", "libmp3lame", "-b:a", "64k"],
                 "-write_id3v1", "1")
    ape = APEv2()
    ape["Title"] = "APE title from a tagging tool"
    ape.save(path)
    return path


@pytest.fixture
def m4a(tmp_path: Path, ffmpeg: str) -> Path:
    return synth(ffmpeg, tmp_path / "012-episode.m4a", ["-c:a", "aac", "-b:a", "48k"])


@pytest.fixture
def opus(tmp_path: Path, ffmpeg: str) -> Path:
    return synth(ffmpeg, tmp_path / "012-episode.opus", ["-c:a", "libopus", "-b:a", "24k"])


def ffmpeg_info(ffmpeg: str, path: Path) -> str:
    return subprocess.run([ffmpeg, "-hide_banner", "-i", str(path)], capture_output=True,
                          text=True).stderr


def ffmpeg_chapters(ffmpeg: str, path: Path) -> list[tuple[float, float, str]]:
    """The chapters as ffmpeg (and so most players) see them: start, end,
    title; times to the millisecond (MP4 stores them in the track's timescale)."""
    text = ffmpeg_info(ffmpeg, path)
    found = re.findall(r"Chapter #\d+:\d+: start ([\d.]+), end ([\d.]+)\s+Metadata:\s+"
                       r"title\s+: (.*)", text)
    return [(round(float(start), 3), round(float(end), 3), title.strip())
            for start, end, title in found]


def decoded_seconds(ffmpeg: str, path: Path) -> float:
    """Decode the whole file to PCM; a broken frame anywhere fails the run."""
    proc = run(["-v", "error", "-xerror", "-i", str(path), "-f", "s16le", "-ac", "1",
                "-ar", str(RATE), "-"], ffmpeg=ffmpeg)
    assert proc.stderr.strip() == b""
    return len(proc.stdout) / 2 / RATE


def raw_id3_frame_ids(data: bytes) -> list[tuple[str, bytes]]:
    """Top-level frames of the ID3v2 tag, in on-disk order, parsed here from
    the bytes (independently of mutagen and of pipeline code)."""
    assert data[:3] == b"ID3"
    major = data[3]
    syncsafe = lambda b: (b[0] << 21) | (b[1] << 14) | (b[2] << 7) | b[3]  # noqa: E731
    end = 10 + syncsafe(data[6:10])
    frames, pos = [], 10
    while pos + 10 <= end and data[pos] != 0:
        size_bytes = data[pos + 4 : pos + 8]
        size = syncsafe(size_bytes) if major == 4 else int.from_bytes(size_bytes, "big")
        frames.append((data[pos : pos + 4].decode("ascii"), data[pos + 10 : pos + 10 + size]))
        pos += 10 + size
    return frames


def raw_chap_starts(data: bytes) -> list[int]:
    starts = []
    for frame_id, body in raw_id3_frame_ids(data):
        if frame_id == "CHAP":
            cut = body.index(b"\0") + 1
            starts.append(int.from_bytes(body[cut : cut + 4], "big"))
    return starts


# --- MP3 / ID3 ---------------------------------------------------------------


def test_mp3_every_tag_reads_back_with_mutagen(mp3: Path, info: TagInfo) -> None:
    write_tags(mp3, info)
    tag = ID3(mp3)
    assert tag.version == (2, 4, 0)
    assert tag["TIT2"].text == ["Let's take this offline"]
    assert tag["TPE1"].text == ["Ada Host, Ben Host"]
    assert tag["TALB"].text == ["The Castline Show"]
    assert tag["TRCK"].text == ["12"]
    assert tag["TPOS"].text == ["2"]
    assert str(tag["TDRC"].text[0]) == "2024-05-01"
    assert tag["TCON"].text == ["Podcast"]
    [comm] = tag.getall("COMM")
    assert (comm.lang, comm.text) == ("eng", ["We take things offline."])
    assert tag["TCOP"].text == ["© 2024 Castline"]
    assert tag["WOAS"].url == tag["WOAF"].url == "https://example.com/episodes/012/"
    assert tag["PCST"].value == 1
    assert tag["TGID"].text == ["urn:uuid:0b7c5a4e-3c52-4d6b-9b7e-5a0d4f1c2e3a"]
    assert tag["WFED"].url == "https://example.com/feed.xml"
    assert tag["TDES"].text == ["A longer description of the episode, with ünïcödé."]
    [apic] = tag.getall("APIC")
    assert (apic.type, apic.mime) == (3, "image/jpeg")
    assert Image.open(io.BytesIO(apic.data)).size == (1400, 1400)


def test_mp3_chapters_have_start_end_title_and_url(mp3: Path, info: TagInfo) -> None:
    write_tags(mp3, info)
    tag = ID3(mp3)
    chaps = sorted(tag.getall("CHAP"), key=lambda c: c.start_time)
    got = [(c.element_id, c.start_time, c.end_time, c.sub_frames["TIT2"].text[0],
            [w.url for w in c.sub_frames.getall("WXXX")]) for c in chaps]
    assert got == [
        ("chp000", 0, 1250, CHAPTERS[0].title, ["https://example.com/cold-open"]),
        ("chp001", 1250, 2500, "News", []),
        ("chp002", 2500, 4000, "Interview with a guest", ["https://example.com/guest"]),
        ("chp003", 4000, 5000, "Outro", []),
    ]
    [toc] = tag.getall("CTOC")
    assert toc.child_element_ids == ["chp000", "chp001", "chp002", "chp003"]
    assert toc.flags == 3  # top level, ordered


def test_mp3_chap_frames_are_on_disk_in_start_order(mp3: Path, info: TagInfo) -> None:
    # Chapters given out of order, with sizes that mutagen would sort differently.
    shuffled = replace(info, chapters=(CHAPTERS[2], CHAPTERS[0], CHAPTERS[3], CHAPTERS[1]))
    write_tags(mp3, shuffled)
    frames = raw_id3_frame_ids(mp3.read_bytes())
    chap_sizes = [len(body) for frame_id, body in frames if frame_id == "CHAP"]
    assert raw_chap_starts(mp3.read_bytes()) == [0, 1250, 2500, 4000]
    assert chap_sizes != sorted(chap_sizes), "the test must exercise mutagen's size order"
    ids = [frame_id for frame_id, _ in frames]
    assert ids.index("CTOC") < ids.index("CHAP")


def test_mp3_id3v23_by_config(mp3: Path, info: TagInfo) -> None:
    write_tags(mp3, replace(info, id3_version=3))
    tag = ID3(mp3, translate=False)  # as an old player sees it, not upgraded
    assert tag.version == (2, 3, 0)
    assert mp3.read_bytes()[3] == 3
    assert tag["TYER"].text == ["2024"] and tag["TDAT"].text == ["0105"]
    assert tag["TIT2"].text == ["Let's take this offline"]
    assert tag["TDES"].text == ["A longer description of the episode, with ünïcödé."]
    assert raw_chap_starts(mp3.read_bytes()) == [0, 1250, 2500, 4000]
    assert read_tags(mp3)["date"] == "2024-05-01"
    assert [c["end_ms"] for c in read_tags(mp3)["chapters"]] == [1250, 2500, 4000, 5000]


def test_mp3_source_tags_are_not_carried_over(mp3: Path, info: TagInfo) -> None:
    before = ID3(mp3)
    assert "TSSE" in before and before["TIT2"].text == ["Source title"]  # the fixture is real
    assert b"TAGSource title" in mp3.read_bytes() and b"APETAGEX" in mp3.read_bytes()
    write_tags(mp3, replace(info, summary=None, description=None, chapters=()))
    tag = ID3(mp3)
    assert sorted(tag.keys()) == sorted([
        "TIT2", "TPE1", "TALB", "TRCK", "TPOS", "TDRC", "TCON", "TLEN", "TLAN", "TCOP",
        "WOAS", "WOAF", "WFED", "TGID", "PCST", "APIC:Cover"])
    data = mp3.read_bytes()
    assert b"TAGSource title" not in data  # ID3v1 gone
    assert b"APETAGEX" not in data  # APEv2 gone


def test_mp3_still_decodes_start_to_end_with_the_same_duration(
    mp3: Path, info: TagInfo, ffmpeg: str
) -> None:
    before = decoded_seconds(ffmpeg, mp3)
    write_tags(mp3, info)
    after = decoded_seconds(ffmpeg, mp3)
    assert abs(after - SECONDS) < 1.0
    assert abs(after - before) < 0.01


def test_retagging_replaces_instead_of_duplicating(mp3: Path, info: TagInfo) -> None:
    write_tags(mp3, info)
    first = mp3.read_bytes()
    renamed = replace(info, title="A better title")
    write_tags(mp3, renamed)
    tag = ID3(mp3)
    assert tag.getall("TIT2")[0].text == ["A better title"]
    counts = {}
    for frame_id, _ in raw_id3_frame_ids(mp3.read_bytes()):
        counts[frame_id] = counts.get(frame_id, 0) + 1
    assert counts["CHAP"] == 4 and counts["APIC"] == 1 and counts["TIT2"] == 1
    assert counts["COMM"] == 1 and counts["CTOC"] == 1
    write_tags(mp3, info)
    assert mp3.read_bytes() == first  # same info, same bytes, whatever came before


def test_file_facts_are_of_the_final_tagged_file(mp3: Path, info: TagInfo) -> None:
    untagged = file_facts(mp3)
    write_tags(mp3, info)
    facts = file_facts(mp3)
    assert facts.size == mp3.stat().st_size != untagged.size
    assert facts.sha256 == hashlib.sha256(mp3.read_bytes()).hexdigest()


def test_chapter_after_the_end_is_an_error(mp3: Path, info: TagInfo) -> None:
    late = replace(info, chapters=(Chapter(0, "Intro"), Chapter(7.5, "Bonus")))
    with pytest.raises(NotesError) as err:
        write_tags(mp3, late)
    assert str(err.value) == (
        f"{mp3}: chapters: chapter 'Bonus' starts at 7.5 s, outside the audio "
        "(0 to 5.000 s); give each chapter a start time inside the episode")


def test_two_chapters_at_the_same_time_is_an_error(mp3: Path, info: TagInfo) -> None:
    twice = replace(info, chapters=(Chapter(1, "A"), Chapter(1, "B")))
    with pytest.raises(NotesError, match="'A' and 'B' both start at 1 s"):
        write_tags(mp3, twice)


def test_unknown_format_is_an_error(tmp_path: Path, info: TagInfo) -> None:
    wav = tmp_path / "x.wav"
    wav.write_bytes(b"RIFF")
    with pytest.raises(AudioError, match="cannot tag .wav files"):
        write_tags(wav, info)


# --- M4A / MP4 ---------------------------------------------------------------


def test_m4a_every_atom_reads_back_with_mutagen(m4a: Path, info: TagInfo) -> None:
    write_tags(m4a, info)
    tags = MP4(m4a).tags
    assert tags["©nam"] == ["Let's take this offline"]
    assert tags["©ART"] == tags["aART"] == ["Ada Host, Ben Host"]
    assert tags["©alb"] == ["The Castline Show"]
    assert tags["trkn"] == [(12, 0)] and tags["tvsn"] == [2]
    assert tags["©day"] == ["2024-05-01"]
    assert tags["desc"] == ["We take things offline."]
    assert tags["ldes"] == ["A longer description of the episode, with ünïcödé."]
    assert tags["©gen"] == ["Podcast"] and tags["stik"] == [21]
    assert tags["pcst"] is True
    assert tags["purl"] == ["https://example.com/feed.xml"]
    assert tags["egid"] == ["urn:uuid:0b7c5a4e-3c52-4d6b-9b7e-5a0d4f1c2e3a"]
    assert tags["cprt"] == ["© 2024 Castline"]
    [cover] = tags["covr"]
    assert Image.open(io.BytesIO(bytes(cover))).size == (1400, 1400)
    assert "©too" not in tags and "©cmt" not in tags  # nothing from the source or the remux


def test_m4a_chapters_have_start_end_and_title(m4a: Path, info: TagInfo, ffmpeg: str) -> None:
    write_tags(m4a, info)
    chapters = [(round(c.start * 1000), c.title) for c in MP4(m4a).chapters]
    assert chapters == [(0, CHAPTERS[0].title), (1250, "News"),
                        (2500, "Interview with a guest"), (4000, "Outro")]
    assert ffmpeg_chapters(ffmpeg, m4a) == [
        (0.0, 1.25, CHAPTERS[0].title), (1.25, 2.5, "News"),
        (2.5, 4.0, "Interview with a guest"), (4.0, 5.0, "Outro")]


def test_m4a_decodes_and_retags_without_duplicates(m4a: Path, info: TagInfo, ffmpeg: str) -> None:
    before = decoded_seconds(ffmpeg, m4a)
    write_tags(m4a, info)
    first = m4a.read_bytes()
    fewer = replace(info, title="Renamed", chapters=CHAPTERS[:2])
    write_tags(m4a, fewer)
    tagged = MP4(m4a)
    assert tagged.tags["©nam"] == ["Renamed"] and len(tagged.tags["covr"]) == 1
    assert [c.title for c in tagged.chapters] == [CHAPTERS[0].title, "News"]
    assert [end for _, end, _ in ffmpeg_chapters(ffmpeg, m4a)] == [1.25, 5.0]
    # one QuickTime chapter track (Apple reads it), not one per run
    assert ffmpeg_info(ffmpeg, m4a).count("bin_data (text") == 1
    after = decoded_seconds(ffmpeg, m4a)
    assert abs(after - SECONDS) < 1.0 and abs(after - before) < 0.05
    write_tags(m4a, info)
    assert m4a.read_bytes() == first


# --- Opus / Vorbis comments --------------------------------------------------


def test_opus_comments_chapters_and_picture(opus: Path, info: TagInfo, ffmpeg: str) -> None:
    before = decoded_seconds(ffmpeg, opus)
    write_tags(opus, info)
    tags = OggOpus(opus).tags
    assert tags["TITLE"] == ["Let's take this offline"]
    assert tags["ARTIST"] == ["Ada Host, Ben Host"] and tags["ALBUM"] == ["The Castline Show"]
    assert tags["TRACKNUMBER"] == ["12"] and tags["DATE"] == ["2024-05-01"]
    assert tags["DESCRIPTION"] == ["A longer description of the episode, with ünïcödé."]
    assert tags["GENRE"] == ["Podcast"]
    assert [(tags[f"CHAPTER00{i}"][0], tags[f"CHAPTER00{i}NAME"][0]) for i in range(1, 5)] == [
        ("00:00:00.000", CHAPTERS[0].title), ("00:00:01.250", "News"),
        ("00:00:02.500", "Interview with a guest"), ("00:00:04.000", "Outro")]
    assert tags["CHAPTER003URL"] == ["https://example.com/guest"]
    assert "CHAPTER005" not in tags
    [block] = tags["METADATA_BLOCK_PICTURE"]
    picture = Picture(base64.b64decode(block))
    assert (picture.type, picture.mime, picture.width, picture.height) == (3, "image/jpeg", 1400, 1400)
    assert Image.open(io.BytesIO(picture.data)).size == (1400, 1400)
    assert [(s, e) for s, e, _ in ffmpeg_chapters(ffmpeg, opus)][:3] == [
        (0.0, 1.25), (1.25, 2.5), (2.5, 4.0)]
    assert "Source title" not in str(tags) and "from the recorder" not in str(tags)
    after = decoded_seconds(ffmpeg, opus)
    assert abs(after - SECONDS) < 1.0 and abs(after - before) < 0.05


def test_opus_retag_gives_the_same_comments(opus: Path, info: TagInfo) -> None:
    write_tags(opus, info)
    first = opus.read_bytes()
    write_tags(opus, replace(info, title="Renamed", chapters=CHAPTERS[:1]))
    tags = OggOpus(opus).tags
    assert tags["TITLE"] == ["Renamed"] and "CHAPTER002" not in tags
    assert len(tags["METADATA_BLOCK_PICTURE"]) == 1
    write_tags(opus, info)
    assert opus.read_bytes() == first


@pytest.mark.parametrize("fixture", ["mp3", "m4a", "opus"])
def test_read_tags_is_the_same_for_every_format(
    request: pytest.FixtureRequest, fixture: str, info: TagInfo, cover_jpeg: bytes
) -> None:
    path = request.getfixturevalue(fixture)
    write_tags(path, info)
    got = read_tags(path)
    assert (got["title"], got["artist"], got["album"], got["track"], got["season"], got["date"]) == (
        info.title, info.artist, info.album, 12, 2, "2024-05-01")
    assert got["cover"] == cover_jpeg and got["cover_mime"] == "image/jpeg"
    starts = [(c["start_ms"], c["title"]) for c in got["chapters"]]
    assert starts == [(0, CHAPTERS[0].title), (1250, "News"), (2500, "Interview with a guest"),
                      (4000, "Outro")]
    assert [c["end_ms"] for c in got["chapters"]][:3] == [1250, 2500, 4000]
    assert abs(got["chapters"][-1]["end_ms"] - 5000) < 100


def test_m4a_retagged_without_chapters_has_none(m4a: Path, info: TagInfo, ffmpeg: str) -> None:
    write_tags(m4a, info)
    write_tags(m4a, replace(info, chapters=()))
    assert not MP4(m4a).chapters
    assert "Chapter #" not in ffmpeg_info(ffmpeg, m4a)
    assert "bin_data (text" not in ffmpeg_info(ffmpeg, m4a)


def test_cover_from_art_module_is_embedded_at_1400px(tmp_path: Path, mp3: Path, info: TagInfo) -> None:
    from pipeline.tools.images import tag_cover

    big = Image.new("RGBA", (3000, 3000), (200, 30, 30, 255))
    ImageDraw.Draw(big).ellipse((500, 500, 2500, 2500), fill=(0, 0, 0, 0))
    big.save(tmp_path / "show.png")
    cover, mime = tag_cover(tmp_path / "show.png")
    write_tags(mp3, replace(info, cover=cover, cover_mime=mime))
    [apic] = ID3(mp3).getall("APIC")
    with Image.open(io.BytesIO(apic.data)) as image:
        assert (image.format, image.size, image.mode) == ("JPEG", (1400, 1400), "RGB")
        assert image.getpixel((700, 700)) > (240, 240, 240)  # transparent centre -> white
    assert len(apic.data) <= 300_000
