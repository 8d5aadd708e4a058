"""Transcripts: the WebVTT or SubRip sidecar of an episode, read into cues
and written back on the published audio's timeline.

A cue is a stretch of speech with a start and end in seconds, the words,
and (WebVTT ``<v Name>`` voice spans) who speaks. The pages print the words
as a readable transcript whose timestamps seek the player; the feed points
apps at the published file (``podcast:transcript``), and a browser reads it
in a ``<track>``.

Two maintained libraries do the reading and writing: webvtt-py for WebVTT
(it keeps a cue's markup, entities and settings exactly as written, which
matters: ``5 &lt; 6`` written back as ``5 < 6`` makes a browser's WebVTT
parser drop text) and srt for SubRip (it reads what players read and reports
where a file stops making sense). The published file is the host's file with
the times moved; only control characters are taken out of it.

A malformed file raises NotesError naming the line, so the host can fix it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Callable

import srt
import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError
from webvtt.models import Caption, Timestamp

from pipeline.errors import NotesError
from pipeline.text import clean_line, clean_text

_FIX_VTT = "write cues as '00:01:02.500 --> 00:01:05.000' followed by the text (see the WebVTT spec)"
_FIX_SRT = "write cues as a number, '00:01:02,500 --> 00:01:05,000', then the text"
# how every WebVTT block after the header starts: NOTE, STYLE, REGION, or a
# cue's timing line (after an optional identifier line)
_VTT_BLOCK = re.compile(r"(?:NOTE|STYLE|REGION)(?:\s|$)|(?:[^\n]*\n)?[^\n]*-->")
_SRT_TAG = re.compile(r"</?(?:b|i|u|font)(?:\s[^>]*)?>|\{\\[^}]*\}", re.IGNORECASE)  # <i>, <font ...>, {\an8}


@dataclass(frozen=True)
class Cue:
    """One caption: seconds from the start, the words, maybe the speaker.

    ``text`` and ``speaker`` are what a reader sees (markup dropped, entities
    decoded); ``markup``, ``settings`` and ``identifier`` are the cue as the
    host wrote it, for the published file (empty for a cue made in code)."""

    start: float
    end: float
    text: str
    speaker: str | None = None
    markup: str = field(default="", compare=False)
    settings: str = field(default="", compare=False)
    identifier: str | None = field(default=None, compare=False)


def read_transcript(path: Path) -> tuple[Cue, ...]:
    """Read a ``.vtt`` or ``.srt`` file into cues, in file order."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NotesError(f"cannot read transcript ({exc.strerror})", path=path, fix="check the file's permissions") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotesError("transcript is not UTF-8 text", path=path, line=raw[: exc.start].count(b"\n") + 1,
                         fix="save it as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    suffix = path.suffix.lower()
    if suffix == ".vtt":
        return _read_vtt(text, path)
    if suffix == ".srt":
        return _read_srt(text, path)
    raise NotesError(f"unknown transcript type {suffix!r}", path=path, fix="use a .vtt or .srt file")


def transcript_bytes(cues: tuple[Cue, ...], fmt: str) -> bytes:
    """Write cues back as WebVTT (``fmt`` "vtt") or SubRip ("srt"), after
    their times were moved to the published audio's timeline. Each cue's
    markup is written as the host wrote it, escaping and voices included."""
    if fmt == "vtt":
        captions = [Caption(start=_vtt_time(c.start), end=_vtt_time(max(c.start, c.end)), text=_vtt_markup(c),
                                   identifier=c.identifier, settings=c.settings) for c in cues]
        return webvtt.WebVTT(captions=captions).content.encode()
    subtitles = [srt.Subtitle(index=i, start=timedelta(seconds=c.start), end=timedelta(seconds=max(c.start, c.end)),
                              content=c.markup or (f"{c.speaker}: {c.text}" if c.speaker else c.text))
                 for i, c in enumerate(cues, 1)]
    return srt.compose(subtitles, reindex=False).encode()


def _vtt_time(seconds: float) -> str:
    return str(Timestamp.from_seconds(round(seconds, 3)))


def _vtt_markup(c: Cue) -> str:
    if c.markup:
        return c.markup
    text = html.escape(c.text, quote=False)
    return f"<v {html.escape(c.speaker, quote=False)}>{text}" if c.speaker else text


# -- WebVTT ------------------------------------------------------------------

def _read_vtt(text: str, path: Path) -> tuple[Cue, ...]:
    try:
        captions = webvtt.from_string(text, strict=True).captions
    except MalformedFileError:
        raise NotesError("a WebVTT file must start with 'WEBVTT'", path=path, line=1, fix=_FIX_VTT) from None
    except MalformedCaptionError as exc:
        line, timing = _locate(text, _vtt_block_is_bad, skip_first=True) or _first(text)
        reason = _lower_first(_cut(str(exc)))
        what = "bad cue timing" if reason.startswith(("invalid cue block", "invalid timestamp")) else f"{reason} in"
        raise NotesError(f"{what} {_cut(timing)!r}", path=path, line=line, fix=_FIX_VTT) from None
    if any(c.end_time < c.start_time for c in captions):
        line, timing = _locate(text, _vtt_block_is_bad, skip_first=True) or _first(text)
        raise NotesError(f"cue ends before it starts: {_cut(timing)!r}", path=path, line=line, fix=_FIX_VTT)
    # A WebVTT reader skips a block that is not a cue, a NOTE, STYLE or
    # REGION; those words would be lost without a word, so they are an error.
    stray = _locate(text, lambda block: not _VTT_BLOCK.match(block), skip_first=True)
    if stray:
        raise NotesError("expected a cue timing line with '-->'", path=path, line=stray[0], fix=_FIX_VTT)
    cues = []
    for c in captions:
        clean = Caption(text=_clean_lines(c.raw_text))  # words and voice read from what is published
        words = clean_line(html.unescape(clean.text))
        if not words:
            continue
        voice = clean.voice
        cues.append(Cue(start=c.start_time.in_milliseconds() / 1000, end=c.end_time.in_milliseconds() / 1000,
                        text=words, speaker=clean_line(html.unescape(voice)) or None if voice else None,
                        markup=clean.raw_text, settings=clean_line(str(c.settings)),
                        identifier=clean_line(c.identifier or "") or None))
    return tuple(cues)


def _vtt_block_is_bad(block: str) -> bool:
    try:
        captions = webvtt.from_string("WEBVTT\n\n" + block, strict=True).captions
    except (MalformedCaptionError, MalformedFileError):
        return True
    return any(c.end_time < c.start_time for c in captions)


# -- SubRip ------------------------------------------------------------------

def _read_srt(text: str, path: Path) -> tuple[Cue, ...]:
    try:
        subtitles = list(srt.parse(text))
    except srt.SRTParseError as exc:
        unmatched = exc.unmatched_content
        start = exc.expected_start + len(unmatched) - len(unmatched.lstrip())
        line = text.count("\n", 0, start) + 1
        first = text[start:].split("\n", 1)[0]
        raise NotesError(f"cannot read this as a cue: {_cut(first)!r}", path=path, line=line, fix=_FIX_SRT) from None
    except (ValueError, OverflowError):  # a time or a cue number past any recording
        line, timing = _locate(text, _srt_block_is_bad) or _first(text)
        raise NotesError(f"bad cue timing {_cut(timing)!r}", path=path, line=line, fix=_FIX_SRT) from None
    if any(s.end < s.start for s in subtitles):
        line, timing = _locate(text, _srt_block_is_bad) or _first(text)
        raise NotesError(f"cue ends before it starts: {_cut(timing)!r}", path=path, line=line, fix=_FIX_SRT)
    cues = []
    for s in subtitles:
        words = clean_line(_SRT_TAG.sub("", s.content))
        if words:
            cues.append(Cue(start=s.start.total_seconds(), end=s.end.total_seconds(), text=words,
                            markup=_clean_lines(s.content)))
    return tuple(cues)


def _srt_block_is_bad(block: str) -> bool:
    try:
        return any(s.end < s.start for s in srt.parse(block))
    except (srt.SRTParseError, ValueError, OverflowError):
        return True


# -- shared ------------------------------------------------------------------

def _locate(text: str, is_bad: Callable[[str], bool], *, skip_first: bool = False) -> tuple[int, str] | None:
    """The line (1-based) and text of the timing line of the first block
    (blank-line separated) that ``is_bad`` on its own: the libraries say what
    is wrong, this finds where. None when no single block is to blame."""
    lines = text.split("\n")
    block: list[tuple[int, str]] = []
    seen_first = not skip_first
    for number, line in enumerate([*lines, ""], start=1):
        if line.strip():
            block.append((number, line))
            continue
        if block and not seen_first:
            seen_first = True
        elif block and is_bad("\n".join(ln for _, ln in block)):
            return next(((n, ln) for n, ln in block if "-->" in ln), block[0])
        block = []
    return None


def _first(text: str) -> tuple[int, str]:
    return 1, text.split("\n", 1)[0]


def _clean_lines(markup: str) -> str:
    """A cue's markup without control characters or blank lines (a blank
    line would end the cue in the published file)."""
    return "\n".join(line for line in (clean_text(ln) for ln in markup.split("\n")) if line)


def _cut(value: str, limit: int = 80) -> str:
    value = clean_line(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _lower_first(value: str) -> str:
    return value[:1].lower() + value[1:]
