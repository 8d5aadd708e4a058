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
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pipeline.errors import StateError
from pipeline.model import Episode

STATE_KEY = ".castline/state.json"
STATE_VERSION = 2  # 1: objects were key -> sha256; read and upgraded


@dataclass(frozen=True)
class MediaFile:
    """One encoding of an episode as published: its store key, the name the
    file had when it was made (not a path on this machine), its format and
    MIME type, its exact size (the enclosure length) and hashes."""

    key: str
    path: str
    format: str
    mime: str
    size: int
    sha256: str
    bitrate: int
    sha384: str | None = None


@dataclass(frozen=True)
class PublishedMedia:
    """What the state keeps of an episode's media: enough to put it in the
    feed and pages without the file at hand. ``input_loudness`` and
    ``output_loudness`` are the EBU R128 readings (integrated, true_peak,
    lra). A record read from the state is written back as it was read (one
    from an older castline keeps its bytes); one made or changed here is
    written in today's form."""

    main: MediaFile
    duration: float
    channels: int
    sample_rate: int
    input_loudness: dict[str, float] | None = None
    output_loudness: dict[str, float] | None = None
    alternates: tuple[MediaFile, ...] = ()
    offset: float = 0.0
    _raw: dict[str, Any] | None = field(default=None, init=False, compare=False, repr=False)  # as read; not copied
    # by dataclasses.replace, so a changed record is never written back as it was

    @property
    def keys(self) -> list[str]:
        """The store keys of the main file and the alternates, in order."""
        return [self.main.key, *(a.key for a in self.alternates)]

    @property
    def files(self) -> tuple[MediaFile, ...]:
        return (self.main, *self.alternates)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> PublishedMedia:
        def one(e: dict[str, Any]) -> MediaFile:
            return MediaFile(e["key"], e["path"], e["format"], e["mime"], e["size"], e["sha256"], e["bitrate"],
                             e.get("sha384"))

        media = cls(one(d["main"]), d["duration"], d["channels"], d["sample_rate"], d.get("input_loudness"),
                    d.get("output_loudness"), tuple(one(a) for a in d.get("alternates", [])), d.get("offset", 0.0))
        object.__setattr__(media, "_raw", d)
        return media

    def to_json(self) -> dict[str, Any]:
        if self._raw is not None:
            return self._raw

        def one(f: MediaFile) -> dict[str, Any]:
            return {"path": f.path, "format": f.format, "mime": f.mime, "size": f.size, "sha256": f.sha256,
                    "bitrate": f.bitrate, "sha384": f.sha384, "key": f.key}

        return {"main": one(self.main), "duration": self.duration, "channels": self.channels,
                "sample_rate": self.sample_rate, "input_loudness": self.input_loudness,
                "output_loudness": self.output_loudness, "alternates": [one(a) for a in self.alternates],
                "offset": self.offset}


@dataclass(frozen=True)
class EpisodeRecord:
    """One published episode as the state remembers it.

    ``fingerprint`` says what the published file was actually tagged and
    mastered from; ``own`` is the part of it that belongs to the episode
    (its recording and the notes fields that go into its tags), ``shared``
    the show-wide part (show title, author, cover, ``[audio]`` settings).
    Only a change of ``own`` rebuilds published media; a change of
    ``shared`` reaches the back catalogue on request (``--retag-all``).
    ``keys`` are every object the episode's published output uses, so that
    pruning never deletes what a listener can reach. ``removed`` is set
    when the host took the episode down on purpose; the record (and so the
    GUID) is kept for life.
    """

    guid: str
    slug: str
    first_published: str  # ISO 8601
    number: int | None = None
    season: int | None = None
    source_sha256: str | None = None
    fingerprint: str | None = None
    media: PublishedMedia | None = None  # the published files: keys, sizes, hashes, duration
    own: str | None = None
    shared: str | None = None
    master_key: str | None = None
    keys: tuple[str, ...] = ()
    removed: str | None = None  # ISO 8601 of the removal


@dataclass(frozen=True)
class ObjectRecord:
    """One object castline wrote: its hash and size, and the stamp the store
    gave it (LIST's ETag, or a file's size/mtime/inode)."""

    sha256: str
    size: int | None = None
    stamp: str | None = None


@dataclass(frozen=True)
class State:
    podcast_guid: str | None = None
    feed_url: str | None = None
    episodes: tuple[EpisodeRecord, ...] = ()
    objects: dict[str, ObjectRecord] = field(default_factory=dict)
    etag: str | None = None  # of the state object as read; for the conditional write
    notified: dict[str, Any] = field(default_factory=dict)  # what announcements were sent (pipeline/notify)
    rendered: dict[str, Any] = field(default_factory=dict)  # per part ("feed", "site"): {"inputs": fingerprint, "keys": [...]}

    def by_guid(self) -> dict[str, EpisodeRecord]:
        return {r.guid: r for r in self.episodes}

    def live(self) -> tuple[EpisodeRecord, ...]:
        """The records of episodes listeners can reach (not removed)."""
        return tuple(r for r in self.episodes if not r.removed)


def parse_state(data: bytes | None, etag: str | None, where: str) -> State:
    if not data:
        return State(etag=etag)
    try:
        raw = json.loads(data)
        if raw.get("version") not in (1, STATE_VERSION):
            raise ValueError(f"version {raw.get('version')!r}")
        episodes = tuple(EpisodeRecord(**{**e, "keys": tuple(e.get("keys", ())),
                                          "media": PublishedMedia.from_json(e["media"]) if e.get("media") else None})
                         for e in raw.get("episodes", []))
        objects = {k: ObjectRecord(v) if isinstance(v, str) else ObjectRecord(**v)
                   for k, v in dict(raw.get("objects", {})).items()}
        return State(raw.get("podcast_guid"), raw.get("feed_url"), episodes, objects, etag,
                     dict(raw.get("notified", {})), dict(raw.get("rendered", {})))
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise StateError(f"the published state is unreadable ({exc})", path=where,
                         fix="restore it from a backup; castline never guesses GUIDs") from None


def dump_state(state: State) -> bytes:
    body = {
        "version": STATE_VERSION,
        "podcast_guid": state.podcast_guid,
        "feed_url": state.feed_url,
        "episodes": [{**r.__dict__, "keys": list(r.keys), "media": r.media.to_json() if r.media is not None else {}}
                     for r in sorted(state.episodes, key=lambda r: r.first_published + r.guid)],
        "objects": {k: v.__dict__ for k, v in sorted(state.objects.items())},
    }
    if state.notified:
        body["notified"] = state.notified
    if state.rendered:
        body["rendered"] = state.rendered
    # compact: json's C encoder (indent= would take the pure-Python one, 4x slower at 1000 episodes)
    return (json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def episode_guid(podcast_guid: str, slug: str) -> str:
    """A new episode's GUID: a UUID made once from the show's podcast:guid and
    the slug the episode had at its first publish, then recorded for life."""
    return str(uuid.uuid5(uuid.UUID(podcast_guid), slug))


@dataclass(frozen=True)
class Match:
    episode: Episode
    guid: str
    record: EpisodeRecord | None  # None: never published


def match_episodes(episodes: list[Episode], state: State, podcast_guid: str, source_hashes: dict[str, str],
                   present_slugs: set[str]) -> tuple[list[Match], list[StateError]]:
    """Find each episode's published record, and so its GUID, for life.

    An episode is the published one with its pinned ``guid:``, else the one
    with its slug. A renamed episode (new slug) is recognised by its number
    or its recording, but only when the old slug has no notes any more and
    the recording is the same; anything else that reuses a published
    number is a collision, refused before anything is written (it would
    take over the published episode's GUID, and apps would think the old
    episode had been replaced). ``present_slugs``: every notes file's slug,
    broken ones included."""
    by_guid = state.by_guid()
    by_slug = {r.slug: r for r in state.episodes}
    by_number = {(r.season, r.number): r for r in state.live() if r.number is not None}
    by_source = {r.source_sha256: r for r in state.live() if r.source_sha256}
    claimed: dict[str, Episode] = {}
    matches, problems = [], []
    for ep in episodes:
        notes = f"show_notes/{ep.notes_path.name}"
        source = source_hashes.get(ep.slug, "")
        record = by_slug.get(ep.slug)
        if ep.guid:
            pinned = by_guid.get(ep.guid)
            if record is not None and record.guid != ep.guid and pinned is None:
                problems.append(StateError(
                    f"guid {ep.guid!r} would replace the published guid {record.guid!r}", path=notes, field="guid",
                    fix=f"set `guid: {record.guid}` or remove the field; a published GUID never changes"))
                continue
            record = pinned
        elif record is None:
            numbered = by_number.get((ep.season, ep.number)) if ep.number is not None else None
            if numbered is not None:
                renamed = numbered.slug not in present_slugs and numbered.source_sha256 == source
                if not renamed:
                    where = "its notes are still here" if numbered.slug in present_slugs else "with another recording"
                    problems.append(StateError(
                        f"number {ep.number} is already published as {numbered.slug!r} ({where})", path=notes,
                        field="number", fix=f"give this episode another number; if it is {numbered.slug!r} renamed, "
                        f"pin `guid: {numbered.guid}` in its notes"))
                    continue
                record = numbered
            elif source in by_source and by_source[source].slug not in present_slugs:
                record = by_source[source]  # renamed, same recording
        if record is not None and record.guid in claimed:
            other = claimed[record.guid]
            problems.append(StateError(
                f"claims the published episode {record.slug!r} that show_notes/{other.notes_path.name} already is",
                path=notes, fix="each published episode has one notes file; give this one its own slug and number"))
            continue
        guid = record.guid if record else (ep.guid or episode_guid(podcast_guid, ep.slug))
        claimed[guid] = ep
        matches.append(Match(ep, guid, record))
    return matches, problems


def now_iso(now: datetime) -> str:
    return now.isoformat(timespec="seconds")
