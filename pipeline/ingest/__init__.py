"""episodes/ + show_notes/ -> [Episode]: the show folder read, every problem at once.

Each notes file's front matter (YAML or TOML, every field typed and bounded,
each mistake named with its line), its Markdown body, its recording and
sidecars (art, a WebVTT or SRT transcript), the Podcasting 2.0 fields, and
live items (``live:`` with no recording yet). Also the Markdown of the notes
as HTML and plain text (``render_markdown``, ``plain_text``), which the tags,
the feed and the pages all use.

Names load on first use (``pipeline.tools.faces``): a publish whose
receipt shows nothing changed reads no notes.
"""

from pipeline.tools.faces import lazy_face

_WHERE = {
    "fields": ("Fields", "short", "shown",),
    "folder": ("AUDIO_EXTENSIONS", "Ingested", "ingest", "inside_show",),
    "frontmatter": ("Notes", "read_notes",),
    "notes": ("Markdown", "Memo", "plain_text", "render_markdown",),
    "transcript": ("Cue", "read_transcript", "transcript_bytes",),
}
__getattr__, __dir__ = lazy_face(__name__, _WHERE)
__all__ = sorted(name for names in _WHERE.values() for name in names)  # noqa: PLE0605  (resolved by __getattr__)
