"""The orchestration: plan the publish, then carry it out in a safe order.

Read ``_publish`` as the recipe::

    planned  = ingest the show folder + match GUIDs + plan each episode's work  (every problem found at once)
    media    = master + tag what changed                                         (cache: nothing twice)
    objects  = render what changed; what the store lacks or holds wrong          (publish/objects.py)
    outcome  = the report, and the announcements due
    written  = under a lease: media and art (verified) -> pages and sidecars -> feed -> announce -> state -> prune
    receipt  = kept when the publish ended clean, so the next no-op answers at once

Any problem in the show stops the publish before the store changes (exit 1,
naming every problem); ``--skip-broken`` publishes what is ready and keeps
broken or missing published episodes as they were. The feed is replaced
only after everything it points at is in the store, and the state only
after the feed: a failure at any step leaves the published show whole, and
the next ordinary run finishes the work.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import feeds
from pipeline import build, ingest, scaffold
from pipeline.errors import CastlineError, Problems, StateError
from pipeline.model import PublishOptions, Settings
from pipeline.progress import Progress, Quiet
from pipeline.store import FEED_KEY, STATE_KEY, Lease, State, Store, dump_state, open_store, phase
from pipeline.tools.tempfiles import CACHE_DIR, clean_cache

from . import notify, receipt
from .objects import Media, Objects, Planned, objects, state_after
from .report import Report, as_settled
from .statuses import StoreRead, built_status, failed_status, held_status, order, read_published, read_store

NOTES_MEMO = f"{CACHE_DIR}/notes.json"


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
        read = read_store(store, receipt.fingerprint_inputs(settings, getattr(store, "root", None)) if plain else None)
        if read.inputs is not None:  # a plain publish: the receipt may show that nothing changed
            done = receipt.read(settings.root, inputs=read.inputs, state_bytes=read.state_bytes, listing=read.listing,
                                now=now)
            if done is not None:
                return replace(done, dry_run=options.dry_run)
        return _publish(settings, options, now, progress or Quiet(), store, read)
    except CastlineError as exc:
        raise exc.relative_to(settings.root) from None


def _publish(settings: Settings, opts: PublishOptions, now: datetime, progress: Progress, store: Store,
             read: StoreRead) -> Report:
    """The recipe: each step takes plain values and returns one."""
    planned = _plan(settings, store, read, now, opts)  # ingest, GUIDs, each episode's work; any problem stops here
    media = _build(settings, planned, progress, store, opts)  # master and tag what changed, from the cache if made
    wanted = objects(settings, planned, media, store, opts.prune)  # render what changed; what the store lacks
    outcome = _outcome(settings, planned, media, wanted, store, opts)  # the report, the announcements due
    if opts.dry_run:
        return outcome.report
    planned.markdown.memo.save(settings.root / NOTES_MEMO)
    run = Run(planned, media, wanted, outcome)
    written = _unchanged(settings, read, run) or _write(settings, store, progress, run)  # in the safe order
    _keep_receipt(settings, store, read, run, written)  # the next publish with nothing new answers from it
    return written.report


@dataclass(frozen=True)
class Outcome:
    """What a publish did or would do (the report), and the announcements
    due once the feed is stored (None with ``--no-notify``)."""

    report: Report
    announce: notify.NotifyPlan | None


@dataclass(frozen=True)
class Run:
    """One publish, planned, built and decided: what the store writes."""

    planned: Planned
    media: Media
    objects: Objects
    outcome: Outcome


@dataclass(frozen=True)
class Written:
    """The store after the publish: the report, the state as written (a
    value and its bytes), and the listing if it was not read again
    (None: list the store anew)."""

    report: Report
    state: State
    state_bytes: bytes | None
    listing: dict | None
    unchanged: bool = False


def _plan(settings: Settings, store: Store, read: StoreRead, now: datetime, opts: PublishOptions) -> Planned:
    """Ingest the show, match every episode to its GUID and plan its work.
    Any problem stops here, before anything is built, unless skipping."""
    published = read_published(settings, store.name, read)
    markdown = ingest.Markdown(ingest.Memo.load(settings.root / NOTES_MEMO))  # the notes rendered before, by content
    found = ingest.ingest(settings.ingest)
    arts, hashes = build.ArtCache(settings.build), build.HashCache(settings.root)
    show_art = arts.prepare(settings.show.image)
    plan = build.plan_publish(settings.build, found, published, hashes, now, opts)
    problems = (*found.problems, *plan.problems)
    if placeholders := scaffold.placeholder_problems(settings.root, settings.show):  # never skipped: "My Show"
        _stop_unless_skipping([*placeholders, *problems], PublishOptions())
    _stop_unless_skipping(problems, opts)
    return Planned(published, plan, found.episodes, found.live, show_art, problems, now, arts, hashes, markdown)


def _build(settings: Settings, planned: Planned, progress: Progress, store: Store, opts: PublishOptions) -> Media:
    """Master (two at a time) and tag the due episodes, in order; an episode
    that fails is kept as published when it was, or reported."""
    built, failed = [], []
    dry_run, due = opts.dry_run, planned.plan.due
    with build.Masters(settings.build, workers=0 if dry_run else build.MASTER_WORKERS, progress=progress) as masters:
        for p in due:
            if p.work is build.Work.BUILD and not dry_run:
                masters.start(p.episode, build.master_plan(p))
        shop = build.Workshop(masters, planned.arts, planned.hashes, store, planned.markdown, dry_run)
        for p in due:
            try:
                built.append(build.build_episode(settings.build, p, planned.now, shop))
            except CastlineError as exc:
                failed.append((exc.relative_to(settings.root), p))
    planned.hashes.save()
    _stop_unless_skipping([*planned.problems, *(e for e, _ in failed)], opts)
    kept = (*planned.plan.kept, *(p.record for _, p in failed if p.record is not None and not p.record.removed))
    return Media(tuple(built), tuple(failed), kept)


def _outcome(settings: Settings, planned: Planned, media: Media, wanted: Objects, store: Store,
             opts: PublishOptions) -> Outcome:
    """The report of the publish, and the announcements it owes."""
    state, plan = planned.published.state, planned.plan
    announce = notify.due_notifications(settings, wanted.wanted[FEED_KEY].sha256, state.notified, wanted.live)
    rows = [held_status(h) for h in plan.held]
    by_guid = {p.guid: p for p in plan.due}
    rows += [built_status(settings, b, by_guid[b.built.guid]) for b in media.built]
    rows += [failed_status(settings, p) for _, p in media.failed]
    uploads = wanted.uploads
    report = Report(
        store=store.name, feed_url=settings.feed_url, site_url=settings.show.base_url,
        episodes=tuple(sorted(rows, key=order)), uploads=tuple((u.key, u.size) for u in uploads),
        unchanged=len(wanted.wanted) - len(uploads), deletes=wanted.deletes,
        problems=(*planned.problems, *(e for e, _ in media.failed)), warnings=(*plan.warnings, *wanted.warnings),
        dry_run=opts.dry_run, local_dir=getattr(store, "root", None),
        estimated=tuple(b.built.media_key for b in media.built if b.estimated),
        repaired=tuple(u.key for u in uploads if u.key in state.objects and state.objects[u.key].sha256 == u.sha256),
        stale_tags=plan.stale_tags, stale_masters=plan.stale_masters,
        announcements=tuple(n.describe() for n in announce.notifications) if opts.notify else ())
    return Outcome(report, announce if opts.notify else None)


def _unchanged(settings: Settings, read: StoreRead, run: Run) -> Written | None:
    """Nothing new: no lease, no write, nothing touched (the store as read)."""
    planned, media, wanted, outcome = run.planned, run.media, run.objects, run.outcome
    published = planned.published
    if wanted.uploads or wanted.deletes or outcome.report.announcements:
        return None
    if dump_state(state_after(settings, planned, media, wanted, published.listing)) != read.state_bytes:
        return None
    return Written(outcome.report, published.state, read.state_bytes, published.listing, unchanged=True)


def _write(settings: Settings, store: Store, progress: Progress, run: Run) -> Written:
    """Under the lease: media and art (verified), pages and sidecars, the
    feed, the announcements, the state, then the deletions."""
    receipt.forget(settings.root)
    planned, wanted, report = run.planned, run.objects, run.outcome.report
    etag = planned.published.state.etag
    with Lease(store) as lease:
        store.clean_leftovers()  # unfinished multipart uploads of a killed run
        if store.read_state(STATE_KEY)[1] != etag:
            raise StateError("another publish changed the show while this one was building",
                             path=f"{store.name}{STATE_KEY}", fix="run castline publish again")
        feed_keys = frozenset(u.key for u in wanted.uploads if u.key == FEED_KEY or u.key.startswith("feed-"))
        advance = progress.step("Uploading", sum(u.size for u in wanted.uploads))
        for n in range(3):
            if n == 2:
                lease.confirm()  # the feed and the state are replaced only by the lease holder
            store.put([u for u in wanted.uploads if phase(u.key, feed_keys) == n], verify=n == 0, on_bytes=advance)
        new_state = state_after(settings, planned, run.media, wanted, store.listing())  # the stamps given
        announce = run.outcome.announce
        if announce is not None and announce.notifications:  # the feed is in the store: tell the apps
            sent = notify.send(announce, env=os.environ, timeout=settings.notify.timeout)
            new_state = replace(new_state, notified=sent.record)
            report = replace(report, warnings=(*report.warnings, *sent.warnings))
        written = dump_state(new_state)
        store.write_state(STATE_KEY, written, expected_etag=etag)
        if wanted.deletes:
            store.delete_many(list(wanted.deletes))
    return Written(replace(report, warnings=(*lease.notices, *report.warnings)), new_state, written, None)


def _keep_receipt(settings: Settings, store: Store, read: StoreRead, run: Run, written: Written) -> None:
    """A publish that ended clean (a plain run, no problem, nothing kept,
    no announcement still due) leaves a receipt: the next plain publish
    with nothing changed answers from it."""
    planned = run.planned
    if read.inputs is None or planned.problems or run.media.failed or run.media.kept:
        return
    if not written.unchanged and notify.due_notifications(settings, run.objects.wanted[FEED_KEY].sha256,
                                                          written.state.notified, run.objects.live).notifications:
        return
    receipt.write(settings.root, inputs=read.inputs, state_bytes=written.state_bytes,
                  listing=written.listing if written.listing is not None else store.listing(),
                  until=_until(planned, now=planned.now),
                  report=as_settled(replace(run.outcome.report, warnings=planned.plan.warnings)))


def _until(planned: Planned, now: datetime) -> datetime | None:
    """The first moment after ``now`` at which the clock alone changes what
    a publish writes: a scheduled episode comes due, a live item starts or
    ends (see ``feeds.live_status``)."""
    moments = [ep.date for ep in planned.episodes if not ep.draft and ep.date > now]
    for event in planned.live:
        if not event.draft:
            moments += [event.live.start, feeds.live_end(event.live.start, event.live.end)]
    return min((m for m in moments if m > now), default=None)


def _stop_unless_skipping(problems, opts: PublishOptions) -> None:
    """One rule: any problem stops the publish before the store changes,
    unless the host asked to publish what is ready (``--skip-broken``)."""
    if problems and not opts.skip_broken:
        raise problems[0] if len(problems) == 1 else Problems(list(problems))
