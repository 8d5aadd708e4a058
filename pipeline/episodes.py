"""One episode, from its notes and recording to what it publishes.

Each due episode is matched to its GUID (``state``), planned (is its media
as published, or must it be mastered and tagged again?), and built: its
media from the cache or from ``audio.master`` (two at a time: ffmpeg is a
separate process), its art, its transcript and chapters moved onto the
published audio's timeline, and the record the published state keeps.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Callable, Protocol

from . import art, tags
from .build import (HashCache, MediaPlan, is_mastered, master_cached, media_plan, media_record, record_media,
                    tag_cached)
from .model import Chapter, Encoding, Episode, MasteredAudio, Settings
from .render import Built
from .state import EpisodeRecord
from .storage import Upload, headers_for, make_upload
from .transcript import Cue, read_transcript, transcript_bytes

ART_DIR = ".castline/cache/art"
MASTER_WORKERS = 2  # episodes mastered at once (each ffmpeg also uses a second core part of the time)


class Progress(Protocol):
    """How the CLI shows long work; the pipeline only calls these."""

    def step(self, label: str, total: float) -> Callable[[float], None]: ...


class Quiet:
    def step(self, label: str, total: float) -> Callable[[float], None]:
        return lambda amount: None


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


def tag_info(settings: Settings, ep: Episode, guid: str, duration: float, cover: tuple[bytes, str],
             offset: float = 0.0) -> tags.TagInfo:
    show = settings.show
    from .notes import plain_text

    return tags.TagInfo(
        title=ep.title, artist=", ".join(h.name for h in show.hosts) or show.author, album=show.title, date=ep.date,
        duration=duration, track=ep.number, season=ep.season, summary=ep.summary or plain_text(ep.body, 280),
        description=plain_text(ep.body), copyright=show.copyright,
        page_url=show.base_url + f"episodes/{ep.slug}.html", feed_url=settings.feed_url, guid=guid,
        cover=cover[0], cover_mime=cover[1], chapters=shift_chapters(ep.chapters, offset, duration),
        id3_version=settings.audio.id3_version,
        language=show.language)


class ArtCache:
    """Art is shared by many episodes (the show's cover): prepare it once."""

    def __init__(self, settings: Settings) -> None:
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


@dataclass(frozen=True)
class Job:
    """What one due episode needs: its media plan, its cover, and whether its
    media must be (re)made or the published file is reused."""

    plan: MediaPlan
    cover: tuple[bytes, str]
    needs_master: bool


def plan_episode(settings: Settings, m, podcast_guid: str, hashes: HashCache, arts: ArtCache,
                  reuse_only: bool) -> Job:
    ep, media = m.episode, (m.record.media if m.record else None)
    cover = arts.cover(ep.image or settings.show.image)
    duration_hint = media.get("duration", 0.0) if media else 0.0
    offset_hint = media.get("offset", 0.0) if media else 0.0
    plan = media_plan(settings, ep, tag_info(settings, ep, m.guid, duration_hint, cover, offset_hint), hashes)
    reuse = bool(media) and (m.record.fingerprint == plan.fingerprint or reuse_only)
    return Job(plan=plan, cover=cover, needs_master=not reuse)


class Masters:
    """Masters due episodes on a small thread pool while the main thread
    tags and collects them in order. ffmpeg runs as a subprocess, so two
    threads keep two cores busy; the result is the same as one at a time."""

    def __init__(self, settings: Settings, workers: int) -> None:
        self.settings, self.workers = settings, workers
        self.futures: dict[str, Future] = {}
        self.pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> "Masters":
        if self.workers > 1:
            self.pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="castline-master")
        return self

    def __exit__(self, *exc_info) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def start(self, ep: Episode, plan: MediaPlan) -> None:
        if self.pool is not None and plan.master_key not in self.futures and not is_mastered(self.settings, plan):
            self.futures[plan.master_key] = self.pool.submit(master_cached, self.settings, ep, plan)

    def get(self, ep: Episode, plan: MediaPlan, on_progress: Callable[[float], None]) -> MasteredAudio:
        future = self.futures.pop(plan.master_key, None)
        if future is not None:
            result = future.result()
            on_progress(1.0)
            return result
        return master_cached(self.settings, ep, plan, on_progress=on_progress)


PENDING = "pending"  # dry run: the sha256 of media not mastered yet


def build_episode(settings: Settings, m, job: Job, now: datetime, progress: Progress, *, masters: Masters,
                   dry_run: bool, arts: ArtCache, hashes: HashCache):
    """Master/tag (or reuse) one episode; return what it publishes."""
    ep, plan, cover = m.episode, job.plan, job.cover
    ep_art = arts.prepare(ep.image) if ep.image else None
    if not job.needs_master:
        media, key, alt_keys = record_media(m.record.media)
        how = "published"
        media_uploads: dict[str, Upload] = {}
    elif dry_run and not is_mastered(settings, plan):
        media, key, alt_keys, media_uploads = estimate(settings, ep)
        how = "changed" if m.record else "new"
    else:
        step = progress.step(f"Mastering {ep.slug}", 1.0)
        done = [0.0]

        def advance(fraction: float) -> None:
            step(max(0.0, fraction - done[0]))
            done[0] = max(done[0], fraction)

        mastered = masters.get(ep, plan, advance)
        info = tag_info(settings, ep, m.guid, mastered.duration, cover, mastered.offset)
        plan = media_plan(settings, ep, info, hashes)
        media = tag_cached(settings, plan, mastered, info)
        advance(1.0)
        key = f"media/{ep.slug}-{media.main.sha256[:10]}.{media.main.path.suffix.lstrip('.')}"
        alt_keys = [f"media/{ep.slug}-{a.sha256[:10]}.{a.path.suffix.lstrip('.')}" for a in media.alternates]
        media_uploads = {key: make_upload(key, media.main.path, media.main.sha256)}
        for k, a in zip(alt_keys, media.alternates):
            media_uploads[k] = make_upload(k, a.path, a.sha256)
        how = "changed" if m.record else "new"
    uploads: dict[str, Upload] = dict(media_uploads)
    if ep_art:
        uploads[f"art/{ep_art.name}"] = make_upload(f"art/{ep_art.name}", ep_art.path, ep_art.sha256)
    cues: tuple[Cue, ...] = shift_cues(read_transcript(ep.transcript), media.offset) if ep.transcript else ()
    transcript_key = None
    if ep.transcript:
        fmt = ep.transcript.suffix.lower().lstrip(".")
        transcript_key = f"episodes/{ep.slug}.{fmt}"
        uploads[transcript_key] = make_upload(transcript_key, transcript_bytes(cues, fmt))
    first = m.record.first_published if m.record else now.isoformat(timespec="seconds")
    record = EpisodeRecord(guid=m.guid, slug=ep.slug, first_published=first, number=ep.number, season=ep.season,
                           source_sha256=plan.source_sha256, fingerprint=plan.fingerprint,
                           media=media_record(media, key, alt_keys))
    b = Built(episode=ep, guid=m.guid, media=media, media_key=key, alternate_keys=tuple(alt_keys),
              art_key=f"art/{ep_art.name}" if ep_art else None,
              chapters=shift_chapters(ep.chapters, media.offset, media.duration), transcript=cues,
              transcript_key=transcript_key)
    return b, record, uploads, how


def estimate(settings: Settings, ep: Episode):
    """A dry run does not master: the media of a new or changed episode is
    shown with its size estimated from the recording's length and the
    bitrate (the real file differs by the trim and the tags)."""
    from .audio import probe
    from .ffmpeg import find_ffmpeg

    a = settings.audio
    media = estimated_media(settings, ep, probe(ep.audio_path, find_ffmpeg(a.ffmpeg)).duration)
    key = f"media/{ep.slug}-{PENDING}.{a.format}"
    alt_keys = [f"media/{ep.slug}-{PENDING}.{f}" for f in a.alternates]
    uploads = {}
    for k, enc in zip([key, *alt_keys], (media.main, *media.alternates)):
        content_type, cache_control = headers_for(k)
        uploads[k] = Upload(key=k, source=ep.audio_path, sha256=PENDING, size=enc.size, content_type=content_type,
                            cache_control=cache_control)
    return media, key, alt_keys, uploads




def estimated_media(settings: Settings, ep: Episode, duration: float) -> MasteredAudio:
    """Media not mastered yet, as the feed and a dry run see it: each
    encoding's size from the recording's length and the bitrate."""
    a = settings.audio

    def encoding(fmt: str) -> Encoding:
        size = max(1, round(duration * a.bitrate * 1000 / 8))
        return Encoding(path=ep.audio_path, format=fmt, mime=headers_for(f"x.{fmt}")[0], size=size, sha256=PENDING,
                        bitrate=a.bitrate)

    return MasteredAudio(main=encoding(a.format), duration=duration, channels=1, sample_rate=a.sample_rate,
                         alternates=tuple(encoding(f) for f in a.alternates))
