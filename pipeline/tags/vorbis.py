"""Vorbis comments for Ogg episodes (Opus, or Vorbis in a .ogg).

Fields: TITLE, ARTIST (host(s)), ALBUM (show), TRACKNUMBER (episode),
DISCNUMBER (season, as ID3's TPOS), DATE, DESCRIPTION (long text, else
summary), COMMENT (summary), GENRE, COPYRIGHT, LANGUAGE. The cover is a
FLAC picture block, base64-encoded, in METADATA_BLOCK_PICTURE (the only
cover Ogg players agree on).

Chapters follow the Vorbis chapter convention that ffmpeg, foobar2000 and
podcast apps read: ``CHAPTER001=00:01:05.250``, ``CHAPTER001NAME=Intro``,
``CHAPTER001URL=...``, numbered from 001 in start order. A chapter's end is
implied by the next start (or the end of the file).
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import TYPE_CHECKING

from mutagen import File as MutagenFile
from mutagen.flac import Picture
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis
from PIL import Image

from pipeline.errors import AudioError

if TYPE_CHECKING:
    from .write import Span, TagInfo

_CHAPTER = re.compile(r"^CHAPTER(\d{3})$")


def write(path: Path, info: TagInfo, spans: list[Span], *, ffmpeg: str | None = None) -> None:
    """Replace every comment of ``path`` with ones built from ``info``."""
    audio = _open(path)
    audio.tags.clear()
    fields = {
        "TITLE": info.title, "ARTIST": info.artist, "ALBUM": info.album,
        "TRACKNUMBER": None if info.track is None else str(info.track),
        "DISCNUMBER": None if info.season is None else str(info.season),
        "DATE": info.date.strftime("%Y-%m-%d"),
        "DESCRIPTION": info.description or info.summary, "COMMENT": info.summary,
        "GENRE": info.genre, "COPYRIGHT": info.copyright, "LANGUAGE": info.language,
    }
    for span in spans:
        key = f"CHAPTER{span.index + 1:03d}"
        fields[key] = _timestamp(span.start_ms)
        fields[key + "NAME"] = span.title
        fields[key + "URL"] = span.url
    if info.cover:
        fields["METADATA_BLOCK_PICTURE"] = _picture(info.cover, info.cover_mime)
    for key, value in fields.items():
        if value:
            audio.tags[key] = [value]
    audio.save(padding=lambda _info: 0)


def _open(path: Path) -> OggOpus | OggVorbis:
    audio = MutagenFile(path, options=[OggOpus, OggVorbis])
    if audio is None:
        raise AudioError("is not an Ogg Opus or Ogg Vorbis file", path=path,
                         fix="encode the episode as opus (or use mp3)")
    if audio.tags is None:
        audio.add_tags()
    return audio


def _timestamp(ms: int) -> str:
    """``HH:MM:SS.mmm``, the chapter convention's time format."""
    seconds, millis = divmod(ms, 1000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"


def _picture(data: bytes, mime: str | None) -> str:
    """The cover as the FLAC picture block Ogg players read, base64."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
    picture = Picture()
    picture.type, picture.desc = 3, "Cover"  # front cover
    picture.mime = mime or "image/jpeg"
    picture.width, picture.height, picture.depth = width, height, 24
    picture.data = data
    return base64.b64encode(picture.write()).decode("ascii")


def read(path: Path) -> dict:
    """The comments of an Ogg file as ``tags.read_tags`` describes them."""
    audio = _open(path)
    first = lambda key: audio.tags[key][0] if key in audio.tags else None  # noqa: E731
    pictures = [Picture(base64.b64decode(p)) for p in audio.tags.get("METADATA_BLOCK_PICTURE", [])]
    numbers = sorted(m.group(1) for k in audio.tags.keys() if (m := _CHAPTER.match(k.upper())))
    starts = [(_millis(first(f"CHAPTER{n}")), n) for n in numbers]
    ends = [s for s, _ in starts[1:]] + [round(audio.info.length * 1000)]
    return {
        "title": first("TITLE"), "artist": first("ARTIST"), "album": first("ALBUM"),
        "track": int(first("TRACKNUMBER")) if first("TRACKNUMBER") else None,
        "season": int(first("DISCNUMBER")) if first("DISCNUMBER") else None,
        "date": first("DATE"), "genre": first("GENRE"), "summary": first("COMMENT"),
        "description": first("DESCRIPTION"), "copyright": first("COPYRIGHT"),
        "page_url": None, "feed_url": None, "guid": None, "podcast": False,
        "cover": pictures[0].data if pictures else None,
        "cover_mime": pictures[0].mime if pictures else None,
        "chapters": [{"start_ms": s, "end_ms": e, "title": first(f"CHAPTER{n}NAME"),
                      "url": first(f"CHAPTER{n}URL")} for (s, n), e in zip(starts, ends)],
    }


def _millis(stamp: str) -> int:
    hours, minutes, seconds = stamp.split(":")
    return round((int(hours) * 3600 + int(minutes) * 60 + float(seconds)) * 1000)
