"""castline's feed formats, usable on their own (no ``pipeline`` import).

Build ``FeedChannel`` and ``FeedItem`` values, then ``render_feed`` writes
RSS 2.0 with Apple's ``itunes:`` tags and the Podcasting 2.0 ``podcast:``
namespace, byte-identical for the same inputs (``render_paged`` splits a
long feed into RFC 5005 archive pages); ``check_feed`` lists every
Apple rule the feed would break; ``chapters_json`` writes the JSON chapters
file and ``chapters_text`` the timestamps for the notes.
"""

from feeds.model import (  # noqa: I001  (model first: it has no feedgen import)
    FeedBlock,
    FeedCategory,
    FeedChannel,
    FeedChapter,
    FeedChat,
    FeedEnclosure,
    FeedHistory,
    FeedImage,
    FeedInputError,
    FeedItem,
    FeedLink,
    FeedLiveItem,
    FeedLocation,
    FeedPerson,
    FeedProblem,
    FeedRemoteItem,
    FeedSoundbite,
    FeedTranscript,
    FeedValueRecipient,
    FeedValueTimeSplit,
    live_status,
)
from feeds.rss import render_feed, render_paged, newest_first
from feeds.podcast_ns import analytics_url, podcast_guid, sri
from feeds.chapters import chapters_json, chapters_text
from feeds.apple import APPLE_CATEGORIES, check_feed

__all__ = [
    "APPLE_CATEGORIES",
    "FeedBlock",
    "FeedCategory",
    "FeedChannel",
    "FeedChapter",
    "FeedChat",
    "FeedEnclosure",
    "FeedHistory",
    "FeedImage",
    "FeedInputError",
    "FeedItem",
    "FeedLink",
    "FeedLiveItem",
    "FeedLocation",
    "FeedPerson",
    "FeedProblem",
    "FeedRemoteItem",
    "FeedSoundbite",
    "FeedTranscript",
    "FeedValueRecipient",
    "FeedValueTimeSplit",
    "analytics_url",
    "chapters_json",
    "chapters_text",
    "check_feed",
    "live_status",
    "newest_first",
    "podcast_guid",
    "render_feed",
    "render_paged",
    "sri",
]
