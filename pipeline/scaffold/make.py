"""Start a show (``castline init``) and an episode (``castline new``).

A show is a folder: ``config.toml``, ``episodes/`` for the recordings,
``show_notes/`` for the notes, ``templates/`` for page overrides and the show
art. ``init`` writes all of it, with every config key and every front-matter
field shown and explained, so the host learns the format from the files.

What ``init`` cannot know it fills with placeholders (``PLACEHOLDERS``: the
author, the description, the base URL, "My Show" when the folder name gives
no title, and a striped cover that says PLACEHOLDER ART). They let the show
load and ``castline new`` work at once, but ``placeholder_problems`` names
each one left, for ``castline check`` and ``castline publish``, until the
host has replaced it: a feed must never go out as "Your Name".

An episode is a notes file ``show_notes/NNN-some-title.md`` and a recording
with the same stem in ``episodes/``. The number is the next free one; the
slug is the number and the title in plain ASCII, because it becomes the
file names and the page URL (``episodes/NNN-some-title.html``), which must
survive every shell, file system, store and browser.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from pipeline.config import CONFIG_NAME, key_line
from pipeline.errors import ArtError, CastlineError, ConfigError, NotesError
from pipeline.ingest import AUDIO_EXTENSIONS, read_notes
from pipeline.model import Show
from pipeline.text import clean_line

from . import text

COVER_PX = 1400  # the smallest square Apple accepts
# What init writes where it cannot know the answer; each is an error in
# check and publish until replaced. (Not the sample show's base URL: that
# one is real enough to publish and preview.)
PLACEHOLDER_TITLE = "My Show"
PLACEHOLDER_AUTHOR = "Your Name"
PLACEHOLDER_BASE_URL = "https://your-show.example.com/"
PLACEHOLDER_DESCRIPTION = ("Replace this with a sentence or two about your show: who it is for, what\n"
                           "they will hear, and how often a new episode comes out.")
PLACEHOLDER_ART_MARK = b"castline placeholder art"  # the JPEG comment of the cover init makes
PLACEHOLDERS = {  # [show] key -> (placeholder, what to write instead)
    "title": (PLACEHOLDER_TITLE, "give the show its name"),
    "description": (PLACEHOLDER_DESCRIPTION, "describe the show in a sentence or two: who it is for and what they hear"),
    "author": (PLACEHOLDER_AUTHOR, "write the name of the show's maker (the byline apps show)"),
    "base_url": (PLACEHOLDER_BASE_URL, "set it to the public URL where the published show is served (your site or "
                                       "CDN), like https://podcast.yoursite.com/"),
}
SLUG_MAX = 50  # characters of the title part of a slug
_LEADING_NUMBER = re.compile(r"^(\d+)")


@dataclass(frozen=True)
class NewEpisode:
    """What ``new_episode`` made: the notes file, where the recording goes
    (``audio_hint``: ``episodes/<slug>.wav``, or the recording already there),
    the episode number and the slug."""

    notes_path: Path
    audio_hint: Path
    number: int
    slug: str


def init(target: Path, *, today: date | None = None) -> list[Path]:
    """Make a new show in ``target`` (created if missing); return the paths
    created. Refuses a folder that already has a config.toml; never
    overwrites a file that is already there."""
    target = Path(target)
    config = target / CONFIG_NAME
    if config.exists():
        raise ConfigError("there is already a show here", path=config,
                          fix="choose a new folder for `castline init`, or edit this config.toml")
    if target.exists() and not target.is_dir():
        raise ConfigError("is a file, not a folder", path=target, fix="choose a folder for the new show")
    created: list[Path] = []
    if not target.exists():
        target.mkdir(parents=True)
        created.append(target)
    for folder in ("episodes", "show_notes", "templates", "art"):
        if not (target / folder).is_dir():
            (target / folder).mkdir()
            created.append(target / folder)
    title = _title_of_folder(target)
    slug = "001-welcome"
    files = {
        config: text.CONFIG.substitute(title=_toml_string(title), author=_toml_string(PLACEHOLDER_AUTHOR),
                                       base_url=_toml_string(PLACEHOLDER_BASE_URL), description=PLACEHOLDER_DESCRIPTION),
        target / ".gitignore": text.GITIGNORE,
        target / "templates" / "README.txt": text.TEMPLATES_README,
        target / "show_notes" / f"{slug}.md": _notes("Welcome to the show", 1, today or date.today(), slug,
                                                     text.WELCOME_BODY.replace("$slug", slug)),
    }
    for path, content in files.items():
        if not path.exists():
            path.write_text(content, encoding="utf-8")
            created.append(path)
    cover = target / "art" / "cover.jpg"
    if not cover.exists():
        _placeholder_cover(cover, title)
        created.append(cover)
    return created


def placeholder_problems(root: Path, show: Show) -> list[CastlineError]:
    """Each placeholder ``init`` left in the show (at ``root``), as an error
    naming the key (and line) or the file, and what to put there instead.
    Empty once the host has made the show their own."""
    problems: list[CastlineError] = []
    try:
        config_text = (root / CONFIG_NAME).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        config_text = ""
    for key, (placeholder, fix) in PLACEHOLDERS.items():
        value = getattr(show, key)
        if value is not None and " ".join(value.split()) == " ".join(placeholder.split()):
            shown = f"{value!r} is" if "\n" not in placeholder else "is still"
            problems.append(ConfigError(f"{shown} the placeholder `castline init` wrote", path=CONFIG_NAME,
                                        line=key_line(config_text, "show", key), field=f"show.{key}", fix=fix))
    if is_placeholder_art(show.image):
        problems.append(ArtError("is the placeholder art `castline init` made", path=_shown_path(root, show.image),
                                 fix="replace it with your show art: a square JPEG or PNG, 1400 to 3000 px"))
    return problems


def is_placeholder_art(path: Path) -> bool:
    """True for the striped cover ``init`` makes (it carries a JPEG comment
    that real art does not)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return image.info.get("comment") == PLACEHOLDER_ART_MARK
    except (OSError, UnidentifiedImageError, ValueError):
        return False


def _shown_path(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def next_steps(target: Path) -> tuple[str, ...]:
    """What the host does after ``init``, in order, for the CLI to print."""
    go = "" if Path(target).resolve() == Path.cwd().resolve() else f"cd {target} && "
    return (
        "edit config.toml: title, description, author, base_url, categories (and uncomment email)",
        "replace art/cover.jpg with your show art: a square JPEG or PNG, 1400 to 3000 px",
        "put the first recording at episodes/001-welcome.wav (or .flac, .mp3, .m4a, .ogg) "
        "and edit show_notes/001-welcome.md",
        f"{go}castline check, then castline publish",
    )


def new_episode(root: Path, show: Show, title: str, *, today: date | None = None) -> NewEpisode:
    """Write the notes file of the next episode, dated today in the show's
    time zone (so it is never scheduled for later by accident)."""
    title = clean_line(title)
    if not title:
        raise NotesError("the title is empty", fix='give the episode a title, like castline new "Our first guest"')
    notes_dir = root / "show_notes"
    number = next_number(notes_dir)
    slug = f"{number:03d}-{slugify(title)}"
    path = notes_dir / f"{slug}.md"
    if path.exists():
        raise NotesError("already exists", path=path.relative_to(root),
                         fix="edit that file, or choose another title")
    day = today or datetime.now(ZoneInfo(show.timezone)).date()
    notes_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(_notes(title, number, day, slug, text.NEW_BODY), encoding="utf-8")
    return NewEpisode(notes_path=path, audio_hint=_audio_hint(root / "episodes", slug), number=number, slug=slug)


def next_number(notes_dir: Path) -> int:
    """One more than the highest episode number in ``notes_dir``.

    Every notes file counts, even one ingest would reject, as long as its
    ``number`` parses; a file whose front matter cannot be read counts by the
    number its name starts with. Two drafts must never get the same number.
    """
    highest = 0
    for path in sorted(notes_dir.glob("*.md")) if notes_dir.is_dir() else []:
        m = _LEADING_NUMBER.match(path.stem)
        if m:
            highest = max(highest, int(m.group(1)))
        try:
            value = read_notes(path, path.name).fields.get("number")
        except CastlineError:
            continue
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            highest = max(highest, value)
    return highest + 1


def slugify(title: str, max_length: int = SLUG_MAX) -> str:
    """The title in lowercase ASCII words joined by '-': accents are
    transliterated ("Café" -> "cafe"), other characters dropped, and the
    result cut at a word boundary to at most ``max_length`` characters."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", ascii_text.lower().replace("'", ""))
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            break
        slug = candidate
    if not slug and words:
        slug = words[0][:max_length]
    return slug or "episode"


def _notes(title: str, number: int, day: date, slug: str, body: str) -> str:
    return text.NOTES.substitute(title=_yaml_string(title), number=number, date=day.isoformat(), slug=slug, body=body)


def _yaml_string(value: str) -> str:
    """A double-quoted YAML scalar: safe for ':', '#', quotes, a leading
    '-' or a title like "yes" that YAML would read as true."""
    return yaml.safe_dump(value, default_style='"', allow_unicode=True, width=float("inf")).strip()


def _toml_string(value: str) -> str:
    escaped = "".join(ch if ch.isprintable() and ch not in '"\\' else f"\\U{ord(ch):08x}" for ch in value)
    return f'"{escaped}"'


def _title_of_folder(target: Path) -> str:
    words = re.split(r"[-_\s]+", target.resolve().name)
    return " ".join(w[:1].upper() + w[1:] for w in words if w) or PLACEHOLDER_TITLE


def _audio_hint(audio_dir: Path, slug: str) -> Path:
    for ext in AUDIO_EXTENSIONS:
        if (audio_dir / f"{slug}{ext}").is_file():
            return audio_dir / f"{slug}{ext}"
    return audio_dir / f"{slug}.wav"


def _placeholder_cover(path: Path, title: str) -> None:
    """A 1400 px square RGB JPEG that says it is a placeholder: the show
    loads and checks at once, and nobody mistakes it for real art."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (COVER_PX, COVER_PX), (58, 63, 74))
    draw = ImageDraw.Draw(image)
    for offset in range(-COVER_PX, COVER_PX, 120):  # diagonal stripes: clearly not finished art
        draw.line([(offset, 0), (offset + COVER_PX, COVER_PX)], fill=(70, 76, 89), width=40)
    draw.rectangle([60, 60, COVER_PX - 60, COVER_PX - 60], outline=(240, 196, 25), width=12)
    lines = [(title, 110), ("PLACEHOLDER ART", 90), ("replace art/cover.jpg", 60), ("square, 1400-3000 px, JPEG or PNG", 48)]
    y = 430
    for line, size in lines:
        font = ImageFont.load_default(size=size)
        width = draw.textlength(line, font=font)
        if width > COVER_PX - 200:  # a long show title: shrink to fit
            font = ImageFont.load_default(size=max(24, int(size * (COVER_PX - 200) / width)))
            width = draw.textlength(line, font=font)
        draw.text(((COVER_PX - width) / 2, y), line, font=font, fill=(255, 255, 255))
        y += size + 90
    image.save(path, "JPEG", quality=85, comment=PLACEHOLDER_ART_MARK)
