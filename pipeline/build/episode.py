"""One episode, from its notes and recording to what it publishes.

Each due episode is matched to its GUID (``state``), planned (is its media
as published, or must it be mastered and tagged again?), and built: its
media from the cache or from ``audio.master`` (two at a time: ffmpeg is a
separate process), its art, its transcript and chapters moved onto the
published audio's timeline, and the record the published state keeps.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Callable

from pipeline.audio import probe
from pipeline.errors import NotesError
from pipeline.ingest import Cue, Markdown, read_transcript, transcript_bytes
from pipeline.model import BuildSettings, Chapter, Encoding, Episode, MasteredAudio
from pipeline.progress import Progress, Quiet
from pipeline.store import EpisodeRecord, Store, Upload, chapters_key, headers_for, make_upload, page_key
from pipeline.tags import TagInfo
from pipeline.text import clock
from pipeline.tools import images as art
from pipeline.tools.ffmpeg import Children, find_ffmpeg

from .media import (
    HashCache,
    MediaPlan,
    cached_master,
    is_mastered,
    master_cached,
    media_plan,
    media_record,
    published_master,
    record_media,
    tag_cached,
)
from .plan import PlannedEpisode, Work

ART_DIR = ".castline/cache/art"
MASTER_WORKERS = 2  # episodes mastered at once (each ffmpeg also uses a second core part of the time)


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


def shift_chapters(chapters: tuple[Chapter, ...], offset: float, duration: float) -> tuple[Chapter, ...]:
    """Chapter times are written against the recording; the published audio
    has the intro before it and the silence trimmed. Move them by ``offset``
    (the first chapter stays at 0:00) and drop any that fall off the end."""
    out: list[Chapter] = []
    for i, c in enumerate(chapters):
        start = 0.0 if i == 0 and c.start <= 0.5 else max(0.0, round(c.start + offset, 3))
        if (out and start <= out[-1].start) or (duration and start >= duration):
            continue
        out.append(replace(c, start=start))
    return tuple(out)


def shift_cues(cues: tuple[Cue, ...], offset: float) -> tuple[Cue, ...]:
    return tuple(replace(c, start=max(0.0, round(c.start + offset, 3)), end=round(c.end + offset, 3))
                 for c in cues if c.end + offset > 0)


def tag_info(settings: BuildSettings, ep: Episode, guid: str, mastered: MasteredAudio, cover: tuple[bytes, str],
             markdown: Markdown) -> TagInfo:
    """What the episode file says about itself: its notes, the show, its
    chapters on the mastered audio's timeline, the cover (``cover``: bytes
    and MIME type)."""
    show, duration, offset = settings.show, mastered.duration, mastered.offset
    return TagInfo(
        title=ep.title, artist=", ".join(h.name for h in show.hosts) or show.author, album=show.title, date=ep.date,
        duration=duration, track=ep.number, season=ep.season, summary=ep.summary or markdown.text(ep.body, 280),
        description=markdown.text(ep.body), copyright=show.copyright,
        page_url=show.base_url + f"episodes/{ep.slug}.html", feed_url=settings.feed_url, guid=guid,
        cover=cover[0], cover_mime=cover[1], chapters=shift_chapters(ep.chapters, offset, duration),
        id3_version=settings.audio.id3_version,
        language=show.language)


class ArtCache:
    """Art is shared by many episodes (the show's cover): prepare it once."""

    def __init__(self, settings: BuildSettings) -> None:
        self.out = settings.root / ART_DIR
        self.covers: dict[Path, tuple[bytes, str]] = {}
        self.prepared: dict[Path, art.PreparedArt] = {}

    def cover(self, path: Path) -> tuple[bytes, str]:
        if path not in self.covers:
            self.covers[path] = art.tag_cover(path)
        return self.covers[path]

    def prepare(self, path: Path) -> art.PreparedArt:
        if path not in self.prepared:
            self.prepared[path] = art.prepare_art(path, self.out)
        return self.prepared[path]


class Masters:
    """Masters due episodes on a small thread pool while the main thread
    tags and collects them in order. ffmpeg runs as a subprocess, so two
    threads keep two cores busy; the result is the same as one at a time.
    Every ffmpeg they start is entered in ``children``, so leaving by Ctrl-C
    or a failure stops the renders under way at once."""

    def __init__(self, settings: BuildSettings, workers: int, progress: Progress | None = None) -> None:
        self.settings, self.workers, self.progress = settings, workers, progress or Quiet()
        self.futures: dict[str, Future] = {}
        self.pool: ThreadPoolExecutor | None = None
        self.bars: dict[str, Callable[[float], None]] = {}
        self.children = Children()

    def __enter__(self) -> "Masters":
        if self.workers > 1:
            self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="castline-master")
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        if self.pool is not None:
            if exc_type is not None:  # Ctrl-C or a failure: stop the renders now instead of waiting for them
                self.children.stop_all()
            self.pool.shutdown(wait=True, cancel_futures=True)

    def bar(self, ep: Episode) -> Callable[[float], None]:
        """The episode's progress bar: takes the fraction done (from any thread)."""
        if ep.slug not in self.bars:
            step = self.progress.step(f"Mastering {ep.slug}", 1.0)
            done = [0.0]

            def advance(fraction: float) -> None:
                step(max(0.0, fraction - done[0]))
                done[0] = max(done[0], fraction)

            self.bars[ep.slug] = advance
        return self.bars[ep.slug]

    def start(self, ep: Episode, plan: MediaPlan) -> None:
        if self.pool is not None and plan.master_key not in self.futures and not is_mastered(self.settings, plan):
            self.futures[plan.master_key] = self.pool.submit(master_cached, self.settings, ep, plan,
                                                             on_progress=self.bar(ep), children=self.children)

    def get(self, ep: Episode, plan: MediaPlan) -> MasteredAudio:
        future = self.futures.pop(plan.master_key, None)
        result = future.result() if future is not None else master_cached(self.settings, ep, plan,
                                                                          on_progress=self.bar(ep),
                                                                          children=self.children)
        self.bar(ep)(1.0)
        return result


@dataclass(frozen=True)
class BuiltEpisode:
    """One due episode, built: what the feed and pages need (``built``),
    the record the published state keeps, and the objects it uploads."""

    built: Built
    record: EpisodeRecord
    uploads: tuple[Upload, ...]
    estimated: bool = False  # dry run: media sizes estimated, not mastered yet


@dataclass(frozen=True)
class Workshop:
    """What every due episode of one publish is built with: the renders
    under way (``Masters``), the prepared art, the recordings' hashes and the
    store (a retag may read the published file back), and the Markdown
    renderer the run shares. ``dry_run``: nothing is mastered, sizes are
    estimated."""

    masters: Masters
    arts: ArtCache
    hashes: HashCache
    store: Store
    markdown: Markdown
    dry_run: bool = False


def build_episode(settings: BuildSettings, p: PlannedEpisode, now: datetime, shop: Workshop) -> BuiltEpisode:
    """Master/tag (or reuse) one episode's media; its art, chapters and
    transcript on the published audio's timeline; its state record."""
    ep, record = p.episode, p.record
    estimated = False
    media_uploads: list[Upload] = []
    if p.work is Work.REUSE:
        media, key, alt_keys = record_media(record.media)
        prints = (record.own or p.prints.own, record.shared or p.prints.shared, record.master_key or p.prints.master_key,
                  record.fingerprint)
    elif shop.dry_run and (p.work is Work.RETAG or not is_mastered(settings, master_plan(p))):
        media, key, alt_keys = _estimate(settings, p)
        estimated = True
        media_uploads = [Upload(key=k, source=e.path, sha256="", size=e.size, content_type=e.mime,
                                cache_control=headers_for(k)[1])
                         for k, e in zip([key, *alt_keys], (media.main, *media.alternates))]
        prints = (p.prints.own, p.prints.shared, p.prints.master_key, None)
    else:
        mastered = _master(settings, p, shop.masters, shop.store)
        _check_chapters(ep, mastered)
        info = tag_info(settings, ep, p.guid, mastered, shop.arts.cover(ep.image or settings.show.image),
                        shop.markdown)
        plan = media_plan(settings, ep, info, shop.hashes)
        master_key = record.master_key if p.work is Work.RETAG else plan.master_key
        if master_key != plan.master_key:
            fingerprint = hashlib.sha256(f"{master_key}\n{plan.fingerprint}".encode()).hexdigest()
            plan = MediaPlan(fingerprint=fingerprint, master_key=master_key, source_sha256=plan.source_sha256)
        media = tag_cached(settings, plan, mastered, info)
        key = _media_key(ep, media.main)
        alt_keys = [_media_key(ep, a) for a in media.alternates]
        media_uploads = [make_upload(k, e.path, e.sha256) for k, e in zip([key, *alt_keys], (media.main, *media.alternates))]
        prints = (p.prints.own, p.prints.shared, master_key, plan.fingerprint)
    uploads = list(media_uploads)
    ep_art = shop.arts.prepare(ep.image) if ep.image else None
    if ep_art:
        uploads.append(make_upload(f"art/{ep_art.name}", ep_art.path, ep_art.sha256))
    cues: tuple[Cue, ...] = shift_cues(read_transcript(ep.transcript), media.offset) if ep.transcript else ()
    transcript_key = None
    if ep.transcript:
        fmt = ep.transcript.suffix.lower().lstrip(".")
        transcript_key = f"episodes/{ep.slug}.{fmt}"
        uploads.append(make_upload(transcript_key, transcript_bytes(cues, fmt)))
    chapters = shift_chapters(ep.chapters, media.offset, media.duration)
    b = Built(episode=ep, guid=p.guid, media=media, media_key=key, alternate_keys=tuple(alt_keys),
              art_key=f"art/{ep_art.name}" if ep_art else None, chapters=chapters, transcript=cues,
              transcript_key=transcript_key)
    keys = [key, *alt_keys, *(u.key for u in uploads), page_key(ep)] + ([chapters_key(ep)] if chapters else [])
    own, shared, master_key, fingerprint = prints
    first = record.first_published if record and not record.removed else now.isoformat(timespec="seconds")
    new_record = EpisodeRecord(guid=p.guid, slug=ep.slug, first_published=first, number=ep.number, season=ep.season,
                               source_sha256=p.prints.source_sha256 if p.work is not Work.REUSE else record.source_sha256,
                               fingerprint=fingerprint, media=media_record(media, key, alt_keys), own=own,
                               shared=shared, master_key=master_key, keys=tuple(dict.fromkeys(keys)))
    return BuiltEpisode(b, new_record, tuple(uploads), estimated)


def _media_key(ep: Episode, enc: Encoding) -> str:
    """Media keys carry the file's hash: a changed file gets a new URL, so a
    CDN may cache every media key for a year."""
    return f"media/{ep.slug}-{enc.sha256[:10]}.{enc.path.suffix.lstrip('.')}"


def master_plan(p: PlannedEpisode) -> MediaPlan:
    """What mastering needs of a planned episode (its master's cache key)."""
    return MediaPlan(fingerprint="", master_key=p.prints.master_key, source_sha256=p.prints.source_sha256)


def _master(settings: BuildSettings, p: PlannedEpisode, masters: Masters, store: Store) -> MasteredAudio:
    """The master to tag: made (or taken from the cache) with the current
    settings; for a retag, the one the episode was published with (from
    the cache, else the published file itself: re-tagging replaces every
    tag, so the result is the same as tagging the untagged master)."""
    ep = p.episode
    if p.work is Work.RETAG:
        cached = cached_master(settings, p.record.master_key)
        if cached is not None:
            return cached
        return published_master(settings, p.record, store)
    return masters.get(ep, master_plan(p))


def _check_chapters(ep: Episode, mastered: MasteredAudio) -> None:
    """A chapter that starts after the end of the published audio would be
    dropped from the file, the feed and the page without a word."""
    for i, c in enumerate(ep.chapters, 1):
        if c.start + mastered.offset >= mastered.duration:
            raise NotesError(
                f"chapter {i} ({c.title!r}) starts at {clock(c.start)}, after the end of the recording "
                f"({clock(mastered.duration - mastered.offset)})", path=ep.notes_path, field="chapters",
                fix="correct its start time (times are on the recording's own timeline) or remove it")


def _estimate(settings: BuildSettings, p: PlannedEpisode) -> tuple[MasteredAudio, str, list[str]]:
    """A dry run does not master: the media of a new or changed episode is
    shown with its size estimated from the recording's length and the
    bitrate (the real file differs by the trim and the tags)."""
    if p.work is Work.RETAG:
        return record_media(p.record.media)
    ep, a = p.episode, settings.audio
    media = estimated_media(settings, ep, probe(ep.audio_path, find_ffmpeg(a.ffmpeg)).duration)
    return media, f"media/{ep.slug}-pending.{a.format}", [f"media/{ep.slug}-pending.{f}" for f in a.alternates]


def estimated_media(settings: BuildSettings, ep: Episode, duration: float) -> MasteredAudio:
    """Media not mastered yet, as the feed and a dry run see it: each
    encoding's size from the recording's length and the bitrate."""
    a = settings.audio

    def encoding(fmt: str) -> Encoding:
        size = max(1, round(duration * a.bitrate * 1000 / 8))
        return Encoding(path=ep.audio_path, format=fmt, mime=headers_for(f"x.{fmt}")[0], size=size, sha256="",
                        bitrate=a.bitrate)

    return MasteredAudio(main=encoding(a.format), duration=duration, channels=1, sample_rate=a.sample_rate,
                         alternates=tuple(encoding(f) for f in a.alternates))
