"""episodes/ + show_notes/ -> [Episode], with every problem found at once.

Each ``show_notes/<slug>.md`` is one episode. Its recording is the file in
``episodes/`` with the same stem (or the ``audio:`` field); a ``.jpg`` or
``.png`` beside the recording is the episode art, a ``.vtt`` or ``.srt`` its
transcript. A broken episode is reported and left out; the others go on.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .errors import CastlineError, NotesError
from .frontmatter import Notes, read_notes
from .model import Chapter, Episode, Person, Settings, Soundbite

AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff")
ART_EXTENSIONS = (".jpg", ".jpeg", ".png")
TRANSCRIPT_EXTENSIONS = (".vtt", ".srt")
_SIDECARS = ART_EXTENSIONS + TRANSCRIPT_EXTENSIONS + (".md", ".txt", ".json")
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TIME = re.compile(r"^(?:(\d+):)?([0-5]?\d):([0-5]\d(?:\.\d+)?)$")

FIELDS = (
    "title", "number", "season", "date", "type", "explicit", "summary", "audio", "image", "image_alt",
    "image_credit", "transcript", "guests", "chapters", "soundbites", "keywords", "draft", "guid", "slug",
    "discussion", "location", "license",
)


@dataclass(frozen=True)
class Ingested:
    """What ingest found: the episodes that are sound, and every problem."""

    episodes: tuple[Episode, ...]
    problems: tuple[CastlineError, ...]


def ingest(settings: Settings) -> Ingested:
    """Read every notes file, pair it with its recording and sidecars."""
    root = settings.root
    notes_dir, audio_dir = root / "show_notes", root / "episodes"
    problems: list[CastlineError] = []
    episodes: list[Episode] = []
    notes_files = sorted(notes_dir.glob("*.md")) if notes_dir.is_dir() else []
    used_audio: set[Path] = set()
    for path in notes_files:
        try:
            episode = _episode(settings, path)
        except CastlineError as exc:
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
    return Ingested(tuple(episodes), tuple(problems))


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


def _episode(settings: Settings, path: Path) -> Episode:
    root = settings.root
    display = Path(_rel(root, path))
    notes = read_notes(path, display)
    f = _Fields(notes, display)
    for key in notes.fields:
        if key not in FIELDS:
            hint = difflib.get_close_matches(key, FIELDS, n=1)
            raise f.error(key, "is not a known field",
                          fix=f"did you mean `{hint[0]}`?" if hint else "remove it; the fields are listed in README")
    slug = f.text("slug") or path.stem
    if not _SLUG.match(slug) or ".." in slug:
        raise f.error("slug" if "slug" in notes.fields else None, f"the slug {slug!r} is not allowed",
                      fix="use letters, digits, '-' and '_' only, like 001-my-episode")
    title = f.text("title", required=True)
    audio = _resolve(f, root, "audio") if "audio" in notes.fields else _find_audio(root / "episodes", path.stem)
    if audio is None:
        raise NotesError("has no recording", path=display,
                         fix=f"put the audio at episodes/{path.stem}.wav (or .flac, .mp3, .m4a, .ogg), or name it in `audio:`")
    if audio.suffix.lower() not in AUDIO_EXTENSIONS:
        raise f.error("audio", f"{audio.suffix or audio.name!r} is not an audio format castline reads",
                      fix="use WAV, FLAC, MP3, M4A, Ogg or Opus")
    image = _resolve(f, root, "image") if "image" in notes.fields else _sidecar(audio, ART_EXTENSIONS)
    transcript = _resolve(f, root, "transcript") if "transcript" in notes.fields else _sidecar(audio, TRANSCRIPT_EXTENSIONS)
    if transcript is not None and transcript.suffix.lower() not in TRANSCRIPT_EXTENSIONS:
        raise f.error("transcript", f"{transcript.name!r} is not a .vtt or .srt file", fix="use a WebVTT (.vtt) or SubRip (.srt) file")
    return Episode(
        slug=slug,
        notes_path=path,
        audio_path=audio,
        title=title,
        date=f.date("date", settings.show.timezone),
        body=notes.body,
        number=f.positive("number"),
        season=f.positive("season"),
        type=f.choice("type", ("full", "trailer", "bonus"), "full"),
        explicit=f.boolean("explicit", None),
        summary=f.text("summary"),
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
        location=f.text("location"),
        license=f.text("license"),
    )


def _sidecar(audio: Path, extensions: tuple[str, ...]) -> Path | None:
    for ext in extensions:
        for candidate in (audio.with_suffix(ext), audio.with_suffix(ext.upper())):
            if candidate.is_file():
                return candidate
    return None


def _resolve(f: "_Fields", root: Path, key: str) -> Path:
    name = f.text(key, required=True)
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise f.error(key, f"{name!r} points outside the show folder", fix="keep the file inside the show folder")
    if not path.is_file():
        raise f.error(key, f"{name!r} does not exist", fix="check the path; it is relative to the show folder")
    return path


class _Fields:
    """Typed access to one notes file's fields; errors carry the line."""

    def __init__(self, notes: Notes, display: Path) -> None:
        self.notes, self.display = notes, display

    def error(self, key: str | None, message: str, fix: str) -> NotesError:
        return NotesError(message, path=self.display, line=self.notes.lines.get(key) if key else 1, field=key, fix=fix)

    def raw(self, key: str) -> Any:
        return self.notes.fields.get(key)

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.raw(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.error(key, "is missing" if key not in self.notes.fields else "is empty",
                                 fix=f"add `{key}: ...` to the front matter")
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise self.error(key, f"must be text, not {_kind(value)}", fix=f"write `{key}: some text`")
        return value.strip()

    def url(self, key: str) -> str | None:
        value = self.text(key)
        if value is not None and not re.match(r"^https?://\S+$", value):
            raise self.error(key, f"{value!r} is not an absolute http(s) URL", fix="write it like https://example.com/thread")
        return value

    def positive(self, key: str) -> int | None:
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, f"{value!r} is not a whole number", fix=f"write `{key}: 3`")
        return value

    def boolean(self, key: str, default: bool | None) -> bool | None:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"{value!r} is not true or false", fix=f"write `{key}: true` or `{key}: false`")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> Any:
        value = self.text(key) or default
        if value not in allowed:
            raise self.error(key, f"{value!r} is not allowed", fix="use one of " + ", ".join(allowed))
        return value

    def date(self, key: str, timezone: str) -> datetime:
        value = self.raw(key)
        if value is None:
            raise self.error(key, "is missing", fix="add `date: 2024-05-01T09:00:00-04:00` (ISO 8601)")
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                raise self.error(key, f"{value!r} is not a date",
                                 fix="write an ISO 8601 date like 2024-05-01 or 2024-05-01T09:00:00-04:00") from None
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, time(0, 0))
        if not isinstance(value, datetime):
            raise self.error(key, f"{value!r} is not a date", fix="write an ISO 8601 date like 2024-05-01T09:00:00-04:00")
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(timezone))
        return value

    def keywords(self) -> tuple[str, ...]:
        value = self.raw("keywords")
        if value is None:
            return ()
        if isinstance(value, str):
            value = [v for v in (p.strip() for p in value.split(",")) if v]
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise self.error("keywords", "must be a list of words", fix="write `keywords: [one, two]`")
        return tuple(str(v).strip() for v in value)

    def _list_of_tables(self, key: str, example: str) -> list[dict[str, Any]]:
        value = self.raw(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"must be a list, not {_kind(value)}", fix=f"write it as a list: {example}")
        return value

    def guests(self) -> tuple[Person, ...]:
        out = []
        allowed = ("name", "role", "group", "href", "img", "bio")
        for i, item in enumerate(self._list_of_tables("guests", "- name: Jane Doe")):
            if isinstance(item, str):
                item = {"name": item}
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise self.error("guests", f"guest {i + 1} has no name", fix="write each guest as `- name: Jane Doe`")
            unknown = [k for k in item if k not in allowed]
            if unknown:
                raise self.error("guests", f"guest {i + 1} has an unknown key {unknown[0]!r}", fix="use " + ", ".join(allowed))
            out.append(Person(**{"role": "guest", **{k: str(v) for k, v in item.items()}}))
        return tuple(out)

    def seconds(self, key: str, value: Any, what: str) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        m = _TIME.match(str(value).strip()) if isinstance(value, str) else None
        if not m:
            raise self.error(key, f"{what} {value!r} is not a time", fix='write it as "M:SS" or "H:MM:SS", like "12:30"')
        return int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3))

    def chapters(self) -> tuple[Chapter, ...]:
        out: list[Chapter] = []
        for i, item in enumerate(self._list_of_tables("chapters", '- start: "0:00"\n  title: Intro')):
            if not isinstance(item, dict) or "start" not in item or not isinstance(item.get("title"), str):
                raise self.error("chapters", f"chapter {i + 1} needs a start and a title",
                                 fix='write each as `- start: "0:00"` and `title: Intro`')
            unknown = [k for k in item if k not in ("start", "title", "url", "img")]
            if unknown:
                raise self.error("chapters", f"chapter {i + 1} has an unknown key {unknown[0]!r}", fix="use start, title, url, img")
            start = self.seconds("chapters", item["start"], f"chapter {i + 1} start")
            if out and start <= out[-1].start:
                raise self.error("chapters", f"chapter {i + 1} starts before chapter {i}", fix="list chapters in order of their start")
            url = item.get("url")
            if url is not None and not re.match(r"^https?://\S+$", str(url)):
                raise self.error("chapters", f"chapter {i + 1} url {url!r} is not an absolute URL", fix="write it like https://...")
            out.append(Chapter(start=start, title=item["title"].strip(), url=url, img=item.get("img")))
        return tuple(out)

    def soundbites(self) -> tuple[Soundbite, ...]:
        out = []
        for i, item in enumerate(self._list_of_tables("soundbites", '- start: "1:20"\n  duration: 30')):
            if not isinstance(item, dict) or "start" not in item or "duration" not in item:
                raise self.error("soundbites", f"soundbite {i + 1} needs a start and a duration", fix="write start and duration (seconds)")
            start = self.seconds("soundbites", item["start"], f"soundbite {i + 1} start")
            duration = self.seconds("soundbites", item["duration"], f"soundbite {i + 1} duration")
            out.append(Soundbite(start, duration, item.get("title")))
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
