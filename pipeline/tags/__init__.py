"""TagInfo -> tags in the episode file: ID3v2 (MP3), MP4 atoms (M4A), Vorbis comments (Opus/Ogg).

Apps read the feed, but a downloaded file is read by whatever player it lands
in, so the file itself says its title, show, number, date, art and chapters
(mutagen; MP4 chapters through ffmpeg). The writer is chosen by extension and
loaded, with mutagen, when a file is first tagged or read.
"""

from .write import FileFacts, Span, TagInfo, chapter_spans, file_facts, read_tags, write_tags

__all__ = ["FileFacts", "Span", "TagInfo", "chapter_spans", "file_facts", "read_tags", "write_tags"]
