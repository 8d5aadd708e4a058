"""Reading one config section: each key typed and bounded, each mistake
named with its line and key (``config.toml:12: show.type: ...``), every
mistake collected rather than the first one raised, an unknown key named as
the likely typo of a missing one.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from pipeline.errors import CastlineError, ConfigError
from pipeline.model import Link
from pipeline.text import URL_FIX, clean_line, clean_text, url_problem

WEB_FIX = "write it like https://example.com/"


class Reader:
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
            self.fail(key, f"{shown(value)} is a {_TYPE_NAMES.get(type(value), type(value).__name__)}, not a {want}",
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
            self.fail(key, f"{shown(value)} is not allowed", fix="use one of " + ", ".join(str(a) for a in allowed))
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
        problem = value_url_problem(value, web)
        if problem:
            self.fail(key, problem, fix=WEB_FIX if web else URL_FIX)
            return None
        return value

    def links(self, key: str, *, web: bool = False) -> tuple[Link, ...]:
        out = []
        for i, item in enumerate(self.get(key, list, [])):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(item.get("url"), str):
                self.fail(key, f"entry {i + 1} needs a name and a url",
                          fix='write entries like { name = "Spotify", url = "https://..." }', entry=i)
                continue
            problem = value_url_problem(item["url"], web)
            if problem:
                self.fail(key, f"entry {i + 1} url: {problem}", fix=WEB_FIX if web else URL_FIX, entry=i)
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


def shown(value: object) -> str:
    """A value as a message quotes it, never longer than a line."""
    text = repr(value) if isinstance(value, (str, int, float, bool)) else f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def value_url_problem(value: str, web: bool) -> str | None:
    if web and not re.match(r"https?://", value, re.IGNORECASE):
        return f"{shown(value)} is not an absolute http(s) URL"
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


def section_line(text: str, name: str) -> int | None:
    for number, raw in enumerate(text.splitlines(), 1):
        if re.match(rf"^\s*\[\[?\s*{re.escape(name)}[\].]", raw):
            return number
    return None


def strings(r: Reader, key: str) -> list[str]:
    items = r.get(key, list, [])
    if not all(isinstance(i, str) for i in items):
        r.fail(key, "must be a list of strings", fix=f'write it like {key} = ["a", "b"]')
        return []
    return items
