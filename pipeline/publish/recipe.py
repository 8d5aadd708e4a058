"""The orchestration: plan the publish, then carry it out in a safe order.

Read it as a recipe::

    state, listing = what was published, and what the store holds now
    episodes       = ingest(show folder)                 every problem found at once
    plan           = each episode's state and work        (pipeline/plan.py)
    built          = master + tag what changed            (cache: nothing twice)
    objects        = feed, pages, chapters, transcripts, art, media
    uploads        = what the store lacks or holds wrong  (pipeline/sync.py)
    under a lease: media and art (verified) -> pages and sidecars -> feed -> state -> prune

Any problem in the show stops the publish before the store changes (exit 1,
naming every problem); ``--skip-broken`` publishes what is ready and keeps
broken or missing published episodes as they were. The feed is replaced
only after everything it points at is in the store, and the state only
after the feed: a failure at any step leaves the published show whole, and
the next ordinary run finishes the work.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.publish import receipt
from pipeline.errors import CastlineError, Problems, StateError
from pipeline.tools.tempfiles import CACHE_DIR, clean_cache, temp_prefix
from pipeline.model import Episode, LiveEvent, Settings
from pipeline.publish.report import EpisodeState, EpisodeStatus, PublishOptions, Report, StatusReport, as_settled
from pipeline.store.state import STATE_KEY, EpisodeRecord, State, dump_state, parse_state
from pipeline.store.protocol import FEED_KEY, Stamp, Store, Upload, headers_for, make_upload, open_store
from pipeline.store.sync import differs, phase, prunable, recorded_objects

if TYPE_CHECKING:  # the rest loads only when a publish has work to do (see receipt.py)
    from pipeline.build.media import HashCache
    from pipeline.build.episode import ArtCache, BuiltEpisode, Progress
    from pipeline.build.plan import Held, Plan, PlannedEpisode
    from pipeline.site.render import Built

__all__ = ["EpisodeState", "EpisodeStatus", "PublishOptions", "Report", "StatusReport", "publish", "status"]
RENDER_VERSION = "castline-0.2-render-1"  # bump when rendering changes what the same inputs give


def publish(settings: Settings, *, options: PublishOptions = PublishOptions(), now: datetime | None = None,
            progress: Progress | None = None, store: Store | None = None) -> Report:
    """Publish the show: the recipe in the module docstring. A plain publish
    whose receipt shows that nothing changed answers from it (receipt.py)."""
    try:
        now = now or datetime.now(timezone.utc)
        store = store or open_store(settings.storage, settings.root)
        store.check()
        clean_cache(settings.root)
        plain = not (options.only or options.remove or options.prune or options.skip_broken or options.retag_all
                     or options.remaster_all)
        inputs = receipt.fingerprint_inputs(settings, getattr(store, "root", None)) if plain else None
        state_bytes, etag = store.read_state(STATE_KEY)
        listing = store.listing()
        if inputs is not None:
            done = receipt.read(settings.root, inputs=inputs, state_bytes=state_bytes, listing=listing, now=now)
            if done is not None:
                return replace(done, dry_run=options.dry_run)
        if progress is None:
            from pipeline.build.episode import Quiet

            progress = Quiet()
        return _publish(settings, options, now, progress, store, _Read(state_bytes, etag, listing, inputs))
    except CastlineError as exc:
        raise exc.relative_to(settings.root) from None


@dataclass(frozen=True)
class _Read:
    """What a publish read before it decided to work: the state's bytes and
    ETag, the store's listing, and the receipt's fingerprint of the inputs
    (None when the options ask for work a receipt cannot vouch for)."""

    state_bytes: bytes | None
    etag: str | None
    listing: dict[str, Stamp]
    inputs: str | None


def _publish(settings: Settings, opts: PublishOptions, now: datetime, progress: Progress, store: Store,
             read: _Read) -> Report:
    from pipeline.ingest import notes
    from pipeline.publish import notify
    from pipeline.build.media import HashCache
    from pipeline.build.episode import ArtCache
    from pipeline.ingest.folder import ingest
    from pipeline.build.plan import Options, plan_publish
    from pipeline.site.render import live_statuses
    from pipeline.scaffold.make import placeholder_problems

    state, state_bytes, podcast_guid = _published_state(settings, store, read.state_bytes, read.etag)
    listing = read.listing
    memo = settings.root / CACHE_DIR / "notes.json"
    notes.MEMO.load(memo)
    found = ingest(settings)
    arts = ArtCache(settings)
    show_art = arts.prepare(settings.show.image)
    hashes = HashCache(settings.root)
    plan = plan_publish(settings, found.episodes, _present_slugs(settings, found.episodes), state, podcast_guid,
                        hashes, listing, now, Options(opts.only, opts.remove, opts.retag_all, opts.remaster_all))
    problems = [*found.problems, *plan.problems]
    if placeholders := placeholder_problems(settings):  # never skipped: "My Show" by "Your Name" stays home
        _stop_unless_skipping([*placeholders, *problems], PublishOptions())
    _stop_unless_skipping(problems, opts)
    built, failed = _build_all(settings, plan, now, progress, arts, hashes, store, opts.dry_run)
    hashes.save()
    problems += [e for e, _ in failed]
    _stop_unless_skipping(problems, opts)

    kept = [*plan.kept, *(p.record for _, p in failed if p.record is not None and not p.record.removed)]
    live = live_statuses(settings, podcast_guid, found.live, now)
    wanted, uploads, warnings, rendered = _objects(settings, state, listing, store, built, kept, show_art, podcast_guid,
                                                   found.live, now, live)
    if not opts.dry_run:
        notes.MEMO.save(memo, f".{temp_prefix()}notes.partial")
    used = {k for r in _records_after(state, plan, built, kept, now) if not r.removed for k in _keys(r)}
    deletes = prunable(state, listing, wanted, used) if opts.prune else ()
    announce = notify.due_notifications(settings, wanted[FEED_KEY].sha256, state.notified, live)
    report = _report(settings, store, plan, built, failed, uploads, len(wanted) - len(uploads), deletes,
                     problems, [*plan.warnings, *warnings], state, listing, opts.dry_run)
    report = replace(report, announcements=tuple(n.describe() for n in announce.notifications) if opts.notify else ())
    if opts.dry_run:
        return report

    def state_after(listed: dict[str, Stamp]) -> State:
        return _state_after(state, plan, built, kept, now, podcast_guid, settings, wanted, listed, deletes, rendered)

    clean = read.inputs is not None and not problems and not kept
    settled = as_settled(replace(report, warnings=plan.warnings))
    until = _until(found.episodes, found.live, now)
    if not uploads and not deletes and dump_state(state_after(listing)) == state_bytes and not report.announcements:
        if clean:  # the next plain publish answers from the receipt
            receipt.write(settings.root, inputs=read.inputs, state_bytes=state_bytes, listing=listing, until=until,
                          report=settled)
        return report  # nothing new: no lease, no write, nothing touched
    receipt.forget(settings.root)
    report, written, written_bytes = _carry_out(settings, store, state, uploads, deletes, state_after,
                                                announce if opts.notify else None, progress, report)
    if clean and not notify.due_notifications(settings, wanted[FEED_KEY].sha256, written.notified, live).notifications:
        receipt.write(settings.root, inputs=read.inputs, state_bytes=written_bytes, listing=store.listing(),
                      until=until, report=settled)
    return report


def _until(episodes: tuple[Episode, ...], live: tuple[LiveEvent, ...], now: datetime) -> datetime | None:
    """The first moment after ``now`` at which the clock alone changes what
    a publish writes: a scheduled episode comes due, a live item starts or
    ends (see ``feeds.live_status``)."""
    from feeds.model import live_end

    moments = [ep.date for ep in episodes if not ep.draft and ep.date > now]
    for event in live:
        if not event.draft:
            moments += [event.live.start, live_end(event.live.start, event.live.end)]
    return min((m for m in moments if m > now), default=None)


def _carry_out(settings: Settings, store: Store, state: State, uploads: list[Upload], deletes: tuple[str, ...],
               state_after, announce, progress: Progress, report: Report) -> tuple[Report, State, bytes]:
    """Under the lease: media and art (verified), pages and sidecars, the
    feed, the announcements, the state, then the deletions. Returns the
    report and the state written, as a value and as bytes."""
    from pipeline.publish import notify
    from pipeline.store.lease import Lease

    with Lease(store) as lease:
        store.clean_leftovers()  # unfinished multipart uploads of a killed run
        if store.read_state(STATE_KEY)[1] != state.etag:
            raise StateError("another publish changed the show while this one was building",
                             path=f"{store.name}{STATE_KEY}", fix="run castline publish again")
        feed_keys = frozenset(u.key for u in uploads if u.key == FEED_KEY or u.key.startswith("feed-"))
        advance = progress.step("Uploading", sum(u.size for u in uploads))
        for n in range(3):
            if n == 2:
                lease.confirm()  # the feed and the state are replaced only by the lease holder
            store.put([u for u in uploads if phase(u.key, feed_keys) == n], verify=n == 0, on_bytes=advance)
        new_state = state_after(store.listing())  # the stamps the store gave what was written
        if announce is not None and announce.notifications:  # the feed is in the store: tell the apps
            sent = notify.send(announce, env=os.environ, timeout=settings.notify.timeout)
            new_state = replace(new_state, notified=sent.record)
            report = replace(report, warnings=(*report.warnings, *sent.warnings))
        written = dump_state(new_state)
        store.write_state(STATE_KEY, written, expected_etag=state.etag)
        if deletes:
            store.delete_many(list(deletes))
    return replace(report, warnings=(*lease.notices, *report.warnings)), new_state, written


def _stop_unless_skipping(problems: list[CastlineError], opts: PublishOptions) -> None:
    """One rule: any problem stops the publish before the store changes,
    unless the host asked to publish what is ready (``--skip-broken``)."""
    if problems and not opts.skip_broken:
        raise problems[0] if len(problems) == 1 else Problems(problems)


def _build_all(settings: Settings, plan: Plan, now: datetime, progress: Progress, arts: ArtCache,
               hashes: HashCache, store: Store, dry_run: bool
               ) -> tuple[list[BuiltEpisode], list[tuple[CastlineError, PlannedEpisode]]]:
    """Master (two at a time) and tag the due episodes, in order."""
    from pipeline.build.episode import MASTER_WORKERS, Masters, build_episode, master_plan
    from pipeline.build.plan import Work

    built, failed = [], []
    with Masters(settings, workers=0 if dry_run else MASTER_WORKERS, progress=progress) as masters:
        for p in plan.due:
            if p.work is Work.BUILD and not dry_run:
                masters.start(p.episode, master_plan(p))
        for p in plan.due:
            try:
                built.append(build_episode(settings, p, now, masters=masters, dry_run=dry_run, arts=arts,
                                           hashes=hashes, store=store))
            except CastlineError as exc:
                failed.append((exc.relative_to(settings.root), p))
    return built, failed


def _objects(settings: Settings, state: State, listing: dict[str, Stamp], store: Store, built: list[BuiltEpisode],
             kept: list[EpisodeRecord], show_art, podcast_guid: str, live_events, now: datetime,
             live: dict[str, str]) -> tuple[dict[str, Upload], list[Upload], list[str], dict]:
    """Every object the show wants in the store (``wanted``, bytes dropped
    once known to be there: memory stays flat as the show grows), those the
    store lacks or holds wrong (``uploads``), in upload order, and what the
    state records of the rendered tree.

    The text tree (feed, pages, chapters, transcripts) is rendered only when
    its inputs changed or the store lost a piece of it: a no-op publish
    compares one fingerprint instead of rendering every page."""
    from pipeline.site.render import feed_parts, iter_all, notes_html

    show_art_key = f"art/{show_art.name}"
    bs = [b.built for b in built]
    wanted: dict[str, Upload] = {}
    todo: list[Upload] = []
    warnings: list[str] = []

    def want(u: Upload) -> None:
        if not u.sha256 or differs(u, state, listing, store):  # no hash yet: a dry run's estimate
            todo.append(u)
            wanted[u.key] = u
        else:
            wanted[u.key] = replace(u, source=b"") if isinstance(u.source, bytes) else u

    want(make_upload(show_art_key, show_art.path, show_art.sha256))
    for b in built:
        for u in b.uploads:
            want(u)
        for key in (b.built.media_key, *b.built.alternate_keys):  # media reused as published: wanted, not sent
            if key not in wanted and key in state.objects:
                wanted[key] = _as_published(key, state)
    prints = render_inputs(settings, built, podcast_guid, show_art_key, f"{live_events!r}{sorted(live.items())}")
    prior = state.rendered if not kept else {}
    record: dict = {}
    for group, inputs in prints.items():  # a group whose inputs are as recorded and whose objects are intact
        done = prior.get(group)
        if isinstance(done, dict) and done.get("inputs") == inputs and all(
                _intact(k, state, listing) for k in done.get("keys", ())):
            record[group] = done
            for key in done["keys"]:
                wanted[key] = _as_published(key, state)
    if len(record) == len(prints):
        return wanted, _in_order(todo, wanted), warnings, record
    notes = notes_html(settings, bs)
    parts = None
    if "feed" not in record:
        parts = feed_parts(settings, bs, notes, podcast_guid=podcast_guid, show_art_key=show_art_key,
                           live=live_events, now=now)
        warnings += _feed_warnings(settings, bs, parts)
    for group in (g for g in prints if g not in record):
        rendered = []
        for key, data in iter_all(settings, bs, notes, podcast_guid=podcast_guid, show_art_key=show_art_key,
                                  live=live_events, now=now, parts=parts, feed=group == "feed", site=group == "site"):
            if key == FEED_KEY and kept:
                from pipeline.site.carry import carry_items

                data, lost = carry_items(data, store.get(FEED_KEY), {r.guid for r in kept})
                warnings += [f"the published episode with guid {g} is not in the feed the store holds; it stays "
                             "out until its notes are fixed" for g in sorted(lost)]
            rendered.append(key)
            want(make_upload(key, data))
        record[group] = {"inputs": prints[group], "keys": sorted(rendered)}
    return wanted, _in_order(todo, wanted), warnings, record if not kept else {}


def _as_published(key: str, state: State) -> Upload:
    """An object the store holds as the state records it: wanted, no bytes."""
    entry = state.objects[key]
    content_type, cache_control = headers_for(key)
    return Upload(key, b"", entry.sha256, entry.size or 0, content_type, cache_control)


def _in_order(todo: list[Upload], wanted: dict[str, Upload]) -> list[Upload]:
    feed_keys = frozenset(k for k in wanted if k == FEED_KEY or k.startswith("feed-"))
    return sorted(todo, key=lambda u: phase(u.key, feed_keys))


def _intact(key: str, state: State, listing: dict[str, Stamp]) -> bool:
    record = state.objects.get(key)
    return record is not None and key in listing and record.stamp == listing[key].token


def render_inputs(settings: Settings, built: list[BuiltEpisode], podcast_guid: str, show_art_key: str, live: str
                  ) -> dict[str, str]:
    """Fingerprints of what each part of the text tree is rendered from.
    Both: the settings, castline's render version, every episode as built
    (notes, media facts, keys) and the live items' statuses (which change
    with the clock). ``site`` (the pages) also the page templates and
    static files, built-in and the show's; ``feed`` (the feed, chapters
    and art sizes) not: a template edit re-renders only the pages."""
    digest = hashlib.sha256(f"{RENDER_VERSION}\n{settings!r}\n{podcast_guid}\n{show_art_key}\n{live}\n".encode())
    for e in sorted(built, key=lambda e: e.built.guid):  # the media as the state records it: no local paths
        digest.update(f"{replace(e.built, media=None)!r}{json.dumps(e.record.media, sort_keys=True, default=str)}"
                      .encode())
    feed, site = digest.copy(), digest.copy()
    feed.update(b"feed")
    site.update(b"site")
    site_dir = Path(__file__).parent.parent / "site"
    for folder in (site_dir / "templates", site_dir / "static", settings.root / "templates"):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    site.update(f"{path.name}\n".encode() + path.read_bytes())
    return {"feed": feed.hexdigest(), "site": site.hexdigest()}


def _keys(r: EpisodeRecord) -> set[str]:
    media = r.media or {}
    keys = set(r.keys)
    if media:
        keys |= {media["main"]["key"], *(a["key"] for a in media.get("alternates", []))}
    return keys


def _records_after(state: State, plan: Plan, built: list[BuiltEpisode], kept: list[EpisodeRecord],
                   now: datetime) -> list[EpisodeRecord]:
    """Every record after this publish: built ones replaced, removals marked
    (the record, and so the GUID, is kept for life), the rest as they were."""
    records = state.by_guid()
    stamp = now.isoformat(timespec="seconds")
    for r in plan.removals:
        records[r.guid] = replace(r, removed=stamp)
    for b in built:
        records[b.record.guid] = b.record
    return list(records.values())


def _state_after(state: State, plan: Plan, built: list[BuiltEpisode], kept: list[EpisodeRecord], now: datetime,
                 podcast_guid: str, settings: Settings, wanted: dict[str, Upload], listing: dict[str, Stamp],
                 deletes: tuple[str, ...], rendered: dict) -> State:
    records = _records_after(state, plan, built, kept, now)
    return replace(state, podcast_guid=podcast_guid, feed_url=settings.feed_url, episodes=tuple(records),
                   objects=recorded_objects(state, wanted, listing, deletes), rendered=rendered)


def status(settings: Settings, *, now: datetime | None = None, store: Store | None = None) -> StatusReport:
    """Each episode's state without mastering or uploading anything (the
    plan a publish would make; see pipeline/plan.py for the states)."""
    from pipeline.build.media import HashCache
    from pipeline.ingest.folder import ingest
    from pipeline.build.plan import Options, plan_publish

    now = now or datetime.now(timezone.utc)
    store = store or open_store(settings.storage, settings.root)
    state, _, podcast_guid = _published_state(settings, store, *store.read_state(STATE_KEY))
    found = ingest(settings)
    hashes = HashCache(settings.root)
    plan = plan_publish(settings, found.episodes, _present_slugs(settings, found.episodes), state, podcast_guid,
                        hashes, store.listing(), now, Options())
    hashes.save()
    rows = [_planned_status(settings, p) for p in plan.due] + [_held_status(h) for h in plan.held]
    return StatusReport(tuple(sorted(rows, key=_order)), plan.stale_tags, plan.stale_masters,
                        tuple(str(p) for p in (*found.problems, *plan.problems)))


def _order(s: EpisodeStatus):
    return (s.date.isoformat() if s.date else "", s.slug)


def _planned_status(settings: Settings, p: PlannedEpisode) -> EpisodeStatus:
    from pipeline.build.media import record_media

    ep = p.episode
    media = record_media(p.record.media)[0] if p.record and p.record.media else None
    url = settings.show.base_url + f"episodes/{ep.slug}.html" if p.state is not EpisodeState.NEW else None
    return EpisodeStatus(slug=ep.slug, title=ep.title, number=ep.number, season=ep.season, date=ep.date,
                         state=p.state, guid=p.guid, duration=media.duration if media else None, url=url,
                         loudness_out=media.output_loudness.integrated if media and media.output_loudness else None)


def _held_status(h: Held) -> EpisodeStatus:
    if h.episode is not None:
        ep = h.episode
        return EpisodeStatus(slug=ep.slug, title=ep.title, number=ep.number, season=ep.season, date=ep.date,
                             state=h.state, guid=h.record.guid if h.record else None)
    r = h.record
    first = datetime.fromisoformat(r.first_published) if r.first_published else None
    return EpisodeStatus(slug=r.slug, title=r.slug, number=r.number, season=r.season, date=first, state=h.state,
                         guid=r.guid)


def _report(settings: Settings, store: Store, plan: Plan, built: list[BuiltEpisode],
            failed: list[tuple[CastlineError, PlannedEpisode]], uploads: list[Upload], unchanged: int,
            deletes: tuple[str, ...], problems: list[CastlineError], warnings: list[str], state: State,
            listing: dict[str, Stamp], dry_run: bool) -> Report:
    rows = [_held_status(h) for h in plan.held]
    planned = {p.guid: p for p in plan.due}
    rows += [_built_status(settings, b, planned[b.built.guid]) for b in built]
    for _, p in failed:
        rows.append(replace(_planned_status(settings, p), state=EpisodeState.KEPT if p.record and not p.record.removed
                            else EpisodeState.FAILED))
    repaired = tuple(u.key for u in uploads if u.key in state.objects and state.objects[u.key].sha256 == u.sha256)
    return Report(
        store=store.name, feed_url=settings.feed_url, site_url=settings.show.base_url,
        episodes=tuple(sorted(rows, key=_order)), uploads=tuple((u.key, u.size) for u in uploads),
        unchanged=unchanged, deletes=deletes, problems=tuple(problems), warnings=tuple(warnings), dry_run=dry_run,
        local_dir=getattr(store, "root", None), estimated=tuple(b.built.media_key for b in built if b.estimated),
        repaired=repaired, stale_tags=plan.stale_tags, stale_masters=plan.stale_masters)


def _built_status(settings: Settings, b: BuiltEpisode, p: PlannedEpisode) -> EpisodeStatus:
    ep, media = b.built.episode, b.built.media
    loud_in, loud_out = media.input_loudness, media.output_loudness
    return EpisodeStatus(
        slug=ep.slug, title=ep.title, number=ep.number, season=ep.season, date=ep.date, state=p.state, guid=p.guid,
        duration=media.duration, url=settings.show.base_url + f"episodes/{ep.slug}.html",
        loudness_in=loud_in.integrated if loud_in else None, loudness_out=loud_out.integrated if loud_out else None,
        true_peak_out=loud_out.true_peak if loud_out else None)


def _present_slugs(settings: Settings, episodes: tuple[Episode, ...]) -> set[str]:
    """Every notes file's slug, broken ones too: an episode whose notes do
    not read is still there (its problem is reported), not removed."""
    folder = settings.root / "show_notes"
    stems = {p.stem for p in folder.glob("*.md")} if folder.is_dir() else set()
    return stems | {ep.slug for ep in episodes}


def _published_state(settings: Settings, store: Store, data: bytes | None, etag: str | None
                     ) -> tuple[State, bytes | None, str]:
    """The store's published state (``data`` and ``etag`` as read), its
    bytes, and the show's podcast:guid: the one already published, else the
    pinned one, else computed once from the feed URL (and then kept, even
    if the feed moves)."""
    import feeds

    state = parse_state(data, etag, f"{store.name}{STATE_KEY}")
    return state, data, state.podcast_guid or settings.show.podcast_guid or feeds.podcast_guid(settings.feed_url)


def _feed_warnings(settings: Settings, built: list[Built], parts) -> list[str]:
    """Apple's rules on the feed as built (``render.FeedParts``), worded as
    ``castline check`` words them: an error (a channel rule) stops the
    publish before anything is uploaded; a warning (an episode description
    over 4000 bytes, which Apple cuts) is reported and the publish goes on."""
    from pipeline.publish.check import feed_rules  # the same wording as castline check

    notes_of = {b.guid: str(b.episode.notes_path.relative_to(settings.root)) for b in built}
    rules = feed_rules(parts.channel, list(parts.items), notes_of)
    errors = [r.error for r in rules if r.severity != "warning"]
    if errors:
        raise errors[0] if len(errors) == 1 else Problems(errors)
    return [str(r.error) for r in rules]
