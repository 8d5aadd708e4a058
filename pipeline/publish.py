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
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import feeds

from .build import HashCache, media_plan, record_media
from .check import feed_rules  # the same wording as castline check
from .episodes import MASTER_WORKERS, PENDING, ArtCache, Masters, Progress, Quiet, build_episode, plan_episode, tag_info
from .errors import CastlineError, Problems, StateError
from .ingest import ingest
from .model import Episode, Settings
from .render import FEED_KEY, Built, feed_channel, feed_item, iter_all, notes_html
from .state import LOCK_KEY, STATE_KEY, EpisodeRecord, State, dump_state, match_episodes, parse_state, with_published
from .storage import Store, Upload, make_upload, open_store


@dataclass(frozen=True)
class EpisodeStatus:
    """One row of ``castline status`` and of a publish report."""

    slug: str
    title: str
    number: int | None
    season: int | None
    date: datetime
    state: str  # draft, scheduled, skipped, new, changed, published, failed
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
    estimated: tuple[str, ...] = ()  # dry run: media keys whose size is estimated (not mastered yet)

    @property
    def upload_bytes(self) -> int:
        return sum(size for _, size in self.uploads)


def publish(settings: Settings, *, only: tuple[str, ...] = (), dry_run: bool = False, prune: bool = False,
            now: datetime | None = None, progress: Progress | None = None, store: Store | None = None) -> Report:
    """Publish the show: the recipe in the module docstring."""
    try:
        return _publish(settings, only=only, dry_run=dry_run, prune=prune, now=now or datetime.now(timezone.utc),
                        progress=progress or Quiet(), store=store)
    except CastlineError as exc:
        raise exc.relative_to(settings.root) from None


def _publish(settings: Settings, *, only: tuple[str, ...], dry_run: bool, prune: bool, now: datetime,
             progress: Progress, store: Store | None) -> Report:
    found = ingest(settings)
    arts = ArtCache(settings)
    show_art = arts.prepare(settings.show.image)
    store = store or open_store(settings.storage, settings.root)
    store.check()
    state, data, podcast_guid = _published_state(settings, store)
    if found.problems and _lost_published(state, found.episodes):
        raise Problems(list(found.problems))  # a published episode no longer reads: change nothing at all

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
    estimated: list[str] = []
    with Masters(settings, workers=0 if dry_run else MASTER_WORKERS) as masters:
        jobs = [(m, plan_episode(settings, m, podcast_guid, hashes, arts, bool(only) and m.episode.slug not in only))
                for m in matches]
        for m, job in jobs:
            if job.needs_master and not dry_run:
                masters.start(m.episode, job.plan)
        for m, job in jobs:
            ep = m.episode
            try:
                b, record, episode_objects, how = build_episode(settings, m, job, now, progress, masters=masters,
                                                                 dry_run=dry_run, arts=arts, hashes=hashes)
            except CastlineError as exc:
                if m.record is not None:
                    raise  # a published episode broke: change nothing at all
                problems.append(exc.relative_to(settings.root))
                statuses.append(_status(ep, "failed"))
                continue
            built.append(b)
            records.append(record)
            objects.update(episode_objects)
            if b.media.main.sha256 == PENDING:
                estimated.append(b.media_key)
            url = settings.show.base_url + f"episodes/{ep.slug}.html"
            statuses.append(_status(ep, how, m.guid, b, url))
    hashes.save()

    show_art_key = f"art/{show_art.name}"
    objects[show_art_key] = make_upload(show_art_key, show_art.path, show_art.sha256)
    notes = notes_html(settings, built)
    warnings = _feed_warnings(settings, built, notes, podcast_guid, show_art_key)
    for key, data_ in iter_all(settings, built, notes, podcast_guid=podcast_guid, show_art_key=show_art_key):
        upload = make_upload(key, data_)
        # keep the bytes only of what must be uploaded: memory stays flat as the show grows
        objects[key] = upload if state.objects.get(key) != upload.sha256 else replace(upload, source=b"")

    known = dict(state.objects)
    changed = [u for u in objects.values() if known.get(u.key) != u.sha256]
    for u in [u for u in changed if _phase(u) == 0 and u.key not in known and u.sha256 != PENDING]:
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
        local_dir=getattr(store, "root", None), estimated=tuple(estimated),
    )
    if dry_run:
        return report
    published = {u.key: u.sha256 for u in objects.values()}
    if not prune:
        published = {**{k: v for k, v in known.items() if k not in published}, **published}
    new_state = dump_state(with_published(state, records, published, podcast_guid, settings.feed_url))
    if not changed and not deletes and new_state == data:
        return report  # nothing new: no lock, no write, nothing touched

    with store.lock(LOCK_KEY, _owner()):
        _, etag = store.read_state(STATE_KEY)
        if etag != state.etag:
            raise StateError("another publish changed the show while this one was building",
                             path=f"{store.name}{STATE_KEY}", fix="run castline publish again")
        phases = [[u for u in changed if _phase(u) == n] for n in range(3)]
        advance = progress.step("Uploading", sum(u.size for u in changed))
        store.put_many(phases[0], known=known, verify=True, on_bytes=advance)  # media and art
        store.put_many(phases[1], known=known, on_bytes=advance)  # pages, chapters, transcripts
        store.put_many(phases[2], known=known, on_bytes=advance)  # the feed, last
        store.write_state(STATE_KEY, new_state, expected_etag=state.etag)
        if deletes:
            store.delete_many(list(deletes))
    return report


def status(settings: Settings, *, now: datetime | None = None, store: Store | None = None) -> tuple[EpisodeStatus, ...]:
    """Each episode's state without mastering or uploading anything:
    draft, scheduled, new (never published), changed (its media or notes
    differ from what was published), published (as published)."""
    now = now or datetime.now(timezone.utc)
    found = ingest(settings)
    state, _, podcast_guid = _published_state(settings, store or open_store(settings.storage, settings.root))
    hashes, arts = HashCache(settings.root), ArtCache(settings)
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


def _published_state(settings: Settings, store: Store) -> tuple[State, bytes | None, str]:
    """The store's published state, its bytes as read, and the show's
    podcast:guid: the one already published, else the pinned one, else
    computed once from the feed URL (and then kept, even if the feed moves)."""
    data, etag = store.read_state(STATE_KEY)
    state = parse_state(data, etag, f"{store.name}{STATE_KEY}")
    return state, data, state.podcast_guid or settings.show.podcast_guid or feeds.podcast_guid(settings.feed_url)


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


def _feed_warnings(settings: Settings, built: list[Built], notes: dict[str, str], podcast_guid: str,
                   show_art_key: str) -> list[str]:
    """Apple's rules on the feed as built, worded as ``castline check`` words
    them: an error (a channel rule) stops the publish before anything is
    uploaded; a warning (an episode description over 4000 bytes, which
    Apple cuts) is reported and the publish goes on."""
    items = [feed_item(settings, b, notes[b.guid]) for b in built]
    notes_of = {b.guid: str(b.episode.notes_path.relative_to(settings.root)) for b in built}
    rules = feed_rules(feed_channel(settings, podcast_guid, show_art_key), items, notes_of)
    errors = [r.error for r in rules if r.severity != "warning"]
    if errors:
        raise errors[0] if len(errors) == 1 else Problems(errors)
    return [str(r.error) for r in rules]


def _lost_published(state: State, episodes: tuple[Episode, ...]) -> bool:
    """True when a published episode is not among the episodes that read
    cleanly: its notes or recording broke (or it was removed while another
    file is broken). Publishing then would drop it from the feed, so the
    publish changes nothing until the problem is fixed."""
    slugs = {ep.slug for ep in episodes}
    guids = {ep.guid for ep in episodes if ep.guid}
    numbers = {(ep.season, ep.number) for ep in episodes if ep.number is not None}
    return any(r.slug not in slugs and r.guid not in guids and (r.number is None or (r.season, r.number) not in numbers)
               for r in state.episodes)
