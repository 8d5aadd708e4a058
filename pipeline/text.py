"""The rules every piece of host-written text and every URL obeys.

Text from config.toml, front matter and notes reaches three audiences: the
feed (XML 1.0 forbids most control characters), the pages (the HTML spec
forbids them too, and the Nu checker rejects the page), and the terminal
(an escape sequence in a title could clear the host's screen). So text is
cleaned once, at the edge where it is read, and every later stage trusts it.

A URL a listener can click must be absolute and ``http``, ``https`` or
``mailto``: a ``javascript:`` or ``data:`` link in a page is an attack, and a
relative one is broken in every podcast app. One rule, used by config and
front matter alike.
"""

from __future__ import annotations

import re

from feeds.chapters import timestamp

# C0 controls except tab and newline, DEL, C1 controls, and the Unicode
# noncharacters (U+FDD0-U+FDEF, U+xFFFE/U+xFFFF) and lone surrogates.
_BAD_CHARS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef\ufffe\uffff\ud800-\udfff"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
_URL = re.compile(r"(?:https?://[^\s/?#]+[^\s]*|mailto:[^\s@]+@[^\s@]+)", re.IGNORECASE)


def clean_text(value: str) -> str:
    """``value`` without control characters or noncharacters, and without
    surrounding whitespace. A carriage return becomes a newline (so Windows
    line endings survive as line breaks); tabs and newlines stay."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _BAD_CHARS.sub("", value).strip()


def clean_block(value: str) -> str:
    """Text whose indentation means something (the Markdown of the notes:
    an indented first line is a code block): ``clean_text`` that keeps the
    first line's indentation, dropping only blank lines around the text and
    trailing spaces. Ends with one newline unless empty."""
    value = _BAD_CHARS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = _LEADING_BLANK_LINES.sub("", value).rstrip()
    return value + "\n" if value else ""


def clean_line(value: str) -> str:
    """One line of text (a title, a name): ``clean_text`` with every run of
    whitespace, newlines included, folded to one space."""
    return " ".join(clean_text(value).split())


def url_problem(value: object) -> str | None:
    """Why ``value`` is not a URL castline will publish, or None if it is.

    Allowed: absolute ``http://``/``https://`` URLs with a host, and
    ``mailto:`` addresses. Everything else (``javascript:``, ``data:``,
    relative paths, URLs with spaces or control characters) is refused."""
    if not isinstance(value, str):
        return "is not text"
    if value != value.strip() or _BAD_CHARS.search(value):
        return f"{_quoted(value)} has spaces or control characters around or in it"
    if not _URL.fullmatch(value):
        return f"{_quoted(value)} is not an absolute http(s) or mailto URL"
    return None


def _quoted(value: str, limit: int = 80) -> str:
    """``value`` as a message quotes it: cleaned, cut to ``limit``
    characters, in quotes (a 1 MB value is not printed back whole)."""
    value = clean_line(value)
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


URL_FIX = "write it like https://example.com/page (only http, https and mailto links are published)"


def clock(seconds: float) -> str:
    """Seconds as a player shows them, whole seconds down: "4:05", "1:02:03"
    (the one clock format: ``feeds.chapters.timestamp``, also the CLI's)."""
    return timestamp(int(seconds))
