"""Transcripts: the WebVTT or SubRip sidecar of an episode, read into cues.

A cue is a stretch of speech with a start and end in seconds from the start
of the episode as heard, the words, and (WebVTT ``<v Name>`` voice spans) who
speaks. The pages print them as a readable transcript whose timestamps seek
the player; the feed points apps at the file itself (``podcast:transcript``).

WebVTT timestamps are ``[hh:]mm:ss.ttt``; SubRip ones ``hh:mm:ss,ttt``. A
malformed file raises NotesError naming the line, so the host can fix it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import NotesError

_ARROW = "-->"
_VTT_TIME = re.compile(r"^(?:(\d+):)?([0-5]\d):([0-5]\d)\.(\d{3})$")
_SRT_TIME = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)[,.](\d{1,3})$")
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>]+)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d[\d:.]*>")
_FIX_VTT = "write cues as '00:01:02.500 --> 00:01:05.000' followed by the text (see the WebVTT spec)"
_FIX_SRT = "write cues as a number, '00:01:02,500 --> 00:01:05,000', then the text"


@dataclass(frozen=True)
class Cue:
    """One caption: seconds from the start, the words, maybe the speaker."""

    start: float
    end: float
    text: str
    speaker: str | None = None


def read_transcript(path: Path) -> tuple[Cue, ...]:
    """Read a ``.vtt`` or ``.srt`` file into cues, in file order."""
    path = Path(path)
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotesError("transcript is not UTF-8 text", path=path, fix="save it as UTF-8") from exc
    except OSError as exc:
        raise NotesError(f"cannot read transcript ({exc.strerror})", path=path) from exc
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    suffix = path.suffix.lower()
    if suffix == ".vtt":
        return _parse(lines, path, vtt=True)
    if suffix == ".srt":
        return _parse(lines, path, vtt=False)
    raise NotesError(f"unknown transcript type {suffix!r}", path=path, fix="use a .vtt or .srt file")


def _blocks(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Split into blank-line separated blocks, each with its 1-based first line."""
    blocks, current, first = [], [], 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                first = number
            current.append(line.rstrip())
        elif current:
            blocks.append((first, current))
            current = []
    if current:
        blocks.append((first, current))
    return blocks


def _parse(lines: list[str], path: Path, *, vtt: bool) -> tuple[Cue, ...]:
    blocks = _blocks(lines)
    fix = _FIX_VTT if vtt else _FIX_SRT
    if vtt:
        if not blocks or not re.match(r"^WEBVTT(?:[ \t].*)?$", blocks[0][1][0]):
            raise NotesError("a WebVTT file must start with 'WEBVTT'", path=path, line=1, fix=fix)
        blocks = blocks[1:]
    cues: list[Cue] = []
    for first, block in blocks:
        if vtt and re.match(r"^(NOTE|STYLE|REGION)(\s|$)", block[0]):
            continue
        timing = next((i for i, ln in enumerate(block[:2]) if _ARROW in ln), None)
        if timing is None or (not vtt and timing == 1 and not block[0].strip().isdigit()):
            raise NotesError("expected a cue timing line with '-->'", path=path, line=first, fix=fix)
        line_no = first + timing
        start, end = _timing(block[timing], path, line_no, vtt=vtt, fix=fix)
        text, speaker = _text(block[timing + 1 :])
        if text:
            cues.append(Cue(start, end, text, speaker))
    return tuple(cues)


def _timing(line: str, path: Path, line_no: int, *, vtt: bool, fix: str) -> tuple[float, float]:
    left, _, right = line.partition(_ARROW)
    fields = right.split()
    pattern = _VTT_TIME if vtt else _SRT_TIME
    match_start = pattern.match(left.strip())
    match_end = pattern.match(fields[0]) if fields else None
    if not match_start or not match_end:
        raise NotesError(f"bad cue timing {line.strip()!r}", path=path, line=line_no, fix=fix)
    start, end = _seconds(match_start), _seconds(match_end)
    if end < start:
        raise NotesError(f"cue ends before it starts: {line.strip()!r}", path=path, line=line_no, fix=fix)
    return start, end


def _seconds(match: re.Match[str]) -> float:
    hours, minutes, seconds, fraction = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(fraction.ljust(3, "0")) / 1000


def _text(lines: list[str]) -> tuple[str, str | None]:
    """Join a cue's text lines; take the speaker from a ``<v Name>`` span and
    drop all other markup (``<i>``, ``<c.class>``, inline timestamps)."""
    joined = " ".join(ln.strip() for ln in lines)
    voice = _VOICE.search(joined)
    speaker = html.unescape(voice.group(1).strip()) if voice else None
    text = html.unescape(_TAG.sub("", joined))
    return " ".join(text.split()), speaker
