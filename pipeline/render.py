"""Built episodes -> every text object of the published tree.

The feed (through ``feeds``), the pages (through ``pages``), the JSON
chapters and the transcripts, each as bytes under its store key. Nothing
here reads the clock: the same inputs give the same bytes.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Iterator

import feeds
from feeds.model import (FeedCategory, FeedChannel, FeedChapter, FeedEnclosure, FeedItem, FeedLink, FeedPerson,
                         FeedSoundbite, FeedTranscript, FeedValueRecipient)

from . import pages
from .model import Chapter, Episode, MasteredAudio, Person, Settings
from .notes import plain_text, render_markdown
from .transcript import Cue

FEED_KEY = "feed.xml"


@dataclass(frozen=True)
class Built:
    """One episode ready to publish: its notes, its GUID and its media."""

    episode: Episode
    guid: str
    media: MasteredAudio
    media_key: str
    alternate_keys: tuple[str, ...]
    art_key: str | None  # the episode's own art, published; None: the show's
    chapters: tuple[Chapter, ...]  # on the published audio's timeline
    transcript: tuple[Cue, ...]
    transcript_key: str | None
    first_published: datetime | None = None


def page_key(ep: Episode) -> str:
    return f"episodes/{ep.slug}.html"


def chapters_key(ep: Episode) -> str:
    return f"episodes/{ep.slug}.chapters.json"


def notes_html(settings: Settings, built: list[Built]) -> dict[str, str]:
    """Each episode's notes as HTML, by GUID: rendered once, used by the
    feed (description, content:encoded), its checks and the pages."""
    return {b.guid: render_markdown(b.episode.body, allow_html=settings.show.allow_html) for b in built}


def iter_all(settings: Settings, built: list[Built], notes: dict[str, str], *, podcast_guid: str,
             show_art_key: str) -> Iterator[tuple[str, bytes]]:
    """(store key, bytes) of the feed, chapters files and pages, one at a time,
    so a show of thousands of episodes never holds all its pages at once.
    ``built`` in any order; ``notes`` from ``notes_html``."""
    base = settings.show.base_url
    newest_first = sorted(built, key=lambda b: (b.episode.date, b.episode.slug), reverse=True)
    for b in newest_first:
        if b.chapters:
            yield chapters_key(b.episode), feeds.chapters_json(
                [_chapter(c) for c in b.chapters], title=b.episode.title, podcast_name=settings.show.title,
                author=settings.show.author)
    channel = feed_channel(settings, podcast_guid, show_art_key)
    items = [feed_item(settings, b, notes[b.guid]) for b in newest_first]
    yield FEED_KEY, feeds.render_feed(channel, items)
    del items
    page_eps = [pages.PageEpisode(
        episode=replace(b.episode, chapters=b.chapters), url=base + page_key(b.episode), path=page_key(b.episode), audio_url=base + b.media_key,
        audio_mime=b.media.main.mime, audio_size=b.media.main.size, duration=b.media.duration,
        image_url=base + (b.art_key or show_art_key), chapters_url=base + chapters_key(b.episode) if b.chapters else None,
        transcript_url=base + b.transcript_key if b.transcript_key else None, transcript=b.transcript,
        notes_html=notes[b.guid]) for b in newest_first]
    yield from pages.iter_site(settings, page_eps, feed_url=settings.feed_url, show_image_url=base + show_art_key)


def feed_channel(settings: Settings, podcast_guid: str, show_art_key: str) -> FeedChannel:
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
        license=show.license, license_url=show.license_url, location=show.location, medium=show.medium,
        update_frequency=show.update_frequency, podroll=tuple(FeedLink(p.name, p.url) for p in show.podroll),
        value_recipients=tuple(FeedValueRecipient(n, a, s) for n, a, s in show.value_recipients),
        analytics_prefix=show.analytics_prefix, keywords=show.keywords,
    )


def feed_item(settings: Settings, b: Built, notes_html: str) -> FeedItem:
    ep, base = b.episode, settings.show.base_url
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
        enclosure=FeedEnclosure(base + b.media_key, b.media.main.size, b.media.main.mime, b.media.main.bitrate),
        duration=round(b.media.duration), description_html=html_notes, content_html=html_notes,
        summary_text=ep.summary or plain_text(ep.body, 3900), link=base + page_key(ep),
        image_url=base + b.art_key if b.art_key else None, explicit=ep.explicit, episode=ep.number, season=ep.season,
        episode_type=ep.type, persons=tuple(_person(p) for p in ep.guests), transcripts=transcripts,
        chapters_url=base + chapters_key(ep) if b.chapters else None,
        soundbites=tuple(FeedSoundbite(s.start, s.duration, s.title) for s in ep.soundbites),
        alternates=tuple(FeedEnclosure(base + k, a.size, a.mime, a.bitrate, a.format.upper())
                         for k, a in zip(b.alternate_keys, b.media.alternates)),
        social_interact_url=ep.discussion, location=ep.location, license=ep.license, keywords=ep.keywords,
    )


def _person(p: Person) -> FeedPerson:
    return FeedPerson(name=p.name, role=p.role, group=p.group, img=p.img, href=p.href)


def _chapter(c: Chapter) -> FeedChapter:
    return FeedChapter(start=c.start, title=c.title, url=c.url, img=c.img)

