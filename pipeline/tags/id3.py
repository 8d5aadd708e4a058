"""ID3v2 tags for MP3 episodes: text frames, cover, chapters, podcast frames.

Which frame carries what:

=========  ============================================================
TIT2       episode title                TPE1   host(s), "A, B"
TALB       show title                   TRCK   episode number
TPOS       season                       TDRC   date (v2.3: TYER + TDAT)
TCON       "Podcast"                    COMM   summary
TCOP       copyright                    WOAS, WOAF  episode page URL
APIC       front cover (compact JPEG)   TLEN   duration in ms
CHAP       one per chapter: start/end ms, TIT2 title, WXXX link
CTOC       the ordered table of contents listing every CHAP
PCST TGID  Apple's podcast flag and the episode GUID
WFED TDES  the feed URL and the long description
=========  ============================================================

Chapter order on disk: mutagen sorts frames by size when saving (its
issue 506), so CHAP frames land in the file in size order and players that
list chapters in frame order show them shuffled. castline gives CHAP frames
element IDs that sort by start ("chp000", "chp001", ...) and then moves the
saved frames so the CTOC and then the CHAP frames, in start order, fill the
slots those frames had, without changing a byte of any frame
(``_chapters_in_start_order``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mutagen import apev2
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    PCST,
    TALB,
    TCON,
    TCOP,
    TDES,
    TDRC,
    TGID,
    TIT2,
    TLAN,
    TLEN,
    TPE1,
    TPOS,
    TRCK,
    WFED,
    WOAF,
    WOAS,
    WXXX,
    CTOCFlags,
    Encoding,
    ID3NoHeaderError,
    PictureType,
)

if TYPE_CHECKING:
    from .write import Span, TagInfo

_UTF8 = Encoding.UTF8
# ISO 639-1 (the feed's language) to ISO 639-2 (ID3's COMM/TLAN); "XXX" is
# ID3's "unknown language".
_LANG3 = {
    "en": "eng", "de": "deu", "fr": "fra", "es": "spa", "it": "ita", "nl": "nld",
    "pt": "por", "sv": "swe", "da": "dan", "no": "nor", "fi": "fin", "pl": "pol",
    "ja": "jpn", "zh": "zho", "ko": "kor", "ru": "rus",
}  # fmt: skip


def write(path: Path, info: TagInfo, spans: list[Span], *, ffmpeg: str | None = None) -> None:
    """Replace the ID3 tags of ``path`` with a fresh tag built from ``info``.

    The old ID3v2, ID3v1 and APEv2 tags are dropped, not merged, and the tag
    is saved without padding so the same ``info`` always gives the same
    bytes, whatever was in the file before.
    """
    tag = _build(info, spans)
    if info.id3_version == 3:
        tag.update_to_v23()
    apev2.delete(path)
    tag.save(path, v1=0, v2_version=info.id3_version, padding=lambda _info: 0)
    _chapters_in_start_order(path)


def _build(info: TagInfo, spans: list[Span]) -> ID3:
    lang = _LANG3.get((info.language or "").split("-")[0].lower(), "XXX")
    tag = ID3()
    tag.add(TIT2(encoding=_UTF8, text=info.title))
    tag.add(TPE1(encoding=_UTF8, text=info.artist))
    tag.add(TALB(encoding=_UTF8, text=info.album))
    if info.track is not None:
        tag.add(TRCK(encoding=_UTF8, text=str(info.track)))
    if info.season is not None:
        tag.add(TPOS(encoding=_UTF8, text=str(info.season)))
    tag.add(TDRC(encoding=_UTF8, text=info.date.strftime("%Y-%m-%d")))
    tag.add(TCON(encoding=_UTF8, text=info.genre))
    tag.add(TLEN(encoding=_UTF8, text=str(round(info.duration * 1000))))
    if info.language:
        tag.add(TLAN(encoding=_UTF8, text=lang))
    if info.summary or info.description:
        tag.add(COMM(encoding=_UTF8, lang=lang, desc="", text=info.summary or info.description))
    if info.description:
        tag.add(TDES(encoding=_UTF8, text=info.description))
    if info.copyright:
        tag.add(TCOP(encoding=_UTF8, text=info.copyright))
    if info.page_url:
        tag.add(WOAS(url=info.page_url))
        tag.add(WOAF(url=info.page_url))
    if info.feed_url:
        tag.add(WFED(url=info.feed_url))
    if info.guid:
        tag.add(TGID(encoding=_UTF8, text=info.guid))
    tag.add(PCST(value=1))
    if info.cover:
        tag.add(APIC(encoding=_UTF8, mime=info.cover_mime or "image/jpeg",
                     type=PictureType.COVER_FRONT, desc="Cover", data=info.cover))
    for span in spans:
        tag.add(_chap(span))
    if spans:
        tag.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                     child_element_ids=[_element_id(s.index) for s in spans],
                     sub_frames=[TIT2(encoding=_UTF8, text="Chapters")]))
    return tag


def _chap(span: Span) -> CHAP:
    sub_frames = [TIT2(encoding=_UTF8, text=span.title)]
    if span.url:
        sub_frames.append(WXXX(encoding=_UTF8, desc="chapter url", url=span.url))
    return CHAP(element_id=_element_id(span.index), start_time=span.start_ms,
                end_time=span.end_ms, sub_frames=sub_frames)


def _element_id(index: int) -> str:
    return f"chp{index:03d}"


def read(path: Path) -> dict:
    """The tags of an MP3 as ``tags.read_tags`` describes them."""
    try:
        tag = ID3(path)
    except ID3NoHeaderError:
        tag = ID3()
    text = lambda key: str(tag[key].text[0]) if key in tag else None  # noqa: E731
    url = lambda key: tag[key].url if key in tag else None  # noqa: E731
    comments = tag.getall("COMM")
    covers = tag.getall("APIC")
    date = text("TDRC")
    if date is None and "TYER" in tag:  # v2.3
        tdat = text("TDAT") or ""
        date = text("TYER") + (f"-{tdat[2:4]}-{tdat[0:2]}" if len(tdat) == 4 else "")
    chapters = []
    for chap in sorted(tag.getall("CHAP"), key=lambda c: c.start_time):
        title = chap.sub_frames.get("TIT2")
        links = chap.sub_frames.getall("WXXX")
        chapters.append({"start_ms": chap.start_time, "end_ms": chap.end_time,
                         "title": str(title.text[0]) if title else None,
                         "url": links[0].url if links else None})
    return {
        "title": text("TIT2"), "artist": text("TPE1"), "album": text("TALB"),
        "track": int(text("TRCK")) if text("TRCK") else None,
        "season": int(text("TPOS")) if text("TPOS") else None,
        "date": date, "genre": text("TCON"),
        "summary": str(comments[0].text[0]) if comments else None,
        "description": text("TDES"), "copyright": text("TCOP"),
        "page_url": url("WOAS"), "feed_url": url("WFED"), "guid": text("TGID"),
        "podcast": "PCST" in tag and tag["PCST"].value == 1,
        "cover": covers[0].data if covers else None,
        "cover_mime": covers[0].mime if covers else None,
        "chapters": chapters,
    }


def raw_frames(head: bytes) -> list[tuple[str, int, int]]:
    """(frame id, offset, end offset) of each top-level frame of the ID3v2
    tag at the start of ``head``, in on-disk order."""
    if head[:3] != b"ID3":
        return []
    major, flags = head[3], head[5]
    if flags & 0xC0:  # unsynchronised or with an extended header: not ours
        return []
    end = 10 + _syncsafe(head[6:10])
    frames, pos = [], 10
    while pos + 10 <= end and head[pos] != 0:
        raw_size = head[pos + 4 : pos + 8]
        size = _syncsafe(raw_size) if major == 4 else int.from_bytes(raw_size, "big")
        frames.append((head[pos : pos + 4].decode("latin-1"), pos, pos + 10 + size))
        pos += 10 + size
    return frames


def chap_start_ms(frame: bytes) -> int:
    """The start time stored in a raw CHAP frame (header included)."""
    body = frame[10:]
    cut = body.index(b"\0") + 1  # after the element ID
    return int.from_bytes(body[cut : cut + 4], "big")


def _chapters_in_start_order(path: Path) -> None:
    """Move the CTOC and then the CHAP frames, in start order, into the
    slots mutagen gave them in the saved tag, in place.

    Only the order of whole frames changes, so the tag keeps its size and
    every frame its bytes.
    """
    with open(path, "r+b") as fh:
        head = fh.read(10)
        if head[:3] != b"ID3":
            return
        head += fh.read(_syncsafe(head[6:10]))
        frames = raw_frames(head)
        blobs = [head[start:end] for _id, start, end in frames]
        slots = [i for i, (frame_id, _s, _e) in enumerate(frames) if frame_id in ("CHAP", "CTOC")]
        in_order = sorted((blobs[i] for i in slots), key=_toc_then_start)
        if [blobs[i] for i in slots] == in_order:
            return
        for slot, blob in zip(slots, in_order):
            blobs[slot] = blob
        fh.seek(10)
        fh.write(b"".join(blobs))


def _toc_then_start(frame: bytes) -> tuple[int, int]:
    return (0, 0) if frame[:4] == b"CTOC" else (1, chap_start_ms(frame))


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]
