"""config.toml -> Settings: read once, validated, every error with its key.

The show's configuration is parsed with ``tomllib`` at the edge and turned
into frozen values (``pipeline.model``); nothing else in castline reads the
file. A mistake names the file, the line, the key and what is allowed, for
example ``config.toml:12: show.type: "weekly" is not allowed; use one of
episodic, serial``.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError
from .model import AudioSettings, Category, Link, Person, Settings, Show, StorageSettings

CONFIG_NAME = "config.toml"

_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _Reader:
    """Reads one table of config.toml, remembering which keys were used so
    unknown ones can be reported with a "did you mean" hint."""

    def __init__(self, path: Path, text: str, section: str, table: dict[str, Any]) -> None:
        self.path, self.text, self.section, self.table = path, text, section, table
        self.used: set[str] = set()

    def error(self, key: str, message: str, fix: str | None = None) -> ConfigError:
        return ConfigError(
            message, path=self.path, line=_line_of(self.text, self.section, key), field=f"{self.section}.{key}", fix=fix
        )

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                raise ConfigError(
                    "is missing",
                    path=self.path,
                    field=f"{self.section}.{key}",
                    fix=f"add `{key} = ...` under [{self.section}] (see README, Config reference)",
                )
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
            raise self.error(key, f"{value!r} is a {_TYPE_NAMES.get(type(value), type(value).__name__)}, not a {want}",
                             fix=f"write {key} as a {want}")
        return value

    def text_or_none(self, key: str) -> str | None:
        value = self.get(key, str)
        return value.strip() or None if value is not None else None

    def choice(self, key: str, allowed: tuple, default: Any) -> Any:
        value = self.get(key, type(default), default)
        if value not in allowed:
            raise self.error(key, f"{value!r} is not allowed", fix="use one of " + ", ".join(str(a) for a in allowed))
        return value

    def number(self, key: str, default: float, lo: float, hi: float, kind: type = float) -> Any:
        value = self.get(key, kind, default)
        if not lo <= value <= hi:
            raise self.error(key, f"{value} is out of range", fix=f"use a value from {lo} to {hi}")
        return value

    def url(self, key: str, *, required: bool = False) -> str | None:
        value = self.get(key, str, required=required)
        if value is None:
            return None
        if not re.match(r"^https?://[^\s/]+", value):
            raise self.error(key, f"{value!r} is not an absolute http(s) URL", fix="write it like https://example.com/")
        return value

    def links(self, key: str) -> tuple[Link, ...]:
        items = self.get(key, list, [])
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(item.get("url"), str):
                raise self.error(key, f"entry {i + 1} needs a name and a url",
                                 fix='write entries like { name = "Spotify", url = "https://..." }')
            out.append(Link(item["name"], item["url"]))
        return tuple(out)

    def finish(self) -> None:
        for key in self.table:
            if key not in self.used:
                hint = difflib.get_close_matches(key, sorted(self.used), n=1)
                fix = f"did you mean `{hint[0]}`?" if hint else f"remove it; [{self.section}] keys are listed in README"
                raise self.error(key, "is not a known key", fix=fix)


_TYPE_NAMES = {str: "string", int: "whole number", float: "number", bool: "true/false", list: "list", dict: "table"}


def _line_of(text: str, section: str, key: str) -> int | None:
    """Best-effort line number of ``key`` inside ``[section]`` (tomllib keeps
    no positions)."""
    current = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            current = header.group(1)
            continue
        if current == section and re.match(rf"^{re.escape(key)}\s*=", line):
            return number
    return None


def load_settings(root: Path) -> Settings:
    """Read ``root/config.toml`` into Settings or raise ConfigError."""
    root = root.resolve()
    path = root / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no config.toml here", path=path,
                          fix="run castline inside a show folder, pass --workspace DIR, or create one with `castline init DIR`") from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", path=path, fix="save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        raise ConfigError(f"is not valid TOML ({str(exc).split(' (at')[0]})", path=path,
                          line=int(m.group(1)) if m else None, fix="fix the TOML syntax on that line") from None
    rel = Path(CONFIG_NAME)
    top = _Reader(rel, text, "", data)
    for section in ("show", "audio", "storage"):
        top.used.add(section)
        if section in data and not isinstance(data[section], dict):
            raise ConfigError(f"[{section}] must be a table", path=rel, field=section, fix=f"write it as a [{section}] section")
    for key in data:
        if key not in top.used:
            hint = difflib.get_close_matches(key, ["show", "audio", "storage"], n=1)
            raise ConfigError("is not a known section", path=rel, line=_line_of_section(text, key), field=key,
                              fix=f"did you mean [{hint[0]}]?" if hint else "the sections are [show], [audio] and [storage]")
    if "show" not in data:
        raise ConfigError("the [show] section is missing", path=rel, field="show",
                          fix="add a [show] section with title, description, author, language, base_url, image, categories")
    show = _read_show(root, rel, text, data["show"])
    audio = _read_audio(root, rel, text, data.get("audio", {}))
    storage = _read_storage(rel, text, data.get("storage", {}))
    return Settings(root=root, show=show, audio=audio, storage=storage)


def _line_of_section(text: str, name: str) -> int | None:
    for number, raw in enumerate(text.splitlines(), 1):
        if re.match(rf"^\s*\[\[?\s*{re.escape(name)}[\].]", raw):
            return number
    return None


def _read_show(root: Path, rel: Path, text: str, table: dict[str, Any]) -> Show:
    r = _Reader(rel, text, "show", table)
    title = r.get("title", str, required=True).strip()
    if not title:
        raise r.error("title", "is empty", fix="give the show a title")
    base_url = r.url("base_url", required=True)
    if not base_url.endswith("/"):
        base_url += "/"
    language = r.get("language", str, required=True)
    if not _LANG.match(language):
        raise r.error("language", f"{language!r} is not an ISO 639 language code", fix='use a code like "en" or "en-us"')
    image_name = r.get("image", str, required=True)
    image = (root / image_name).resolve()
    if not image.is_relative_to(root):
        raise r.error("image", f"{image_name!r} is outside the show folder", fix="keep the show art inside the show folder")
    email = r.get("email", str)
    if email is not None and not _EMAIL.match(email):
        raise r.error("email", f"{email!r} is not an email address", fix="write it like host@example.com")
    timezone = r.get("timezone", str, "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.error("timezone", f"{timezone!r} is not a time zone", fix='use an IANA name like "America/New_York" or "UTC"') from None
    categories = _categories(r)
    hosts = _hosts(r)
    box = r.get("host_box", dict, {})
    box_reader = _Reader(rel, text, "show.host_box", box)
    host_bio = box_reader.text_or_none("bio")
    host_links = box_reader.links("links")
    box_reader.finish()
    podroll = r.links("podroll")
    value = _value(r)
    show = Show(
        title=title,
        description=r.get("description", str, required=True).strip(),
        author=r.get("author", str, required=True).strip(),
        language=language,
        base_url=base_url,
        image=image,
        categories=categories,
        explicit=r.get("explicit", bool, False),
        type=r.choice("type", ("episodic", "serial"), "episodic"),
        copyright=r.text_or_none("copyright"),
        email=email,
        owner_name=r.text_or_none("owner_name"),
        link=r.url("link"),
        timezone=timezone,
        hosts=hosts,
        host_bio=host_bio,
        host_links=host_links,
        subscribe=r.links("subscribe"),
        funding=r.links("funding"),
        keywords=tuple(_strings(r, "keywords")),
        podcast_guid=r.text_or_none("podcast_guid"),
        locked=r.get("locked", bool, False),
        new_feed_url=r.url("new_feed_url"),
        block=r.get("block", bool, False),
        complete=r.get("complete", bool, False),
        apple_verify=r.text_or_none("apple_verify"),
        license=r.text_or_none("license"),
        license_url=r.url("license_url"),
        location=r.text_or_none("location"),
        medium=r.choice("medium", ("podcast", "music", "video", "film", "audiobook", "newsletter", "blog"), "podcast"),
        update_frequency=r.text_or_none("update_frequency"),
        podroll=podroll,
        analytics_prefix=r.url("analytics_prefix"),
        allow_html=r.get("allow_html", bool, False),
        page_size=r.number("page_size", 20, 1, 500, int),
        value_recipients=value,
    )
    if not show.description:
        raise r.error("description", "is empty", fix="describe the show in a sentence or two")
    r.finish()
    return show


def _strings(r: _Reader, key: str) -> list[str]:
    items = r.get(key, list, [])
    if not all(isinstance(i, str) for i in items):
        raise r.error(key, "must be a list of strings", fix=f'write it like {key} = ["a", "b"]')
    return items


def _categories(r: _Reader) -> tuple[Category, ...]:
    from feeds.apple import APPLE_CATEGORIES

    names = _strings(r, "categories")
    if not names:
        raise r.error("categories", "needs at least one Apple Podcasts category", fix='write it like categories = ["Business > Marketing"]')
    out = []
    for name in names:
        main, _, sub = (part.strip() for part in name.partition(">"))
        if main not in APPLE_CATEGORIES:
            hint = difflib.get_close_matches(main, list(APPLE_CATEGORIES), n=1)
            raise r.error("categories", f"{main!r} is not an Apple Podcasts category",
                          fix=f"did you mean {hint[0]!r}?" if hint else "see Apple's category list in README")
        if sub and sub not in APPLE_CATEGORIES[main]:
            hint = difflib.get_close_matches(sub, list(APPLE_CATEGORIES[main]), n=1)
            raise r.error("categories", f"{sub!r} is not a subcategory of {main!r}",
                          fix=f"did you mean {main} > {hint[0]}?" if hint else "use one of " + ", ".join(APPLE_CATEGORIES[main]))
        out.append(Category(main, sub or None))
    return tuple(out)


def _hosts(r: _Reader) -> tuple[Person, ...]:
    items = r.get("hosts", list, [])
    allowed = {f.name for f in fields(Person)}
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise r.error("hosts", f"entry {i + 1} needs a name", fix='write [[show.hosts]] with name = "..."')
        unknown = set(item) - allowed
        if unknown:
            raise r.error("hosts", f"entry {i + 1} has unknown key {sorted(unknown)[0]!r}", fix="use " + ", ".join(sorted(allowed)))
        out.append(Person(**{"role": "host", **item}))
    if not out:
        out.append(Person(name=str(r.table.get("author", "")), role="host"))
    return tuple(out)


def _value(r: _Reader) -> tuple[tuple[str, str, int], ...]:
    items = r.get("value", list, [])
    out = []
    for i, item in enumerate(items):
        if not (isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("address"), str)
                and isinstance(item.get("split"), int)):
            raise r.error("value", f"entry {i + 1} needs name, address and split",
                          fix='write entries like { name = "Host", address = "02abc...", split = 100 }')
        out.append((item["name"], item["address"], item["split"]))
    return tuple(out)


def _read_audio(root: Path, rel: Path, text: str, table: dict[str, Any]) -> AudioSettings:
    r = _Reader(rel, text, "audio", table)
    d = AudioSettings()
    path_of: Callable[[str], Path | None] = lambda key: _show_file(r, root, key)
    alternates = tuple(_strings(r, "alternates"))
    for alt in alternates:
        if alt not in ("mp3", "m4a", "opus"):
            raise r.error("alternates", f"{alt!r} is not an encoding castline makes", fix="use mp3, m4a or opus")
    audio = AudioSettings(
        loudness=r.number("loudness", d.loudness, -40.0, -5.0),
        true_peak=r.number("true_peak", d.true_peak, -9.0, 0.0),
        channels=r.choice("channels", ("mono", "stereo", "auto"), d.channels),
        bitrate=r.choice("bitrate", (48, 64, 80, 96, 112, 128, 160, 192, 256, 320), d.bitrate),
        sample_rate=r.choice("sample_rate", (44100, 48000), d.sample_rate),
        format=r.choice("format", ("mp3", "m4a", "opus"), d.format),
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
    )
    r.finish()
    return audio


def _show_file(r: _Reader, root: Path, key: str) -> Path | None:
    name = r.get(key, str)
    if not name:
        return None
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        raise r.error(key, f"{name!r} is outside the show folder", fix="keep the file inside the show folder")
    if not path.is_file():
        raise r.error(key, f"{name!r} does not exist", fix="check the file name, or remove the key")
    return path


def _read_storage(rel: Path, text: str, table: dict[str, Any]) -> StorageSettings:
    r = _Reader(rel, text, "storage", table)
    d = StorageSettings()
    url = r.get("url", str, d.url).strip()
    if "://" in url and not url.startswith("s3://"):
        raise r.error("url", f"{url!r} is not a folder or an s3:// URL", fix='use a folder like "public" or "s3://bucket/prefix"')
    if url.startswith("s3://") and not re.match(r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$", url):
        raise r.error("url", f"{url!r} does not name a valid bucket", fix="write it as s3://bucket-name/optional/prefix")
    storage = StorageSettings(
        url=url,
        endpoint_url=r.url("endpoint_url"),
        region=r.text_or_none("region"),
        multipart_threshold_mb=r.number("multipart_threshold_mb", d.multipart_threshold_mb, 5, 5000, int),
        max_concurrency=r.number("max_concurrency", d.max_concurrency, 1, 64, int),
    )
    r.finish()
    return storage
        leveler=r.get("leveler", bool, d.leveler),
        denoise=r.get("denoise", bool, d.denoise),
