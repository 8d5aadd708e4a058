"""Typed, clean access to one notes file's front-matter fields.

Every value a host writes passes through here once: text comes out clean
(``pipeline.text``: no control characters, no surrounding spaces), URLs obey
the one URL rule, numbers, dates and times are bounded, and every mistake is
a NotesError naming the file, the field's line and the fix, quoting the
value short (a 10 MB title is not printed back to the host).
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.errors import NotesError
from pipeline.model import Chapter, Person, Soundbite
from pipeline.text import URL_FIX, clean_line, clean_text, url_problem

from .frontmatter import Notes

_TIME = re.compile(r"^(?:(\d{1,3}):)?([0-5]?\d):([0-5]\d(?:\.\d{1,9})?)$")
_MAX_NUMBER = 65535  # MP4 keeps the episode number (trkn) and season (disk) in 16 bits
_MAX_SECONDS = 100 * 3600  # a chapter or soundbite time past 100 hours is a typo
_YEARS = (1900, 2999)  # a date outside these is a typo (and year 9999 overflows with a time zone)


def short(value: str, limit: int = 60) -> str:
    """A value as a message may quote it: one line, at most ``limit``
    characters (a 10 MB title is not printed back to the host)."""
    value = clean_line(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def shown(value: Any) -> str:
    """A front-matter value as an error message shows it: text quoted and
    cut short, a number as written, a list or table by its kind alone."""
    if isinstance(value, str):
        return repr(short(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**30 else "a huge number"
    if isinstance(value, (float, date)):
        return str(value)
    return kind(value)


def kind(value: Any) -> str:
    return {dict: "a table", list: "a list", bool: "true/false", int: "a number", float: "a number"}.get(type(value), "text")


class Fields:
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
            raise self.error(key, f"must be text, not {kind(value)}", fix=f"write `{key}: some text`")
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
            raise self.error(key, f"{shown(value)} is not a whole number", fix=f"write `{key}: 3`")
        if value > _MAX_NUMBER:
            raise self.error(key, f"{shown(value)} is too large", fix=f"use a whole number from 0 to {_MAX_NUMBER}")
        return value

    def boolean(self, key: str, default: bool | None) -> bool | None:
        value = self.raw(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"{shown(value)} is not true or false", fix=f"write `{key}: true` or `{key}: false`")
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> Any:
        value = self.text(key) or default
        if value not in allowed:
            raise self.error(key, f"{shown(value)} is not allowed", fix="use one of " + ", ".join(allowed))
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
                raise self.error(key, f"{shown(raw)} is not a date", fix=fix) from None
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, time(0, 0))
        if not isinstance(value, datetime):
            raise self.error(key, f"{shown(raw)} is not a date", fix=fix)
        if not _YEARS[0] <= value.year <= _YEARS[1]:
            raise self.error(key, f"{shown(raw)} is not a plausible date (the year must be {_YEARS[0]} to {_YEARS[1]})",
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
            raise self.error(key, f"must be a list, not {kind(value)}", fix=f"write it as a list: {example}")
        return value

    def _item_text(self, key: str, what: str, value: Any, *, multiline: bool = False) -> str | None:
        """One text value inside a list item (a guest's name, a chapter's
        title), cleaned; None when absent or empty."""
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise self.error(key, f"{what} must be text, not {kind(value)}", fix="write it as plain text")
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
            raise self.error(key, f"{what} has an unknown key {shown(str(unknown[0]))}", fix="use " + ", ".join(allowed))

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
            raise self.error(key, f"{what} {shown(value)} is not a time", fix='write it as "M:SS" or "H:MM:SS", like "12:30"')
        if seconds > _MAX_SECONDS:
            raise self.error(key, f"{what} {shown(value)} is past 100 hours",
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
