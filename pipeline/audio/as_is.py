"""Recordings published as they are (``master: false`` in the notes).

An imported back catalogue was mastered and encoded by the old host, and
listeners already have those files: decoding and encoding an MP3 again
would only lose quality, and change the loudness of episodes people know.
So such an episode's recording is copied, its duration probed, and the
result described exactly as ``audio.master`` describes a master: the tags
are then rewritten as for any episode (``tags.write_tags`` replaces every
tag the old host wrote), and the enclosure is the byte size of that file.
Its loudness is not measured (that would decode the whole file): a caller
that wants it reads it with ``measure``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Callable

from pipeline.errors import AudioError
from pipeline.model import AudioSettings, MasteredAudio
from pipeline.tools.ffmpeg import Children, find_ffmpeg

from .encode import FORMATS, encoding, stream_facts
from .loudness import probe

__all__ = ["EXTENSIONS", "PASSTHROUGH_VERSION", "passthrough", "passthrough_key"]

PASSTHROUGH_VERSION = "1"  # bump when what passthrough() writes changes
# Extension -> castline format. Only files apps play and castline can tag.
_FORMATS = {".mp3": "mp3", ".m4a": "m4a", ".opus": "opus", ".ogg": "opus", ".oga": "opus"}
EXTENSIONS = tuple(_FORMATS)  # recordings that can be published as they are


def passthrough_key(source_sha256: str) -> str:
    """The cache key of a passed-through recording: its bytes alone (no audio
    setting changes a file that is not encoded), marked apart from masters."""
    return hashlib.sha256(f"passthrough {PASSTHROUGH_VERSION} {source_sha256}".encode()).hexdigest()


def passthrough(source: Path, out_dir: Path, settings: AudioSettings, *, stem: str,
                on_progress: Callable[[float], None] | None = None, children: Children | None = None) -> MasteredAudio:
    """Copy ``source`` to ``out_dir/{stem}{ext}`` and describe it like a
    master: size, sha256, decoded duration, channels, rate (loudness
    unknown: None). Called as ``master`` is; ``children`` as there."""
    source = Path(source)
    ext = source.suffix.lower()
    fmt_name = _FORMATS.get(ext)
    if fmt_name is None:
        raise AudioError(f"{ext or 'this file'} cannot be published as it is (master: false)", path=source,
                         fix="use an MP3, M4A or Ogg/Opus recording, or remove `master: false` to master it")
    ffmpeg = find_ffmpeg(settings.ffmpeg)
    info = probe(source, ffmpeg, children)  # refuses a file that is not audio, with ffmpeg's own words
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{stem}{'.ogg' if ext == '.oga' else ext}"
    shutil.copyfile(source, target)
    fmt = FORMATS[fmt_name]
    enc = encoding(target, fmt, settings)
    try:
        duration, rate, channels = stream_facts(target)
        bitrate = _bitrate(target) or enc.bitrate
    except Exception:  # mutagen cannot read the headers: trust ffmpeg's banner
        duration, rate, channels, bitrate = info.duration, info.sample_rate, info.channels, enc.bitrate
    if ext in (".ogg", ".oga") and info.codec != "opus":
        enc = type(enc)(enc.path, "ogg", enc.mime, enc.size, enc.sha256, bitrate)
    else:
        enc = type(enc)(enc.path, enc.format, enc.mime, enc.size, enc.sha256, bitrate)
    if on_progress is not None:
        on_progress(1.0)
    return MasteredAudio(main=enc, duration=duration or info.duration, channels=channels, sample_rate=rate,
                         input_loudness=None, output_loudness=None)


def _bitrate(path: Path) -> int | None:
    import mutagen

    info = mutagen.File(path).info
    rate = getattr(info, "bitrate", 0) or 0
    return round(rate / 1000) or None
