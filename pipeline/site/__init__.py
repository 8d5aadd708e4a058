"""Built episodes -> the text tree: the feed, the pages, chapters JSON, transcripts, art sizes.

The feed is written through ``feeds`` (Apple's and the Podcasting 2.0 tags),
the pages with Jinja2 from ``templates/`` and ``static/`` (a show's own
``templates/`` overrides them by name). Nothing here reads the clock or the
store: the same inputs give the same bytes, as ``(key, bytes)`` pairs, one at
a time, so a show of thousands of episodes never holds all its pages at once.
``carry_items`` keeps published items the publish could not rebuild.

Names load on first use (``pipeline.tools.faces``): a publish with nothing
to do never loads the feed and page code.
"""

from pipeline.tools.faces import lazy_face

_WHERE = {
    "carry": ("carry_items",),
    "pages": ("PageEpisode", "page_sources", "render_site",),
    "render": ("ART_SET_DIR", "FeedParts", "TreeInputs", "feed_channel", "feed_item", "feed_parts", "iter_all",
              "live_guid", "live_statuses", "notes_html",),
}
__getattr__, __dir__ = lazy_face(__name__, _WHERE)
__all__ = sorted(name for names in _WHERE.values() for name in names)  # noqa: PLE0605  (resolved by __getattr__)
