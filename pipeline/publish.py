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
from .model import Episode, Settings
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
    show_art = art.prepare_art(settings.show.image, settings.root / ART_DIR)
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
                                                             reuse_only=bool(only) and ep.slug not in only)
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


def tag_info(settings: Settings, ep: Episode, guid: str, duration: float, cover: tuple[bytes, str]) -> tags.TagInfo:
    show = settings.show
    from .notes import plain_text

    return tags.TagInfo(
        title=ep.title, artist=", ".join(h.name for h in show.hosts) or show.author, album=show.title, date=ep.date,
        duration=duration, track=ep.number, season=ep.season, summary=ep.summary or plain_text(ep.body, 280),
        description=plain_text(ep.body), copyright=show.copyright,
        page_url=show.base_url + f"episodes/{ep.slug}.html", feed_url=settings.feed_url, guid=guid,
        cover=cover[0], cover_mime=cover[1], chapters=ep.chapters, id3_version=settings.audio.id3_version,
        language=show.language)


def _build_episode(settings: Settings, m, podcast_guid: str, hashes: HashCache, now: datetime, progress: Progress,
                   *, reuse_only: bool):
    """Master/tag (or reuse) one episode; return what it publishes."""
    ep = m.episode
    art_path = ep.image or settings.show.image
    ep_art = art.prepare_art(ep.image, settings.root / ART_DIR) if ep.image else None
    cover = art.tag_cover(art_path)
    duration_hint = m.record.media.get("duration", 0.0) if m.record and m.record.media else 0.0
    plan = media_plan(settings, ep, tag_info(settings, ep, m.guid, duration_hint, cover), hashes)
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
        info = tag_info(settings, ep, m.guid, mastered.duration, cover)
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
    cues: tuple[Cue, ...] = read_transcript(ep.transcript) if ep.transcript else ()
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
              art_key=f"art/{ep_art.name}" if ep_art else None, chapters=ep.chapters, transcript=cues,
              transcript_key=transcript_key)
    return b, record, uploads, how


def _feed_problems(settings: Settings, texts: dict[str, bytes]) -> list[str]:
    return []
