"""Reading another host's RSS feed into plain values, quirks and all.

Feeds in the wild are RSS 2.0 with Apple's ``itunes:`` tags and, more and
more, the Podcasting 2.0 ``podcast:`` tags. They are also often broken in
the same few ways, and each is read the way podcast apps read it:

* ``itunes:`` (or ``podcast:``...) tags used without the namespace declared:
  the usual declarations are added before parsing;
* a ``pubDate`` in a form RFC 822 never allowed (full day names, ``+01:00``,
  ``PST``, an ISO 8601 date, no zone at all): ``parse_date`` reads them;
* an enclosure without ``type`` or ``length``, with spaces around its URL, a
  relative URL, or several enclosures in one item: the first audio one,
  its URL trimmed and resolved against the feed's;
* no ``<guid>``: the enclosure URL, the identity apps fall back to.

An item's GUID is kept exactly as written: it is what every app that ever
downloaded the episode remembers it by. The show's ``podcast:guid`` is the
same for the show.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin, urlsplit

from lxml import etree

from pipeline.errors import ImportSourceError
from pipeline.text import clean_line

from .feedxml import (
    ATOM,
    CONTENT,
    PSC,
    absolute,
    itunes,
    keyword_list,
    node_text,
    one_line,
    parse_xml,
    persons,
    podcast,
    whole,
    yes_no,
)
from .pubdate import parse_date

AUDIO_TYPES = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/x-mp3": ".mp3", "audio/mpeg3": ".mp3",
               "audio/x-m4a": ".m4a", "audio/m4a": ".m4a", "audio/mp4": ".m4a", "audio/aac": ".aac",
               "audio/x-aac": ".aac", "audio/ogg": ".ogg", "audio/opus": ".opus", "audio/vorbis": ".ogg",
               "audio/flac": ".flac", "audio/x-flac": ".flac", "audio/wav": ".wav", "audio/x-wav": ".wav"}
# Quirks import copes with in silence, then names once with a count (SourceItem.notes).
QUIRK_NO_TYPE = "an enclosure without type or length (castline measures the downloaded file)"
QUIRK_URL = "a relative or space-padded enclosure URL (resolved against the feed's and trimmed)"
AUDIO_EXTS = {".mp3", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".wav"}


@dataclass(frozen=True)
class Enclosure:
    url: str  # absolute, trimmed
    type: str | None
    length: int | None
    ext: str  # ".mp3"...


@dataclass(frozen=True)
class SourceItem:
    """One ``<item>``: what import writes into a notes file."""

    position: int  # 0 = first item in the feed (across pages)
    guid: str
    title: str
    date: datetime | None
    date_text: str | None
    enclosure: Enclosure | None
    body_html: str
    summary: str | None = None
    number: int | None = None
    season: int | None = None
    type: str = "full"
    explicit: bool | None = None
    keywords: tuple[str, ...] = ()
    persons: tuple[dict, ...] = ()
    soundbites: tuple[dict, ...] = ()
    location: str | None = None
    license: str | None = None
    image: str | None = None
    transcripts: tuple[tuple[str, str], ...] = ()  # (url, ".vtt"/".srt")
    chapters_url: str | None = None
    psc_chapters: tuple[tuple[str, str, str | None], ...] = ()  # (start, title, href)
    notes: tuple[str, ...] = ()  # quirks seen (QUIRK_*), reported once per kind with a count
    enclosure_count: int = 0


@dataclass(frozen=True)
class SourceShow:
    title: str
    description_html: str
    author: str | None
    owner_name: str | None
    owner_email: str | None
    language: str | None
    categories: tuple[str, ...]  # "Main > Sub" as the feed says
    explicit: bool | None
    type: str | None
    copyright: str | None
    link: str | None
    image: str | None
    podcast_guid: str | None
    locked: bool
    locked_owner: str | None
    self_url: str | None
    keywords: tuple[str, ...] = ()
    funding: tuple[tuple[str, str], ...] = ()
    persons: tuple[dict, ...] = ()
    location: str | None = None
    license: str | None = None
    license_url: str | None = None
    new_feed_url: str | None = None  # itunes:new-feed-url: the show says it has moved there


@dataclass(frozen=True)
class Page:
    show: SourceShow
    items: tuple[SourceItem, ...]
    next_url: str | None
    warnings: tuple[str, ...] = field(default=())


def parse_feed(data: bytes, url: str, first_position: int = 0) -> Page:
    """Read one page of a feed. ``url`` is where it came from (messages,
    and the base of relative URLs)."""
    root, warnings = parse_xml(data, url)
    if root.tag == f"{{{ATOM}}}feed":
        raise ImportSourceError("is an Atom feed; podcast apps and castline read RSS 2.0", path=url,
                                fix="import the show's RSS feed (the one you submitted to Apple Podcasts)")
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise ImportSourceError(f"is XML but not an RSS feed (its root is <{name}>)", path=url,
                                fix="import the show's RSS feed (the one you submitted to Apple Podcasts)")
    base = url if re.match(r"^https?://", url) else _self_link(channel) or url  # a saved file: the feed's own URL
    show = _show(channel, base)
    items = tuple(_item(el, base, first_position + i) for i, el in enumerate(channel.findall("item")))
    next_url = None
    for link in channel.findall(f"{{{ATOM}}}link"):
        if link.get("rel") in ("next", "prev-archive") and link.get("href"):
            next_url = urljoin(base, link.get("href").strip())
            break
    return Page(show, items, next_url, tuple(warnings))


def _self_link(channel: etree._Element) -> str | None:
    for link in channel.findall(f"{{{ATOM}}}link"):
        if link.get("rel") == "self" and re.match(r"^https?://", (link.get("href") or "").strip()):
            return link.get("href").strip()
    return None


def _show(ch: etree._Element, url: str) -> SourceShow:
    owner = ch.find(itunes("owner"))
    categories = []
    for cat in ch.findall(itunes("category")):
        main = (cat.get("text") or "").strip()
        subs = [(s.get("text") or "").strip() for s in cat.findall(itunes("category"))]
        categories.extend([f"{main} > {s}" for s in subs if s] or ([main] if main else []))
    image = ch.find(itunes("image"))
    image_url = (image.get("href") or "").strip() if image is not None else None
    image_url = image_url or node_text(ch, "image/url")
    lock = ch.find(podcast("locked"))
    self_url = None
    for link in ch.findall(f"{{{ATOM}}}link"):
        if link.get("rel") == "self" and link.get("href"):
            self_url = link.get("href").strip()
    lic = ch.find(podcast("license"))
    keywords = keyword_list(node_text(ch, itunes("keywords")))
    return SourceShow(
        title=clean_line(node_text(ch, "title") or node_text(ch, itunes("title")) or ""),
        description_html=node_text(ch, "description") or node_text(ch, itunes("summary")) or "",
        author=one_line(node_text(ch, itunes("author")) or node_text(ch, "managingEditor")),
        owner_name=one_line(node_text(owner, itunes("name"))),
        owner_email=one_line(node_text(owner, itunes("email"))),
        language=one_line(node_text(ch, "language")),
        categories=tuple(dict.fromkeys(categories)),
        explicit=yes_no(node_text(ch, itunes("explicit"))),
        type=(node_text(ch, itunes("type")) or "").lower() or None,
        copyright=one_line(node_text(ch, "copyright")),
        link=absolute(url, node_text(ch, "link")),
        image=absolute(url, image_url),
        podcast_guid=one_line(node_text(ch, podcast("guid"))),
        locked=yes_no(node_text(lock)) is True,
        locked_owner=(lock.get("owner") or "").strip() or None if lock is not None else None,
        self_url=self_url,
        keywords=keywords,
        funding=tuple((one_line(node_text(f)) or "Support the show", absolute(url, f.get("url")))
                      for f in ch.findall(podcast("funding")) if absolute(url, f.get("url"))),
        persons=tuple(persons(ch, url)),
        location=one_line(node_text(ch, podcast("location"))),
        license=one_line(node_text(lic)),
        license_url=absolute(url, lic.get("url")) if lic is not None else None,
        new_feed_url=absolute(url, node_text(ch, itunes("new-feed-url"))),
    )


def _item(el: etree._Element, url: str, position: int) -> SourceItem:
    notes: list[str] = []
    enclosures = el.findall("enclosure")
    enclosure = None
    for enc in enclosures:
        candidate = _enclosure(enc, url)
        if candidate is not None:
            enclosure = candidate
            raw = enc.get("url") or ""
            if not candidate.type or candidate.length is None:
                notes.append(QUIRK_NO_TYPE)
            if raw != raw.strip() or " " in raw.strip() or not re.match(r"^https?://", raw.strip()):
                notes.append(QUIRK_URL)
            break
    guid = node_text(el, "guid")
    date_text = node_text(el, "pubDate") or node_text(el, "{http://purl.org/dc/elements/1.1/}date")
    date = parse_date(date_text) if date_text else None
    itype = (node_text(el, itunes("episodeType")) or "full").lower()
    transcripts = []
    for t in el.findall(podcast("transcript")):
        turl, ttype = absolute(url, t.get("url")), (t.get("type") or "").lower()
        ext = (".vtt" if "vtt" in ttype else ".srt" if "srt" in ttype or "subrip" in ttype
               else _ext_of(turl) if _ext_of(turl) in (".vtt", ".srt") else None) if turl else None
        if ext:
            transcripts.append((turl, ext))
    chapters = el.find(podcast("chapters"))
    psc = [(c.get("start", ""), c.get("title", ""), c.get("href")) for c in el.iter(f"{{{PSC}}}chapter")]
    image = el.find(itunes("image"))
    lic = el.find(podcast("license"))
    body = node_text(el, f"{{{CONTENT}}}encoded") or node_text(el, "description") or node_text(el, itunes("summary")) or ""
    summary = node_text(el, itunes("subtitle")) or node_text(el, itunes("summary"))
    return SourceItem(
        position=position,
        guid=guid or (enclosure.url if enclosure else ""),
        title=clean_line(node_text(el, "title") or node_text(el, itunes("title")) or ""),
        date=date, date_text=date_text, enclosure=enclosure, body_html=body,
        summary=clean_line(summary) if summary and len(summary) <= 600 else None,
        number=whole(node_text(el, itunes("episode")) or node_text(el, podcast("episode"))),
        season=whole(node_text(el, itunes("season")) or node_text(el, podcast("season"))),
        type=itype if itype in ("full", "trailer", "bonus") else "full",
        explicit=yes_no(node_text(el, itunes("explicit"))),
        keywords=keyword_list(node_text(el, itunes("keywords"))),
        persons=tuple(persons(el, url)),
        soundbites=tuple(_soundbites(el)),
        location=one_line(node_text(el, podcast("location"))),
        license=one_line(node_text(lic)),
        image=absolute(url, image.get("href")) if image is not None else None,
        transcripts=tuple(transcripts),
        chapters_url=absolute(url, chapters.get("url")) if chapters is not None else None,
        psc_chapters=tuple(psc),
        notes=tuple(notes),
        enclosure_count=len(enclosures),
    )


def _soundbites(el: etree._Element) -> list[dict]:
    out = []
    for s in el.findall(podcast("soundbite")):
        try:
            start, duration = float(s.get("startTime", "")), float(s.get("duration", ""))
        except ValueError:
            continue
        if start >= 0 and duration > 0:
            bite = {"start": start, "duration": duration}
            if one_line(node_text(s)):
                bite["title"] = one_line(node_text(s))
            out.append(bite)
    return out


def _ext_of(url: str | None) -> str:
    if not url:
        return ""
    path = urlsplit(url).path
    m = re.search(r"(\.[A-Za-z0-9]{2,4})$", path)
    return m.group(1).lower() if m else ""


def _enclosure(enc: etree._Element, base: str) -> Enclosure | None:
    raw = enc.get("url")
    url = absolute(base, raw)
    if url is None:
        return None
    mime = (enc.get("type") or "").strip().lower() or None
    ext = _ext_of(url)
    if mime in AUDIO_TYPES:
        ext = ext if ext in AUDIO_EXTS else AUDIO_TYPES[mime]
    elif mime is not None and not mime.startswith("audio/"):
        return None  # a video, a PDF, an image: not an episode castline publishes
    elif ext not in AUDIO_EXTS:
        if mime is None:
            return None
        ext = ".mp3"
    return Enclosure(url=url, type=mime, length=whole(enc.get("length")), ext=ext)


def date_by_position(items: list[SourceItem]) -> dict[int, datetime]:
    """Dates for items without a readable one, from their place in the feed:
    a minute after the dated item just below (feeds list newest first), or a
    minute before the one above when nothing below has a date."""
    dates: dict[int, datetime] = {}
    below: datetime | None = None
    for item in reversed(items):
        if item.date is not None:
            below = item.date
        elif below is not None:
            below = below + timedelta(minutes=1)
            dates[item.position] = below
    above: datetime | None = None
    for item in items:
        if item.date is not None:
            above = item.date
        elif item.position not in dates:
            above = (above or datetime(2000, 1, 1, tzinfo=timezone.utc)) - timedelta(minutes=1)
            dates[item.position] = above
    return dates
