"""config.toml -> Settings: read once, validated, every error with its key.

The show's configuration is parsed with ``tomllib`` at the edge and turned
into frozen values (``pipeline.model``); nothing else in castline reads the
file. A mistake names the file, the line, the key and what is allowed, for
example ``config.toml:12: show.type: "weekly" is not allowed; use one of
episodic, serial``. Every mistake in the file is reported at once (one line
each), and an unknown key next to a missing one is named as the likely typo.

Validated once, here, so later stages trust the values: every URL follows
the one rule of ``pipeline.text`` (absolute http, https or mailto), host text
(titles, names, descriptions) is cleaned of control characters, and the
rules shared with other modules live in one place: the language pattern and
the ``podcast:medium`` values in ``feeds.vocab``, the encodings in
``pipeline.audio.encode``, the S3 bucket name rule in ``pipeline.store``
(``s3_url_problem``).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.vocab import APPLE_CATEGORIES, LANGUAGE, MEDIUMS
from pipeline.errors import CastlineError, ConfigError, Problems
from pipeline.model import AudioSettings, Category, Link, Person, Settings, Show, StorageSettings
from pipeline.store import s3_url_problem
from pipeline.text import URL_FIX, clean_line, clean_text, url_problem

from .formats import FORMATS
from .podcasting import read_notify, read_show_tags, read_value
from .toml import TomlBoundsError, load_toml

CONFIG_NAME = "config.toml"
SECTIONS = ("show", "audio", "storage", "notify")
ENCODINGS = tuple(name for name in FORMATS if name != "wav")  # what castline encodes an episode to
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_WEB_FIX = "write it like https://example.com/"


class _Reader:
    """Reads one table of config.toml into plain values. A bad value is
    recorded in ``problems`` (shared by the whole file) and its default
    used, so every mistake is found in one read; ``finish`` reports unknown
    keys (with a "did you mean") and missing required ones."""

    def __init__(self, path: Path, text: str, section: str, table: dict[str, Any],
                 problems: list[CastlineError]) -> None:
        self.path, self.text, self.section, self.table = path, text, section, table
        self.problems = problems
        self.used: set[str] = set()
        self.missing: list[str] = []

    def error(self, key: str, message: str, fix: str | None = None, entry: int | None = None) -> ConfigError:
        line = _entry_line(self.text, f"{self.section}.{key}", entry) if entry is not None else None
        return ConfigError(message, path=self.path, line=line or key_line(self.text, self.section, key),
                           field=f"{self.section}.{key}", fix=fix)

    def fail(self, key: str, message: str, fix: str | None = None, entry: int | None = None) -> None:
        """Record a problem with ``key`` (``entry``: the index of the
        ``[[section.key]]`` table it is in, for its line)."""
        self.problems.append(self.error(key, message, fix, entry))

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                self.missing.append(key)
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            want = " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)
            self.fail(key, f"{_shown(value)} is a {_TYPE_NAMES.get(type(value), type(value).__name__)}, not a {want}",
                      fix=f"write {key} as a {want}")
            return default
        return value

    def line(self, key: str, *, required: bool = False) -> str | None:
        """One line of host text (a title, a name), cleaned; None if unset or blank."""
        value = self.get(key, str, required=required)
        return (clean_line(value) or None) if value is not None else None

    def block(self, key: str, *, required: bool = False) -> str | None:
        """Host text that may run over lines (a description, a bio), cleaned."""
        value = self.get(key, str, required=required)
        return (clean_text(value) or None) if value is not None else None

    text_or_none = line

    def choice(self, key: str, allowed: tuple, default: Any) -> Any:
        value = self.get(key, type(default), default)
        if value not in allowed:
            self.fail(key, f"{_shown(value)} is not allowed", fix="use one of " + ", ".join(str(a) for a in allowed))
            return default
        return value

    def number(self, key: str, default: float, lo: float, hi: float, kind: type = float) -> Any:
        value = self.get(key, kind, default)
        if not lo <= value <= hi:
            self.fail(key, f"{value} is out of range", fix=f"use a value from {lo} to {hi}")
            return default
        return value

    def url(self, key: str, *, required: bool = False, web: bool = False) -> str | None:
        """A URL under the one rule (absolute http, https or mailto); ``web``:
        http(s) only, for URLs that apps fetch (the base URL, a feed)."""
        value = self.get(key, str, required=required)
        if value is None:
            return None
        problem = _url_problem(value, web)
        if problem:
            self.fail(key, problem, fix=_WEB_FIX if web else URL_FIX)
            return None
        return value

    def links(self, key: str, *, web: bool = False) -> tuple[Link, ...]:
        out = []
        for i, item in enumerate(self.get(key, list, [])):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(item.get("url"), str):
                self.fail(key, f"entry {i + 1} needs a name and a url",
                          fix='write entries like { name = "Spotify", url = "https://..." }', entry=i)
                continue
            problem = _url_problem(item["url"], web)
            if problem:
                self.fail(key, f"entry {i + 1} url: {problem}", fix=_WEB_FIX if web else URL_FIX, entry=i)
                continue
            out.append(Link(clean_line(item["name"]), item["url"]))
        return tuple(out)

    def finish(self) -> None:
        """Report unknown keys, and missing required ones; an unknown key
        close to a missing one is named as its likely misspelling."""
        unknown = [key for key in self.table if key not in self.used]
        for key in unknown:
            hint = difflib.get_close_matches(key, sorted(self.used), n=1)
            fix = f"did you mean `{hint[0]}`?" if hint else f"remove it; [{self.section}] keys are listed in README"
            self.fail(key, "is not a known key", fix=fix)
        for key in self.missing:
            typo = difflib.get_close_matches(key, unknown, n=1)
            if typo:
                line = key_line(self.text, self.section, typo[0])
                fix = f"`{typo[0]}` on this line looks like a misspelling of it: rename it to `{key}`"
            else:
                line, fix = None, f"add `{key} = ...` under [{self.section}] (see README, Config reference)"
            self.problems.append(ConfigError("is missing", path=self.path, line=line, field=f"{self.section}.{key}",
                                             fix=fix))


_TYPE_NAMES = {str: "string", int: "whole number", float: "number", bool: "true/false", list: "list", dict: "table"}


def _shown(value: object) -> str:
    """A value as a message quotes it, never longer than a line."""
    text = repr(value) if isinstance(value, (str, int, float, bool)) else f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def _url_problem(value: str, web: bool) -> str | None:
    if web and not re.match(r"https?://", value, re.IGNORECASE):
        return f"{_shown(value)} is not an absolute http(s) URL"
    return url_problem(value)


def key_line(text: str, section: str, key: str) -> int | None:
    """Best-effort line number of ``key`` inside ``[section]`` (tomllib keeps
    no positions): ``key = ...`` in the section, else a ``[[section.key]]``
    table, else the parent's ``key = { ... }``."""
    current = ""
    header_line = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            current = header.group(1)
            if header_line is None and current == (f"{section}.{key}" if section else key):
                header_line = number
            continue
        if current == section and re.match(rf"^{re.escape(key)}\s*=", line):
            return number
    if header_line is None and "." in section:
        parent, _, child = section.rpartition(".")
        return key_line(text, parent, child)
    return header_line


def _entry_line(text: str, table: str, index: int) -> int | None:
    """The line of the ``index``-th ``[[table]]`` header, if the entries are
    written as tables of their own."""
    headers = [n for n, raw in enumerate(text.splitlines(), 1)
               if re.match(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]", raw)]
    return headers[index] if index < len(headers) else None


def load_settings(root: Path) -> Settings:
    """Read ``root/config.toml`` into Settings, or raise every mistake in it:
    one ConfigError, or Problems with one ConfigError per mistake."""
    root = root.resolve()
    path = root / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no config.toml here", path=path,
                          fix="run castline inside a show folder, pass --workspace DIR, or create one with `castline init DIR`") from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", path=path, fix="save the file as UTF-8") from None
    except IsADirectoryError:
        raise ConfigError("is a folder, not a file", path=path, fix="config.toml must be a file") from None
    try:
        data = load_toml(text)
    except TomlBoundsError as exc:
        raise ConfigError(exc.message, path=CONFIG_NAME, line=exc.line, fix=exc.fix) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        raise ConfigError(f"is not valid TOML ({str(exc).split(' (at')[0]})", path=CONFIG_NAME,
                          line=int(m.group(1)) if m else None, fix="fix the TOML syntax on that line") from None
    rel = Path(CONFIG_NAME)
    problems: list[CastlineError] = []
    tables: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        value = data.get(section, {})
        if not isinstance(value, dict):
            problems.append(ConfigError(f"[{section}] must be a table", path=rel, line=_line_of_section(text, section),
                                        field=section, fix=f"write it as a [{section}] section"))
            value = {}
        tables[section] = value
    for key in data:
        if key not in SECTIONS:
            hint = difflib.get_close_matches(key, SECTIONS, n=1)
            problems.append(ConfigError("is not a known section", path=rel, line=_line_of_section(text, key), field=key,
                                        fix=f"did you mean [{hint[0]}]?" if hint else "the sections are [show], [audio] and [storage]"))
    if "show" not in data:
        problems.append(ConfigError("the [show] section is missing", path=rel, field="show",
                                    fix="add a [show] section with title, description, author, language, base_url, image, categories"))
    show = _read_show(root, rel, text, tables["show"], problems) if "show" in data else None
    audio = _read_audio(root, rel, text, tables["audio"], problems)
    storage = _read_storage(rel, text, tables["storage"], problems)
    notify = read_notify(_Reader(rel, text, "notify", tables["notify"], problems))
    if problems:  # in the order of the file; a key that is missing altogether last
        problems.sort(key=lambda p: p.line or len(text) + 1)
        raise problems[0] if len(problems) == 1 else Problems(problems)
    return Settings(root=root, show=show, audio=audio, storage=storage, notify=notify)


def _line_of_section(text: str, name: str) -> int | None:
    for number, raw in enumerate(text.splitlines(), 1):
        if re.match(rf"^\s*\[\[?\s*{re.escape(name)}[\].]", raw):
            return number
    return None


def _read_show(root: Path, rel: Path, text: str, table: dict[str, Any], problems: list[CastlineError]) -> Show | None:
    r = _Reader(rel, text, "show", table, problems)
    before = len(problems)
    title = r.line("title", required=True)
    if "title" in table and isinstance(table["title"], str) and not title:
        r.fail("title", "is empty", fix="give the show a title")
    description = r.block("description", required=True)
    if "description" in table and isinstance(table["description"], str) and not description:
        r.fail("description", "is empty", fix="describe the show in a sentence or two")
    author = r.line("author", required=True)
    base_url = r.url("base_url", required=True, web=True)
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    language = r.get("language", str, required=True)
    if language is not None and not LANGUAGE.match(language):
        r.fail("language", f"{_shown(language)} is not an ISO 639 language code", fix='use a code like "en" or "en-us"')
    image_name = r.get("image", str, required=True)
    image = (root / image_name).resolve() if image_name else None
    if image is not None and not image.is_relative_to(root):
        r.fail("image", f"{_shown(image_name)} is outside the show folder", fix="keep the show art inside the show folder")
    email = r.get("email", str)
    if email is not None and not _EMAIL.match(email):
        r.fail("email", f"{_shown(email)} is not an email address", fix="write it like host@example.com")
        email = None
    timezone = r.get("timezone", str, "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail("timezone", f"{_shown(timezone)} is not a time zone", fix='use an IANA name like "America/New_York" or "UTC"')
        timezone = "UTC"
    categories = _categories(r)
    hosts = _hosts(r, author)
    box = r.get("host_box", dict, {})
    box_reader = _Reader(rel, text, "show.host_box", box, problems)
    host_bio = box_reader.block("bio")
    host_links = box_reader.links("links")
    box_reader.finish()
    values = dict(
        explicit=r.get("explicit", bool, False),
        type=r.choice("type", ("episodic", "serial"), "episodic"),
        copyright=r.line("copyright"),
        email=email,
        owner_name=r.line("owner_name"),
        link=r.url("link", web=True),
        timezone=timezone,
        hosts=hosts,
        host_bio=host_bio,
        host_links=host_links,
        subscribe=r.links("subscribe"),
        funding=r.links("funding"),
        keywords=tuple(clean_line(k) for k in _strings(r, "keywords")),
        podcast_guid=r.line("podcast_guid"),
        locked=r.get("locked", bool, False),
        new_feed_url=r.url("new_feed_url", web=True),
        block=r.get("block", bool, False),
        complete=r.get("complete", bool, False),
        apple_verify=r.line("apple_verify"),
        license=r.line("license"),
        license_url=r.url("license_url"),
        location=r.line("location"),
        medium=r.choice("medium", tuple(sorted(MEDIUMS)), "podcast"),
        update_frequency=r.line("update_frequency"),
        podroll=r.links("podroll", web=True),
        analytics_prefix=r.url("analytics_prefix", web=True),
        allow_html=r.get("allow_html", bool, False),
        page_size=r.number("page_size", 20, 1, 500, int),
        value_recipients=read_value(r),
        **read_show_tags(r),
    )
    r.finish()
    if len(problems) > before:
        return None
    return Show(title=title, description=description, author=author, language=language, base_url=base_url,
                image=image, categories=categories, **values)


def _strings(r: _Reader, key: str) -> list[str]:
    items = r.get(key, list, [])
    if not all(isinstance(i, str) for i in items):
        r.fail(key, "must be a list of strings", fix=f'write it like {key} = ["a", "b"]')
        return []
    return items


def _categories(r: _Reader) -> tuple[Category, ...]:
    names = _strings(r, "categories")
    if "categories" not in r.table:
        r.missing.append("categories")
        return ()
    if not names:
        if isinstance(r.table.get("categories"), list):
            r.fail("categories", "needs at least one Apple Podcasts category",
                   fix='write it like categories = ["Business > Marketing"]')
        return ()
    out = []
    for name in names:
        main, _, sub = (part.strip() for part in name.partition(">"))
        if main not in APPLE_CATEGORIES:
            hint = difflib.get_close_matches(main, list(APPLE_CATEGORIES), n=1)
            r.fail("categories", f"{_shown(main)} is not an Apple Podcasts category",
                   fix=f"did you mean {hint[0]!r}?" if hint else "use one from README, Apple Podcasts categories")
        elif sub and sub not in APPLE_CATEGORIES[main]:
            hint = difflib.get_close_matches(sub, list(APPLE_CATEGORIES[main]), n=1)
            r.fail("categories", f"{_shown(sub)} is not a subcategory of {main!r}",
                   fix=f"did you mean {main} > {hint[0]}?" if hint else "use one of " + ", ".join(APPLE_CATEGORIES[main]))
        else:
            out.append(Category(main, sub or None))
    return tuple(out)


_PERSON_TEXT = {"name": clean_line, "role": clean_line, "group": clean_line, "bio": clean_text}


def _hosts(r: _Reader, author: str | None) -> tuple[Person, ...]:
    allowed = {f.name for f in fields(Person)}
    out = []
    for i, item in enumerate(r.get("hosts", list, [])):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not clean_line(item["name"]):
            r.fail("hosts", f"entry {i + 1} needs a name", fix='write [[show.hosts]] with name = "..."', entry=i)
            continue
        unknown = set(item) - allowed
        if unknown:
            r.fail("hosts", f"entry {i + 1} has unknown key {_shown(sorted(unknown)[0])}",
                   fix="use " + ", ".join(sorted(allowed)), entry=i)
            continue
        bad = [k for k, v in item.items() if not isinstance(v, str)]
        if bad:
            r.fail("hosts", f"entry {i + 1}: {bad[0]} is not a string", fix=f'write it like {bad[0]} = "..."', entry=i)
            continue
        person = {"role": "host", **{k: _PERSON_TEXT.get(k, str)(v) for k, v in item.items()}}
        for key in ("href", "img"):
            problem = person.get(key) and _url_problem(person[key], web=key == "img")
            if problem:
                r.fail("hosts", f"entry {i + 1} {key}: {problem}", fix=_WEB_FIX if key == "img" else URL_FIX, entry=i)
        out.append(Person(**person))
    if not out and author:
        out.append(Person(name=author, role="host"))
    return tuple(out)


def _read_audio(root: Path, rel: Path, text: str, table: dict[str, Any], problems: list[CastlineError]) -> AudioSettings:
    r = _Reader(rel, text, "audio", table, problems)
    d = AudioSettings()
    path_of: Callable[[str], Path | None] = lambda key: _show_file(r, root, key)
    alternates = tuple(_strings(r, "alternates"))
    for alt in alternates:
        if alt not in ENCODINGS:
            r.fail("alternates", f"{_shown(alt)} is not an encoding castline makes", fix="use " + _or(ENCODINGS))
    alternates = tuple(alt for alt in alternates if alt in ENCODINGS)
    audio = AudioSettings(
        loudness=r.number("loudness", d.loudness, -40.0, -5.0),
        true_peak=r.number("true_peak", d.true_peak, -9.0, 0.0),
        channels=r.choice("channels", ("mono", "stereo", "auto"), d.channels),
        bitrate=r.choice("bitrate", (48, 64, 80, 96, 112, 128, 160, 192, 256, 320), d.bitrate),
        sample_rate=r.choice("sample_rate", (44100, 48000), d.sample_rate),
        format=r.choice("format", ENCODINGS, d.format),
        alternates=alternates,
        id3_version=r.choice("id3_version", (3, 4), d.id3_version),
        trim_silence=r.get("trim_silence", bool, d.trim_silence),
        silence_threshold=r.number("silence_threshold", d.silence_threshold, -90.0, -20.0),
        min_silence_ms=r.number("min_silence_ms", d.min_silence_ms, 50, 60000, int),
        intro=path_of("intro"),
        outro=path_of("outro"),
        crossfade_ms=r.number("crossfade_ms", d.crossfade_ms, 0, 30000, int),
        fade_in_ms=r.number("fade_in_ms", d.fade_in_ms, 0, 30000, int),
        fade_out_ms=r.number("fade_out_ms", d.fade_out_ms, 0, 30000, int),
        ffmpeg=r.text_or_none("ffmpeg"),
        leveler=r.get("leveler", bool, d.leveler),
        denoise=r.get("denoise", bool, d.denoise),
    )
    r.finish()
    return audio


def _show_file(r: _Reader, root: Path, key: str) -> Path | None:
    name = r.get(key, str)
    if not name:
        return None
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        r.fail(key, f"{_shown(name)} is outside the show folder", fix="keep the file inside the show folder")
        return None
    if not path.is_file():
        r.fail(key, f"{_shown(name)} does not exist", fix="check the file name, or remove the key")
        return None
    return path


def _read_storage(rel: Path, text: str, table: dict[str, Any], problems: list[CastlineError]) -> StorageSettings:
    r = _Reader(rel, text, "storage", table, problems)
    d = StorageSettings()
    url = clean_line(r.get("url", str, d.url))
    if not url:
        r.fail("url", "is empty", fix='use a folder like "public" or "s3://bucket/prefix"')
        url = d.url
    elif "://" in url and not url.startswith("s3://"):
        r.fail("url", f"{_shown(url)} is not a folder or an s3:// URL", fix='use a folder like "public" or "s3://bucket/prefix"')
    elif url.startswith("s3://") and s3_url_problem(url):
        r.fail("url", s3_url_problem(url), fix="write it as s3://bucket-name/optional/prefix: a bucket of 3-63 lowercase "
               "letters, digits, '.' or '-', a prefix of ASCII letters, digits, '-', '.', '_' and '/'")
    storage = StorageSettings(
        url=url,
        endpoint_url=r.url("endpoint_url", web=True),
        region=r.text_or_none("region"),
        multipart_threshold_mb=r.number("multipart_threshold_mb", d.multipart_threshold_mb, 5, 5000, int),
        max_concurrency=r.number("max_concurrency", d.max_concurrency, 1, 64, int),
    )
    r.finish()
    return storage


def _or(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
