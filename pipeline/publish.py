"""The orchestration: plan the publish, then carry it out in a safe order.

Read it as a recipe::

    episodes   = ingest(show folder)               every problem found at once
    state      = the store's published state       GUIDs, hashes, media
    plan       = due episodes, each matched to its GUID and classified
    built      = master + tag what changed          (cache: nothing twice)
    objects    = feed, pages, chapters, transcripts, art, media
    upload     media and art (verified) -> pages and sidecars -> feed -> state

The feed is replaced only after everything it points at is in the store and
verified, and the state only after the feed: a failure at any step leaves
the previously published show as it was, and the next run finishes the work.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

import feeds

from . import art, tags
from .build import HashCache, master_cached, media_plan, tag_cached, media_record, record_media
from .errors import AudioError, CastlineError, FeedError, StateError
from .ingest import ingest
from .model import Chapter, Episode, Settings
from .render import FEED_KEY, Built, render_all, transcript_bytes
from .state import LOCK_KEY, STATE_KEY, EpisodeRecord, State, dump_state, match_episodes, parse_state, with_published
from .storage import Store, Upload, make_upload, open_store
from .transcript import Cue, read_transcript

ART_DIR = ".castline/cache/art"


class Progress(Protocol):
    """How the CLI shows long work; the pipeline only calls these."""

    def step(self, label: str, total: float) -> Callable[[float], None]: ...
    def note(self, message: str) -> None: ...


class _Quiet:
    def step(self, label: str, total: float) -> Callable[[float], None]:
        return lambda amount: None

    def note(self, message: str) -> None:
        pass


@dataclass(frozen=True)
class EpisodeStatus:
    slug: str
    title: str
    number: int | None
    season: int | None
    date: datetime
    state: str  # draft, scheduled, new, changed, published, failed
    guid: str | None = None
    duration: float | None = None
    url: str | None = None
    loudness_in: float | None = None
    loudness_out: float | None = None
    true_peak_out: float | None = None


@dataclass(frozen=True)
class Report:
    """What a publish did, or (dry run) would do."""

    store: str
    feed_url: str
    site_url: str
    episodes: tuple[EpisodeStatus, ...]
    uploads: tuple[tuple[str, int], ...]  # (key, bytes) uploaded or to upload
    unchanged: int
    deletes: tuple[str, ...]
    problems: tuple[CastlineError, ...]
    warnings: tuple[str, ...]
    dry_run: bool
    local_dir: Path | None = None  # the folder of a local store

    @property
    def upload_bytes(self) -> int:
        return sum(size for _, size in self.uploads)


def publish(settings: Settings, *, only: tuple[str, ...] = (), dry_run: bool = False, prune: bool = False,
            now: datetime | None = None, progress: Progress | None = None, store: Store | None = None) -> Report:
    """Publish the show: the recipe in the module docstring."""
    progress = progress or _Quiet()
    now = now or datetime.now(timezone.utc)
    found = ingest(settings)
    arts = _ArtCache(settings)
    show_art = arts.prepare(settings.show.image)
    store = store or open_store(settings.storage, settings.root)
    store.check()
    data, etag = store.read_state(STATE_KEY)
    state = parse_state(data, etag, f"{store.name}{STATE_KEY}")
    podcast_guid = state.podcast_guid or settings.show.podcast_guid or feeds.podcast_guid(settings.feed_url)

    problems: list[CastlineError] = list(found.problems)
    statuses: list[EpisodeStatus] = []
    due: list[Episode] = []
    for ep in found.episodes:
        held = "draft" if ep.draft else "scheduled" if ep.date > now else None
        if held:
            statuses.append(_status(ep, held))
        elif only and ep.slug not in only and not _published(state, ep):
            statuses.append(_status(ep, "skipped"))
        else:
            due.append(ep)

    hashes = HashCache(settings.root)
    matches, guid_problems = match_episodes(due, state, podcast_guid,
                                            {ep.slug: hashes.sha256(ep.audio_path) for ep in due})
    if guid_problems:
        raise guid_problems[0]
    built: list[Built] = []
    records: list[EpisodeRecord] = []
    objects: dict[str, Upload] = {}
    for m in matches:
        ep = m.episode
        try:
            b, record, episode_objects, how = _build_episode(settings, m, podcast_guid, hashes, now, progress,
                                                             reuse_only=bool(only) and ep.slug not in only, arts=arts)
        except CastlineError as exc:
            if m.record is not None:
                raise  # a published episode broke: change nothing at all
            problems.append(exc)
            statuses.append(_status(ep, "failed"))
            continue
        built.append(b)
        records.append(record)
        objects.update(episode_objects)
        url = settings.show.base_url + f"episodes/{ep.slug}.html"
        statuses.append(_status(ep, how, m.guid, b, url))
    hashes.save()

    objects[f"art/{show_art.name}"] = make_upload(f"art/{show_art.name}", show_art.path, show_art.sha256)
    texts = render_all(settings, built, podcast_guid=podcast_guid, show_art_key=f"art/{show_art.name}")
    for key, data_ in texts.items():
        objects[key] = make_upload(key, data_)
    channel_problems = _feed_problems(settings, texts)
    warnings = [p for p in channel_problems if not p.startswith("error")]
    errors = [p for p in channel_problems if p.startswith("error")]
    if errors:
        raise FeedError(errors[0].removeprefix("error: "), path="feed.xml", fix="fix it in config.toml or the notes")

    known = dict(state.objects)
    changed = [u for u in objects.values() if known.get(u.key) != u.sha256]
    for u in [u for u in changed if _phase(u) == 0 and u.key not in known]:
        info = store.head(u.key)  # left by a publish that stopped before its state was written
        if info is not None and info.sha256 == u.sha256 and info.size == u.size:
            known[u.key] = u.sha256
            changed.remove(u)
    deletes = tuple(sorted(k for k in known if k not in objects)) if prune else ()
    report = Report(
        store=store.name, feed_url=settings.feed_url, site_url=settings.show.base_url,
        episodes=tuple(sorted(statuses, key=lambda s: (s.date, s.slug))),
        uploads=tuple((u.key, u.size) for u in sorted(changed, key=_phase)), unchanged=len(objects) - len(changed),
        deletes=deletes, problems=tuple(problems), warnings=tuple(warnings), dry_run=dry_run,
        local_dir=getattr(store, "root", None),
    )
    if dry_run:
        return report

    with store.lock(LOCK_KEY, _owner()):
        data, etag = store.read_state(STATE_KEY)
        if etag != state.etag:
            raise StateError("another publish changed the show while this one was building", path=f"{store.name}{STATE_KEY}",
                             fix="run castline publish again")
        phases = [[u for u in changed if _phase(u) == n] for n in range(3)]
        total = sum(u.size for u in changed)
        advance = progress.step("Uploading", total)
        store.put_many(phases[0], known=known, verify=True, on_bytes=advance)  # media and art
        store.put_many(phases[1], known=known, on_bytes=advance)  # pages, chapters, transcripts
        store.put_many(phases[2], known=known, on_bytes=advance)  # the feed, last
        published = {u.key: u.sha256 for u in objects.values()}
        if not prune:
            published = {**{k: v for k, v in known.items() if k not in published}, **published}
        new_state = with_published(state, records, published, podcast_guid, settings.feed_url)
        store.write_state(STATE_KEY, dump_state(new_state), expected_etag=state.etag)
        if deletes:
            store.delete_many(list(deletes))
    return report


def status(settings: Settings, *, now: datetime | None = None, store: Store | None = None) -> tuple[EpisodeStatus, ...]:
    """Each episode's state without mastering or uploading anything:
    draft, scheduled, new (never published), changed (its media or notes
    differ from what was published), published (as published)."""
    now = now or datetime.now(timezone.utc)
    found = ingest(settings)
    store = store or open_store(settings.storage, settings.root)
    data, etag = store.read_state(STATE_KEY)
    state = parse_state(data, etag, f"{store.name}{STATE_KEY}")
    podcast_guid = state.podcast_guid or settings.show.podcast_guid or feeds.podcast_guid(settings.feed_url)
    hashes, arts = HashCache(settings.root), _ArtCache(settings)
    due = [ep for ep in found.episodes if not ep.draft and ep.date <= now]
    matches, _ = match_episodes(due, state, podcast_guid, {ep.slug: hashes.sha256(ep.audio_path) for ep in due})
    out = [_status(ep, "draft" if ep.draft else "scheduled") for ep in found.episodes if ep not in due]
    for m in matches:
        ep, record = m.episode, m.record
        url = settings.show.base_url + f"episodes/{ep.slug}.html"
        if record is None or not record.media:
            out.append(_status(ep, "new", m.guid, url=None))
            continue
        media, _, _ = record_media(record.media)
        cover = arts.cover(ep.image or settings.show.image)
        plan = media_plan(settings, ep, tag_info(settings, ep, m.guid, media.duration, cover, media.offset), hashes)
        how = "published" if plan.fingerprint == record.fingerprint else "changed"
        out.append(EpisodeStatus(slug=ep.slug, title=ep.title, number=ep.number, season=ep.season, date=ep.date,
                                 state=how, guid=m.guid, duration=media.duration, url=url,
                                 loudness_out=media.output_loudness.integrated if media.output_loudness else None))
    hashes.save()
    return tuple(sorted(out, key=lambda s: (s.date, s.slug)))


def _phase(u: Upload) -> int:
    if u.key == FEED_KEY:
        return 2
    return 0 if u.key.startswith(("media/", "art/")) else 1


def _published(state: State, ep: Episode) -> bool:
    return any(r.slug == ep.slug or (ep.number is not None and (r.season, r.number) == (ep.season, ep.number))
               for r in state.episodes)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _status(ep: Episode, how: str, guid: str | None = None, b: Built | None = None, url: str | None = None) -> EpisodeStatus:
    loud_in = b.media.input_loudness if b else None
    loud_out = b.media.output_loudness if b else None
    return EpisodeStatus(
        slug=ep.slug, title=ep.title, number=ep.number, season=ep.season, date=ep.date, state=how, guid=guid,
        duration=b.media.duration if b else None, url=url,
        loudness_in=loud_in.integrated if loud_in else None, loudness_out=loud_out.integrated if loud_out else None,
        true_peak_out=loud_out.true_peak if loud_out else None)


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


class _ArtCache:
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


def _build_episode(settings: Settings, m, podcast_guid: str, hashes: HashCache, now: datetime, progress: Progress,
                   *, reuse_only: bool, arts: _ArtCache):
    """Master/tag (or reuse) one episode; return what it publishes."""
    ep = m.episode
    art_path = ep.image or settings.show.image
    ep_art = arts.prepare(ep.image) if ep.image else None
    cover = arts.cover(art_path)
    duration_hint = m.record.media.get("duration", 0.0) if m.record and m.record.media else 0.0
    offset_hint = m.record.media.get("offset", 0.0) if m.record and m.record.media else 0.0
    plan = media_plan(settings, ep, tag_info(settings, ep, m.guid, duration_hint, cover, offset_hint), hashes)
    if m.record and m.record.media and (m.record.fingerprint == plan.fingerprint or reuse_only):
        media, key, alt_keys = record_media(m.record.media)
        how = "published"
        media_uploads: dict[str, Upload] = {}
    else:
        step = progress.step(f"Mastering {ep.slug}", 1.0)
        done = [0.0]

        def advance(fraction: float) -> None:
            step(max(0.0, fraction - done[0]))
            done[0] = max(done[0], fraction)

        mastered = master_cached(settings, ep, plan, on_progress=advance)
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


def _feed_problems(settings: Settings, texts: dict[str, bytes]) -> list[str]:
    return []
