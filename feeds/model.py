"""The values a feed is made from, independent of the rest of castline.

``feeds`` never imports ``pipeline``: the publisher adapts its own show and
episodes into these frozen dataclasses, and ``feeds.render_feed`` turns them
into the bytes of ``feed.xml``. Every URL here is absolute (apps fetch them
from anywhere, so a relative URL is a broken URL); every date is
timezone-aware; every size is bytes and every duration whole seconds.

The field comments name the feed element each field becomes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlsplit

Severity = Literal["error", "warning"]


class FeedInputError(ValueError):
    """A value no valid feed can be made from (a relative URL, a naive date,
    two episodes with one GUID). ``field`` names the element, ``episode`` the
    GUID of the episode it belongs to (None for the channel)."""

    def __init__(self, message: str, *, field: str, episode: str | None = None) -> None:
        self.message = message
        self.field = field
        self.episode = episode
        where = f"episode {episode}: {field}" if episode else field
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class FeedProblem:
    """One broken rule found by ``check_feed``: the element it concerns, what
    is wrong and how to fix it, the episode GUID (None for the channel), and
    whether Apple refuses the feed ("error") or merely advises ("warning")."""

    element: str
    message: str
    episode: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"episode {self.episode}: " if self.episode else ""
        return f"{self.severity}: {where}{self.element}: {self.message}"


@dataclass(frozen=True)
class FeedPerson:
    """``podcast:person``: hosts on the channel, guests on an item. ``role``
    and ``group`` come from the Podcast Taxonomy (host, guest, producer...;
    cast, writing, audio post-production...)."""

    name: str
    role: str = "host"
    group: str = "cast"
    img: str | None = None
    href: str | None = None


@dataclass(frozen=True)
class FeedCategory:
    """``itunes:category text=name`` with an optional nested subcategory;
    both must come from Apple's current list (``APPLE_CATEGORIES``)."""

    name: str
    sub: str | None = None


@dataclass(frozen=True)
class FeedLink:
    """A named URL: ``podcast:funding`` (name is the label) or a podroll entry
    (``podcast:remoteItem``; url is the other show's feed URL, guid its
    ``podcast:guid`` when known, else computed from the URL)."""

    name: str
    url: str
    guid: str | None = None


@dataclass(frozen=True)
class FeedChapter:
    """A chapter: ``start`` in seconds from the start of the audio."""

    start: float
    title: str
    url: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class FeedTranscript:
    """``podcast:transcript``: ``type`` is ``text/vtt`` or
    ``application/x-subrip``; ``rel`` defaults to "captions" for WebVTT,
    which tells apps the file carries timed captions."""

    url: str
    type: str
    language: str | None = None
    rel: str | None = None


@dataclass(frozen=True)
class FeedEnclosure:
    """The media file: ``url``, ``length`` (the exact byte size the server
    sends; apps use it to verify the download) and MIME ``type``. Alternates
    become ``podcast:alternateEnclosure`` with ``bitrate`` and ``title``;
    ``integrity`` (see ``sri``) lets apps check the bytes they downloaded."""

    url: str
    length: int
    type: str
    bitrate_kbps: int | None = None
    title: str | None = None
    integrity: str | None = None  # SRI string "sha384-<base64>" (podcast:integrity)


@dataclass(frozen=True)
class FeedSoundbite:
    """``podcast:soundbite``: a clip apps may offer for sharing or preview."""

    start: float
    duration: float
    title: str | None = None


@dataclass(frozen=True)
class FeedValueRecipient:
    """One ``podcast:valueRecipient`` of a lightning keysend ``podcast:value``:
    ``split`` is this recipient's share (splits are summed, not percentages).
    ``type`` is "node" (``address`` is a node's public key) or "lnaddress"
    (``address`` is a Lightning Address such as ``ann@getalby.com``)."""

    name: str
    address: str
    split: int
    type: str = "node"
    custom_key: str | None = None
    custom_value: str | None = None
    fee: bool = False


@dataclass(frozen=True)
class FeedImage:
    """``podcast:image``: one image among several for the channel or an item
    (the namespace's 2025 tag; never the deprecated ``podcast:images``).
    ``purpose`` is space-separated tokens: ``artwork`` (square show or
    episode art), ``social`` (a landscape preview, as Open Graph uses),
    ``banner``, ``canvas``, ``publisher``, ``circular``."""

    href: str
    alt: str | None = None
    aspect_ratio: str | None = None  # CSS syntax: "1/1", "1200/630"
    width: int | None = None
    height: int | None = None
    type: str | None = None  # MIME type, e.g. image/jpeg
    purpose: str | None = None


@dataclass(frozen=True)
class FeedLocation:
    """``podcast:location``: ``name`` is the display text (at most 128
    characters); ``rel`` is "subject" (what the show is about, the default)
    or "creator" (where it is made); ``country`` an ISO 3166-1 alpha-2 code;
    ``geo`` a ``geo:lat,lon`` URI; ``osm`` an OpenStreetMap id like R113314."""

    name: str
    rel: str | None = None
    country: str | None = None
    geo: str | None = None
    osm: str | None = None


@dataclass(frozen=True)
class FeedBlock:
    """``podcast:block``: ``platform`` is a service slug (``google``,
    ``amazon``, ``spotify``...; None blocks every platform); ``blocked``
    False lets that platform in despite a blanket block."""

    platform: str | None
    blocked: bool = True


@dataclass(frozen=True)
class FeedChat:
    """``podcast:chat``: where the show's (channel) or the episode's (item)
    live chat happens. ``protocol`` is irc, xmpp, nostr, matrix..."""

    server: str
    protocol: str
    account_id: str | None = None
    space: str | None = None


@dataclass(frozen=True)
class FeedRemoteItem:
    """``podcast:remoteItem``: a pointer to another feed (or an item in it)
    by its ``podcast:guid``; ``feed_url`` is the fallback apps use when they
    cannot resolve the GUID. As ``podcast:publisher`` its medium is
    "publisher"."""

    feed_guid: str
    feed_url: str | None = None
    item_guid: str | None = None
    medium: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class FeedValueTimeSplit:
    """``podcast:valueTimeSplit``: for ``duration`` seconds from ``start``
    the payments go to ``recipients`` instead of the show's, or, with
    ``remote``, to the value block of another feed's item (a song, a
    guest's show) at ``remote_percentage`` per cent."""

    start: float
    duration: float
    recipients: tuple[FeedValueRecipient, ...] = ()
    remote: FeedRemoteItem | None = None
    remote_start: float | None = None
    remote_percentage: int | None = None


LiveStatus = Literal["pending", "live", "ended"]


def live_status(start: datetime, end: datetime | None, now: datetime) -> LiveStatus:
    """The ``podcast:liveItem`` status at ``now`` (passed in: the feed never
    reads the clock): pending before ``start``, live until ``live_end``,
    then ended."""
    if now < start:
        return "pending"
    if now < live_end(start, end):
        return "live"
    return "ended"


def live_end(start: datetime, end: datetime | None) -> datetime:
    """When a live item ends: at ``end``, or without one 24 hours after its
    start (apps poll the feed and need it to end some time)."""
    return end or start + timedelta(hours=24)


@dataclass(frozen=True, kw_only=True)
class FeedLiveItem:
    """``podcast:liveItem``: a live stream announced in the channel.
    ``stream`` is the stream's URL and type (length is what apps expect for
    a stream of unknown size: any positive placeholder); ``content_links``
    (required by the namespace) name a page that plays the stream in a
    browser, for apps that cannot. ``status`` comes from ``live_status``."""

    guid: str
    title: str
    status: LiveStatus
    start: datetime
    end: datetime | None
    stream: FeedEnclosure
    content_links: tuple[FeedLink, ...]
    description_html: str = ""
    link: str | None = None
    image_url: str | None = None
    images: tuple[FeedImage, ...] = ()
    persons: tuple[FeedPerson, ...] = ()
    chat: FeedChat | None = None


@dataclass(frozen=True)
class FeedHistory:
    """RFC 5005 archived feeds: where this document sits among the pages of
    a long feed. The subscription feed (``archive`` False) links its newest
    archive page as ``prev_archive``; each archive page (``archive`` True,
    ``fh:archive``) links the subscription feed as ``current`` and its older
    and newer neighbours as ``prev_archive`` and ``next_archive``."""

    current: str | None = None
    prev_archive: str | None = None
    next_archive: str | None = None
    archive: bool = False


@dataclass(frozen=True, kw_only=True)
class FeedItem:
    """One episode as an ``<item>``.

    ``guid`` is the episode's identity for every app that ever downloaded it:
    it is written with ``isPermaLink="false"`` and must never change, so it is
    never derived from the (possibly prefixed, possibly moved) enclosure URL.
    ``title`` should not carry episode or show numbers (Apple shows
    ``episode``/``season`` itself). ``description_html`` becomes
    ``description`` and ``content_html`` (default: the same)
    ``content:encoded``, both as HTML in CDATA. ``duration`` is whole seconds
    (``itunes:duration``). ``explicit`` None leaves the channel's value.
    """

    guid: str
    title: str
    pub_date: datetime
    enclosure: FeedEnclosure
    duration: int
    description_html: str = ""
    content_html: str | None = None
    summary_text: str | None = None  # itunes:summary, plain text
    link: str | None = None  # the episode page
    image_url: str | None = None  # itunes:image
    explicit: bool | None = None
    episode: int | None = None  # itunes:episode, podcast:episode
    season: int | None = None  # itunes:season, podcast:season
    episode_type: Literal["full", "trailer", "bonus"] = "full"
    persons: tuple[FeedPerson, ...] = ()  # guests
    transcripts: tuple[FeedTranscript, ...] = ()
    chapters_url: str | None = None  # podcast:chapters (JSON chapters file)
    soundbites: tuple[FeedSoundbite, ...] = ()
    alternates: tuple[FeedEnclosure, ...] = ()
    social_interact_url: str | None = None  # activitypub root post of the comments
    comments_disabled: bool = False  # podcast:socialInteract protocol="disabled"
    location: str | None = None
    license: str | None = None  # SPDX identifier or a licence name
    keywords: tuple[str, ...] = ()
    images: tuple[FeedImage, ...] = ()  # podcast:image
    locations: tuple[FeedLocation, ...] = ()  # podcast:location with rel/country
    chat: FeedChat | None = None
    content_links: tuple[FeedLink, ...] = ()  # podcast:contentLink (name is the text)
    value_time_splits: tuple[FeedValueTimeSplit, ...] = ()  # in an item podcast:value
    ai_content: str | None = None  # podcast:txt purpose="ai-content"


@dataclass(frozen=True, kw_only=True)
class FeedChannel:
    """The show as the ``<channel>``.

    ``feed_url`` is where this feed is served (``atom:link rel="self"``) and
    the seed of ``podcast:guid`` unless ``podcast_guid`` pins one: a show keeps
    its podcast GUID for life, even after it moves, so pin it once published.
    ``last_build_date`` None means the newest item's pubDate: never "now",
    so the same inputs always give the same bytes. ``analytics_prefix`` (an
    OP3 or Podtrac style prefix such as ``https://op3.dev/e/``) is put in
    front of every enclosure URL and never touches a GUID.
    """

    title: str
    link: str
    feed_url: str
    description_html: str
    language: str  # ISO 639 code, optionally with a region: en, en-us, pt-BR
    author: str
    image_url: str
    categories: tuple[FeedCategory, ...]
    owner_name: str | None = None
    owner_email: str | None = None
    explicit: bool = False
    type: Literal["episodic", "serial"] = "episodic"
    copyright: str | None = None
    podcast_guid: str | None = None
    locked: bool = False
    new_feed_url: str | None = None  # itunes:new-feed-url when the show moves
    block: bool = False
    complete: bool = False
    apple_verify: str | None = None  # podcast:txt purpose="applepodcastsverify"
    persons: tuple[FeedPerson, ...] = ()  # hosts
    funding: tuple[FeedLink, ...] = ()
    license: str | None = None
    license_url: str | None = None
    location: str | None = None
    medium: str = "podcast"
    update_frequency: str | None = None  # an RRULE, e.g. FREQ=WEEKLY
    podroll: tuple[FeedLink, ...] = ()
    value_recipients: tuple[FeedValueRecipient, ...] = ()
    analytics_prefix: str | None = None
    keywords: tuple[str, ...] = ()
    generator: str = "castline"
    last_build_date: datetime | None = None
    images: tuple[FeedImage, ...] = ()  # podcast:image
    locations: tuple[FeedLocation, ...] = ()  # podcast:location with rel/country
    platform_blocks: tuple[FeedBlock, ...] = ()  # podcast:block id=...
    chat: FeedChat | None = None
    remote_items: tuple[FeedRemoteItem, ...] = ()  # channel-level podcast:remoteItem
    publisher: FeedRemoteItem | None = None  # podcast:publisher
    live_items: tuple[FeedLiveItem, ...] = ()  # podcast:liveItem
    ai_content: str | None = None  # podcast:txt purpose="ai-content"
    hubs: tuple[str, ...] = ()  # WebSub hubs: atom:link rel="hub"
    podping: bool = False  # podcast:podping usesPodping="true": only when castline sends podpings


def is_absolute_url(url: str) -> bool:
    """True for an http(s) URL with a host: the only kind an app can fetch."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def iter_urls(
    channel: FeedChannel, items: Sequence[FeedItem]
) -> Iterator[tuple[str, str, str | None]]:
    """Every URL the feed will carry, as (element, url, episode GUID)."""
    for element, url in _channel_urls(channel):
        if url is not None:
            yield element, url, None
    for item in items:
        for element, url in _item_urls(item):
            if url is not None:
                yield element, url, item.guid


def _channel_urls(c: FeedChannel) -> Iterator[tuple[str, str | None]]:
    yield "link", c.link
    yield "atom:link", c.feed_url
    yield "itunes:image", c.image_url
    yield "itunes:new-feed-url", c.new_feed_url
    yield "podcast:license", c.license_url
    yield "enclosure", c.analytics_prefix or None  # the prefix itself must be absolute
    for person in c.persons:
        yield "podcast:person", person.img
        yield "podcast:person", person.href
    for link in c.funding:
        yield "podcast:funding", link.url
    for link in c.podroll:
        yield "podcast:remoteItem", link.url
    for image in c.images:
        yield "podcast:image", image.href
    for remote in (*c.remote_items, *((c.publisher,) if c.publisher else ())):
        yield "podcast:remoteItem", remote.feed_url
    for hub in c.hubs:
        yield "atom:link", hub
    for live in c.live_items:
        yield "podcast:liveItem", live.stream.url
        yield "podcast:liveItem", live.link
        yield "podcast:liveItem", live.image_url
        for link in live.content_links:
            yield "podcast:contentLink", link.url
        for image in live.images:
            yield "podcast:image", image.href


def _item_urls(i: FeedItem) -> Iterator[tuple[str, str | None]]:
    yield "link", i.link
    yield "enclosure", i.enclosure.url
    yield "itunes:image", i.image_url
    yield "podcast:chapters", i.chapters_url
    yield "podcast:socialInteract", i.social_interact_url
    for alt in i.alternates:
        yield "podcast:alternateEnclosure", alt.url
    for t in i.transcripts:
        yield "podcast:transcript", t.url
    for person in i.persons:
        yield "podcast:person", person.img
        yield "podcast:person", person.href
    for image in i.images:
        yield "podcast:image", image.href
    for link in i.content_links:
        yield "podcast:contentLink", link.url
