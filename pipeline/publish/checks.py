"""Check the whole show without publishing anything: ``castline check``.

Everything publish would trip over, found in one pass and listed together,
each as one line naming the file: the placeholders ``castline init`` left
(``scaffold.placeholder_problems``), the notes (ingest), every recording (it
must decode; probed, never mastered, so a check takes seconds), the show art
and every episode art (Apple's rules), the transcripts, the feed rules
(Apple and Podcasting 2.0, on a feed built the way publish builds it, with
the enclosure size and duration estimated from the recording), and the
store (reachable and writable). Nothing is written, encoded or uploaded.

*Problems* stop a publish or break the feed; *warnings* are Apple's advice
(an episode description over 4000 bytes is cut, a title with an episode
number in it is shown twice) and facts the host may have forgotten (a draft,
an episode dated in the future).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import feeds
from pipeline.audio import SourceInfo, probe
from pipeline.build import Built, estimated_media
from pipeline.errors import CastlineError, Problems
from pipeline.ingest import Cue, Markdown, ingest, read_transcript
from pipeline.model import Episode, Settings
from pipeline.scaffold import placeholder_problems
from pipeline.site import feed_channel, feed_item
from pipeline.store import open_store
from pipeline.tools import images as art
from pipeline.tools.ffmpeg import find_ffmpeg
from pipeline.tools.filecache import FileCache
from pipeline.tools.tempfiles import CACHE_DIR

from .rules import Severity, feed_rules
from .statuses import status

CONFIG = "config.toml"
SHOW_ART_KEY = "art/cover.jpg"  # stand-in; publish uses a content-hashed name


@dataclass(frozen=True)
class CheckReport:
    """What ``check`` found. ``problems`` stop a publish (or would break the
    feed); ``warnings`` are one-line advice. ``episodes_checked`` counts the
    notes files looked at, sound or not."""

    problems: tuple[CastlineError, ...]
    warnings: tuple[str, ...]
    episodes_checked: int

    @property
    def ok(self) -> bool:
        return not self.problems


def check(settings: Settings, *, now: datetime | None = None, check_store: bool = True) -> CheckReport:
    """Check the show (config already loaded into ``settings``) and list
    every problem and warning at once, show-wide ones first, then each
    episode's in the order of the notes files, then the store's."""
    now = now or datetime.now(timezone.utc)
    root = settings.root
    warnings: list[str] = []
    ffmpeg = find_ffmpeg(settings.audio.ffmpeg)

    show_wide = [*placeholder_problems(root, settings.show), *_attempt(root, lambda: art.check_art(settings.show.image))]
    for clip in (settings.audio.intro, settings.audio.outro):
        if clip is not None:
            show_wide.extend(_attempt(root, lambda c=clip: _probe(c, ffmpeg)))

    found = ingest(settings.ingest)
    markdown = Markdown()
    probes = ProbeCache(root)
    per_notes: dict[str, list[CastlineError]] = {}
    items, notes_of = [], {}
    for ep in sorted(found.episodes, key=lambda e: e.notes_path.name):
        notes = _rel(root, ep.notes_path)
        warnings.extend(f"{notes}: {w}" for w in _held(ep, now))
        built, per_notes[notes] = _check_episode(settings, ep, ffmpeg, probes)
        if built is not None:
            html = markdown.html(ep.body, allow_html=settings.show.allow_html)
            items.append(feed_item(settings.site, built, html, markdown=markdown))
            notes_of[built.guid] = notes

    podcast_guid = settings.show.podcast_guid or feeds.podcast_guid(settings.feed_url)
    channel = feed_channel(settings.site, podcast_guid, SHOW_ART_KEY)
    for problem in feed_rules(channel, items, notes_of):
        if problem.severity is Severity.WARNING:
            warnings.append(str(problem.error))
        elif problem.error.path in per_notes:
            per_notes[problem.error.path].append(problem.error)
        else:
            show_wide.append(problem.error)

    probes.save()
    problems = [*show_wide, *found.problems, *(p for group in per_notes.values() for p in group)]
    if check_store:
        problems.extend(_attempt(root, lambda: open_store(settings.storage, root).check()))
        if not problems:
            warnings.extend(_stale(settings))
    notes_dir = root / "show_notes"
    checked = len(list(notes_dir.glob("*.md"))) if notes_dir.is_dir() else 0
    return CheckReport(problems=tuple(_unique(problems)), warnings=tuple(dict.fromkeys(warnings)),
                       episodes_checked=checked)


def _stale(settings: Settings) -> list[str]:
    """How many published episodes carry tags or masters from before a
    show-wide change (publish leaves them as published unless asked)."""
    try:
        report = status(settings)
    except CastlineError:
        return []
    out = []
    if report.stale_tags:
        out.append(f"{report.stale_tags} published episode(s) carry tags from before a show-wide change; "
                   "castline publish --retag-all updates them")
    if report.stale_masters:
        out.append(f"{report.stale_masters} published episode(s) were mastered with older [audio] settings; "
                   "castline publish --remaster-all updates them")
    return out


def _check_episode(settings: Settings, ep: Episode, ffmpeg: str,
                   probes: ProbeCache | None = None) -> tuple[Built | None, list[CastlineError]]:
    """Probe the recording, check the art and read the transcript; return a
    stand-in Built (for the feed rules) when the recording decodes."""
    root = settings.root
    problems: list[CastlineError] = []
    info = None
    try:
        info = _probe(ep.audio_path, ffmpeg, probes)
    except CastlineError as exc:
        problems.append(exc.relative_to(root))
    if ep.image is not None:
        problems.extend(_attempt(root, lambda: art.check_art(ep.image)))
    cues: tuple[Cue, ...] = ()
    if ep.transcript is not None:
        try:
            cues = read_transcript(ep.transcript)
        except CastlineError as exc:
            problems.append(exc.relative_to(root))
    if info is None:
        return None, problems
    return _stand_in(settings, ep, info.duration, cues), problems


def _probe(path: Path, ffmpeg: str, cache: "ProbeCache | None" = None):
    if cache is not None:
        return cache.probe(path, ffmpeg)
    return probe(path, ffmpeg)


class ProbeCache:
    """What ffmpeg said about each recording, remembered by the file's path,
    size and mtime (``.castline/cache/probes.json``): ``castline check`` of a
    show whose recordings did not change starts no ffmpeg at all. A file
    that fails to probe is never cached (its error is worded fresh)."""

    def __init__(self, root: Path) -> None:
        self.files = FileCache(root / CACHE_DIR / "probes.json")

    def probe(self, path: Path, ffmpeg: str) -> SourceInfo:
        stamp, hit = self.files.get(path)
        if hit:
            return SourceInfo(*hit)
        info = probe(path, ffmpeg)
        self.files.put(path, stamp, [info.duration, info.channels, info.sample_rate, info.codec])
        return info

    def save(self) -> None:
        self.files.save()


def _stand_in(settings: Settings, ep: Episode, duration: float, cues: tuple[Cue, ...]) -> Built:
    """The episode as publish would build it, with the encoded size estimated
    from the bitrate: close enough for every feed rule, and nothing encoded."""
    a = settings.audio
    transcript_key = f"episodes/{ep.slug}{ep.transcript.suffix.lower()}" if ep.transcript else None
    return Built(episode=ep, guid=ep.guid or f"check:{ep.slug}", media=estimated_media(settings, ep, duration),
                 media_key=f"media/{ep.slug}.{a.format}", alternate_keys=tuple(f"media/{ep.slug}.{f}" for f in a.alternates),
                 art_key=f"art/{ep.image.name}" if ep.image else None, chapters=ep.chapters, transcript=cues,
                 transcript_key=transcript_key)


def _held(ep: Episode, now: datetime) -> list[str]:
    if ep.draft:
        return ["is a draft: publish leaves it out until you remove `draft: true`"]
    if ep.date > now:
        return [f"is dated {ep.date.isoformat(timespec='minutes')}: publish leaves it out until then"]
    return []


def _attempt(root: Path, action) -> list[CastlineError]:
    try:
        action()
    except CastlineError as exc:
        return _expand(exc, root)
    return []


def _expand(exc: CastlineError, root: Path) -> list[CastlineError]:
    if isinstance(exc, Problems):
        return [p.relative_to(root) for p in exc.problems]
    return [exc.relative_to(root)]


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _unique(problems: list[CastlineError]) -> list[CastlineError]:
    seen: set[str] = set()
    out = []
    for p in problems:
        if str(p) not in seen:
            seen.add(str(p))
            out.append(p)
    return out
