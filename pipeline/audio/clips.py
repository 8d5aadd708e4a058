"""Intro and outro clips: decoded, trimmed and levelled before a render.

A jingle is short and often exported with silence at its ends and at its
own loudness; it should play at the episode's level and its crossfade
should overlap sound, not silence.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.errors import AudioError
from pipeline.model import AudioSettings
from pipeline.tools.ffmpeg import Children, Failure, run

from .loudness import convert_filter, probe

__all__ = ["Clip", "prepare_clip"]


@dataclasses.dataclass(frozen=True)
class Clip:
    """An intro or outro, decoded to the episode's channels and rate, and the
    gain (dB) that brings it to the target loudness on its own."""

    path: Path
    duration: float
    gain_db: float


def prepare_clip(path: Path, ffmpeg: str, out: Path, n_ch: int, settings: AudioSettings,
                 children: Children | None = None) -> Clip:
    """Load a short intro/outro with pydub (from PCM that ffmpeg decodes, as
    there is no ffprobe for pydub to call), strip the silence a jingle file
    often carries at its ends (so a crossfade overlaps sound, not silence),
    and measure it with pyloudnorm, so it plays at the episode's loudness."""
    import warnings

    import numpy as np
    import pyloudnorm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydub import AudioSegment
    from pydub.silence import detect_leading_silence

    rate = settings.sample_rate
    probe(path, ffmpeg, children)
    fix = "export the intro/outro again as WAV or FLAC"
    proc = run(["-v", "error", "-i", str(path), "-map", "0:a:0", "-af", f"{convert_filter(n_ch)},aresample={rate}",
                "-f", "s32le", "-c:a", "pcm_s32le", "pipe:1"], ffmpeg=ffmpeg,
               failure=Failure(source=path, what="cannot be decoded", fix=fix), children=children)
    if not proc.stdout:
        raise AudioError("cannot be decoded (no audio came out)", path=path, fix=fix)
    seg = AudioSegment(data=proc.stdout, sample_width=4, frame_rate=rate, channels=n_ch)
    if settings.trim_silence:
        head = detect_leading_silence(seg, settings.silence_threshold, chunk_size=5)
        tail = detect_leading_silence(seg.reverse(), settings.silence_threshold, chunk_size=5)
        if head + tail < len(seg):
            seg = seg[head: len(seg) - tail]
    samples = np.asarray(seg.get_array_of_samples(), dtype=np.float64).reshape(-1, n_ch) / 2**31
    try:
        level = pyloudnorm.Meter(rate).integrated_loudness(samples)
    except ValueError:  # shorter than one 400 ms gating block
        level = float("-inf")
    gain = settings.loudness - level if np.isfinite(level) else 0.0
    seg.export(out, format="wav")
    return Clip(path=out, duration=seg.frame_count() / rate, gain_db=gain)
