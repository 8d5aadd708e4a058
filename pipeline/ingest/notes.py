"""Show notes: Markdown in, HTML (pages and the feed's content:encoded) or
plain text (meta descriptions, summaries) out.

The notes are the host's words, so they are rendered by a real CommonMark
parser (markdown-it-py) and never trusted blindly: raw HTML in them is
escaped unless the show opts in with ``allow_html``, and links with
``javascript:``, ``vbscript:``, ``file:`` or non-image ``data:`` URLs are
left as text (markdown-it's link validation). Headings are shifted so the
highest one in the notes becomes ``<h2>``: on a page the episode title is
the only ``<h1>``, and the notes' outline keeps its relative shape.

Both are pure functions of their text, so a ``Markdown`` remembers their
results by content (``Memo``): within a run (a page, its summary, the feed
item and the tags all ask for the same notes) and, kept in
``.castline/cache``, between runs, so re-rendering every page after a
template edit does not parse the notes again (nor load markdown-it). A
publish makes one ``Markdown`` and hands it to the stages that render text;
``render_markdown`` and ``plain_text`` are the same without a memo.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.tools.tempfiles import write_atomic

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

    @classmethod
    def load(cls, path: Path) -> Memo:
        """The memo kept at ``path`` (empty if there is none, or it is from
        another castline or markdown-it version)."""
        memo = cls()
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if doc.get("version") == _memo_version():
                memo.found = {k: v for k, v in doc["entries"].items() if isinstance(v, str)}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            memo.found = {}
        return memo

    def save(self, path: Path) -> None:
        """Keep the entries this run used at ``path`` (atomically)."""
        if self.used.keys() == self.found.keys():
            return
        try:
            write_atomic(path, json.dumps({"version": _memo_version(), "entries": self.used}, ensure_ascii=False))
        except OSError:  # a cache: without it the next run parses the notes again
            pass
        self.found = dict(self.used)


def _memo_version() -> str:
    from importlib.metadata import version

    return f"{NOTES_VERSION}/markdown-it-py {version('markdown-it-py')}"


def _key(kind: str, md: str) -> str:
    return hashlib.sha256(f"{kind}\0{md}".encode()).hexdigest()


class Markdown:
    """The notes' Markdown as HTML and as plain text, each result remembered
    by content in ``memo`` (the same answers with or without it)."""

    def __init__(self, memo: Memo | None = None) -> None:
        self.memo = memo if memo is not None else Memo()
        self._parsers: dict[bool, MarkdownIt] = {}

    def _parser(self, allow_html: bool) -> MarkdownIt:
        if allow_html not in self._parsers:
            from markdown_it import MarkdownIt  # loaded only when a text is not remembered

            md = MarkdownIt("commonmark", {"html": allow_html, "typographer": True})
            md.enable(["table", "strikethrough", "replacements", "smartquotes"])
            self._parsers[allow_html] = md
        return self._parsers[allow_html]

    def html(self, md: str, *, allow_html: bool = False) -> str:
        """Render the Markdown of show notes (or a bio) to an HTML fragment.

        ``> quote`` blocks become ``<blockquote>``, which the pages style as
        pull quotes. With ``allow_html`` False a ``<script>`` in the notes
        comes out as visible, escaped text.
        """
        key = _key(f"html{int(allow_html)}", md or "")
        done = self.memo.get(key)
        if done is not None:
            return done
        parser = self._parser(allow_html)
        env: dict = {}
        tokens = parser.parse(md or "", env)
        _shift_headings(tokens)
        return self.memo.put(key, parser.renderer.render(tokens, parser.options, env))

    def text(self, md: str, limit: int | None = None) -> str:
        """The notes as one line of plain text, for a meta description or an
        episode summary: markup, HTML and code blocks dropped, whitespace
        collapsed, cut at a word boundary with an ellipsis when over
        ``limit`` characters (the ellipsis counts)."""
        text = self._plain(md or "")
        if limit is not None and len(text) > limit:
            cut = text[: max(0, limit - 1)]
            if " " in cut and not text[len(cut)].isspace():
                cut = cut.rsplit(" ", 1)[0]
            text = cut.rstrip(" ,;:.-–—") + "…"
        return text

    def _plain(self, md: str) -> str:
        key = _key("text", md)
        done = self.memo.get(key)
        if done is not None:
            return done
        parts: list[str] = []
        for tok in self._parser(True).parse(md):  # HTML parsed so it can be dropped
            if tok.type == "inline":
                parts.append(_inline_text(tok.children or []))
            elif tok.type in ("paragraph_close", "heading_close", "list_item_close", "td_close", "th_close"):
                parts.append(" ")
        return self.memo.put(key, re.sub(r"\s+", " ", "".join(parts)).strip())


def render_markdown(md: str, *, allow_html: bool = False) -> str:
    """``Markdown().html``: the notes as HTML, with nothing remembered."""
    return Markdown().html(md, allow_html=allow_html)


def plain_text(md: str, limit: int | None = None) -> str:
    """``Markdown().text``: the notes as plain text, with nothing remembered."""
    return Markdown().text(md, limit)


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
