"""Built episodes -> every text object of the published tree.

The feed (through ``feeds``), the pages (through ``pages``), the JSON
chapters and the transcripts, each as bytes under its store key. Nothing
here reads the clock: the same inputs give the same bytes.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Iterator

import feeds
from feeds.model import (
    FeedBlock,
    FeedCategory,
    FeedChannel,
    FeedChapter,
    FeedChat,
    FeedEnclosure,
    FeedImage,
    FeedItem,
    FeedLink,
    FeedLiveItem,
    FeedLocation,
    FeedPerson,
    FeedRemoteItem,
    FeedSoundbite,
    FeedTranscript,
    FeedValueRecipient,
    FeedValueTimeSplit,
)
from pipeline.build import Built
from pipeline.ingest import Markdown
from pipeline.model import Chapter, Chat, LiveEvent, Person, RemoteItem, SiteSettings, ValueRecipient, ValueSplit
from pipeline.store import FEED_KEY, archive_key, chapters_key, page_key  # noqa: F401  (here too: tests and callers know them as render's)
from pipeline.tools import images as art

from . import pages

ART_SET_DIR = ".castline/cache/art-set"  # the generated sizes of show and episode art (art.art_set)


def notes_html(settings: SiteSettings, built: Sequence[Built], markdown: Markdown) -> dict[str, str]:
    """Each episode's notes as HTML, by GUID: rendered once, used by the
    feed (description, content:encoded), its checks and the pages."""
    return {b.guid: markdown.html(b.episode.body, allow_html=settings.show.allow_html) for b in built}


@dataclass(frozen=True)
class FeedParts:
    """The feed as values, made once: the publish checks Apple's rules on
    them and ``iter_all`` writes them. ``show_set`` and ``episode_sets``
    are the art sizes (``art.art_set``), the latter by GUID."""

    channel: FeedChannel
    items: tuple[feeds.FeedItem, ...]
    show_set: tuple
    episode_sets: dict


@dataclass(frozen=True)
class TreeInputs:
    """What the text tree is rendered from, besides the site settings: the
    built episodes (any order), their notes as HTML by GUID (``notes_html``),
    the show's podcast:guid, the store key of the show art, the live items
    and the moment their status is judged at (passed in: nothing here reads
    the clock; without ``now`` no live item is written), and the Markdown
    renderer the run shares (its memo keeps what was rendered before)."""

    built: tuple[Built, ...]
    notes: dict[str, str]
    podcast_guid: str
    show_art_key: str
    live: tuple[LiveEvent, ...] = ()
    now: datetime | None = None
    markdown: Markdown = field(default_factory=Markdown)


def feed_parts(settings: SiteSettings, tree: TreeInputs) -> FeedParts:
    """The channel and its items (newest first) with their art sets."""
    show = settings.show
    newest_first = _newest_first(tree.built)
    show_set, episode_sets = _art_sets(settings, newest_first)
    live = live_items(settings, tree.podcast_guid, tree.live, tree.now, tree.markdown) if tree.now is not None else ()
    channel = feed_channel(settings, tree.podcast_guid, tree.show_art_key,
                           images=feed_images(settings, show_set, show.image_alt or f"{show.title} cover art"),
                           live_items=live)
    items = tuple(feed_item(settings, b, tree.notes[b.guid], markdown=tree.markdown, images=feed_images(
        settings, episode_sets.get(b.guid, ()), b.episode.image_alt or f"Artwork for {b.episode.title}"))
        for b in newest_first)
    return FeedParts(channel, items, show_set, episode_sets)


def _art_sets(settings: SiteSettings, built: list[Built]) -> tuple[tuple, dict]:
    """The sizes of the show's art, and of each episode's own art by GUID."""
    show_set = art.art_set(settings.show.image, settings.root / ART_SET_DIR)
    return tuple(show_set), {b.guid: art.art_set(b.episode.image, settings.root / ART_SET_DIR)
                             for b in built if b.art_key and b.episode.image}


def _newest_first(built: list[Built]) -> list[Built]:
    return sorted(built, key=lambda b: (b.episode.date, b.episode.slug), reverse=True)


def iter_all(settings: SiteSettings, tree: TreeInputs, *, parts: FeedParts | None = None, feed: bool = True,
             site: bool = True) -> Iterator[tuple[str, bytes]]:
    """(store key, bytes) of the feed, chapters files and pages, one at a time,
    so a show of thousands of episodes never holds all its pages at once.
    ``parts`` from ``feed_parts`` if already made. Also the smaller sizes and social cards
    of the show and episode art (``art/``), the feed's archive pages when
    ``[show] feed_limit`` is set, and the live items. ``feed`` (the feed, its archives,
    chapters and art sizes) and ``site`` (the pages) say which to write."""
    base, notes, show_art_key = settings.show.base_url, tree.notes, tree.show_art_key
    newest_first = _newest_first(tree.built)
    if feed:
        parts = parts or feed_parts(settings, tree)
        yield from _iter_feed(settings, newest_first, parts)
    if not site:
        return
    show_set, episode_sets = (parts.show_set, parts.episode_sets) if parts else _art_sets(settings, newest_first)
    del parts
    page_eps = [pages.PageEpisode(
        episode=replace(b.episode, chapters=b.chapters), url=base + page_key(b.episode), path=page_key(b.episode), audio_url=base + b.media_key,
        audio_mime=b.media.main.mime, audio_size=b.media.main.size, duration=b.media.duration,
        image_url=base + (b.art_key or show_art_key), chapters_url=base + chapters_key(b.episode) if b.chapters else None,
        transcript_url=base + b.transcript_key if b.transcript_key else None, transcript=b.transcript,
        notes_html=notes[b.guid], social_image_url=_social_url(settings, episode_sets.get(b.guid, show_set)))
        for b in newest_first]
    yield from pages.iter_site(settings, page_eps, feed_url=settings.feed_url, show_image_url=base + show_art_key,
                               markdown=tree.markdown,
                               show_social_url=_social_url(settings, show_set))


def _iter_feed(settings: SiteSettings, newest_first: list[Built], parts: FeedParts) -> Iterator[tuple[str, bytes]]:
    base, show = settings.show.base_url, settings.show
    for b in newest_first:
        if b.chapters:
            yield chapters_key(b.episode), feeds.chapters_json(
                [_chapter(c) for c in b.chapters], title=b.episode.title, podcast_name=show.title, author=show.author)
    sent: set[str] = set()
    for images in (parts.show_set, *parts.episode_sets.values()):
        for image in images:
            if not image.original and image.name not in sent:
                sent.add(image.name)
                yield f"art/{image.name}", image.path.read_bytes()
    if show.feed_limit:
        for n, xml in feeds.render_paged(parts.channel, list(parts.items), limit=show.feed_limit,
                                         archive_url=lambda n: base + archive_key(n)):
            yield (FEED_KEY if n == 0 else archive_key(n)), xml
    else:
        yield FEED_KEY, feeds.render_feed(parts.channel, list(parts.items))


def feed_images(settings: SiteSettings, images: Sequence[art.ArtImage], alt: str) -> tuple[FeedImage, ...]:
    """An art set as ``podcast:image`` tags, each with its size and purpose."""
    return tuple(FeedImage(settings.show.base_url + f"art/{i.name}", alt=alt, aspect_ratio=i.aspect_ratio,
                           width=i.width, height=i.height, type=i.mime, purpose=i.purpose) for i in images)


def _social_url(settings: SiteSettings, images: Sequence[art.ArtImage]) -> str | None:
    return next((settings.show.base_url + f"art/{i.name}" for i in images if i.purpose == "social"), None)


def live_guid(podcast_guid: str, slug: str) -> str:
    """The GUID of a live item: stable for the life of the event."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"castline-live:{podcast_guid}:{slug}"))


def live_items(settings: SiteSettings, podcast_guid: str, live: Sequence[LiveEvent], now: datetime,
               markdown: Markdown | None = None) -> tuple[FeedLiveItem, ...]:
    """``podcast:liveItem`` for each live event, its status (pending, live,
    ended) computed at ``now``: a publish after the start flips it to live,
    one after the end to ended. Its recording, once in ``episodes/``, makes
    it an ordinary episode and the live item goes."""
    show, out, markdown = settings.show, [], markdown or Markdown()
    for event in (e for e in live if not e.draft):
        stream = event.live
        page = stream.page or show.link or show.base_url
        out.append(FeedLiveItem(
            guid=live_guid(podcast_guid, event.slug), title=event.title,
            status=feeds.live_status(stream.start, stream.end, now), start=stream.start, end=stream.end,
            stream=FeedEnclosure(stream.url, 1, stream.type),
            content_links=(FeedLink("Listen live in your browser", page),),
            description_html=markdown.html(event.body, allow_html=show.allow_html) if event.body.strip()
            else html.escape(event.summary or "", quote=False),
            link=page, chat=_chat(event.chat) if event.chat else None,
            persons=tuple(_person(p) for p in event.guests)))
    return tuple(out)


def live_statuses(settings: SiteSettings, podcast_guid: str, live: Sequence[LiveEvent], now: datetime,
                  markdown: Markdown | None = None) -> dict[str, str]:
    """Each live item's GUID and status at ``now``: what ``notify`` compares
    with the last publish to send podping's ``live`` and ``liveEnd``."""
    return {item.guid: item.status for item in live_items(settings, podcast_guid, live, now, markdown)}


def feed_channel(settings: SiteSettings, podcast_guid: str, show_art_key: str, *, images: tuple[FeedImage, ...] = (),
                 live_items: tuple[FeedLiveItem, ...] = ()) -> FeedChannel:
    """The channel: the show's tags, its art sizes and its live items (from
    ``live_items``, their status at the publish's moment)."""
    show = settings.show
    paragraphs = [p.strip() for p in show.description.split("\n\n") if p.strip()]
    return FeedChannel(
        title=show.title, link=show.link or show.base_url, feed_url=settings.feed_url,
        description_html="".join(f"<p>{html.escape(' '.join(p.split()), quote=False)}</p>" for p in paragraphs),
        language=show.language, author=show.author, image_url=show.base_url + show_art_key,
        categories=tuple(FeedCategory(c.name, c.sub) for c in show.categories),
        owner_name=show.owner_name or show.author, owner_email=show.email, explicit=show.explicit, type=show.type,
        copyright=show.copyright, podcast_guid=podcast_guid, locked=show.locked, new_feed_url=show.new_feed_url,
        block=show.block, complete=show.complete, apple_verify=show.apple_verify,
        persons=tuple(_person(p) for p in show.hosts), funding=tuple(FeedLink(f.name, f.url) for f in show.funding),
        license=show.license, license_url=show.license_url, medium=show.medium,
        location=None if show.location_rel or show.location_country else show.location,
        update_frequency=show.update_frequency, podroll=tuple(FeedLink(p.name, p.url) for p in show.podroll),
        value_recipients=tuple(_recipient(r) for r in show.value_recipients),
        analytics_prefix=show.analytics_prefix, keywords=show.keywords,
        images=images, locations=_locations(show.location, show.location_rel, show.location_country),
        platform_blocks=tuple(FeedBlock(s) for s in show.block_platforms) + tuple(
            FeedBlock(s, False) for s in show.allow_platforms),
        chat=_chat(show.chat) if show.chat else None,
        remote_items=tuple(_remote(r) for r in show.remote_items),
        publisher=_remote(show.publisher) if show.publisher else None,
        live_items=live_items,
        ai_content=show.ai_content, hubs=settings.notify.websub_hubs, podping=settings.notify.podping,
    )


def feed_item(settings: SiteSettings, b: Built, notes_html: str, *, markdown: Markdown | None = None,
              images: tuple[FeedImage, ...] = ()) -> FeedItem:
    ep, base, markdown = b.episode, settings.show.base_url, markdown or Markdown()
    stamps = feeds.chapters_text([_chapter(c) for c in b.chapters])
    html_notes = notes_html
    if stamps:
        lines = "<br>".join(html.escape(line, quote=False) for line in stamps.splitlines())
        html_notes += f"<p>Chapters:<br>{lines}</p>"
    transcripts = ()
    if b.transcript_key:
        vtt = b.transcript_key.endswith(".vtt")
        transcripts = (FeedTranscript(url=base + b.transcript_key, type="text/vtt" if vtt else "application/x-subrip",
                                      language=settings.show.language, rel="captions"),)
    return FeedItem(
        guid=b.guid, title=ep.title, pub_date=ep.date,
        enclosure=FeedEnclosure(base + b.media_key, b.media.main.size, b.media.main.mime, b.media.main.bitrate,
                                integrity=_integrity(b.media.main.sha384)),
        duration=round(b.media.duration), description_html=html_notes, content_html=html_notes,
        summary_text=ep.summary or markdown.text(ep.body, 3900), link=base + page_key(ep),
        image_url=base + b.art_key if b.art_key else None, explicit=ep.explicit, episode=ep.number, season=ep.season,
        episode_type=ep.type, persons=tuple(_person(p) for p in ep.guests), transcripts=transcripts,
        chapters_url=base + chapters_key(ep) if b.chapters else None,
        soundbites=tuple(FeedSoundbite(s.start, s.duration, s.title) for s in ep.soundbites),
        alternates=tuple(FeedEnclosure(base + k, a.size, a.mime, a.bitrate, a.format.upper(), _integrity(a.sha384))
                         for k, a in zip(b.alternate_keys, b.media.alternates)),
        social_interact_url=ep.discussion, license=ep.license, keywords=ep.keywords,
        location=None if ep.location_rel or ep.location_country else ep.location,
        locations=_locations(ep.location, ep.location_rel, ep.location_country),
        images=images, chat=_chat(ep.chat) if ep.chat else None, ai_content=ep.ai_content,
        content_links=tuple(FeedLink(link.name, link.url) for link in ep.content_links),
        value_time_splits=tuple(_split(split) for split in ep.value_splits),
    )


def _integrity(sha384: str | None) -> str | None:
    return feeds.sri(sha384) if sha384 else None


def _locations(name: str | None, rel: str | None, country: str | None) -> tuple[FeedLocation, ...]:
    return (FeedLocation(name, rel=rel, country=country),) if name and (rel or country) else ()


def _chat(c: Chat) -> FeedChat:
    return FeedChat(c.server, c.protocol, c.account_id, c.space)


def _remote(r: RemoteItem) -> FeedRemoteItem:
    return FeedRemoteItem(r.feed_guid or feeds.podcast_guid(r.feed_url or ""), r.feed_url, r.item_guid, r.medium,
                          r.title)


def _recipient(r: ValueRecipient) -> FeedValueRecipient:
    return FeedValueRecipient(r.name, r.address, r.split, type=r.type, fee=r.fee)


def _split(s: ValueSplit) -> FeedValueTimeSplit:
    return FeedValueTimeSplit(s.start, s.duration, tuple(_recipient(r) for r in s.recipients),
                              _remote(s.remote) if s.remote else None, s.remote_start, s.remote_percentage)


def _person(p: Person) -> FeedPerson:
    return FeedPerson(name=p.name, role=p.role, group=p.group, img=p.img, href=p.href)


def _chapter(c: Chapter) -> FeedChapter:
    return FeedChapter(start=c.start, title=c.title, url=c.url, img=c.img)

