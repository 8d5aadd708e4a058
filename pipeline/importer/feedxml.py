"""The XML side of reading another host's feed: parsing, namespaces, values.

lxml parses the feed (no network, no entities). A feed that uses the
well-known prefixes (``itunes:``, ``podcast:``...) without declaring them is
given the declarations first, the way apps read it; an old URL of the
Podcasting 2.0 namespace is read as the current one. The small readers here
turn an element into a clean value: one line of text, an absolute http(s)
URL, a yes/no, a whole number, a keyword list, ``podcast:person`` entries.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

from pipeline.errors import ImportSourceError
from pipeline.text import clean_line, clean_text

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


def parse_xml(data: bytes, url: str) -> tuple[etree._Element, list[str]]:
    """The feed's root element and the quirks met; ImportSourceError for a
    web page (naming the feed it links to, if any), an empty answer or
    anything that is not well-formed XML."""
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
        error = ImportSourceError(f"is not well-formed XML ({getattr(exc, 'msg', None) or exc})", path=url,
                                  line=getattr(exc, "lineno", None),
                                  fix="ask the old host to fix the feed, or save it, fix that line and import the file")
        fixed, names = _html_entities(data)
        try:
            root = etree.fromstring(fixed, parser) if names else None
        except etree.XMLSyntaxError:
            root = None
        if root is not None:
            warnings.append(f"{url}: the feed uses {', '.join(names)}, which XML does not define; "
                            "read as HTML, as podcast apps do")
        if root is None:
            root = _recovered(fixed)  # a stray '&' or '<': apps read past it
            if root is None:
                raise error from None
            warnings.append(f"{error.where()}: {error.message}; read past it as podcast apps do (check the episodes)")
    # A few feeds use an old URL for the podcast namespace: read them as the current one.
    for old in _OTHER_PODCAST_NS:
        if old.encode() in data:
            for el in root.iter(f"{{{old}}}*"):
                el.tag = f"{{{PODCAST}}}{etree.QName(el).localname}"
    return root, warnings


def _html_entities(data: bytes) -> tuple[bytes, list[str]]:
    """``&nbsp;`` and the other HTML entity names XML lacks as character
    references, and a bare ``&`` as ``&amp;``; with what was replaced."""
    from html.entities import name2codepoint

    names: list[str] = []

    def ref(m: re.Match) -> bytes:
        name = m.group(1).decode("ascii")
        if name in ("amp", "lt", "gt", "quot", "apos") or name not in name2codepoint:
            return m.group(0)
        if name not in names:
            names.append(name)
        return b"&#%d;" % name2codepoint[name]

    data = re.sub(rb"&([A-Za-z][A-Za-z0-9]{1,31});", ref, data)
    names = [f"&{n};" for n in names]
    bare = re.compile(rb"&(?!#[0-9]+;|#x[0-9A-Fa-f]+;|[A-Za-z][A-Za-z0-9]*;)")
    if bare.search(data):
        data = bare.sub(b"&amp;", data)
        names.append("a bare '&'")
    return data, names


def _recovered(data: bytes) -> etree._Element | None:
    """The feed as lxml's recovering parser reads it, if that still gives
    an RSS channel with items; None otherwise (then the error stands)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_comments=True,
                             recover=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None or root.tag != "rss" or root.find("channel/item") is None:
        return None
    return root


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


def node_text(el: etree._Element | None, path: str | None = None) -> str | None:
    if el is not None and path is not None:
        el = el.find(path)
    if el is None:
        return None
    value = "".join(el.itertext())
    value = clean_text(value)
    return value or None


def itunes(name: str) -> str:
    return f"{{{ITUNES}}}{name}"


def podcast(name: str) -> str:
    return f"{{{PODCAST}}}{name}"


def yes_no(value: str | None) -> bool | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v in ("yes", "true", "explicit", "1"):
        return True
    if v in ("no", "false", "clean", "0"):
        return False
    return None


def one_line(value: str | None) -> str | None:
    return clean_line(value) or None if value else None


def absolute(base: str, value: str | None) -> str | None:
    """An absolute http(s) URL from a feed attribute, or None."""
    if not value or not value.strip():
        return None
    value = urljoin(base, value.strip().replace(" ", "%20"))
    return value if urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc else None


def keyword_list(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(dict.fromkeys(k.strip() for k in value.split(",") if k.strip()))


def persons(parent: etree._Element, url: str) -> list[dict]:
    out = []
    for p in parent.findall(podcast("person")):
        name = one_line(node_text(p))
        if not name:
            continue
        person = {"name": name, "role": (p.get("role") or "guest").strip().lower()}
        if p.get("group"):
            person["group"] = p.get("group").strip().lower()
        for key in ("href", "img"):
            if absolute(url, p.get(key)):
                person[key] = absolute(url, p.get(key))
        out.append(person)
    return out


def whole(value: str | None) -> int | None:
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+)(?:\.0+)?\s*", value)
    return int(m.group(1)) if m else None
