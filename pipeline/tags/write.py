"""Tags, cover art and chapters written into every episode file.

Apps read the feed, but a downloaded episode is read by whatever player it
lands in: a car stereo, a phone's music app, a desktop player. So the file
itself must say its title, show, number, date, art and chapters. castline
writes complete tags after mastering, from a clean slate (tags that came
with the source recording are never carried over by accident), and the
feed's enclosure describes the final, tagged bytes: tag writes change the
file size, so callers take size and hash from the file after the last
write (``file_facts``).

One ``TagInfo`` becomes, by extension:

* ``.mp3``: ID3v2.4 (or v2.3 for old players) with CHAP/CTOC chapters and
  Apple's podcast frames (``pipeline.tags.id3``);
* ``.m4a``/``.m4b``/``.mp4``: MP4 atoms, chapters remuxed in by ffmpeg
  (``pipeline.tags.mp4``);
* ``.opus``/``.ogg``/``.oga``: Vorbis comments with the ``CHAPTERnnn`` convention and
  the cover as ``METADATA_BLOCK_PICTURE`` (``pipeline.tags.vorbis``).

Re-tagging a tagged file (a re-run after a title change) replaces every
tag: the result is the same bytes as tagging the untagged file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from pathlib import Path
from typing import NamedTuple

from pipeline.errors import AudioError, NotesError
from pipeline.model import Chapter
from pipeline.tools.digest import sha256_of

_WRITERS = {  # the module for each extension, loaded (with mutagen) when a file is first tagged or read
    ".mp3": "id3",
    ".m4a": "mp4",
    ".m4b": "mp4",
    ".mp4": "mp4",
    ".opus": "vorbis",
    ".ogg": "vorbis",
    ".oga": "vorbis",
}


@dataclass(frozen=True)
class TagInfo:
    """What an episode file says about itself, whatever its format.

    ``artist`` is the host(s) joined ``"A, B"``; ``album`` is the show title;
    ``track`` is the episode number and ``season`` the season (ID3 ``TRCK``
    and ``TPOS``). ``summary`` is the short text (ID3 ``COMM``, MP4 ``desc``),
    ``description`` the long one (ID3 ``TDES``, MP4 ``ldes``). ``page_url``
    is the episode page, ``feed_url`` the show's feed, ``guid`` the episode
    GUID. ``cover`` is the compact JPEG from ``art.tag_cover``. ``duration``
    (seconds) ends the last chapter.
    """

    title: str
    artist: str
    album: str
    date: datetime
    duration: float
    track: int | None = None
    season: int | None = None
    summary: str | None = None
    description: str | None = None
    copyright: str | None = None
    page_url: str | None = None
    feed_url: str | None = None
    guid: str | None = None
    cover: bytes | None = None
    cover_mime: str | None = None
    chapters: tuple[Chapter, ...] = ()
    id3_version: int = 4
    genre: str = "Podcast"
    language: str | None = None


class Span(NamedTuple):
    """One chapter as written into a file: start and end in milliseconds.

    A chapter ends where the next one starts; the last one ends with the
    episode (players need the end time: ID3 ``CHAP`` stores both).
    """

    index: int
    start_ms: int
    end_ms: int
    title: str
    url: str | None


class FileFacts(NamedTuple):
    """Size and SHA-256 of the final file: the enclosure length is ``size``."""

    size: int
    sha256: str


def write_tags(path: Path, info: TagInfo, *, ffmpeg: str | None = None) -> None:
    """Replace every tag in ``path`` with ``info``, chosen by extension.

    ``ffmpeg`` (a binary path) is only used for MP4, whose chapters mutagen
    cannot write. Raises AudioError for a format castline cannot tag and
    NotesError for chapters that do not fit in the audio.
    """
    path = Path(path)
    writer = _writer(path)
    if info.id3_version not in (3, 4):
        raise AudioError(
            f"ID3 version {info.id3_version} is not supported",
            field="[audio] id3_version",
            fix="use 4 (the default) or 3 for old players",
        )
    writer.write(path, info, chapter_spans(info, path), ffmpeg=ffmpeg)


def read_tags(path: Path) -> dict:
    """Read back what ``write_tags`` wrote, as one plain dict for any format.

    Keys: title, artist, album, track, season, date (str), genre, summary,
    description, copyright, page_url, feed_url, guid, podcast (bool),
    cover (bytes or None), cover_mime, chapters (list of dicts with
    start_ms, end_ms, title, url, in file order).
    """
    path = Path(path)
    return _writer(path).read(path)


def file_facts(path: Path) -> FileFacts:
    """Size and SHA-256 of ``path`` as it is now: call after the last write."""
    return FileFacts(Path(path).stat().st_size, sha256_of(Path(path)))


def chapter_spans(info: TagInfo, path: Path | None = None) -> list[Span]:
    """The chapters in start order, each ending where the next begins.

    A chapter that starts at or after the end of the audio cannot be
    played, so it is an error naming the chapter, not a silent drop.
    """
    duration_ms = round(info.duration * 1000)
    ordered = sorted(info.chapters, key=lambda c: c.start)
    spans = []
    for i, chapter in enumerate(ordered):
        start = round(chapter.start * 1000)
        if start < 0 or start >= duration_ms:
            raise NotesError(
                f"chapter {chapter.title!r} starts at {chapter.start:g} s, outside the "
                f"audio (0 to {info.duration:.3f} s)",
                path=path,
                field="chapters",
                fix="give each chapter a start time inside the episode",
            )
        end = round(ordered[i + 1].start * 1000) if i + 1 < len(ordered) else duration_ms
        if end <= start:
            raise NotesError(
                f"chapters {chapter.title!r} and {ordered[i + 1].title!r} both start at "
                f"{chapter.start:g} s",
                path=path,
                field="chapters",
                fix="give each chapter its own start time",
            )
        spans.append(Span(i, start, end, chapter.title, chapter.url))
    return spans


def _writer(path: Path):
    writer = _WRITERS.get(path.suffix.lower())
    if writer is None:
        raise AudioError(
            f"castline cannot tag {path.suffix or 'extensionless'} files",
            path=path,
            fix="encode the episode as mp3, m4a or opus",
        )
    return import_module(f"{__package__}.{writer}")
