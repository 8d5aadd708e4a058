"""What has been published: GUIDs, first-publish dates, hashes of objects.

The state lives in the store beside the feed (key ``.castline/state.json``),
not on the host's machine, so every machine that publishes the show sees the
same GUIDs. It is written last, after the feed, and only with a conditional
write, so two publishes can never interleave their states.

An episode's GUID is how every app knows it has already downloaded or played
it. It is chosen once, at the first publish (or pinned with ``guid:`` in the
notes), and then kept for life: a title change, a slug rename, a new machine
or a new store never changes it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .errors import StateError
from .model import Episode

STATE_KEY = ".castline/state.json"
LOCK_KEY = ".castline/lock"
STATE_VERSION = 1


@dataclass(frozen=True)
class EpisodeRecord:
    """One published episode as the state remembers it."""

    guid: str
    slug: str
    first_published: str  # ISO 8601
    number: int | None = None
    season: int | None = None
    source_sha256: str | None = None
    fingerprint: str | None = None  # of everything that shapes the media file
    media: dict[str, Any] = field(default_factory=dict)  # key, size, sha256, mime, duration, ...


@dataclass(frozen=True)
class State:
    podcast_guid: str | None = None
    feed_url: str | None = None
    episodes: tuple[EpisodeRecord, ...] = ()
    objects: dict[str, str] = field(default_factory=dict)  # key -> sha256 of what the store holds
    etag: str | None = None  # of the state object as read; for the conditional write

    def by_guid(self) -> dict[str, EpisodeRecord]:
        return {r.guid: r for r in self.episodes}


def parse_state(data: bytes | None, etag: str | None, where: str) -> State:
    if not data:
        return State(etag=etag)
    try:
        raw = json.loads(data)
        if raw.get("version") != STATE_VERSION:
            raise ValueError(f"version {raw.get('version')!r}")
        episodes = tuple(EpisodeRecord(**e) for e in raw.get("episodes", []))
        return State(raw.get("podcast_guid"), raw.get("feed_url"), episodes, dict(raw.get("objects", {})), etag)
    except (ValueError, TypeError, AttributeError) as exc:
        raise StateError(f"the published state is unreadable ({exc})", path=where,
                         fix="restore it from a backup; castline never guesses GUIDs") from None


def dump_state(state: State) -> bytes:
    body = {
        "version": STATE_VERSION,
        "podcast_guid": state.podcast_guid,
        "feed_url": state.feed_url,
        "episodes": [r.__dict__ for r in sorted(state.episodes, key=lambda r: r.first_published + r.guid)],
        "objects": dict(sorted(state.objects.items())),
    }
    return (json.dumps(body, indent=1, ensure_ascii=False, sort_keys=False) + "\n").encode()


def episode_guid(podcast_guid: str, slug: str) -> str:
    """A new episode's GUID: a UUID made once from the show's podcast:guid and
    the slug the episode had at its first publish, then recorded for life."""
    return str(uuid.uuid5(uuid.UUID(podcast_guid), slug))


@dataclass(frozen=True)
class Match:
    episode: Episode
    guid: str
    record: EpisodeRecord | None  # None: never published


def match_episodes(episodes: list[Episode], state: State, podcast_guid: str,
                   source_hashes: dict[str, str]) -> tuple[list[Match], list[StateError]]:
    """Find each episode's published record (by pinned GUID, slug, number,
    then recording hash) and so its GUID; refuse any change of a GUID."""
    by_guid = state.by_guid()
    by_slug = {r.slug: r for r in state.episodes}
    by_number = {(r.season, r.number): r for r in state.episodes if r.number is not None}
    by_source = {r.source_sha256: r for r in state.episodes if r.source_sha256}
    taken: set[str] = set()
    matches, problems = [], []
    for ep in episodes:
        record = by_slug.get(ep.slug)
        if record is None and ep.number is not None:
            record = by_number.get((ep.season, ep.number))
        if record is None:
            record = by_source.get(source_hashes.get(ep.slug, ""))
        if ep.guid:
            pinned = by_guid.get(ep.guid)
            if record is not None and record.guid != ep.guid and pinned is None:
                problems.append(StateError(
                    f"guid {ep.guid!r} would replace the published guid {record.guid!r}",
                    path=f"show_notes/{ep.notes_path.name}", field="guid",
                    fix=f"set `guid: {record.guid}` or remove the field; a published GUID never changes"))
                continue
            record = pinned
        if record is not None and record.guid in taken:
            record = None
        guid = record.guid if record else (ep.guid or episode_guid(podcast_guid, ep.slug))
        taken.add(guid)
        matches.append(Match(ep, guid, record))
    return matches, problems


def with_published(state: State, records: list[EpisodeRecord], objects: dict[str, str],
                   podcast_guid: str, feed_url: str) -> State:
    """The state after a publish: the given records replace those with the
    same GUID; records of episodes not in this run are kept."""
    merged = state.by_guid()
    for r in records:
        merged[r.guid] = r
    return replace(state, podcast_guid=podcast_guid, feed_url=feed_url, episodes=tuple(merged.values()), objects=objects)


def now_iso(now: datetime) -> str:
    return now.isoformat(timespec="seconds")
