"""Show notes: Markdown in, HTML (pages and the feed's content:encoded) or
plain text (meta descriptions, summaries) out.

The notes are the host's words, so they are rendered by a real CommonMark
parser (markdown-it-py) and never trusted blindly: raw HTML in them is
escaped unless the show opts in with ``allow_html``, and links with
``javascript:``, ``vbscript:``, ``file:`` or non-image ``data:`` URLs are
left as text (markdown-it's link validation). Headings are shifted so the
highest one in the notes becomes ``<h2>``: on a page the episode title is
the only ``<h1>``, and the notes' outline keeps its relative shape.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

_TOP_HEADING = 2  # the page title is <h1>; notes start one level below


@lru_cache(maxsize=2)
def _parser(allow_html: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": allow_html, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    return md


def render_markdown(md: str, *, allow_html: bool = False) -> str:
    """Render the Markdown of show notes (or a bio) to an HTML fragment.

    ``> quote`` blocks become ``<blockquote>``, which the pages style as pull
    quotes. With ``allow_html`` False a ``<script>`` in the notes comes out as
    visible, escaped text.
    """
    parser = _parser(allow_html)
    env: dict = {}
    tokens = parser.parse(md or "", env)
    _shift_headings(tokens)
    return parser.renderer.render(tokens, parser.options, env)


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


@lru_cache(maxsize=4096)
def _plain(md: str) -> str:
    """The text of ``md`` on one line. Remembered: a page, its summary, the
    feed item and the tags all ask for the same notes' text."""
    parts: list[str] = []
    for tok in _parser(True).parse(md):  # HTML parsed so it can be dropped
        if tok.type == "inline":
            parts.append(_inline_text(tok.children or []))
        elif tok.type in ("paragraph_close", "heading_close", "list_item_close", "td_close", "th_close"):
            parts.append(" ")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


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
