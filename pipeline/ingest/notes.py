"""Show notes: Markdown in, HTML (pages and the feed's content:encoded) or
plain text (meta descriptions, summaries) out.

The notes are the host's words, so they are rendered by a real CommonMark
parser (markdown-it-py) and never trusted blindly: raw HTML in them is
escaped unless the show opts in with ``allow_html``, and links with
``javascript:``, ``vbscript:``, ``file:`` or non-image ``data:`` URLs are
left as text (markdown-it's link validation). Headings are shifted so the
highest one in the notes becomes ``<h2>``: on a page the episode title is
the only ``<h1>``, and the notes' outline keeps its relative shape.

Both are pure functions of their text, so their results are remembered by
content (``Memo``): within a run (a page, its summary, the feed item and
the tags all ask for the same notes) and, kept in ``.castline/cache``,
between runs, so re-rendering every page after a template edit does not
parse the notes again (nor load markdown-it).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

_TOP_HEADING = 2  # the page title is <h1>; notes start one level below
NOTES_VERSION = "1"  # bump when the same Markdown would render differently


class Memo:
    """Results of ``render_markdown`` and ``plain_text`` by the sha256 of
    their input. ``load`` and ``save`` keep them in a JSON file (only the
    entries the run used); a file from another castline or markdown-it
    version is ignored."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}
        self.used: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        value = self.used.get(key)
        if value is None and (value := self.found.get(key)) is not None:
            self.used[key] = value
        return value

    def put(self, key: str, value: str) -> str:
        self.used[key] = value
        return value

    def load(self, path: Path) -> None:
        """Start a run from the file at ``path`` (what this process
        remembered of other shows is dropped)."""
        self.used = {}
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("version") == _memo_version():
                self.found = {k: v for k, v in doc["entries"].items() if isinstance(v, str)}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.found = {}

    def save(self, path: Path, temp_name: str) -> None:
        if self.used.keys() == self.found.keys():
            return
        tmp = path.parent / temp_name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"version": _memo_version(), "entries": self.used}, ensure_ascii=False),
                           encoding="utf-8")
            os.replace(tmp, path)
        except OSError:  # a cache: without it the next run parses the notes again
            tmp.unlink(missing_ok=True)
        self.found = dict(self.used)


def _memo_version() -> str:
    from importlib.metadata import version

    return f"{NOTES_VERSION}/markdown-it-py {version('markdown-it-py')}"


MEMO = Memo()  # a memo of pure functions: the same answers with or without it


def _key(kind: str, md: str) -> str:
    return hashlib.sha256(f"{kind}\0{md}".encode()).hexdigest()


@lru_cache(maxsize=2)
def _parser(allow_html: bool) -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": allow_html, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    return md


def render_markdown(md: str, *, allow_html: bool = False) -> str:
    """Render the Markdown of show notes (or a bio) to an HTML fragment.

    ``> quote`` blocks become ``<blockquote>``, which the pages style as pull
    quotes. With ``allow_html`` False a ``<script>`` in the notes comes out as
    visible, escaped text.
    """
    key = _key(f"html{int(allow_html)}", md or "")
    done = MEMO.get(key)
    if done is not None:
        return done
    parser = _parser(allow_html)
    env: dict = {}
    tokens = parser.parse(md or "", env)
    _shift_headings(tokens)
    return MEMO.put(key, parser.renderer.render(tokens, parser.options, env))


def _shift_headings(tokens: list[Token]) -> None:
    levels = [int(t.tag[1]) for t in tokens if t.type == "heading_open"]
    if not levels:
        return
    shift = _TOP_HEADING - min(levels)
    if shift == 0:
        return
    for tok in tokens:
        if tok.type in ("heading_open", "heading_close"):
            tok.tag = f"h{min(6, int(tok.tag[1]) + shift)}"


def plain_text(md: str, limit: int | None = None) -> str:
    """The notes as one line of plain text, for a meta description or an
    episode summary: markup, HTML and code blocks dropped, whitespace
    collapsed, cut at a word boundary with an ellipsis when over ``limit``
    characters (the ellipsis counts)."""
    text = _plain(md or "")
    if limit is not None and len(text) > limit:
        cut = text[: max(0, limit - 1)]
        if " " in cut and not text[len(cut)].isspace():
            cut = cut.rsplit(" ", 1)[0]
        text = cut.rstrip(" ,;:.-–—") + "…"
    return text


def _plain(md: str) -> str:
    """The text of ``md`` on one line (remembered: see ``Memo``)."""
    key = _key("text", md)
    done = MEMO.get(key)
    if done is not None:
        return done
    parts: list[str] = []
    for tok in _parser(True).parse(md):  # HTML parsed so it can be dropped
        if tok.type == "inline":
            parts.append(_inline_text(tok.children or []))
        elif tok.type in ("paragraph_close", "heading_close", "list_item_close", "td_close", "th_close"):
            parts.append(" ")
    return MEMO.put(key, re.sub(r"\s+", " ", "".join(parts)).strip())


def _inline_text(children: list[Token]) -> str:
    out = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type == "image":
            out.append(child.content)  # the alt text
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
    return "".join(out)
