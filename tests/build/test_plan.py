"""The build stage's plan, read through its face: each episode's state and
the work it needs, from the show folder and what the store holds."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from pipeline.build import HashCache, Published, Work, plan_publish, record_media
from pipeline.config import load_settings
from pipeline.ingest import ingest
from pipeline.model import EpisodeState
from pipeline.store import STATE_KEY, State, open_store, parse_state

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _published(root: Path) -> Published:
    settings = load_settings(root)
    store = open_store(settings.storage, settings.root)
    state = parse_state(*store.read_state(STATE_KEY), where="state")
    return Published(state, store.listing(), state.podcast_guid)


def test_a_new_show_builds_every_episode(sample_show: Path) -> None:
    settings = load_settings(sample_show)
    plan = plan_publish(settings.build, ingest(settings.ingest), Published(State(), {}, "8f7a3b1e-0f7c-5d2e-9a41-3c2b1d0e9f88"),
                        HashCache(settings.root), NOW)
    assert [(p.episode.slug[:3], p.state, p.work) for p in plan.due] == [
        ("001", EpisodeState.NEW, Work.BUILD), ("002", EpisodeState.NEW, Work.BUILD)]
    assert plan.problems == () and plan.held == ()


def test_a_published_show_reuses_its_media_until_the_store_loses_a_file(published_copy: Path) -> None:
    settings = load_settings(published_copy)
    published = _published(published_copy)
    plan = plan_publish(settings.build, ingest(settings.ingest), published, HashCache(settings.root), NOW)
    assert {(p.state, p.work) for p in plan.due} == {(EpisodeState.PUBLISHED, Work.REUSE)}
    first = next(r for r in published.state.episodes if r.slug.startswith("001"))
    media, key, alternates = record_media(first.media)  # the typed record, as the state keeps it
    assert key == first.media.main.key and media.main.size == (published_copy / "public" / key).stat().st_size
    assert first.media.keys == [key, *alternates]
    (published_copy / "public" / key).unlink()
    replanned = plan_publish(settings.build, ingest(settings.ingest), _published(published_copy),
                             HashCache(settings.root), NOW)
    lost = next(p for p in replanned.due if p.episode.slug.startswith("001"))
    assert lost.work is not Work.REUSE and lost.guid == first.guid  # made again, same GUID
