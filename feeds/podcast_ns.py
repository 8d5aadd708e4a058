"""The Podcasting 2.0 namespace (``podcast:``) as a feedgen extension.

https://podcastindex.org/namespace/1.0 adds what RSS and Apple's tags lack:
a show identity that survives a move (``podcast:guid``), people, transcripts,
JSON chapters, alternate encodings, funding, comment threads, payments.
The extension classes are bound to castline's own values with
``functools.partial`` and registered through feedgen's ``register_extension``.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Sequence

import feedgen.feed  # noqa: F401  (must come before any feedgen.ext import: it loads lxml.etree)
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from lxml import etree

from feeds._xml import rfc2822, set_html, sub
from feeds.model import (
    FeedChannel,
    FeedChat,
    FeedEnclosure,
    FeedImage,
    FeedItem,
    FeedLink,
    FeedLiveItem,
    FeedLocation,
    FeedPerson,
    FeedRemoteItem,
    FeedValueRecipient,
    FeedValueTimeSplit,
)

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


def sri(sha384_hex: str) -> str:
    """The Subresource Integrity string of a file from its hex sha384
    (``sha384-`` and the digest in base64), as ``podcast:integrity`` wants."""
    return "sha384-" + base64.b64encode(bytes.fromhex(sha384_hex)).decode("ascii")


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
    if enc.integrity:
        sub(alt, _P + "integrity", type="sri", value=enc.integrity)


def _image(parent: etree._Element, image: FeedImage) -> None:
    sub(parent, _P + "image", href=image.href, alt=image.alt, **{"aspect-ratio": image.aspect_ratio},
        width=image.width, height=image.height, type=image.type, purpose=image.purpose)


def _location(parent: etree._Element, loc: FeedLocation) -> None:
    sub(parent, _P + "location", loc.name, rel=loc.rel, geo=loc.geo, osm=loc.osm,
        country=loc.country)


def _chat(parent: etree._Element, chat: FeedChat) -> None:
    sub(parent, _P + "chat", server=chat.server, protocol=chat.protocol,
        accountId=chat.account_id, space=chat.space)


def _content_link(parent: etree._Element, link: FeedLink) -> None:
    sub(parent, _P + "contentLink", link.name, href=link.url)


def _remote_item(parent: etree._Element, r: FeedRemoteItem) -> None:
    sub(parent, _P + "remoteItem", feedGuid=r.feed_guid, feedUrl=r.feed_url, itemGuid=r.item_guid,
        medium=r.medium, title=r.title)


def _recipient(parent: etree._Element, r: FeedValueRecipient) -> None:
    sub(parent, _P + "valueRecipient", name=r.name, type=r.type, address=r.address,
        split=r.split, customKey=r.custom_key, customValue=r.custom_value,
        fee="true" if r.fee else None)


def _value(parent: etree._Element, recipients: Sequence[FeedValueRecipient],
           splits: Sequence[FeedValueTimeSplit] = ()) -> None:
    value = sub(parent, _P + "value", type="lightning", method="keysend")
    for r in recipients:
        _recipient(value, r)
    for split in splits:
        el = sub(value, _P + "valueTimeSplit", startTime=float(split.start),
                 duration=float(split.duration),
                 remoteStartTime=float(split.remote_start) if split.remote_start is not None else None,
                 remotePercentage=split.remote_percentage)
        if split.remote is not None:
            _remote_item(el, split.remote)
        for r in split.recipients:
            _recipient(el, r)


def _live_item(parent: etree._Element, live: FeedLiveItem) -> None:
    """A ``podcast:liveItem`` with the children of an ordinary item that
    apps use for a stream: title, description, link, guid, the stream as
    enclosure and default alternateEnclosure, and the content links. The
    stream URL never gets the analytics prefix: a prefix service counts
    downloads, and a redirect in front of a live stream breaks some players."""
    el = sub(parent, _P + "liveItem", status=live.status, start=live.start.isoformat(),
             end=live.end.isoformat() if live.end else None)
    sub(el, "title", live.title)
    if live.description_html:
        set_html(sub(el, "description"), live.description_html)
    if live.link:
        sub(el, "link", live.link)
    sub(el, "guid", live.guid, isPermaLink="false")
    url = live.stream.url
    sub(el, "enclosure", url=url, length=str(live.stream.length), type=live.stream.type)
    _alternate(el, live.stream, url, True)
    if live.image_url:
        sub(el, "{http://www.itunes.com/dtds/podcast-1.0.dtd}image", href=live.image_url)
    for image in live.images:
        _image(el, image)
    for person in live.persons:
        _person(el, person)
    for link in live.content_links:
        _content_link(el, link)
    if live.chat:
        _chat(el, live.chat)


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
        if c.block:
            sub(ch, _P + "block", "yes")
        for block in c.platform_blocks:
            sub(ch, _P + "block", "yes" if block.blocked else "no", id=block.platform)
        if c.apple_verify:
            sub(ch, _P + "txt", c.apple_verify, purpose="applepodcastsverify")
        if c.ai_content:
            sub(ch, _P + "txt", c.ai_content, purpose="ai-content")
        sub(ch, _P + "medium", c.medium)
        for image in c.images:
            _image(ch, image)
        for link in c.funding:
            sub(ch, _P + "funding", link.name, url=link.url)
        for person in c.persons:
            _person(ch, person)
        if c.license:
            sub(ch, _P + "license", c.license, url=c.license_url)
        if c.location:
            sub(ch, _P + "location", c.location)
        for loc in c.locations:
            _location(ch, loc)
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
        for remote in c.remote_items:
            _remote_item(ch, remote)
        if c.publisher:
            _remote_item(sub(ch, _P + "publisher"), c.publisher)
        if c.value_recipients:
            _value(ch, c.value_recipients)
        if c.chat:
            _chat(ch, c.chat)
        if c.podping:
            sub(ch, _P + "podping", usesPodping="true")
        for live in c.live_items:
            _live_item(ch, live)
        return feed


class PodcastItemExtension(BaseEntryExtension):
    """Writes one item's ``podcast:`` tags."""

    def __init__(self, item: FeedItem, analytics_prefix: str | None,
                 recipients: Sequence[FeedValueRecipient] = ()) -> None:
        self._item = item
        self._prefix = analytics_prefix
        self._recipients = tuple(recipients)

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
        for loc in i.locations:
            _location(entry, loc)
        for image in i.images:
            _image(entry, image)
        for link in i.content_links:
            _content_link(entry, link)
        if i.chat:
            _chat(entry, i.chat)
        if i.ai_content:
            sub(entry, _P + "txt", i.ai_content, purpose="ai-content")
        if i.value_time_splits and self._recipients:
            # valueTimeSplit lives in a podcast:value; the item's block repeats the show's
            # recipients (an item block overrides the channel's) and adds the splits.
            _value(entry, self._recipients, i.value_time_splits)
        return entry
