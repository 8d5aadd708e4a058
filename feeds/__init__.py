"""castline's feed formats, usable on their own (no ``pipeline`` import).

Build ``FeedChannel`` and ``FeedItem`` values, then ``render_feed`` writes
RSS 2.0 with Apple's ``itunes:`` tags and the Podcasting 2.0 ``podcast:``
namespace, byte-identical for the same inputs (``render_paged`` splits a
long feed into RFC 5005 archive pages); ``check_feed`` lists every
Apple rule the feed would break; ``chapters_json`` writes the JSON chapters
file and ``chapters_text`` the timestamps for the notes.
"""

from importlib import import_module

# Each name and the module it lives in. They load on first use (PEP 562), so
# ``import feeds.apple`` (the category and language lists) or
# ``feeds.chapters`` does not pay for feedgen and lxml.
_WHERE = {
    **dict.fromkeys(("FeedBlock", "FeedCategory", "FeedChannel", "FeedChapter", "FeedChat", "FeedEnclosure",
                     "FeedHistory", "FeedImage", "FeedInputError", "FeedItem", "FeedLink", "FeedLiveItem",
                     "FeedLocation", "FeedPerson", "FeedProblem", "FeedRemoteItem", "FeedSoundbite",
                     "FeedTranscript", "FeedValueRecipient", "FeedValueTimeSplit", "live_end", "live_status"), "feeds.model"),
    **dict.fromkeys(("render_feed", "render_paged", "newest_first"), "feeds.rss"),
    **dict.fromkeys(("analytics_url", "podcast_guid", "sri"), "feeds.podcast_ns"),
    **dict.fromkeys(("chapters_json", "chapters_text"), "feeds.chapters"),
    **dict.fromkeys(("APPLE_CATEGORIES", "DESCRIPTION_MAX_BYTES", "check_feed"), "feeds.apple"),
}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'feeds' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = sorted(_WHERE)  # noqa: PLE0605  (names are resolved by __getattr__)
