"""The Podcasting 2.0 namespace (``podcast:``) as a feedgen extension.

https://podcastindex.org/namespace/1.0 adds what RSS and Apple's tags lack:
a show identity that survives a move (``podcast:guid``), people, transcripts,
JSON chapters, alternate encodings, funding, comment threads, payments.
The extension classes are bound to castline's own values with
``functools.partial`` and registered through feedgen's ``register_extension``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

import feedgen.feed  # noqa: F401  (must come before any feedgen.ext import: it loads lxml.etree)
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from feeds._xml import rfc2822, sub
from feeds.model import FeedChannel, FeedEnclosure, FeedItem, FeedPerson

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
_P = "{%s}" % PODCAST_NS

# The namespace UUID the spec fixes for podcast:guid (UUIDv5).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def podcast_guid(feed_url: str) -> str:
    """The show's ``podcast:guid`` as the spec computes it: UUIDv5 in the
    podcast namespace of the feed URL with its scheme (``https://``) and
    trailing slashes removed. A show computes it once, from the URL it has at
    the time, and then keeps it (pin it in the channel) even if it moves."""
    seed = _SCHEME.sub("", feed_url.strip()).rstrip("/")
    return str(uuid.uuid5(PODCAST_GUID_NAMESPACE, seed))


def analytics_url(prefix: str | None, url: str) -> str:
    """``url`` behind a prefix analytics service (OP3, Podtrac...).

    The convention: an https target goes after the prefix without its scheme
    (``https://op3.dev/e/`` + ``cdn.example.com/ep1.mp3``); an http target
    keeps ``http://`` so the service knows not to upgrade it.
    """
    if not prefix:
        return url
    if not prefix.endswith("/"):
        prefix += "/"
    if url.startswith("https://"):
        return prefix + url[len("https://"):]
    return prefix + url


def update_frequency_text(rrule: str) -> str:
    """A short human label for an RRULE (the node value apps display)."""
    parts = dict(p.split("=", 1) for p in rrule.upper().split(";") if "=" in p)
    freq = parts.get("FREQ", "")
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}.get(freq)
    if unit is None:
        return rrule
    interval = parts.get("INTERVAL", "1")
    if interval in ("", "1"):
        return {"day": "Daily", "week": "Weekly", "month": "Monthly", "year": "Yearly"}[unit]
    return f"Every {interval} {unit}s"


def _person(parent: etree._Element, person: FeedPerson) -> None:
    sub(parent, _P + "person", person.name, role=person.role, group=person.group,
        img=person.img, href=person.href)


def _alternate(parent: etree._Element, enc: FeedEnclosure, url: str, default: bool) -> None:
    alt = sub(parent, _P + "alternateEnclosure", type=enc.type, length=enc.length,
              bitrate=enc.bitrate_kbps * 1000 if enc.bitrate_kbps else None,
              title=enc.title, default="true" if default else None)
    sub(alt, _P + "source", uri=url)


class PodcastChannelExtension(BaseExtension):
    """Writes the channel's ``podcast:`` tags; ``items`` gives the trailers."""

    def __init__(self, channel: FeedChannel, items: Sequence[FeedItem]) -> None:
        self._channel = channel
        self._items = tuple(items)

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        c = self._channel
        ch = feed[0]
        sub(ch, _P + "guid", c.podcast_guid or podcast_guid(c.feed_url))
        sub(ch, _P + "locked", "yes" if c.locked else "no", owner=c.owner_email)
        if c.apple_verify:
            sub(ch, _P + "txt", c.apple_verify, purpose="applepodcastsverify")
        sub(ch, _P + "medium", c.medium)
        for link in c.funding:
            sub(ch, _P + "funding", link.name, url=link.url)
        for person in c.persons:
            _person(ch, person)
        if c.license:
            sub(ch, _P + "license", c.license, url=c.license_url)
        if c.location:
            sub(ch, _P + "location", c.location)
        if c.update_frequency:
            sub(ch, _P + "updateFrequency", update_frequency_text(c.update_frequency),
                rrule=c.update_frequency, complete="true" if c.complete else None)
        for item in self._items:
            if item.episode_type == "trailer":
                sub(ch, _P + "trailer", item.title, pubdate=rfc2822(item.pub_date),
                    url=analytics_url(c.analytics_prefix, item.enclosure.url),
                    length=item.enclosure.length, type=item.enclosure.type, season=item.season)
        if c.podroll:
            roll = sub(ch, _P + "podroll")
            for link in c.podroll:
                sub(roll, _P + "remoteItem", feedGuid=link.guid or podcast_guid(link.url),
                    feedUrl=link.url, title=link.name or None)
        if c.value_recipients:
            value = sub(ch, _P + "value", type="lightning", method="keysend")
            for r in c.value_recipients:
                sub(value, _P + "valueRecipient", name=r.name, type=r.type, address=r.address,
                    split=r.split, customKey=r.custom_key, customValue=r.custom_value,
                    fee="true" if r.fee else None)
        return feed


class PodcastItemExtension(BaseEntryExtension):
    """Writes one item's ``podcast:`` tags."""

    def __init__(self, item: FeedItem, analytics_prefix: str | None) -> None:
        self._item = item
        self._prefix = analytics_prefix

    def extend_rss(self, entry: etree._Element) -> etree._Element:
        i = self._item
        if i.season is not None:
            sub(entry, _P + "season", str(i.season))
        if i.episode is not None:
            sub(entry, _P + "episode", str(i.episode))
        for person in i.persons:
            _person(entry, person)
        for t in i.transcripts:
            rel = t.rel or ("captions" if t.type == "text/vtt" else None)
            sub(entry, _P + "transcript", url=t.url, type=t.type, language=t.language, rel=rel)
        if i.chapters_url:
            sub(entry, _P + "chapters", url=i.chapters_url, type="application/json+chapters")
        for bite in i.soundbites:
            sub(entry, _P + "soundbite", bite.title, startTime=float(bite.start),
                duration=float(bite.duration))
        if i.alternates:
            _alternate(entry, i.enclosure, analytics_url(self._prefix, i.enclosure.url), True)
            for alt in i.alternates:
                _alternate(entry, alt, analytics_url(self._prefix, alt.url), False)
        if i.comments_disabled:
            sub(entry, _P + "socialInteract", protocol="disabled")
        elif i.social_interact_url:
            sub(entry, _P + "socialInteract", protocol="activitypub", uri=i.social_interact_url)
        if i.license:
            sub(entry, _P + "license", i.license)
        if i.location:
            sub(entry, _P + "location", i.location)
        return entry
