"""MP4 atoms and chapters for M4A (AAC) episodes.

Which atom carries what: ``©nam`` the episode title, ``©ART`` and ``aART``
the host(s), ``©alb`` the show, ``trkn`` the episode number, ``tvsn`` and
``disk`` the season, ``©day`` the date, ``desc`` the summary, ``ldes`` the
long description, ``covr`` the cover (compact JPEG), ``©gen`` "Podcast",
``cprt`` the copyright, ``stik`` 21 (a podcast episode), and Apple's
podcast atoms: ``pcst`` the flag, ``purl`` the feed URL, ``egid`` the GUID.

mutagen reads MP4 chapters but cannot write them, so chapters go in first
with one ffmpeg remux (``-c copy``: the audio is not re-encoded) from an
FFMETADATA file of ``[CHAPTER]`` sections. ffmpeg writes them twice, as a
QuickTime chapter track (what Apple's players read) and as a Nero ``chpl``
atom (what most others read); a chapter's link has no place in either.
The remux starts from no metadata at all (``-map_metadata`` from the
chapter file, ``-map 0:a``: old chapter tracks, cover streams and tags of
the source are dropped), then mutagen writes the atoms.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from mutagen.mp4 import MP4, MP4Cover

from pipeline.tools.ffmpeg import Failure, find_ffmpeg, run
from pipeline.tools.tempfiles import scratch

if TYPE_CHECKING:
    from .write import Span, TagInfo

_PODCAST_MEDIA_KIND = 21  # stik value iTunes gives podcast episodes


def write(path: Path, info: TagInfo, spans: list[Span], *, ffmpeg: str | None = None) -> None:
    """Remux ``path`` with ``spans`` as its only chapters, then replace its atoms."""
    _remux_with_chapters(path, spans, find_ffmpeg(ffmpeg))
    mp4 = MP4(path)
    if mp4.tags is None:
        mp4.add_tags()
    mp4.tags.clear()
    tags = mp4.tags
    tags["©nam"] = [info.title]
    tags["©ART"] = [info.artist]
    tags["aART"] = [info.artist]
    tags["©alb"] = [info.album]
    if info.track is not None:
        tags["trkn"] = [(info.track, 0)]
    if info.season is not None:
        tags["tvsn"] = [info.season]
        tags["disk"] = [(info.season, 0)]
    tags["©day"] = [info.date.strftime("%Y-%m-%d")]
    tags["©gen"] = [info.genre]
    tags["stik"] = [_PODCAST_MEDIA_KIND]
    tags["pcst"] = True
    if info.summary or info.description:
        tags["desc"] = [info.summary or info.description]
    if info.description:
        tags["ldes"] = [info.description]
    if info.copyright:
        tags["cprt"] = [info.copyright]
    if info.feed_url:
        tags["purl"] = [info.feed_url]
    if info.guid:
        tags["egid"] = [info.guid]
    if info.cover:
        kind = MP4Cover.FORMAT_PNG if info.cover_mime == "image/png" else MP4Cover.FORMAT_JPEG
        tags["covr"] = [MP4Cover(info.cover, imageformat=kind)]
    mp4.save(padding=lambda _info: 0)


def _remux_with_chapters(path: Path, spans: list[Span], ffmpeg: str) -> None:
    """One ``-c copy`` pass: audio kept bit for bit, metadata and chapters
    replaced by the FFMETADATA file, ``moov`` first for progressive play.
    The remux is written in a working folder beside ``path`` (named for this
    process: a crash leaves one the next run removes) and renamed over it."""
    with scratch(path.parent, path.stem[:16]) as tmp:
        meta, out = tmp / "chapters.ffmeta", tmp / f"tagging{path.suffix}"
        meta.write_text(_ffmetadata(spans), encoding="utf-8")
        run(["-y", "-i", str(path), "-f", "ffmetadata", "-i", str(meta),
             "-map", "0:a", "-map_metadata", "1", "-map_chapters", "1" if spans else "-1",
             "-c", "copy", "-movflags", "+faststart", "-fflags", "+bitexact", str(out)],
            ffmpeg=ffmpeg, failure=Failure(source=path))
        os.replace(out, path)


def _ffmetadata(spans: list[Span]) -> str:
    lines = [";FFMETADATA1"]
    for span in spans:
        lines += ["[CHAPTER]", "TIMEBASE=1/1000", f"START={span.start_ms}",
                  f"END={span.end_ms}", f"title={_escape(span.title)}"]
    return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    """FFMETADATA's escaping: ``=``, ``;``, ``#``, ``\\`` and newlines."""
    for char in ("\\", "=", ";", "#", "\n"):
        value = value.replace(char, "\\" + char)
    return value


def read(path: Path) -> dict:
    """The tags of an M4A as ``tags.read_tags`` describes them."""
    mp4 = MP4(path)
    tags = mp4.tags or {}
    first = lambda key: tags[key][0] if key in tags and tags[key] else None  # noqa: E731
    covers = tags.get("covr") or []
    starts = [(round(c.start * 1000), c.title) for c in (mp4.chapters or [])]
    ends = [s for s, _ in starts[1:]] + [round(mp4.info.length * 1000)]
    return {
        "title": first("©nam"), "artist": first("©ART"), "album": first("©alb"),
        "track": first("trkn")[0] if first("trkn") else None, "season": first("tvsn"),
        "date": first("©day"), "genre": first("©gen"), "summary": first("desc"),
        "description": first("ldes"), "copyright": first("cprt"), "page_url": None,
        "feed_url": first("purl"), "guid": first("egid"), "podcast": bool(tags.get("pcst")),
        "cover": bytes(covers[0]) if covers else None,
        "cover_mime": _mime(covers[0]) if covers else None,
        "chapters": [{"start_ms": s, "end_ms": e, "title": t, "url": None}
                     for (s, t), e in zip(starts, ends)],
    }


def _mime(cover: MP4Cover) -> str:
    return "image/png" if cover.imageformat == MP4Cover.FORMAT_PNG else "image/jpeg"
