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

from .errors import ImportSourceError
from .pubdate import parse_date
from .text import clean_line, clean_text

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
PSC = "http://podlove.org/simple-chapters"
_KNOWN_NS = {"itunes": ITUNES, "podcast": PODCAST, "content": CONTENT, "atom": ATOM, "psc": PSC,
             "googleplay": "http://www.google.com/schemas/play-podcasts/1.0", "media": "http://search.yahoo.com/mrss/",
             "dc": "http://purl.org/dc/elements/1.1/", "sy": "http://purl.org/rss/1.0/modules/syndication/"}
_OTHER_PODCAST_NS = ("https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md",
                     "http://podcastindex.org/namespace/1.0")
AUDIO_TYPES = {"audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/x-mp3": ".mp3", "audio/mpeg3": ".mp3",
               "audio/x-m4a": ".m4a", "audio/m4a": ".m4a", "audio/mp4": ".m4a", "audio/aac": ".aac",
               "audio/x-aac": ".aac", "audio/ogg": ".ogg", "audio/opus": ".opus", "audio/vorbis": ".ogg",
               "audio/flac": ".flac", "audio/x-flac": ".flac", "audio/wav": ".wav", "audio/x-wav": ".wav"}
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
    notes: tuple[str, ...] = ()  # quirks seen, reported as warnings
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


@dataclass(frozen=True)
class Page:
    show: SourceShow
    items: tuple[SourceItem, ...]
    next_url: str | None
    warnings: tuple[str, ...] = field(default=())


def parse_feed(data: bytes, url: str, first_position: int = 0) -> Page:
    """Read one page of a feed. ``url`` is where it came from (messages,
    and the base of relative URLs)."""
    root, warnings = _parse_xml(data, url)
    if root.tag == f"{{{ATOM}}}feed":
        raise ImportSourceError("is an Atom feed; podcast apps and castline read RSS 2.0", path=url,
                                fix="import the show's RSS feed (the one you submitted to Apple Podcasts)")
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise ImportSourceError(f"is XML but not an RSS feed (its root is <{name}>)", path=url,
                                fix="import the show's RSS feed (the one you submitted to Apple Podcasts)")
    show = _show(channel, url)
    items = tuple(_item(el, url, first_position + i) for i, el in enumerate(channel.findall("item")))
    next_url = None
    for link in channel.findall(f"{{{ATOM}}}link"):
        if link.get("rel") in ("next", "prev-archive") and link.get("href"):
            next_url = urljoin(url, link.get("href").strip())
            break
    return Page(show, items, next_url, tuple(warnings))


def _parse_xml(data: bytes, url: str) -> tuple[etree._Element, list[str]]:
    head = data[:2048].lstrip().lower()
    if head.startswith(b"<!doctype html") or head.startswith(b"<html"):
        hint = re.search(rb'<link[^>]+type=["\']application/rss\+xml["\'][^>]*>', data[:200_000], re.I)
        href = re.search(rb'href=["\']([^"\']+)', hint.group(0)) if hint else None
        fix = (f"import the feed it links to: {urljoin(url, href.group(1).decode('utf-8', 'replace'))}" if href
               else "import the show's RSS feed URL instead (often /feed, /rss or listed on the host's dashboard)")
        raise ImportSourceError("is a web page, not a feed", path=url, fix=fix)
    if not head:
        raise ImportSourceError("is empty", path=url, fix="check the URL: it should give the show's RSS feed")
    warnings = []
    data, added = _declare_namespaces(data)
    if added:
        warnings.append(f"{url}: the feed uses {', '.join(p + ':' for p in added)} tags without declaring the "
                        "namespace; read them as podcast apps do")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None)
        raise ImportSourceError(f"is not well-formed XML ({exc.msg if hasattr(exc, 'msg') else exc})", path=url,
                                line=line, fix="ask the old host to fix the feed, or save it, fix that line and "
                                               "import the file") from None
    # A few feeds use an old URL for the podcast namespace: read them as the current one.
    for old in _OTHER_PODCAST_NS:
        if old.encode() in data:
            for el in root.iter(f"{{{old}}}*"):
                el.tag = f"{{{PODCAST}}}{etree.QName(el).localname}"
    return root, warnings


def _declare_namespaces(data: bytes) -> tuple[bytes, list[str]]:
    """Add xmlns declarations for the well-known prefixes a feed uses but
    never declares (a common bug; lxml would refuse the whole feed)."""
    m = re.search(rb"<rss\b[^>]*>", data[:100_000])
    if not m:
        return data, []
    added = []
    decls = b""
    for prefix, ns in _KNOWN_NS.items():
        p = prefix.encode()
        if re.search(rb"<" + p + rb":", data) and b"xmlns:" + p + b"=" not in data:
            decls += b' xmlns:' + p + b'="' + ns.encode() + b'"'
            added.append(prefix)
    if not added:
        return data, []
    start = m.end() - (2 if data[m.end() - 2:m.end()] == b"/>" else 1)
    return data[:start] + decls + data[start:], added


def _text(el: etree._Element | None, path: str | None = None) -> str | None:
    if el is not None and path is not None:
        el = el.find(path)
    if el is None:
        return None
    value = "".join(el.itertext())
    value = clean_text(value)
    return value or None


def _it(name: str) -> str:
    return f"{{{ITUNES}}}{name}"


def _pc(name: str) -> str:
    return f"{{{PODCAST}}}{name}"


def _boolean(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("yes", "true", "explicit", "1"):
        return True
    if v in ("no", "false", "clean", "0"):
        return False
    return None


def _show(ch: etree._Element, url: str) -> SourceShow:
    owner = ch.find(_it("owner"))
    categories = []
    for cat in ch.findall(_it("category")):
        main = (cat.get("text") or "").strip()
        subs = [(s.get("text") or "").strip() for s in cat.findall(_it("category"))]
        categories.extend([f"{main} > {s}" for s in subs if s] or ([main] if main else []))
    image = ch.find(_it("image"))
    image_url = (image.get("href") or "").strip() if image is not None else None
    image_url = image_url or _text(ch, "image/url")
    lock = ch.find(_pc("locked"))
    self_url = None
    for link in ch.findall(f"{{{ATOM}}}link"):
        if link.get("rel") == "self" and link.get("href"):
            self_url = link.get("href").strip()
    lic = ch.find(_pc("license"))
    keywords = _keywords(_text(ch, _it("keywords")))
    return SourceShow(
        title=clean_line(_text(ch, "title") or _text(ch, _it("title")) or ""),
        description_html=_text(ch, "description") or _text(ch, _it("summary")) or "",
        author=_line(_text(ch, _it("author")) or _text(ch, "managingEditor")),
        owner_name=_line(_text(owner, _it("name"))),
        owner_email=_line(_text(owner, _it("email"))),
        language=_line(_text(ch, "language")),
        categories=tuple(dict.fromkeys(categories)),
        explicit=_boolean(_text(ch, _it("explicit"))),
        type=(_text(ch, _it("type")) or "").lower() or None,
        copyright=_line(_text(ch, "copyright")),
        link=_abs(url, _text(ch, "link")),
        image=_abs(url, image_url),
        podcast_guid=_line(_text(ch, _pc("guid"))),
        locked=_boolean(_text(lock)) is True,
        locked_owner=(lock.get("owner") or "").strip() or None if lock is not None else None,
        self_url=self_url,
        keywords=keywords,
        funding=tuple((_line(_text(f)) or "Support the show", _abs(url, f.get("url")))
                      for f in ch.findall(_pc("funding")) if _abs(url, f.get("url"))),
        persons=tuple(_persons(ch, url)),
        location=_line(_text(ch, _pc("location"))),
        license=_line(_text(lic)),
        license_url=_abs(url, lic.get("url")) if lic is not None else None,
    )


def _line(value: str | None) -> str | None:
    return clean_line(value) or None if value else None


def _abs(base: str, value: str | None) -> str | None:
    """An absolute http(s) URL from a feed attribute, or None."""
    if not value or not value.strip():
        return None
    value = urljoin(base, value.strip().replace(" ", "%20"))
    return value if urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc else None


def _keywords(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(dict.fromkeys(k.strip() for k in value.split(",") if k.strip()))


def _persons(parent: etree._Element, url: str) -> list[dict]:
    out = []
    for p in parent.findall(_pc("person")):
        name = _line(_text(p))
        if not name:
            continue
        person = {"name": name, "role": (p.get("role") or "guest").strip().lower()}
        if p.get("group"):
            person["group"] = p.get("group").strip().lower()
        for key in ("href", "img"):
            if _abs(url, p.get(key)):
                person[key] = _abs(url, p.get(key))
        out.append(person)
    return out


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)(?:\.0+)?\s*", value)
    return int(m.group(1)) if m else None


def _item(el: etree._Element, url: str, position: int) -> SourceItem:
    notes: list[str] = []
    enclosures = el.findall("enclosure")
    enclosure = None
    for enc in enclosures:
        candidate = _enclosure(enc, url)
        if candidate is not None:
            enclosure = candidate
            break
    guid = _text(el, "guid")
    date_text = _text(el, "pubDate") or _text(el, "{http://purl.org/dc/elements/1.1/}date")
    date = parse_date(date_text) if date_text else None
    itype = (_text(el, _it("episodeType")) or "full").lower()
    transcripts = []
    for t in el.findall(_pc("transcript")):
        turl, ttype = _abs(url, t.get("url")), (t.get("type") or "").lower()
        ext = (".vtt" if "vtt" in ttype else ".srt" if "srt" in ttype or "subrip" in ttype
               else _ext_of(turl) if _ext_of(turl) in (".vtt", ".srt") else None) if turl else None
        if ext:
            transcripts.append((turl, ext))
    chapters = el.find(_pc("chapters"))
    psc = [(c.get("start", ""), c.get("title", ""), c.get("href")) for c in el.iter(f"{{{PSC}}}chapter")]
    image = el.find(_it("image"))
    lic = el.find(_pc("license"))
    body = _text(el, f"{{{CONTENT}}}encoded") or _text(el, "description") or _text(el, _it("summary")) or ""
    summary = _text(el, _it("subtitle")) or _text(el, _it("summary"))
    return SourceItem(
        position=position,
        guid=guid or (enclosure.url if enclosure else ""),
        title=clean_line(_text(el, "title") or _text(el, _it("title")) or ""),
        date=date, date_text=date_text, enclosure=enclosure, body_html=body,
        summary=clean_line(summary) if summary and len(summary) <= 600 else None,
        number=_int(_text(el, _it("episode")) or _text(el, _pc("episode"))),
        season=_int(_text(el, _it("season")) or _text(el, _pc("season"))),
        type=itype if itype in ("full", "trailer", "bonus") else "full",
        explicit=_boolean(_text(el, _it("explicit"))),
        keywords=_keywords(_text(el, _it("keywords"))),
        persons=tuple(_persons(el, url)),
        soundbites=tuple(_soundbites(el)),
        location=_line(_text(el, _pc("location"))),
        license=_line(_text(lic)),
        image=_abs(url, image.get("href")) if image is not None else None,
        transcripts=tuple(transcripts),
        chapters_url=_abs(url, chapters.get("url")) if chapters is not None else None,
        psc_chapters=tuple(psc),
        notes=tuple(notes),
        enclosure_count=len(enclosures),
    )


def _soundbites(el: etree._Element) -> list[dict]:
    out = []
    for s in el.findall(_pc("soundbite")):
        try:
            start, duration = float(s.get("startTime", "")), float(s.get("duration", ""))
        except ValueError:
            continue
        if start >= 0 and duration > 0:
            bite = {"start": start, "duration": duration}
            if _line(_text(s)):
                bite["title"] = _line(_text(s))
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
    url = _abs(base, raw)
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
    return Enclosure(url=url, type=mime, length=_int(enc.get("length")), ext=ext)


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
