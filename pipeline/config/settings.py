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
from pathlib import Path
from typing import Any, Callable

from pipeline.errors import CastlineError, ConfigError, Problems
from pipeline.model import AudioSettings, Settings, StorageSettings
from pipeline import store
from pipeline.text import clean_line

from .formats import FORMATS
from .podcasting import read_notify
from .reader import Reader, section_line, shown, strings
from .show import read_show
from .toml import TomlBoundsError, load_toml

CONFIG_NAME = "config.toml"
SECTIONS = ("show", "audio", "storage", "notify")
ENCODINGS = tuple(name for name in FORMATS if name != "wav")  # what castline encodes an episode to


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
            problems.append(ConfigError(f"[{section}] must be a table", path=rel, line=section_line(text, section),
                                        field=section, fix=f"write it as a [{section}] section"))
            value = {}
        tables[section] = value
    for key in data:
        if key not in SECTIONS:
            hint = difflib.get_close_matches(key, SECTIONS, n=1)
            problems.append(ConfigError("is not a known section", path=rel, line=section_line(text, key), field=key,
                                        fix=f"did you mean [{hint[0]}]?" if hint else "the sections are [show], [audio] and [storage]"))
    if "show" not in data:
        problems.append(ConfigError("the [show] section is missing", path=rel, field="show",
                                    fix="add a [show] section with title, description, author, language, base_url, image, categories"))
    show = read_show(root, rel, text, tables["show"], problems) if "show" in data else None
    audio = _read_audio(root, rel, text, tables["audio"], problems)
    storage = _read_storage(rel, text, tables["storage"], problems)
    notify = read_notify(Reader(rel, text, "notify", tables["notify"], problems))
    if problems:  # in the order of the file; a key that is missing altogether last
        problems.sort(key=lambda p: p.line or len(text) + 1)
        raise problems[0] if len(problems) == 1 else Problems(problems)
    return Settings(root=root, show=show, audio=audio, storage=storage, notify=notify)


def _read_audio(root: Path, rel: Path, text: str, table: dict[str, Any], problems: list[CastlineError]) -> AudioSettings:
    r = Reader(rel, text, "audio", table, problems)
    d = AudioSettings()
    path_of: Callable[[str], Path | None] = lambda key: _show_file(r, root, key)
    alternates = tuple(strings(r, "alternates"))
    for alt in alternates:
        if alt not in ENCODINGS:
            r.fail("alternates", f"{shown(alt)} is not an encoding castline makes", fix="use " + _or(ENCODINGS))
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


def _show_file(r: Reader, root: Path, key: str) -> Path | None:
    name = r.get(key, str)
    if not name:
        return None
    path = (root / name).resolve()
    if not path.is_relative_to(root):
        r.fail(key, f"{shown(name)} is outside the show folder", fix="keep the file inside the show folder")
        return None
    if not path.is_file():
        r.fail(key, f"{shown(name)} does not exist", fix="check the file name, or remove the key")
        return None
    return path


def _read_storage(rel: Path, text: str, table: dict[str, Any], problems: list[CastlineError]) -> StorageSettings:
    r = Reader(rel, text, "storage", table, problems)
    d = StorageSettings()
    url = clean_line(r.get("url", str, d.url))
    if not url:
        r.fail("url", "is empty", fix='use a folder like "public" or "s3://bucket/prefix"')
        url = d.url
    elif "://" in url and not url.startswith("s3://"):
        r.fail("url", f"{shown(url)} is not a folder or an s3:// URL", fix='use a folder like "public" or "s3://bucket/prefix"')
    elif url.startswith("s3://") and (problem := store.s3_url_problem(url)):
        r.fail("url", problem, fix="write it as s3://bucket-name/optional/prefix: a bucket of 3-63 lowercase "
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
