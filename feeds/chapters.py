"""Chapters for apps: the JSON chapters file and timestamps in the notes.

Podcasting 2.0 apps read chapters from a JSON file the item links with
``podcast:chapters`` (format 1.2.0: ``{"version", "chapters": [{"startTime",
"title", "url", "img"}], ...}``). Apple Podcasts and Spotify instead read
timestamps written in the episode description, and only when the list starts
at 0:00 and has at least three chapters, in ascending order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the clock format alone (timestamp) loads no feed model
    from feeds.model import FeedChapter

CHAPTERS_VERSION = "1.2.0"
CHAPTERS_MIME = "application/json+chapters"


def chapters_json(
    chapters: Sequence[FeedChapter], *, title: str, podcast_name: str, author: str
) -> bytes:
    """The JSON chapters file (UTF-8, sorted by start, stable bytes).

    ``startTime`` is seconds as a number (whole seconds written as integers,
    otherwise at most millisecond precision); ``url`` and ``img`` appear only
    when set.
    """
    document = {
        "version": CHAPTERS_VERSION,
        "author": author,
        "title": title,
        "podcastName": podcast_name,
        "chapters": [_chapter(c) for c in sorted(chapters, key=lambda c: c.start)],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _chapter(chapter: FeedChapter) -> dict[str, object]:
    start = round(float(chapter.start), 3)
    entry: dict[str, object] = {"startTime": int(start) if start.is_integer() else start,
                                "title": chapter.title}
    if chapter.url:
        entry["url"] = chapter.url
    if chapter.img:
        entry["img"] = chapter.img
    return entry


def chapters_text(chapters: Sequence[FeedChapter]) -> str | None:
    """Timestamps for the description (``0:00 Intro``, one per line), or None.

    None unless Apple's and Spotify's rule holds: the first chapter starts at
    0:00, there are at least three, and each starts at a later whole second
    than the one before. Under an hour a time is ``M:SS``; from an hour on,
    every line uses ``H:MM:SS`` so the column reads the same way.
    """
    ordered = sorted(chapters, key=lambda c: c.start)
    seconds = [int(c.start) for c in ordered]
    if len(ordered) < 3 or seconds[0] != 0:
        return None
    if any(later <= earlier for earlier, later in zip(seconds, seconds[1:])):
        return None
    hours = seconds[-1] >= 3600
    return "\n".join(f"{timestamp(s, hours=hours)} {c.title}" for s, c in zip(seconds, ordered))


def timestamp(seconds: int, *, hours: bool = False) -> str:
    """``M:SS``, or ``H:MM:SS`` when ``hours`` (or when the time needs it)."""
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    if hours or h:
        return f"{h}:{m:02d}:{s:02d}"
    return f"{m}:{s:02d}"
