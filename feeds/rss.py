"""RSS 2.0 with Apple's ``itunes:`` tags and the ``podcast:`` namespace.

feedgen builds the RSS skeleton; castline's own extensions (registered with
``register_extension``, so callers never see feedgen) write the ``itunes:``
and ``podcast:`` tags the way apps expect them today, correcting what
feedgen's bundled podcast extension gets wrong:

* ``itunes:explicit`` is ``true``/``false`` (not yes/no/clean);
* categories come from Apple's current list (checked by ``check_feed``);
* every enclosure carries its exact byte length (never feedgen's ``0``);
* ``lastBuildDate`` is the newest episode's date, never "now", and items are
  written newest first (feedgen's ``add_entry`` prepends by default), so the
  same inputs always give byte-identical output;
* GUIDs are the episode's own, ``isPermaLink="false"``, never the media URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial

from feedgen.feed import FeedGenerator  # noqa: I001  (before feedgen.ext: it loads lxml.etree)
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from feeds._xml import cleaned, set_html, sub
from feeds.model import (
    FeedChannel,
    FeedHistory,
    FeedInputError,
    FeedItem,
    is_absolute_url,
    iter_urls,
)
from feeds.podcast_ns import (
    PodcastChannelExtension,
    PodcastItemExtension,
    analytics_url,
    podcast_guid,
)

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
_I = "{%s}" % ITUNES_NS
ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005 feed history


def render_feed(channel: FeedChannel, items: Sequence[FeedItem], *,
                history: FeedHistory | None = None) -> bytes:
    """The feed as UTF-8 XML bytes: same inputs, same bytes.

    ``history`` places the document among the pages of a paged feed
    (``render_paged`` sets it); None is a complete, unpaged feed.

    Text is cleaned of characters XML cannot carry; HTML goes in CDATA.
    Raises ``FeedInputError`` for what no app could use: an empty title,
    link or description, a relative URL, a naive date, a zero enclosure
    length, or two episodes sharing a GUID. Apple's finer rules are
    reported, not raised, by ``check_feed``.
    """
    channel = cleaned(channel)
    ordered = newest_first(cleaned(tuple(items)))
    _require_valid(channel, ordered)
    build_date = channel.last_build_date or (ordered[0].pub_date if ordered else None)

    fg = FeedGenerator()
    fg.title(channel.title)
    # feedgen's RSS <link> is the last link set: the self link goes first.
    fg.link(href=channel.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=channel.link, rel="alternate")
    fg.description(channel.description_html)
    fg.language(channel.language)
    if channel.copyright:
        fg.copyright(channel.copyright)
    fg.generator(channel.generator)
    fg.image(url=channel.image_url, title=channel.title, link=channel.link)
    if build_date is not None:
        fg.lastBuildDate(build_date)
    fg.register_extension("castline", partial(_ChannelFixups, channel, build_date, history),
                          None, atom=False)
    fg.register_extension("itunes", partial(_ItunesChannel, channel), None, atom=False)
    fg.register_extension("podcast", partial(PodcastChannelExtension, channel, ordered), None,
                          atom=False)
    for item in ordered:
        fg.add_entry(_entry(channel, item), order="append")
    return fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)


def render_paged(channel: FeedChannel, items: Sequence[FeedItem], *, limit: int,
                 archive_url: Callable[[int], str]) -> Iterator[tuple[int, bytes]]:
    """A long feed as RFC 5005 archived feeds: (0, the subscription feed with
    the newest ``limit`` items), then (n, archive page n) for n = 1, 2, ...

    Archive pages are numbered oldest first and hold ``limit`` items each
    (the newest page fewer), so a new episode changes only the newest page
    (and, when that page fills, the ``next-archive`` link of the one before):
    every other page keeps its bytes and its URL, and caches keep it for
    long. Each page's ``lastBuildDate`` is its own newest item's date, its
    ``podcast:guid`` the show's, and it carries no live items, hubs or
    podping flag (those belong to the feed apps subscribe to). With no more
    than ``limit`` items there are no archive pages. Pages are yielded one
    at a time so a show of thousands of episodes never holds them all.
    """
    if limit < 1:
        raise FeedInputError(f"{limit} must be 1 or more", field="feed_limit")
    ordered = newest_first(cleaned(tuple(items)))
    _require_valid(cleaned(channel), ordered)
    current, archived = ordered[:limit], ordered[limit:][::-1]  # archived: oldest first
    pages = [archived[i:i + limit] for i in range(0, len(archived), limit)]
    newest_page = archive_url(len(pages)) if pages else None
    yield 0, render_feed(channel, current, history=FeedHistory(prev_archive=newest_page)
                         if pages else None)
    show_guid = channel.podcast_guid or podcast_guid(channel.feed_url)
    for n, page in enumerate(pages, 1):
        page_channel = replace(channel, feed_url=archive_url(n), podcast_guid=show_guid,
                               last_build_date=None, live_items=(), hubs=(), podping=False)
        history = FeedHistory(current=channel.feed_url, archive=True,
                              prev_archive=archive_url(n - 1) if n > 1 else None,
                              next_archive=archive_url(n + 1) if n < len(pages) else None)
        yield n, render_feed(page_channel, page, history=history)


def newest_first(items: Sequence[FeedItem]) -> tuple[FeedItem, ...]:
    """Items in feed order: newest ``pub_date`` first, ties by GUID, so the
    order never depends on the order the caller happened to pass."""
    return tuple(sorted(items, key=lambda i: (-i.pub_date.timestamp(), i.guid)))


def _entry(channel: FeedChannel, item: FeedItem) -> FeedEntry:
    fe = FeedEntry()
    fe.title(item.title)
    if item.link:
        fe.link(href=item.link)
    description = item.description_html or item.content_html or ""
    content = item.content_html or item.description_html
    if description:
        fe.description(description)
    if content:
        fe.content(content, type=None if "]]>" in content else "CDATA")
    fe.guid(item.guid, permalink=False)
    fe.enclosure(url=analytics_url(channel.analytics_prefix, item.enclosure.url),
                 length=str(item.enclosure.length), type=item.enclosure.type)
    fe.pubDate(item.pub_date)
    if item.social_interact_url and not item.comments_disabled:
        fe.comments(item.social_interact_url)
    explicit = channel.explicit if item.explicit is None else item.explicit
    fe.register_extension("itunes", partial(_ItunesItem, item, explicit), atom=False)
    fe.register_extension("podcast", partial(PodcastItemExtension, item,
                                             channel.analytics_prefix,
                                             channel.value_recipients), atom=False)
    return fe


class _ChannelFixups(BaseExtension):
    """RSS core tags feedgen writes differently: the channel description as
    CDATA, and no ``lastBuildDate`` at all (rather than "now") for a feed
    with no episodes and no given date. Also the ``atom:link`` elements
    feedgen's RSS writer drops: WebSub hubs and RFC 5005 archive links,
    right after the self link, and ``fh:archive`` in an archive page."""

    def __init__(self, channel: FeedChannel, build_date: datetime | None,
                 history: FeedHistory | None) -> None:
        self._channel = channel
        self._build_date = build_date
        self._history = history

    def extend_ns(self) -> dict[str, str]:
        return {"fh": FH_NS} if self._history and self._history.archive else {}

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        ch = feed[0]
        set_html(ch.find("description"), self._channel.description_html)
        if self._build_date is None:
            ch.remove(ch.find("lastBuildDate"))
        anchor = ch.find("{%s}link" % ATOM_NS)
        links = [("hub", hub) for hub in self._channel.hubs]
        h = self._history
        if h is not None:
            links += [(rel, url) for rel, url in (("current", h.current),
                                                  ("prev-archive", h.prev_archive),
                                                  ("next-archive", h.next_archive)) if url]
        for rel, href in reversed(links):
            link = etree.Element("{%s}link" % ATOM_NS, href=href, rel=rel)
            anchor.addnext(link)
        if h is not None and h.archive:
            anchor.addnext(etree.Element("{%s}archive" % FH_NS))
        return feed


class _ItunesChannel(BaseExtension):
    """Apple's channel tags, as Apple Podcasts Connect documents them."""

    def __init__(self, channel: FeedChannel) -> None:
        self._channel = channel

    def extend_ns(self) -> dict[str, str]:
        return {"itunes": ITUNES_NS}

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        c = self._channel
        ch = feed[0]
        sub(ch, _I + "author", c.author)
        if c.owner_name or c.owner_email:
            owner = sub(ch, _I + "owner")
            if c.owner_name:
                sub(owner, _I + "name", c.owner_name)
            if c.owner_email:
                sub(owner, _I + "email", c.owner_email)
        sub(ch, _I + "image", href=c.image_url)
        for category in c.categories:
            parent = sub(ch, _I + "category", None, text=category.name)
            if category.sub:
                sub(parent, _I + "category", None, text=category.sub)
        sub(ch, _I + "explicit", "true" if c.explicit else "false")
        sub(ch, _I + "type", c.type)
        if c.keywords:
            sub(ch, _I + "keywords", ",".join(c.keywords))
        if c.new_feed_url:
            sub(ch, _I + "new-feed-url", c.new_feed_url)
        if c.block:
            sub(ch, _I + "block", "Yes")
        if c.complete:
            sub(ch, _I + "complete", "Yes")
        return feed


class _ItunesItem(BaseEntryExtension):
    """Apple's item tags; also puts the item description in CDATA."""

    def __init__(self, item: FeedItem, explicit: bool) -> None:
        self._item = item
        self._explicit = explicit

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        i = self._item
        description = entry.find("description")
        if description is not None and isinstance(description.text, str):
            set_html(description, description.text)
        sub(entry, _I + "title", i.title)
        sub(entry, _I + "duration", str(int(i.duration)))
        if i.image_url:
            sub(entry, _I + "image", href=i.image_url)
        sub(entry, _I + "explicit", "true" if self._explicit else "false")
        if i.episode is not None:
            sub(entry, _I + "episode", str(i.episode))
        if i.season is not None:
            sub(entry, _I + "season", str(i.season))
        sub(entry, _I + "episodeType", i.episode_type)
        if i.summary_text:
            sub(entry, _I + "summary", i.summary_text)
        if i.keywords:
            sub(entry, _I + "keywords", ",".join(i.keywords))
        return entry


def _require_valid(channel: FeedChannel, items: Sequence[FeedItem]) -> None:
    for name in ("title", "link", "description_html", "feed_url"):
        if not getattr(channel, name).strip():
            raise FeedInputError("must not be empty", field=name)
    for element, url, episode in iter_urls(channel, items):
        if not is_absolute_url(url):
            raise FeedInputError(f"{url!r} is not an absolute http(s) URL",
                                 field=element, episode=episode)
    if channel.last_build_date is not None and channel.last_build_date.utcoffset() is None:
        raise FeedInputError("date has no timezone", field="lastBuildDate")
    seen: set[str] = set()
    for item in items:
        if not item.guid.strip():
            raise FeedInputError("an episode needs a GUID", field="guid", episode=item.title)
        if item.guid in seen:
            raise FeedInputError("two episodes share this GUID", field="guid", episode=item.guid)
        seen.add(item.guid)
        if not item.title.strip():
            raise FeedInputError("an episode needs a title", field="title", episode=item.guid)
        if item.pub_date.utcoffset() is None:
            raise FeedInputError("date has no timezone", field="pubDate", episode=item.guid)
        for enc in (item.enclosure, *item.alternates):
            if not isinstance(enc.length, int) or enc.length <= 0:
                raise FeedInputError(f"length {enc.length!r} is not the file's byte size",
                                     field="enclosure", episode=item.guid)
