"""Apple's rules on the feed as built, worded for the host: one place for
``castline check`` and ``castline publish`` alike.

An error (a channel rule) stops a publish before anything is uploaded; a
warning (an episode description over 4000 bytes, which Apple cuts) is
reported and the publish goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import feeds
from pipeline.errors import FeedError

CONFIG = "config.toml"
# The [show] key behind each channel element, so a feed rule names what to edit.
_SHOW_KEY = {
    "title": "title", "description": "description", "itunes:image": "image", "language": "language",
    "itunes:category": "categories", "itunes:author": "author", "itunes:owner": "email", "itunes:type": "type",
    "podcast:guid": "podcast_guid", "enclosure": "analytics_prefix", "podcast:medium": "medium",
}


class Severity(str, Enum):
    """How much a broken rule matters (``feeds.check_feed``'s word)."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class FeedRule:
    """One of Apple's rules the feed breaks, as the host reads it."""

    error: FeedError
    severity: Severity


def feed_rules(channel: feeds.FeedChannel, items: list[feeds.FeedItem], notes_of: dict[str, str]) -> list[FeedRule]:
    """``feeds.check_feed`` as the host reads it: a channel rule names the
    config key to edit, an episode rule the notes file; an over-long
    description says by how many bytes."""
    out = []
    by_guid = {i.guid: i for i in items}
    for p in feeds.check_feed(channel, items):
        item = by_guid.get(p.episode) if p.episode else None
        message = p.message
        if p.element == "description":
            html = channel.description_html if item is None else (item.description_html or item.content_html or "")
            size = len(html.encode("utf-8"))
            if size > feeds.DESCRIPTION_MAX_BYTES:
                message = (f"is {size} bytes in the feed, {size - feeds.DESCRIPTION_MAX_BYTES} over Apple's limit of "
                           f"{feeds.DESCRIPTION_MAX_BYTES}")
                message += ("; Apple cuts it (the full notes stay in content:encoded): shorten the notes"
                            if item is not None else ": shorten it")
        if item is None and not p.episode:
            key = _SHOW_KEY.get(p.element)
            error = FeedError(f"feed <{p.element}> {message}", path=CONFIG, field=f"show.{key}" if key else None)
        else:
            error = FeedError(f"feed <{p.element}> {message}", path=notes_of.get(p.episode or "", "feed.xml"))
        out.append(FeedRule(error, Severity(p.severity)))
    return out
