"""The plain values passed between castline's stages.

Every stage takes these and returns new ones; none is changed after it is
made. Times are timezone-aware ``datetime`` values; durations and chapter
starts are seconds as ``float``; sizes are bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Literal

EpisodeType = Literal["full", "trailer", "bonus"]
ShowType = Literal["episodic", "serial"]


@dataclass(frozen=True)
class Person:
    """Someone heard or credited: a host on the show, a guest on an episode.

    Becomes ``podcast:person`` (role, img, href) in the feed and the
    guests / host box on the pages.
    """

    name: str
    role: str = "guest"  # Podcast Taxonomy role: host, guest, producer, ...
    group: str = "cast"
    href: str | None = None
    img: str | None = None
    bio: str | None = None


@dataclass(frozen=True)
class Category:
    """An Apple Podcasts category, with an optional subcategory."""

    name: str
    sub: str | None = None


@dataclass(frozen=True)
class Link:
    """A named link: where to subscribe, a host's social profile, funding."""

    name: str
    url: str


@dataclass(frozen=True)
class Chapter:
    """A chapter mark. ``start`` is seconds from the start of the episode as
    heard (after intro), ``url`` an optional link for the chapter."""

    start: float
    title: str
    url: str | None = None
    img: str | None = None


@dataclass(frozen=True)
class Soundbite:
    """A shareable clip (``podcast:soundbite``): start and duration in s."""

    start: float
    duration: float
    title: str | None = None


@dataclass(frozen=True)
class ValueRecipient:
    """One recipient of lightning payments (``podcast:valueRecipient``):
    ``type`` "node" (``address`` is a node's public key) or "lnaddress"
    (``address`` is a Lightning Address like ``ann@getalby.com``);
    ``split`` is a share, summed over the recipients; ``fee`` marks the
    host's or app's cut, taken first."""

    name: str
    address: str
    split: int
    type: str = "node"
    fee: bool = False


@dataclass(frozen=True)
class RemoteItem:
    """Another feed (or an item in it), by ``podcast:guid`` and/or URL:
    ``podcast:remoteItem``, ``podcast:publisher``, a value split's target."""

    feed_guid: str | None = None
    feed_url: str | None = None
    item_guid: str | None = None
    medium: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Chat:
    """``podcast:chat``: the show's or an episode's chat room."""

    server: str
    protocol: str  # irc, xmpp, nostr, matrix, ...
    account_id: str | None = None
    space: str | None = None


@dataclass(frozen=True)
class ValueSplit:
    """``podcast:valueTimeSplit``: from ``start`` for ``duration`` seconds
    the payments go to ``recipients``, or to the ``remote`` item's value
    block at ``remote_percentage`` per cent."""

    start: float
    duration: float
    recipients: tuple[ValueRecipient, ...] = ()
    remote: RemoteItem | None = None
    remote_start: float | None = None
    remote_percentage: int | None = None


@dataclass(frozen=True)
class LiveStream:
    """A live show announced as ``podcast:liveItem`` (``live:`` in notes):
    when it starts and ends, the stream's URL and type, and the web page
    that plays it (``podcast:contentLink``, for apps that cannot)."""

    start: datetime
    end: datetime | None
    url: str
    type: str = "audio/mpeg"
    page: str | None = None


@dataclass(frozen=True)
class LiveEvent:
    """A notes file with ``live:`` whose recording does not exist yet: only
    the live item is published (the episode follows once it is recorded)."""

    slug: str
    notes_path: Path
    title: str
    live: LiveStream
    summary: str | None = None
    body: str = ""
    image: Path | None = None
    image_alt: str | None = None
    chat: Chat | None = None
    guests: tuple[Person, ...] = ()
    draft: bool = False  # draft: true keeps the live item out of the feed too


@dataclass(frozen=True)
class Show:
    """The show as the feed and pages describe it (``[show]`` in config)."""

    title: str
    description: str
    author: str
    language: str
    base_url: str  # public URL where the published tree is served, ends with "/"
    image: Path  # absolute path of the show art file
    categories: tuple[Category, ...]
    explicit: bool = False
    type: ShowType = "episodic"
    copyright: str | None = None
    email: str | None = None
    owner_name: str | None = None
    link: str | None = None  # website; defaults to base_url
    timezone: str = "UTC"
    hosts: tuple[Person, ...] = ()
    host_bio: str | None = None  # Markdown, shown in the host box on pages
    host_links: tuple[Link, ...] = ()  # social links in the host box
    subscribe: tuple[Link, ...] = ()  # "listen in your app" links
    funding: tuple[Link, ...] = ()
    keywords: tuple[str, ...] = ()
    podcast_guid: str | None = None  # pin; otherwise computed once from the feed URL
    locked: bool = False
    new_feed_url: str | None = None
    block: bool = False
    complete: bool = False
    apple_verify: str | None = None  # podcast:txt purpose="applepodcastsverify"
    license: str | None = None
    license_url: str | None = None
    location: str | None = None
    medium: str = "podcast"
    update_frequency: str | None = None  # RRULE, e.g. FREQ=WEEKLY
    podroll: tuple[Link, ...] = ()  # url is a feed URL; name is the podcast title
    analytics_prefix: str | None = None  # e.g. https://op3.dev/e/
    allow_html: bool = False  # raw HTML in notes kept instead of escaped
    page_size: int = 20
    value_recipients: tuple[ValueRecipient, ...] = ()  # podcast:value lightning
    feed_limit: int = 0  # newest N items in feed.xml, the rest in RFC 5005 archive pages; 0: all
    image_alt: str | None = None  # alt text of the show art (podcast:image)
    ai_content: str | None = None  # podcast:txt purpose="ai-content"
    location_rel: str | None = None  # podcast:location rel: subject or creator
    location_country: str | None = None  # ISO 3166-1 alpha-2
    block_platforms: tuple[str, ...] = ()  # podcast:block id=<slug> yes
    allow_platforms: tuple[str, ...] = ()  # podcast:block id=<slug> no
    chat: Chat | None = None
    remote_items: tuple[RemoteItem, ...] = ()  # channel-level podcast:remoteItem
    publisher: RemoteItem | None = None  # podcast:publisher


@dataclass(frozen=True)
class AudioSettings:
    """How recordings are mastered and encoded (``[audio]`` in config)."""

    loudness: float = -16.0  # LUFS integrated target
    true_peak: float = -1.0  # dBTP ceiling
    channels: Literal["mono", "stereo", "auto"] = "auto"
    bitrate: int = 128  # kbit/s, MP3 CBR
    sample_rate: int = 44100
    format: Literal["mp3", "m4a", "opus"] = "mp3"
    alternates: tuple[str, ...] = ()  # extra encodings for podcast:alternateEnclosure
    id3_version: Literal[3, 4] = 4
    trim_silence: bool = True
    silence_threshold: float = -50.0  # dBFS
    min_silence_ms: int = 500
    intro: Path | None = None
    outro: Path | None = None
    crossfade_ms: int = 0
    fade_in_ms: int = 0
    fade_out_ms: int = 0
    ffmpeg: str | None = None  # path to an ffmpeg binary; default: imageio-ffmpeg's
    leveler: bool = False  # even out speakers: short-term loudness follows the speech
    denoise: bool = False  # take out steady background noise (hiss, hum, fan)


@dataclass(frozen=True)
class StorageSettings:
    """Where the published tree goes (``[storage]`` in config)."""

    url: str = "public"  # a folder (relative to the show) or s3://bucket/prefix
    endpoint_url: str | None = None
    region: str | None = None
    multipart_threshold_mb: int = 16
    max_concurrency: int = 4


@dataclass(frozen=True)
class NotifySettings:
    """Who is told when the feed changes (``[notify]`` in config); see
    ``pipeline/notify.py``. The podping token is never here: it comes from
    the ``CASTLINE_PODPING_TOKEN`` environment variable only."""

    websub_hubs: tuple[str, ...] = ()  # atom:link rel="hub" + a WebSub publish ping each
    podping: bool = False  # podcast:podping + a podping (or pubnotify without a token)
    podping_endpoint: str = "https://podping.cloud/"
    pubnotify_endpoint: str = "https://api.podcastindex.org/api/1.0/hub/pubnotify"
    timeout: float = 10.0  # seconds per request


@dataclass(frozen=True)
class Settings:
    """Everything config.toml says, validated, plus where the show lives."""

    root: Path
    show: Show
    audio: AudioSettings
    storage: StorageSettings
    notify: NotifySettings = NotifySettings()

    @property
    def feed_url(self) -> str:
        return self.show.base_url + "feed.xml"

    @property
    def ingest(self) -> IngestSettings:
        return IngestSettings(self.root, self.show.timezone, tuple(p for p in (self.audio.intro, self.audio.outro) if p))

    @property
    def build(self) -> BuildSettings:
        return BuildSettings(self.root, self.show, self.audio, self.feed_url)

    @property
    def site(self) -> SiteSettings:
        return SiteSettings(self.root, self.show, self.feed_url, self.notify)


@dataclass(frozen=True)
class IngestSettings:
    """What ingest reads the show folder with: where it is, the time zone a
    date without one is in, and the intro/outro clips (not episodes)."""

    root: Path
    timezone: str
    clips: tuple[Path, ...] = ()


@dataclass(frozen=True)
class BuildSettings:
    """What building an episode's media needs: the show (tags name it), the
    audio section and the feed URL (written into the tags)."""

    root: Path
    show: Show
    audio: AudioSettings
    feed_url: str


@dataclass(frozen=True)
class SiteSettings:
    """What rendering the feed and pages needs: the show, its feed URL and
    the hubs the feed names (``[notify]``); ``root`` for the show's own
    templates and the art cache."""

    root: Path
    show: Show
    feed_url: str
    notify: NotifySettings = NotifySettings()


@dataclass(frozen=True)
class Episode:
    """One episode as the host wrote it: notes, recording, sidecars."""

    slug: str  # file stem, e.g. "001-lets-take-this-offline"
    notes_path: Path
    audio_path: Path
    title: str
    date: datetime  # aware
    body: str  # Markdown of the notes
    number: int | None = None
    season: int | None = None
    type: EpisodeType = "full"
    explicit: bool | None = None  # None: the show's setting
    summary: str | None = None
    image: Path | None = None
    image_alt: str | None = None
    image_credit: str | None = None
    transcript: Path | None = None  # .vtt or .srt sidecar
    guests: tuple[Person, ...] = ()
    chapters: tuple[Chapter, ...] = ()
    soundbites: tuple[Soundbite, ...] = ()
    keywords: tuple[str, ...] = ()
    draft: bool = False
    guid: str | None = None  # a pin from the front matter
    discussion: str | None = None  # URL of the episode's comment thread
    location: str | None = None
    license: str | None = None
    location_rel: str | None = None
    location_country: str | None = None
    content_links: tuple[Link, ...] = ()  # podcast:contentLink
    chat: Chat | None = None
    ai_content: str | None = None
    value_splits: tuple[ValueSplit, ...] = ()
    master: bool = True  # False: publish the recording as it is, only re-tagged (an imported back catalogue)
    leveler: bool | None = None  # None: the show's [audio] leveler
    denoise: bool | None = None  # None: the show's [audio] denoise


@dataclass(frozen=True)
class Loudness:
    """Measurements per EBU R128: integrated LUFS, true peak dBTP, range LU."""

    integrated: float
    true_peak: float
    lra: float


@dataclass(frozen=True)
class Encoding:
    """One encoded file of an episode: the main enclosure or an alternate."""

    path: Path
    format: str  # "mp3", "m4a", "opus"
    mime: str  # "audio/mpeg", "audio/x-m4a", "audio/ogg"
    size: int  # bytes of the final, tagged file
    sha256: str
    bitrate: int  # kbit/s
    sha384: str | None = None  # hex, of the same bytes: podcast:integrity (SRI) in the feed


@dataclass(frozen=True)
class MasteredAudio:
    """The final, tagged audio of one episode.

    ``main.size`` and ``main.sha256`` are taken from the file after the last
    tag write: that size is the feed's enclosure length.
    """

    main: Encoding
    duration: float  # seconds, decoded
    channels: int
    sample_rate: int
    input_loudness: Loudness | None = None
    output_loudness: Loudness | None = None
    alternates: tuple[Encoding, ...] = ()
    offset: float = 0.0  # seconds to add to a time in the recording to find it in the master (intro minus trim)


class EpisodeState(str, Enum):
    """An episode's state in ``castline status`` and in a publish report."""

    DRAFT = "draft"  # draft: true, never published
    SCHEDULED = "scheduled"  # dated in the future
    SKIPPED = "skipped"  # not named in `castline publish SLUG ...`, never published
    NEW = "new"  # published by this run for the first time
    CHANGED = "changed"  # its media or notes changed: rebuilt
    PUBLISHED = "published"  # as published
    FAILED = "failed"  # broken (its notes or recording); not published by this run
    REMOVED = "removed"  # taken out of the feed on purpose (draft: true, --remove)
    KEPT = "kept"  # published, but its notes are missing or broken: kept as it was

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PublishOptions:
    """What the host asked of a publish on the command line (``castline publish``'s
    options): every stage that plans or builds reads the same value."""

    only: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    dry_run: bool = False
    prune: bool = False
    skip_broken: bool = False
    retag_all: bool = False
    remaster_all: bool = False
    notify: bool = True  # announce a changed feed (WebSub, podping); --no-notify skips it
