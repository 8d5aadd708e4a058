"""episodes/ + show_notes/ -> [Episode], with every problem found at once.

Each ``show_notes/<slug>.md`` is one episode. Its recording is the file in
``episodes/`` with the same stem (or the ``audio:`` field); a ``.jpg`` or
``.png`` beside the recording is the episode art, a ``.vtt`` or ``.srt`` its
transcript. A broken episode is reported and left out; the others go on.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from .errors import CastlineError, NotesError
from .frontmatter import Notes, read_notes
from .model import Chapter, Episode, LiveEvent, Person, Settings, Soundbite
from .podcasting import NOTES_FIELDS, live_event, read_episode_tags
from .text import URL_FIX, clean_block, clean_line, clean_text, url_problem

AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff")
ART_EXTENSIONS = (".jpg", ".jpeg", ".png")
TRANSCRIPT_EXTENSIONS = (".vtt", ".srt")
_SIDECARS = ART_EXTENSIONS + TRANSCRIPT_EXTENSIONS + (".md", ".txt", ".json")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TIME = re.compile(r"^(?:(\d{1,3}):)?([0-5]?\d):([0-5]\d(?:\.\d{1,9})?)$")
_MAX_NUMBER = 65535  # MP4 keeps the episode number (trkn) and season (disk) in 16 bits
_MAX_SECONDS = 100 * 3600  # a chapter or soundbite time past 100 hours is a typo
_YEARS = (1900, 2999)  # a date outside these is a typo (and year 9999 overflows with a time zone)
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


def ingest(settings: Settings) -> Ingested:
    """Read every notes file, pair it with its recording and sidecars."""
    root = settings.root
    notes_dir, audio_dir = root / "show_notes", root / "episodes"
    problems: list[CastlineError] = []
    episodes: list[Episode] = []
    live: list[LiveEvent] = []
    notes_files = sorted(notes_dir.glob("*.md")) if notes_dir.is_dir() else []
    used_audio: set[Path] = set()
    for path in notes_files:
        try:
            _found(root, path)  # a notes file linked from outside the show is never read
        except NotesError as exc:
            problems.append(exc)
            used_audio.add(_find_audio(audio_dir, path.stem) or path)
            continue
        try:
            episode = _episode(settings, path)
        except CastlineError as exc:
            try:
                event = live_event(settings, path) if _find_audio(audio_dir, path.stem) is None else None
            except CastlineError as live_problem:
                event, exc = None, live_problem
            if event is not None:
                live.append(event)
                continue
            problems.append(exc)
            stem_audio = _find_audio(audio_dir, path.stem)
            if stem_audio:
                used_audio.add(stem_audio)
            continue
        used_audio.add(episode.audio_path)
        episodes.append(episode)
    problems.extend(_orphans(settings, audio_dir, used_audio))
    episodes, dup_problems = _check_duplicates(root, episodes)
    problems.extend(dup_problems)
    episodes.sort(key=lambda e: (e.date, e.slug))
    return Ingested(tuple(episodes), tuple(problems), tuple(sorted(live, key=lambda e: (e.live.start, e.slug))))


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _find_audio(audio_dir: Path, stem: str) -> Path | None:
    for ext in AUDIO_EXTENSIONS:
        candidate = audio_dir / f"{stem}{ext}"
        if candidate.is_file():
            return candidate
    return None


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


def _found(root: Path, path: Path | None) -> Path | None:
    """A file found by its name (a notes file, a recording, a sidecar),
    checked to be inside the show folder; the path as found."""
    if path is not None:
        inside_show(root, path, lambda target: NotesError(f"is a link to {target}, outside the show folder",
                                                          path=_rel(root, path), fix=_LINK_FIX))
    return path


def _episode(settings: Settings, path: Path) -> Episode:
    root = settings.root
    display = Path(_rel(root, path))
    notes = read_notes(path, display)
    f = _Fields(notes, display)
    for key in notes.fields:
        if key not in FIELDS:
            hint = difflib.get_close_matches(key[:40], FIELDS, n=1)
            raise NotesError("is not a known field", path=display, line=notes.lines.get(key, 1), field=_short(key),
                             fix=f"did you mean `{hint[0]}`?" if hint else "remove it; the fields are listed in README")
    slug = f.text("slug") or path.stem
    if not _SLUG.match(slug) or ".." in slug:
        raise f.error("slug" if "slug" in notes.fields else None, f"the slug {_shown(slug)} is not allowed",
                      fix="use letters, digits, '-' and '_' only, like 001-my-episode")
    title = f.text("title", required=True)
    audio = _resolve(f, root, "audio") if "audio" in notes.fields else _found(root, _find_audio(root / "episodes", path.stem))
    if audio is None:
        raise NotesError("has no recording", path=display,
                         fix=f"put the audio at episodes/{path.stem}.wav (or .flac, .mp3, .m4a, .ogg), or name it in `audio:`")
    if audio.suffix.lower() not in AUDIO_EXTENSIONS:
        raise f.error("audio", f"{_shown(audio.suffix or audio.name)} is not an audio format castline reads",
                      fix="use WAV, FLAC, MP3, M4A, Ogg or Opus")
    image = _resolve(f, root, "image") if "image" in notes.fields else _found(root, _sidecar(audio, ART_EXTENSIONS))
    transcript = (_resolve(f, root, "transcript") if "transcript" in notes.fields
                  else _found(root, _sidecar(audio, TRANSCRIPT_EXTENSIONS)))
    if transcript is not None and transcript.suffix.lower() not in TRANSCRIPT_EXTENSIONS:
        raise f.error("transcript", f"{_shown(transcript.name)} is not a .vtt or .srt file", fix="use a WebVTT (.vtt) or SubRip (.srt) file")
    return Episode(
        slug=slug,
        notes_path=path,
        audio_path=audio,
        title=title,
        date=f.date("date", settings.show.timezone),
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
        **read_episode_tags(f, settings.show.timezone),
        location=f.text("location"),
        license=f.text("license"),
        master=bool(f.boolean("master", True)),
        leveler=f.boolean("leveler", None),
        denoise=f.boolean("denoise", None),
    )


def _sidecar(audio: Path, extensions: tuple[str, ...]) -> Path | None:
    for ext in extensions:
        for candidate in (audio.with_suffix(ext), audio.with_suffix(ext.upper())):
            if candidate.is_file():
                return candidate
    return None


def _resolve(f: "_Fields", root: Path, key: str) -> Path:
    name = f.text(key, required=True, multiline=True)
    path = inside_show(root, root / name, lambda target: f.error(
        key, f"{_shown(name)} points outside the show folder", fix="keep the file inside the show folder"))
    try:
        found = path.is_file()
    except OSError:  # a name too long for the file system
        found = False
    if not found:
        raise f.error(key, f"{_shown(name)} does not exist", fix="check the path; it is relative to the show folder")
    return path


def _short(value: str, limit: int = 60) -> str:
    """A value as a message may quote it: one line, at most ``limit``
    characters (a 10 MB title is not printed back to the host)."""
    value = clean_line(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _shown(value: Any) -> str:
    """A front-matter value as an error message shows it: text quoted and
    cut short, a number as written, a list or table by its kind alone."""
    if isinstance(value, str):
        return repr(_short(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**30 else "a huge number"
    if isinstance(value, (float, date)):
        return str(value)
    return _kind(value)


class _Fields:
    """Typed access to one notes file's fields; errors carry the line."""

    def __init__(self, notes: Notes, display: Path) -> None:
        self.notes, self.display = notes, display

    def error(self, key: str | None, message: str, fix: str) -> NotesError:
        return NotesError(message, path=self.display, line=self.notes.lines.get(key) if key else 1, field=key, fix=fix)

    def raw(self, key: str) -> Any:
        return self.notes.fields.get(key)

    def text(self, key: str, *, required: bool = False, multiline: bool = False) -> str | None:
        """The field as clean text (``pipeline.text``): no control
        characters, no surrounding spaces; one line unless ``multiline``."""
        value = self.raw(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise self.error(key, f"must be text, not {_kind(value)}", fix=f"write `{key}: some text`")
        value = (clean_text(value) if multiline else clean_line(value)) if value is not None else ""
        if not value:
            if required:
                raise self.error(key, "is missing" if key not in self.notes.fields else "is empty",
                                 fix=f"add `{key}: ...` to the front matter")
            return None
        return value

    def url(self, key: str) -> str | None:
        value = self.raw(key)
        if value is None:
            return None
        problem = url_problem(value)
        if problem:
            raise self.error(key, problem, fix=URL_FIX)
        return value

    def positive(self, key: str) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, str) and re.fullmatch(r"\d{1,9}", value.strip(), re.ASCII):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, f"{_shown(value)} is not a whole number", fix=f"write `{key}: 3`")
        if value > _MAX_NUMBER:
            raise self.error(key, f"{_shown(value)} is too large", fix=f"use a whole number from 0 to {_MAX_NUMBER}")
        return value

    def boolean(self, key: str, default: bool | None) -> bool | None:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"{_shown(value)} is not true or false", fix=f"write `{key}: true` or `{key}: false`")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> Any:
        value = self.text(key) or default
        if value not in allowed:
            raise self.error(key, f"{_shown(value)} is not allowed", fix="use one of " + ", ".join(allowed))
        return value

    def date(self, key: str, timezone: str) -> datetime:
        value = raw = self.raw(key)
        fix = "write an ISO 8601 date like 2024-05-01 or 2024-05-01T09:00:00-04:00"
        if value is None:
            raise self.error(key, "is missing", fix="add `date: 2024-05-01T09:00:00-04:00` (ISO 8601)")
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise self.error(key, f"{_shown(raw)} is not a date", fix=fix) from None
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, time(0, 0))
        if not isinstance(value, datetime):
            raise self.error(key, f"{_shown(raw)} is not a date", fix=fix)
        if not _YEARS[0] <= value.year <= _YEARS[1]:
            raise self.error(key, f"{_shown(raw)} is not a plausible date (the year must be {_YEARS[0]} to {_YEARS[1]})",
                             fix=fix)
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(timezone))
        return value

    def keywords(self) -> tuple[str, ...]:
        value = self.raw("keywords")
        if value is None:
            return ()
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in value):
            raise self.error("keywords", "must be a list of words", fix="write `keywords: [one, two]`")
        return tuple(word for word in (clean_line(str(v)) for v in value) if word)

    def _list_of_tables(self, key: str, example: str) -> list[dict[str, Any]]:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"must be a list, not {_kind(value)}", fix=f"write it as a list: {example}")
        return value

    def _item_text(self, key: str, what: str, value: Any, *, multiline: bool = False) -> str | None:
        """One text value inside a list item (a guest's name, a chapter's
        title), cleaned; None when absent or empty."""
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise self.error(key, f"{what} must be text, not {_kind(value)}", fix="write it as plain text")
        return (clean_text(value) if multiline else clean_line(value)) or None

    def _item_url(self, key: str, what: str, value: Any) -> str | None:
        if value is None:
            return None
        problem = url_problem(value)
        if problem:
            raise self.error(key, f"{what}: {problem}", fix=URL_FIX)
        return value

    def _unknown(self, key: str, what: str, item: dict[Any, Any], allowed: tuple[str, ...]) -> None:
        unknown = [k for k in item if k not in allowed]
        if unknown:
            raise self.error(key, f"{what} has an unknown key {_shown(str(unknown[0]))}", fix="use " + ", ".join(allowed))

    def guests(self) -> tuple[Person, ...]:
        out = []
        allowed = ("name", "role", "group", "href", "img", "bio")
        for i, item in enumerate(self._list_of_tables("guests", "- name: Jane Doe")):
            what = f"guest {i + 1}"
            if isinstance(item, str):
                item = {"name": item}
            name = self._item_text("guests", f"{what} name", item.get("name")) if isinstance(item, dict) else None
            if name is None:
                raise self.error("guests", f"{what} has no name", fix="write each guest as `- name: Jane Doe`")
            self._unknown("guests", what, item, allowed)
            out.append(Person(
                name=name, role=self._item_text("guests", f"{what} role", item.get("role")) or "guest",
                group=self._item_text("guests", f"{what} group", item.get("group")) or "cast",
                href=self._item_url("guests", f"{what} href", item.get("href")),
                img=self._item_url("guests", f"{what} img", item.get("img")),
                bio=self._item_text("guests", f"{what} bio", item.get("bio"), multiline=True)))
        return tuple(out)

    def seconds(self, key: str, value: Any, what: str) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value) if math.isfinite(value) and value >= 0 else None
        else:
            m = _TIME.match(value.strip()) if isinstance(value, str) else None
            seconds = int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) if m else None
        if seconds is None:
            raise self.error(key, f"{what} {_shown(value)} is not a time", fix='write it as "M:SS" or "H:MM:SS", like "12:30"')
        if seconds > _MAX_SECONDS:
            raise self.error(key, f"{what} {_shown(value)} is past 100 hours",
                             fix="write the time from the start of the recording, like \"12:30\"")
        return seconds

    def chapters(self) -> tuple[Chapter, ...]:
        out: list[Chapter] = []
        allowed = ("start", "title", "url", "img")
        for i, item in enumerate(self._list_of_tables("chapters", '- start: "0:00"\n  title: Intro')):
            what = f"chapter {i + 1}"
            title = self._item_text("chapters", f"{what} title", item.get("title")) if isinstance(item, dict) else None
            if not isinstance(item, dict) or "start" not in item or title is None:
                raise self.error("chapters", f"{what} needs a start and a title",
                                 fix='write each as `- start: "0:00"` and `title: Intro`')
            self._unknown("chapters", what, item, allowed)
            start = self.seconds("chapters", item["start"], f"{what} start")
            if out and start <= out[-1].start:
                raise self.error("chapters", f"{what} starts before chapter {i}", fix="list chapters in order of their start")
            out.append(Chapter(start=start, title=title, url=self._item_url("chapters", f"{what} url", item.get("url")),
                               img=self._item_url("chapters", f"{what} img", item.get("img"))))
        return tuple(out)

    def soundbites(self) -> tuple[Soundbite, ...]:
        out = []
        allowed = ("start", "duration", "title")
        for i, item in enumerate(self._list_of_tables("soundbites", '- start: "1:20"\n  duration: 30')):
            what = f"soundbite {i + 1}"
            if not isinstance(item, dict) or "start" not in item or "duration" not in item:
                raise self.error("soundbites", f"{what} needs a start and a duration", fix="write start and duration (seconds)")
            self._unknown("soundbites", what, item, allowed)
            start = self.seconds("soundbites", item["start"], f"{what} start")
            duration = self.seconds("soundbites", item["duration"], f"{what} duration")
            out.append(Soundbite(start, duration, self._item_text("soundbites", f"{what} title", item.get("title"))))
        return tuple(out)


def _kind(value: Any) -> str:
    return {dict: "a table", list: "a list", bool: "true/false", int: "a number", float: "a number"}.get(type(value), "text")


def _orphans(settings: Settings, audio_dir: Path, used: set[Path]) -> list[CastlineError]:
    """Recordings with no notes, and files of a kind castline cannot use."""
    if not audio_dir.is_dir():
        return []
    skip = {p for p in (settings.audio.intro, settings.audio.outro) if p}
    problems: list[CastlineError] = []
    stems_with_notes = {p.stem for p in (settings.root / "show_notes").glob("*.md")}
    for path in sorted(audio_dir.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.resolve() in skip or path in used:
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
