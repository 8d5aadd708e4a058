"""The plan of a publish: what happens to each episode, as typed values.

Every episode in the folder and every episode in the published state gets
exactly one ``EpisodeState``. The rules that protect what listeners have:

* an episode in the published state is never dropped by accident: if its
  notes are missing it is *kept* (and the publish stops, naming it, unless
  ``--skip-broken``); it leaves the feed only when the host says so, with
  ``draft: true`` in its notes or ``castline publish --remove SLUG``;
* published media is rebuilt only when the episode's own inputs change
  (its recording, or a notes field that goes into its tags); a show-wide
  change (show title, author, cover, ``[audio]`` settings) reaches the back
  catalogue only with ``--retag-all`` or ``--remaster-all``;
* published media that the store no longer holds is rebuilt and uploaded
  again (the store is the truth, the state only a record).

Deciding all this is cheap: fingerprints of each episode's inputs (file
hashes are cached by size and mtime), never a render or an encode.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from pipeline.errors import CastlineError, StateError
from pipeline.ingest import Ingested
from pipeline.model import BuildSettings, Episode, EpisodeState, PublishOptions
from pipeline.store import EpisodeRecord, Match, Stamp, State, match_episodes

from .media import HashCache, master_key_for


class Work(Enum):
    """What the media of a due episode needs."""

    REUSE = "reuse"  # the published file stays
    BUILD = "build"  # master (cached by content) and tag
    RETAG = "retag"  # only new tags on the published master (--retag-all)


@dataclass(frozen=True)
class Prints:
    """Fingerprints of an episode's inputs. ``own``: the recording and the
    notes fields that go into its tags; ``shared``: the show-wide tag
    inputs; ``master_key``: the recording plus the ``[audio]`` settings."""

    own: str
    shared: str
    master_key: str
    source_sha256: str


@dataclass(frozen=True)
class PlannedEpisode:
    episode: Episode
    guid: str
    record: EpisodeRecord | None  # None: never published
    state: EpisodeState  # NEW, CHANGED or PUBLISHED
    work: Work
    prints: Prints
    repair: bool = False  # the store lost its media: rebuilt and uploaded again


@dataclass(frozen=True)
class Held:
    """An episode not built by this run, with why."""

    episode: Episode | None
    record: EpisodeRecord | None
    state: EpisodeState


@dataclass(frozen=True)
class Plan:
    due: tuple[PlannedEpisode, ...]
    held: tuple[Held, ...]  # draft, scheduled, skipped, removed (now or before), kept
    problems: tuple[CastlineError, ...]
    warnings: tuple[str, ...]
    stale_tags: int  # published episodes whose tags predate a show-wide change
    stale_masters: int  # ... whose master predates an [audio] change

    @property
    def removals(self) -> tuple[EpisodeRecord, ...]:
        """Records this run takes out of the feed."""
        return tuple(h.record for h in self.held
                     if h.state is EpisodeState.REMOVED and h.record is not None and not h.record.removed)

    @property
    def kept(self) -> tuple[EpisodeRecord, ...]:
        return tuple(h.record for h in self.held if h.state is EpisodeState.KEPT and h.record is not None)


@dataclass(frozen=True)
class Published:
    """What the store holds as this publish starts: the published state, the
    store's listing (key -> stamp) and the show's podcast:guid."""

    state: State
    listing: dict[str, Stamp]
    podcast_guid: str


def plan_publish(settings: BuildSettings, found: Ingested, published: Published, hashes: HashCache, now: datetime,
                 options: PublishOptions = PublishOptions()) -> Plan:
    """Classify every episode (see the module docstring)."""
    episodes, present_slugs = found.episodes, found.slugs
    state, listing, podcast_guid = published.state, published.listing, published.podcast_guid
    problems: list[CastlineError] = []
    warnings: list[str] = []
    held: list[Held] = []
    published_slug = {r.slug: r for r in state.episodes}
    published_guid = state.by_guid()
    remove = set(options.remove)
    candidates: list[Episode] = []
    for ep in episodes:
        record = published_guid.get(ep.guid) if ep.guid else published_slug.get(ep.slug)
        live = record is not None and not record.removed
        if ep.slug in remove and not ep.draft:
            problems.append(StateError(
                f"--remove {ep.slug}: its notes are still here", path=f"show_notes/{ep.notes_path.name}",
                fix="set `draft: true` in its notes to take it out of the feed and keep the file, "
                    "or delete the notes file, then publish again"))
            remove.discard(ep.slug)
        if ep.draft or ep.date > now:
            if live and not ep.draft:
                warnings.append(f"show_notes/{ep.notes_path.name}: the published episode is now dated "
                                f"{ep.date.isoformat()}: it leaves the feed until then")
            how = EpisodeState.REMOVED if record is not None else (
                EpisodeState.DRAFT if ep.draft else EpisodeState.SCHEDULED)
            held.append(Held(ep, record, how))
            if record is not None:
                remove.discard(record.slug)
        elif options.only and ep.slug not in options.only and not live:
            held.append(Held(ep, None, EpisodeState.SKIPPED))
        else:
            candidates.append(ep)

    sources = {ep.slug: hashes.sha256(ep.audio_path) for ep in candidates}
    matches, guid_problems = match_episodes(candidates, state, podcast_guid, sources, present_slugs)
    problems.extend(guid_problems)
    matched = {m.guid for m in matches} | {h.record.guid for h in held if h.record is not None}
    for record in state.live():
        if record.guid in matched:
            continue
        if record.slug in remove:
            held.append(Held(None, record, EpisodeState.REMOVED))
            remove.discard(record.slug)
            continue
        held.append(Held(None, record, EpisodeState.KEPT))
        if record.slug not in present_slugs:
            problems.append(StateError(
                f"the published episode {record.slug!r} has no notes here (guid {record.guid})",
                path=f"show_notes/{record.slug}.md",
                fix=f"restore the notes file (a stale copy of the show?), or run `castline publish --remove "
                    f"{record.slug}` to take the episode out of the feed on purpose"))
    for slug in sorted(remove):
        problems.append(StateError(f"--remove {slug}: no published episode has this slug", path="castline publish",
                                   fix="name the slug as `castline status` lists it"))

    due, stale_tags, stale_masters = [], 0, 0
    for m in matches:
        planned = _plan_one(settings, m, hashes, listing, options)
        due.append(planned)
        if planned.state is EpisodeState.PUBLISHED and planned.record is not None:
            stale_tags += planned.record.shared != planned.prints.shared
            stale_masters += planned.record.master_key != planned.prints.master_key
    return Plan(tuple(due), tuple(held), tuple(problems), tuple(warnings), stale_tags, stale_masters)


def _plan_one(settings: BuildSettings, m: Match, hashes: HashCache, listing: dict[str, Stamp],
              options: PublishOptions) -> PlannedEpisode:
    ep, record = m.episode, m.record
    prints = fingerprints(settings, ep, m.guid, hashes)
    if record is None or record.removed or not record.media:
        return PlannedEpisode(ep, m.guid, record, EpisodeState.NEW, Work.BUILD, prints)
    if options.only and ep.slug not in options.only:
        return _reuse(m, prints, listing)  # publish SLUG: the others' media stays exactly as published
    if record.own is None:  # a record from castline 0.1: its inputs were not split
        if record.source_sha256 == prints.source_sha256:
            return _reuse(m, prints, listing)  # adopted as published (its master predates AUDIO_VERSION 3)
        return PlannedEpisode(ep, m.guid, record, EpisodeState.CHANGED, Work.BUILD, prints)
    if record.own != prints.own or (options.remaster_all and record.master_key != prints.master_key):
        return PlannedEpisode(ep, m.guid, record, EpisodeState.CHANGED, Work.BUILD, prints)
    if options.retag_all and record.shared != prints.shared:
        return PlannedEpisode(ep, m.guid, record, EpisodeState.CHANGED, Work.RETAG, prints)
    return _reuse(m, prints, listing)


def _reuse(m: Match, prints: Prints, listing: dict[str, Stamp]) -> PlannedEpisode:
    record = m.record
    lost = any(f.key not in listing or listing[f.key].size != f.size for f in record.media.files)
    if lost:  # the store lost published media: make it again (from the cache when it is there)
        work = Work.BUILD if record.master_key in (None, prints.master_key) and record.own in (None, prints.own) \
            else Work.RETAG
        return PlannedEpisode(m.episode, m.guid, record, EpisodeState.CHANGED, work, prints, repair=True)
    return PlannedEpisode(m.episode, m.guid, record, EpisodeState.PUBLISHED, Work.REUSE, prints)


def fingerprints(settings: BuildSettings, ep: Episode, guid: str, hashes: HashCache) -> Prints:
    show = settings.show
    source = hashes.sha256(ep.audio_path)
    own = {
        "source": source, "guid": guid, "slug": ep.slug, "title": ep.title, "date": ep.date.isoformat(),
        "number": ep.number, "season": ep.season, "summary": ep.summary, "body": ep.body,
        "chapters": [[c.start, c.title, c.url, c.img] for c in ep.chapters],
        "image": hashes.sha256(ep.image) if ep.image else None,
    }
    shared = {
        "artist": [h.name for h in show.hosts], "author": show.author, "album": show.title,
        "copyright": show.copyright, "base_url": show.base_url, "language": show.language,
        "cover": None if ep.image else hashes.sha256(show.image), "id3": settings.audio.id3_version,
    }
    return Prints(own=_digest(own), shared=_digest(shared), master_key=master_key_for(settings, ep, hashes),
                  source_sha256=source)


def _digest(doc: dict) -> str:
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()
