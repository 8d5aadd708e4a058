"""The front-matter fields of the newer Podcasting 2.0 tags, per episode.

``ingest`` reads everything else; it calls in here for the fields that
become ``podcast:location`` (rel, country), ``podcast:txt
purpose="ai-content"``, ``podcast:contentLink``, ``podcast:chat``,
``podcast:valueTimeSplit`` and ``podcast:liveItem`` (a notes file with
``live:`` and no recording yet). The rules shared with the config keys
(one URL rule, value recipients, remote items, chat) are config's
(``pipeline.config.podcasting``), so a field and a key are checked alike.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pipeline.config import CHAT_FIX, STREAM_TYPES, VALUE_FIX, chat, remote_item, value_recipient, web_url_problem
from pipeline.errors import CastlineError
from pipeline.model import IngestSettings, Link, LiveEvent, LiveStream, ValueSplit
from pipeline.text import URL_FIX, clean_line

from .fields import Fields
from .frontmatter import read_notes

NOTES_FIELDS = ("content_links", "chat", "ai_content", "location_rel", "location_country", "value_splits", "live")
_COUNTRY = re.compile(r"^[a-z]{2}$", re.IGNORECASE)



def read_episode_tags(f: Any, timezone: str) -> dict[str, Any]:
    """The front-matter fields of the newer tags, as Episode fields. ``f``
    is ingest.py's field reader: a mistake raises its NotesError with the
    line."""
    out: dict[str, Any] = {"ai_content": f.text("ai_content")}
    rel = f.text("location_rel")
    if rel not in (None, "subject", "creator"):
        raise f.error("location_rel", f"{rel!r} is not allowed", fix="use subject or creator")
    country = f.text("location_country")
    if country is not None and not _COUNTRY.match(country):
        raise f.error("location_country", f"{country!r} is not a two-letter country code", fix="write it like us or pt")
    out.update(location_rel=rel, location_country=country.lower() if country else None)
    links = []
    for i, item in enumerate(_list(f, "content_links", "- name: Watch on YouTube\n  url: https://...")):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or set(item) - {"name", "url"}:
            raise f.error("content_links", f"link {i + 1} needs a name and a url (and nothing else)",
                          fix="write each as `- name: Watch on YouTube` and `url: https://...`")
        problem = web_url_problem(item.get("url"))
        if problem:
            raise f.error("content_links", f"link {i + 1} url: {problem}", fix=URL_FIX)
        links.append(Link(clean_line(item["name"]), item["url"]))
    out["content_links"] = tuple(links)
    if f.raw("chat") is not None:
        value, problem = chat(f.raw("chat"))
        if problem:
            raise f.error("chat", problem, fix=CHAT_FIX)
        out["chat"] = value
    out["value_splits"] = _value_splits(f)
    read_live(f, timezone)  # checked; with its recording there the episode itself replaces the live item
    return out


def _list(f: Any, key: str, example: str) -> list[Any]:
    value = f.raw(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise f.error(key, "must be a list", fix=f"write it as a list:\n{example}")
    return value


def _value_splits(f: Any) -> tuple[ValueSplit, ...]:
    out = []
    for i, item in enumerate(_list(f, "value_splits", "- start: \"1:00\"\n  duration: 240\n  recipients: [...]")):
        what = f"split {i + 1}"
        allowed = {"start", "duration", "recipients", "remote", "remote_start", "remote_percentage"}
        if not isinstance(item, dict) or "start" not in item or "duration" not in item or set(item) - allowed:
            raise f.error("value_splits", f"{what} needs start and duration, and recipients or remote",
                          fix="use start, duration, recipients, remote, remote_start, remote_percentage")
        recipients = []
        for j, raw in enumerate(item.get("recipients") or []):
            value, problem = value_recipient(raw)
            if problem:
                raise f.error("value_splits", f"{what} recipient {j + 1} {problem}", fix=VALUE_FIX)
            recipients.append(value)
        remote = None
        if item.get("remote") is not None:
            remote, problem = remote_item(item["remote"])
            if problem:
                raise f.error("value_splits", f"{what} remote {problem}", fix="give the remote item's feed_guid and item_guid")
        if bool(recipients) == (remote is not None):
            raise f.error("value_splits", f"{what} needs either recipients or one remote item",
                          fix="list recipients, or name one remote item (a song, another show's episode)")
        percentage = item.get("remote_percentage")
        if percentage is not None and (not isinstance(percentage, int) or isinstance(percentage, bool)
                                       or not 0 <= percentage <= 100):
            raise f.error("value_splits", f"{what} remote_percentage must be 0 to 100", fix="write e.g. 95")
        start = f.seconds("value_splits", item["start"], f"{what} start")
        duration = f.seconds("value_splits", item["duration"], f"{what} duration")
        if duration <= 0:
            raise f.error("value_splits", f"{what} duration must be above zero", fix="write it in seconds or M:SS")
        remote_start = (f.seconds("value_splits", item["remote_start"], f"{what} remote_start")
                        if item.get("remote_start") is not None else None)
        out.append(ValueSplit(start, duration, tuple(recipients), remote, remote_start, percentage))
    return tuple(out)


def read_live(f: Any, timezone: str) -> LiveStream | None:
    """``live: {start, end, url, type, page}``: a live show's stream."""
    raw = f.raw("live")
    if raw is None:
        return None
    allowed = {"start", "end", "url", "type", "page"}
    if not isinstance(raw, dict) or "start" not in raw or "url" not in raw or set(raw) - allowed:
        raise f.error("live", "needs start and url (and optionally end, type, page)",
                      fix="write it like live: {start: 2024-05-01T18:00:00, end: 2024-05-01T19:00:00, "
                          "url: https://stream.example.com/live.mp3, page: https://example.com/live}")
    start = _when(f, raw["start"], "start", timezone)
    end = _when(f, raw["end"], "end", timezone) if raw.get("end") is not None else None
    if end is not None and end <= start:
        raise f.error("live", "end is not after start", fix="give the end time of the stream")
    for key in ("url", "page"):
        if raw.get(key) is not None:
            problem = web_url_problem(raw[key])
            if problem:
                raise f.error("live", f"{key}: {problem}", fix=URL_FIX)
    kind = raw.get("type", "audio/mpeg")
    if kind not in STREAM_TYPES:
        raise f.error("live", f"type {kind!r} is not a stream type apps play", fix="use one of " + ", ".join(STREAM_TYPES))
    return LiveStream(start, end, raw["url"], kind, raw.get("page"))


def _when(f: Any, value: Any, what: str, timezone: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise f.error("live", f"{what} {value!r} is not a date and time",
                          fix="write it like 2024-05-01T18:00:00 or 2024-05-01T18:00:00-04:00") from None
    if not isinstance(value, datetime):
        raise f.error("live", f"{what} is not a date and time", fix="write it like 2024-05-01T18:00:00")
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(timezone))


def live_event(settings: IngestSettings, path: Path) -> LiveEvent | None:
    """A notes file with ``live:`` and no recording yet as a LiveEvent, or
    None when it is not one (then ingest reports its problem as usual).
    A mistake in its fields raises, naming the line."""
    display = Path(path.relative_to(settings.root)) if path.is_relative_to(settings.root) else path
    try:
        notes = read_notes(path, display)
    except CastlineError:
        return None
    if "live" not in notes.fields or "audio" in notes.fields:
        return None
    f = Fields(notes, display)
    stream = read_live(f, settings.timezone)
    tags = read_episode_tags(f, settings.timezone)
    image = None
    if f.text("image"):
        candidate = (settings.root / f.text("image")).resolve()
        if candidate.is_relative_to(settings.root) and candidate.is_file():
            image = candidate
    return LiveEvent(slug=f.text("slug") or path.stem, notes_path=path, title=f.text("title", required=True),
                     live=stream, summary=f.text("summary", multiline=True), body=notes.body, image=image,
                     image_alt=f.text("image_alt"), chat=tags.get("chat"), guests=f.guests(),
                     draft=bool(f.boolean("draft", False)))
