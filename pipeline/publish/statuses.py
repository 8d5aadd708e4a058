"""Each episode's state, as ``castline status`` and a publish report list it.

``status`` is the plan a publish would make, without mastering or uploading
anything (see ``pipeline/build/plan.py`` for the states). The rows are
made here for both: a planned, a held and a built episode each becomes one
``EpisodeStatus``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import feeds
from pipeline import build, ingest
from pipeline.model import EpisodeState, Settings
from pipeline.store import STATE_KEY, Stamp, Store, open_store, parse_state

from .report import EpisodeStatus, StatusReport

if TYPE_CHECKING:
    from pipeline.build import BuiltEpisode, Held, PlannedEpisode, Published


def status(settings: Settings, *, now: datetime | None = None, store: Store | None = None) -> StatusReport:
    """Each episode's state without mastering or uploading anything."""
    now = now or datetime.now(timezone.utc)
    store = store or open_store(settings.storage, settings.root)
    published = read_published(settings, store.name, read_store(store))
    found = ingest.ingest(settings.ingest)
    hashes = build.HashCache(settings.root)
    plan = build.plan_publish(settings.build, found, published, hashes, now)
    hashes.save()
    rows = [planned_status(settings, p) for p in plan.due] + [held_status(h) for h in plan.held]
    return StatusReport(tuple(sorted(rows, key=order)), plan.stale_tags, plan.stale_masters,
                        tuple(str(p) for p in (*found.problems, *plan.problems)))


@dataclass(frozen=True)
class StoreRead:
    """What a publish reads of the store before it decides to work: the
    published state's bytes and ETag, and the store's listing. ``inputs``:
    the receipt's fingerprint of the show (None when the options ask for
    work a receipt cannot vouch for)."""

    state_bytes: bytes | None
    etag: str | None
    listing: dict[str, Stamp]
    inputs: str | None = None


def read_store(store: Store, inputs: str | None = None) -> StoreRead:
    state_bytes, etag = store.read_state(STATE_KEY)
    return StoreRead(state_bytes, etag, store.listing(), inputs)


def read_published(settings: Settings, store_name: str, read: StoreRead) -> Published:
    """The published state as read, the listing, and the show's
    podcast:guid: the one already published, else the pinned one, else
    computed once from the feed URL (and then kept, even if the feed moves)."""
    state = parse_state(read.state_bytes, read.etag, f"{store_name}{STATE_KEY}")
    guid = state.podcast_guid or settings.show.podcast_guid or feeds.podcast_guid(settings.feed_url)
    return build.Published(state, read.listing, guid)


def order(s: EpisodeStatus):
    return (s.date.isoformat() if s.date else "", s.slug)


def planned_status(settings: Settings, p: PlannedEpisode) -> EpisodeStatus:
    ep = p.episode
    media = build.record_media(p.record.media)[0] if p.record and p.record.media else None
    url = settings.show.base_url + f"episodes/{ep.slug}.html" if p.state is not EpisodeState.NEW else None
    return EpisodeStatus(slug=ep.slug, title=ep.title, number=ep.number, season=ep.season, date=ep.date,
                         state=p.state, guid=p.guid, duration=media.duration if media else None, url=url,
                         loudness_out=media.output_loudness.integrated if media and media.output_loudness else None)


def failed_status(settings: Settings, p: PlannedEpisode) -> EpisodeStatus:
    """An episode whose build failed: kept as published, or failed."""
    return replace(planned_status(settings, p), state=EpisodeState.KEPT if p.record and not p.record.removed
                   else EpisodeState.FAILED)


def held_status(h: Held) -> EpisodeStatus:
    if h.episode is not None:
        ep = h.episode
        return EpisodeStatus(slug=ep.slug, title=ep.title, number=ep.number, season=ep.season, date=ep.date,
                             state=h.state, guid=h.record.guid if h.record else None)
    r = h.record
    first = datetime.fromisoformat(r.first_published) if r.first_published else None
    return EpisodeStatus(slug=r.slug, title=r.slug, number=r.number, season=r.season, date=first, state=h.state,
                         guid=r.guid)


def built_status(settings: Settings, b: BuiltEpisode, p: PlannedEpisode) -> EpisodeStatus:
    ep, media = b.built.episode, b.built.media
    loud_in, loud_out = media.input_loudness, media.output_loudness
    return EpisodeStatus(
        slug=ep.slug, title=ep.title, number=ep.number, season=ep.season, date=ep.date, state=p.state, guid=p.guid,
        duration=media.duration, url=settings.show.base_url + f"episodes/{ep.slug}.html",
        loudness_in=loud_in.integrated if loud_in else None, loudness_out=loud_out.integrated if loud_out else None,
        true_peak_out=loud_out.true_peak if loud_out else None)
