"""episodes/ + show_notes/ -> [Episode], with every problem found at once.

Each ``show_notes/<slug>.md`` is one episode. Its recording is the file in
``episodes/`` with the same stem (or the ``audio:`` field); a ``.jpg`` or
``.png`` beside the recording is the episode art, a ``.vtt`` or ``.srt`` its
transcript. A broken episode is reported and left out; the others go on.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline.errors import CastlineError, NotesError
from pipeline.model import Episode, IngestSettings, LiveEvent
from pipeline.text import clean_block

from .fields import Fields, short, shown
from .frontmatter import read_notes
from .podcasting import NOTES_FIELDS, live_event, read_episode_tags

AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff")
ART_EXTENSIONS = (".jpg", ".jpeg", ".png")
TRANSCRIPT_EXTENSIONS = (".vtt", ".srt")
_SIDECARS = ART_EXTENSIONS + TRANSCRIPT_EXTENSIONS + (".md", ".txt", ".json")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_LINK_FIX = "copy the file into the show folder instead of linking to it"

FIELDS = (
    "title", "number", "season", "date", "type", "explicit", "summary", "audio", "image", "image_alt",
    "image_credit", "transcript", "guests", "chapters", "soundbites", "keywords", "draft", "guid", "slug",
    "discussion", "location", "license", "master", "leveler", "denoise",
)


FIELDS += NOTES_FIELDS  # the newer Podcasting 2.0 fields, read by pipeline/podcasting.py


@dataclass(frozen=True)
class Ingested:
    """What ingest found: the episodes that are sound, and every problem;
    ``live``: notes files with ``live:`` whose recording does not exist yet."""

    episodes: tuple[Episode, ...]
    problems: tuple[CastlineError, ...]
    live: tuple[LiveEvent, ...] = ()
    slugs: frozenset[str] = frozenset()  # every notes file's slug, broken ones too: present, not removed


def ingest(settings: IngestSettings) -> Ingested:
    """Read every notes file, pair it with its recording and sidecars."""
    root = settings.root
    notes_dir, audio_dir = root / "show_notes", root / "episodes"
    problems: list[CastlineError] = []
    episodes: list[Episode] = []
    live: list[LiveEvent] = []
    notes_files = sorted(notes_dir.glob("*.md")) if notes_dir.is_dir() else []
    used_audio: set[Path] = set()
    files = _Files(root)
    for path in notes_files:
        try:
            _found(root, path, files)  # a notes file linked from outside the show is never read
        except NotesError as exc:
            problems.append(exc)
            used_audio.add(_find_audio(audio_dir, path.stem, files) or path)
            continue
        try:
            episode = _episode(settings, path, files)
        except CastlineError as exc:  # noqa: F841  (reported below, or replaced by the live item's problem)
            try:
                event = live_event(settings, path) if _find_audio(audio_dir, path.stem, files) is None else None
            except CastlineError as live_problem:
                event, exc = None, live_problem
            if event is not None:
                live.append(event)
                continue
            problems.append(exc)
            stem_audio = _find_audio(audio_dir, path.stem, files)
            if stem_audio:
                used_audio.add(stem_audio)
            continue
        used_audio.add(episode.audio_path)
        episodes.append(episode)
    problems.extend(_orphans(settings, audio_dir, used_audio))
    episodes, dup_problems = _check_duplicates(root, episodes)
    problems.extend(dup_problems)
    episodes.sort(key=lambda e: (e.date, e.slug))
    return Ingested(tuple(episodes), tuple(problems), tuple(sorted(live, key=lambda e: (e.live.start, e.slug))),
                    frozenset({p.stem for p in notes_files} | {ep.slug for ep in episodes}))


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


class _Files:
    """The files of each folder, listed once per ingest: finding a recording
    or its sidecars by name is then a set lookup, not a stat per extension
    (a dozen per episode)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._names: dict[str, tuple[frozenset[str], frozenset[str]]] = {}  # folder: (files, plain files)
        self._inside: dict[str, bool] = {}

    def names(self, folder: Path, *, plain: bool = False) -> frozenset[str]:
        """The files in ``folder`` (links to files too, unless ``plain``)."""
        key = str(folder)
        listed = self._names.get(key)
        if listed is None:
            try:
                with os.scandir(folder) as entries:
                    found = [(e.name, e.is_symlink()) for e in entries if _is_file(e)]
            except OSError:
                found = []
            listed = frozenset(n for n, _ in found), frozenset(n for n, link in found if not link)
            self._names[key] = listed
        return listed[1] if plain else listed[0]

    def plainly_inside(self, path: Path) -> bool:
        """A file found in a listed folder that lies inside the show, and is
        no link: inside the show without following anything."""
        folder = path.parent
        if path.name not in self.names(folder, plain=True):
            return False
        key = str(folder)
        if key not in self._inside:
            self._inside[key] = folder.resolve().is_relative_to(self.root)
        return self._inside[key]


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:  # a link that loops is no file
        return False


def _find_audio(audio_dir: Path, stem: str, files: _Files) -> Path | None:
    names = files.names(audio_dir)
    return next((audio_dir / f"{stem}{ext}" for ext in AUDIO_EXTENSIONS if f"{stem}{ext}" in names), None)


def inside_show(root: Path, path: Path, error: Callable[[Path], NotesError]) -> Path:
    """``path`` with every link followed, or ``error(target)`` raised if it
    lies outside the show folder ``root``. The one rule for every file
    castline publishes, whether front matter names it or it is found by its
    name: a link in ``episodes/`` to ``~/.ssh/id_rsa`` is not published.
    A link that loops is returned as it is: reading it fails, and says so."""
    try:
        resolved = path.resolve()
    except RuntimeError:  # a symlink loop
        return path
    if not resolved.is_relative_to(root):
        raise error(resolved)
    return resolved


def _found(root: Path, path: Path | None, files: _Files) -> Path | None:
    """A file found by its name (a notes file, a recording, a sidecar),
    checked to be inside the show folder; the path as found."""
    if path is not None and not files.plainly_inside(path):
        inside_show(root, path, lambda target: NotesError(f"is a link to {target}, outside the show folder",
                                                          path=_rel(root, path), fix=_LINK_FIX))
    return path


def _episode(settings: IngestSettings, path: Path, files: _Files) -> Episode:
    root = settings.root
    display = Path(_rel(root, path))
    notes = read_notes(path, display)
    f = Fields(notes, display)
    for key in notes.fields:
        if key not in FIELDS:
            hint = difflib.get_close_matches(key[:40], FIELDS, n=1)
            raise NotesError("is not a known field", path=display, line=notes.lines.get(key, 1), field=short(key),
                             fix=f"did you mean `{hint[0]}`?" if hint else "remove it; the fields are listed in README")
    slug = f.text("slug") or path.stem
    if not _SLUG.match(slug) or ".." in slug:
        raise f.error("slug" if "slug" in notes.fields else None, f"the slug {shown(slug)} is not allowed",
                      fix="use letters, digits, '-' and '_' only, like 001-my-episode")
    title = f.text("title", required=True)
    audio = _resolve(f, root, "audio") if "audio" in notes.fields else _found(root, _find_audio(root / "episodes", path.stem, files), files)
    if audio is None:
        raise NotesError("has no recording", path=display,
                         fix=f"put the audio at episodes/{path.stem}.wav (or .flac, .mp3, .m4a, .ogg), or name it in `audio:`")
    if audio.suffix.lower() not in AUDIO_EXTENSIONS:
        raise f.error("audio", f"{shown(audio.suffix or audio.name)} is not an audio format castline reads",
                      fix="use WAV, FLAC, MP3, M4A, Ogg or Opus")
    image = _resolve(f, root, "image") if "image" in notes.fields else _found(root, _sidecar(audio, ART_EXTENSIONS, files), files)
    transcript = (_resolve(f, root, "transcript") if "transcript" in notes.fields
                  else _found(root, _sidecar(audio, TRANSCRIPT_EXTENSIONS, files), files))
    if transcript is not None and transcript.suffix.lower() not in TRANSCRIPT_EXTENSIONS:
        raise f.error("transcript", f"{shown(transcript.name)} is not a .vtt or .srt file", fix="use a WebVTT (.vtt) or SubRip (.srt) file")
    return Episode(
        slug=slug,
        notes_path=path,
        audio_path=audio,
        title=title,
        date=f.date("date", settings.timezone),
        body=clean_block(notes.body),
        number=f.positive("number"),
        season=f.positive("season"),
        type=f.choice("type", ("full", "trailer", "bonus"), "full"),
        explicit=f.boolean("explicit", None),
        summary=f.text("summary", multiline=True),
        image=image,
        image_alt=f.text("image_alt"),
        image_credit=f.text("image_credit"),
        transcript=transcript,
        guests=f.guests(),
        chapters=f.chapters(),
        soundbites=f.soundbites(),
        keywords=f.keywords(),
        draft=bool(f.boolean("draft", False)),
        guid=f.text("guid"),
        discussion=f.url("discussion"),
        **read_episode_tags(f, settings.timezone),
        location=f.text("location"),
        license=f.text("license"),
        master=bool(f.boolean("master", True)),
        leveler=f.boolean("leveler", None),
        denoise=f.boolean("denoise", None),
    )


def _sidecar(audio: Path, extensions: tuple[str, ...], files: _Files) -> Path | None:
    stem = audio.name[: len(audio.name) - len(audio.suffix)]
    names = files.names(audio.parent)
    for ext in extensions:
        for candidate in (f"{stem}{ext}", f"{stem}{ext.upper()}"):
            if candidate in names:
                return audio.parent / candidate
    return None


def _resolve(f: Fields, root: Path, key: str) -> Path:
    name = f.text(key, required=True, multiline=True)
    path = inside_show(root, root / name, lambda target: f.error(
        key, f"{shown(name)} points outside the show folder", fix="keep the file inside the show folder"))
    try:
        found = path.is_file()
    except OSError:  # a name too long for the file system
        found = False
    if not found:
        raise f.error(key, f"{shown(name)} does not exist", fix="check the path; it is relative to the show folder")
    return path


def _orphans(settings: IngestSettings, audio_dir: Path, used: set[Path]) -> list[CastlineError]:
    """Recordings with no notes, and files of a kind castline cannot use."""
    if not audio_dir.is_dir():
        return []
    skip = set(settings.clips)
    problems: list[CastlineError] = []
    stems_with_notes = {p.stem for p in (settings.root / "show_notes").glob("*.md")}
    for path in sorted(audio_dir.iterdir()):
        if not path.is_file() or path.name.startswith(".") or (skip and path.resolve() in skip) or path in used:
            continue
        ext = path.suffix.lower()
        display = _rel(settings.root, path)
        if ext in AUDIO_EXTENSIONS:
            problems.append(NotesError("is a recording with no show notes", path=display,
                                       fix=f"write show_notes/{path.stem}.md (try `castline new`), or move the file out of episodes/"))
        elif ext not in _SIDECARS:
            problems.append(NotesError(f"{ext or 'this file'} is not a format castline reads", path=display,
                                       fix="convert it to WAV, FLAC, MP3, M4A, Ogg or Opus"))
        elif path.stem not in stems_with_notes and ext in TRANSCRIPT_EXTENSIONS + ART_EXTENSIONS:
            continue  # sidecars named by a notes file's audio: field are fine
    return problems


def _check_duplicates(root: Path, episodes: list[Episode]) -> tuple[list[Episode], list[CastlineError]]:
    seen_numbers: dict[tuple[int | None, int], Episode] = {}
    seen_slugs: dict[str, Episode] = {}
    seen_guids: dict[str, Episode] = {}
    keep, problems = [], []
    for ep in sorted(episodes, key=lambda e: e.notes_path.name):
        clash = None
        if ep.number is not None and (ep.season, ep.number) in seen_numbers:
            other = seen_numbers[(ep.season, ep.number)]
            clash = NotesError(f"episode number {ep.number} is also used by {_rel(root, other.notes_path)}",
                               path=_rel(root, ep.notes_path), field="number", fix="give each episode its own number")
        elif ep.slug in seen_slugs:
            clash = NotesError(f"slug {ep.slug!r} is also used by {_rel(root, seen_slugs[ep.slug].notes_path)}",
                               path=_rel(root, ep.notes_path), field="slug", fix="give each episode its own slug")
        elif ep.guid and ep.guid in seen_guids:
            clash = NotesError(f"guid {ep.guid!r} is also used by {_rel(root, seen_guids[ep.guid].notes_path)}",
                               path=_rel(root, ep.notes_path), field="guid", fix="each episode needs its own guid")
        if clash:
            problems.append(clash)
            continue
        if ep.number is not None:
            seen_numbers[(ep.season, ep.number)] = ep
        seen_slugs[ep.slug] = ep
        if ep.guid:
            seen_guids[ep.guid] = ep
        keep.append(ep)
    return keep, problems
