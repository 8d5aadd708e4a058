"""What the store should hold after this publish, and what it lacks.

Every object the show wants (``wanted``: the show art, each episode's media,
art and sidecars, the feed, its archives and the pages; bytes dropped once
known to be there, so memory stays flat as the show grows), those the store
lacks or holds wrong (``uploads``, in upload order), what may be pruned, and
the published state after the publish.

The text tree is rendered only when its inputs changed or the store lost a
piece of it: a no-op publish compares two fingerprints (``render_inputs``:
``feed`` and ``site``) instead of rendering every page.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from pipeline import site
from pipeline.errors import CastlineError, Problems
from pipeline.model import Episode, LiveEvent, Settings
from pipeline.store import (
    FEED_KEY,
    EpisodeRecord,
    Stamp,
    State,
    Store,
    Upload,
    differs,
    headers_for,
    make_upload,
    phase,
    prunable,
    recorded_objects,
)

from .rules import Severity, feed_rules

if TYPE_CHECKING:
    from pipeline.build import ArtCache, BuiltEpisode, HashCache, Plan, PlannedEpisode, Published
    from pipeline.ingest import Markdown
    from pipeline.site import FeedParts, TreeInputs
    from pipeline.tools.images import PreparedArt

RENDER_VERSION = "castline-0.2-render-1"  # bump when rendering changes what the same inputs give


@dataclass(frozen=True)
class Planned:
    """A publish's plan, with what it was made from: the store as read, the
    episodes found, each one's state and work, the show art as published,
    every problem found so far, and the moment of the publish."""

    published: Published
    plan: Plan
    episodes: tuple[Episode, ...]
    live: tuple[LiveEvent, ...]
    show_art: PreparedArt
    problems: tuple[CastlineError, ...]
    now: datetime
    arts: ArtCache  # art prepared once for every episode that shares it
    hashes: HashCache  # the recordings' hashes, saved after the build
    markdown: Markdown  # the notes as HTML and text, remembered between runs (.castline/cache/notes.json)


@dataclass(frozen=True)
class Media:
    """The due episodes built, those whose build failed (with why), and the
    published records kept as they were (broken or missing notes)."""

    built: tuple[BuiltEpisode, ...]
    failed: tuple[tuple[CastlineError, PlannedEpisode], ...]
    kept: tuple[EpisodeRecord, ...]


@dataclass(frozen=True)
class Objects:
    """What the store should hold (``wanted``), what it must be sent
    (``uploads``, in order), what may be deleted (``deletes``, only with
    ``--prune``), what the state records of the rendered tree, the live
    items' statuses as written, and the feed's warnings."""

    wanted: dict[str, Upload]
    uploads: tuple[Upload, ...]
    deletes: tuple[str, ...]
    rendered: dict
    live: dict[str, str]
    warnings: tuple[str, ...]


def objects(settings: Settings, planned: Planned, media: Media, store: Store, prune: bool) -> Objects:
    """Everything the show wants in the store, and what the store lacks."""
    state, listing = planned.published.state, planned.published.listing
    live = _live_statuses(settings, planned)
    show_art_key = f"art/{planned.show_art.name}"
    wanted = _Wanted(planned.published, store)
    wanted.want(make_upload(show_art_key, planned.show_art.path, planned.show_art.sha256))
    for b in media.built:
        for u in b.uploads:
            wanted.want(u)
        for key in (b.built.media_key, *b.built.alternate_keys):  # media reused as published: wanted, not sent
            if key not in wanted.objects and key in state.objects:
                wanted.objects[key] = wanted.as_published(key)
    tree = site.TreeInputs(tuple(b.built for b in media.built), {}, planned.published.podcast_guid, show_art_key,
                           planned.live, planned.now, planned.markdown)
    rendered, warnings = _render(settings, tree, media, wanted, f"{planned.live!r}{sorted(live.items())}")
    used = {k for r in records_after(planned, media) if not r.removed for k in _keys(r)}
    deletes = prunable(state, listing, wanted.objects, used) if prune else ()
    return Objects(wanted.objects, tuple(wanted.in_order()), deletes, rendered if not media.kept else {}, live,
                   tuple(warnings))


def state_after(settings: Settings, planned: Planned, media: Media, objects: Objects,
                listing: dict[str, Stamp]) -> State:
    """The published state once this publish is written, with the stamps
    ``listing`` gives what was written."""
    published = planned.published
    return replace(published.state, podcast_guid=published.podcast_guid, feed_url=settings.feed_url,
                   episodes=tuple(records_after(planned, media)),
                   objects=recorded_objects(published.state, objects.wanted, listing, objects.deletes),
                   rendered=objects.rendered)


def records_after(planned: Planned, media: Media) -> list[EpisodeRecord]:
    """Every record after this publish: built ones replaced, removals marked
    (the record, and so the GUID, is kept for life), the rest as they were."""
    records = planned.published.state.by_guid()
    stamp = planned.now.isoformat(timespec="seconds")
    for r in planned.plan.removals:
        records[r.guid] = replace(r, removed=stamp)
    for b in media.built:
        records[b.record.guid] = b.record
    return list(records.values())


def render_inputs(settings: Settings, tree: TreeInputs, built: tuple[BuiltEpisode, ...], live: str) -> dict[str, str]:
    """Fingerprints of what each part of the text tree is rendered from.
    Both: the settings, castline's render version, every episode as built
    (notes, media facts, keys) and the live items' statuses (which change
    with the clock). ``site`` (the pages) also the page templates and
    static files, built-in and the show's; ``feed`` (the feed, chapters
    and art sizes) not: a template edit re-renders only the pages."""
    digest = hashlib.sha256(
        f"{RENDER_VERSION}\n{settings!r}\n{tree.podcast_guid}\n{tree.show_art_key}\n{live}\n".encode())
    for e in sorted(built, key=lambda e: e.built.guid):  # the media as the state records it: no local paths
        media = json.dumps(e.record.media.to_json(), sort_keys=True, default=str)
        digest.update(f"{replace(e.built, media=None)!r}{media}".encode())
    feed, pages = digest.copy(), digest.copy()
    feed.update(b"feed")
    pages.update(b"site")
    for path in site.page_sources(settings.root):
        pages.update(f"{path.name}\n".encode() + path.read_bytes())
    return {"feed": feed.hexdigest(), "site": pages.hexdigest()}


def _render(settings: Settings, tree: TreeInputs, media: Media, wanted: _Wanted, live: str
            ) -> tuple[dict, list[str]]:
    """Render the groups of the text tree (``feed``, ``site``) whose inputs
    changed or whose objects the store lost; the others are wanted as
    published. Returns what the state records of each group, and warnings."""
    state, kept = wanted.published.state, media.kept
    prints = render_inputs(settings, tree, media.built, live)
    prior = state.rendered if not kept else {}
    record: dict = {}
    warnings: list[str] = []
    for group, inputs in prints.items():  # a group whose inputs are as recorded and whose objects are intact
        done = prior.get(group)
        if isinstance(done, dict) and done.get("inputs") == inputs and all(
                wanted.intact(k) for k in done.get("keys", ())):
            record[group] = done
            for key in done["keys"]:
                wanted.objects[key] = wanted.as_published(key)
    if len(record) == len(prints):
        return record, warnings
    tree = replace(tree, notes=site.notes_html(settings.site, tree.built, tree.markdown))
    parts = None
    if "feed" not in record:
        parts = site.feed_parts(settings.site, tree)
        warnings += _feed_warnings(settings, tree, parts)
    for group in (g for g in prints if g not in record):
        keys = []
        for key, data in site.iter_all(settings.site, tree, parts=parts, feed=group == "feed", site=group == "site"):
            if key == FEED_KEY and kept:
                data, lost = site.carry_items(data, wanted.store.get(FEED_KEY), {r.guid for r in kept})
                warnings += [f"the published episode with guid {g} is not in the feed the store holds; it stays "
                             "out until its notes are fixed" for g in sorted(lost)]
            keys.append(key)
            wanted.want(make_upload(key, data))
        record[group] = {"inputs": prints[group], "keys": sorted(keys)}
    return record, warnings


class _Wanted:
    """The objects wanted so far (key -> Upload) and, in the order found,
    those the store lacks or holds wrong."""

    def __init__(self, published: Published, store: Store) -> None:
        self.published, self.store = published, store
        self.objects: dict[str, Upload] = {}
        self.todo: list[Upload] = []

    def want(self, u: Upload) -> None:
        state, listing = self.published.state, self.published.listing
        if not u.sha256 or differs(u, state, listing, self.store):  # no hash yet: a dry run's estimate
            self.todo.append(u)
            self.objects[u.key] = u
        else:
            self.objects[u.key] = replace(u, source=b"") if isinstance(u.source, bytes) else u

    def as_published(self, key: str) -> Upload:
        """An object the store holds as the state records it: wanted, no bytes."""
        entry = self.published.state.objects[key]
        content_type, cache_control = headers_for(key)
        return Upload(key, b"", entry.sha256, entry.size or 0, content_type, cache_control)

    def intact(self, key: str) -> bool:
        record, listing = self.published.state.objects.get(key), self.published.listing
        return record is not None and key in listing and record.stamp == listing[key].token

    def in_order(self) -> list[Upload]:
        feed_keys = frozenset(k for k in self.objects if k == FEED_KEY or k.startswith("feed-"))
        return sorted(self.todo, key=lambda u: phase(u.key, feed_keys))


def _live_statuses(settings: Settings, planned: Planned) -> dict[str, str]:
    return site.live_statuses(settings.site, planned.published.podcast_guid, planned.live, planned.now, planned.markdown)


def _keys(r: EpisodeRecord) -> set[str]:
    return set(r.keys) | set(r.media.keys if r.media else ())


def _feed_warnings(settings: Settings, tree: TreeInputs, parts: FeedParts) -> list[str]:
    """Apple's rules on the feed as built, worded as ``castline check``
    words them: an error stops the publish before anything is uploaded; a
    warning is reported and the publish goes on."""
    notes_of = {b.guid: str(b.episode.notes_path.relative_to(settings.root)) for b in tree.built}
    rules = feed_rules(parts.channel, list(parts.items), notes_of)
    errors = [r.error for r in rules if r.severity is not Severity.WARNING]
    if errors:
        raise errors[0] if len(errors) == 1 else Problems(errors)
    return [str(r.error) for r in rules]
