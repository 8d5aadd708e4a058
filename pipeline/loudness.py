"""Reading a recording: what it is (probe) and how loud it is (measure).

Loudness is measured the way every podcast app and broadcaster does: ITU-R
BS.1770-4 as profiled by EBU R128, with ffmpeg's ``ebur128`` filter, a real
meter and never a home-made one. *Integrated loudness* (LUFS) is the
K-weighted energy of the whole programme with silence gated out, so pauses do
not make an episode "quieter"; *true peak* (dBTP) is the peak of the signal
between the samples, found by 4x oversampling, which is what a decoder or a
DAC actually produces; *loudness range* (LU) says how much the level moves.

There is no ffprobe here (the imageio-ffmpeg wheel ships only ffmpeg), so a
probe is ``ffmpeg -i`` read back from its stream banner.
"""

from __future__ import annotations

import dataclasses
import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .errors import AudioError, ToolError
from .ffmpeg import last_error_line
from .model import Loudness

SILENT_LUFS = -70.0  # ebur128 reports the absolute gate when nothing passes it

_LAYOUT_CHANNELS = {
    "mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "3.0(back)": 3, "4.0": 4, "quad": 4,
    "quad(side)": 4, "3.1": 4, "5.0": 5, "5.0(side)": 5, "4.1": 5, "5.1": 6,
    "5.1(side)": 6, "6.0": 6, "6.1": 7, "7.0": 7, "7.1": 8, "7.1(wide)": 8,
    "downmix": 2, "octagonal": 8, "hexagonal": 6, "hexadecagonal": 16,
}
_FIX_READ = "export it again as WAV, FLAC, MP3, M4A or Ogg and check that it plays"


@dataclass(frozen=True)
class SourceInfo:
    """What a recording is, read from ffmpeg's banner: duration in seconds,
    channel count, sample rate in Hz and the codec name."""

    duration: float
    channels: int
    sample_rate: int
    codec: str


@dataclass(frozen=True)
class Analysis:
    """The measuring pass over a source: its loudness, decoded duration, and
    where speech starts and ends (``start``/``end`` in seconds) once leading
    and trailing silence are set aside."""

    loudness: Loudness
    duration: float
    start: float
    end: float


def _spawn(cmd: list[str], path: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(cmd, capture_output=True, check=False)
    except OSError as exc:
        raise ToolError(f"cannot run ffmpeg ({exc.strerror})", path=cmd[0]) from exc


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise AudioError("recording not found", path=path, fix="check the file name")
    if path.stat().st_size == 0:
        raise AudioError("recording is empty (0 bytes)", path=path, fix=_FIX_READ)


def probe(path: Path, ffmpeg: str) -> SourceInfo:
    """Read duration, channels, rate and codec of the first audio stream.

    Raises AudioError for a missing, empty or unreadable file, or one with
    no audio stream (a picture, a text file named .mp3, a silent video).
    """
    _check_file(path)
    proc = _spawn([ffmpeg, "-hide_banner", "-nostdin", "-i", str(path)], path)
    text = proc.stderr.decode("utf-8", "replace")
    stream = re.search(r"Stream #\d+:\d+.*?: Audio: ([^,\s]+)[^,]*, (\d+) Hz, ([^,]+)", text)
    if stream is None:
        if "Input #0" in text:
            raise AudioError("has no audio stream", path=path, fix=_FIX_READ)
        raise AudioError(f"is not audio ffmpeg can read ({last_error_line(proc.stderr)})",
                         path=path, fix=_FIX_READ)
    codec, rate, layout = stream.group(1), int(stream.group(2)), stream.group(3).strip()
    channels = _LAYOUT_CHANNELS.get(layout)
    if channels is None:
        m = re.match(r"(\d+) channels", layout)
        channels = int(m.group(1)) if m else 2
    dur = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", text)
    if dur:
        duration = int(dur.group(1)) * 3600 + int(dur.group(2)) * 60 + float(dur.group(3))
    else:  # a raw stream without a header length: decode it to know
        duration = analyse(path, ffmpeg, channels=channels, silence=None).duration
    return SourceInfo(duration=duration, channels=channels, sample_rate=rate, codec=codec)


def measure(path: Path, ffmpeg: str) -> Loudness:
    """Integrated loudness, true peak and loudness range of a file, per EBU R128."""
    _check_file(path)
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-map", "0:a:0",
           "-af", "ebur128=peak=true:framelog=quiet", "-f", "null", "-"]
    proc = _spawn(cmd, path)
    if proc.returncode != 0:
        raise AudioError(f"cannot be decoded ({last_error_line(proc.stderr)})",
                         path=path, fix=_FIX_READ)
    return parse_summary(proc.stderr.decode("utf-8", "replace"), path)


def parse_summary(text: str, path: Path | None = None) -> Loudness:
    """The last ebur128 summary in ffmpeg's log, as a Loudness."""
    at = text.rfind("Summary:")
    i = re.search(r"I:\s+(-?[\d.]+|-?inf|nan) LUFS", text[at:]) if at >= 0 else None
    lra = re.search(r"LRA:\s+(-?[\d.]+|nan) LU", text[at:]) if at >= 0 else None
    peak = re.search(r"Peak:\s+(-?[\d.]+|-?inf) dBFS", text[at:]) if at >= 0 else None
    if not (i and lra):
        raise AudioError("no loudness measurement came back from ffmpeg", path=path,
                         fix="check that the file holds audio")
    return Loudness(integrated=float(i.group(1)), lra=float(lra.group(1)),
                    true_peak=float(peak.group(1)) if peak else float("nan"))


def true_peak_output(pre: str = "") -> list[str]:
    """ffmpeg output options for a second filter thread that reads the true
    peak: 4x oversampling with soxr, then the sample peak (BS.1770 Annex 2)."""
    chain = [f for f in (pre, "aresample=176400:resampler=soxr",
                         "astats=measure_perchannel=none:measure_overall=Peak_level") if f]
    return ["-map", "0:a:0", "-af", ",".join(chain), "-f", "null", "-"]


def with_true_peak(loud: Loudness, text: str) -> Loudness:
    """``loud`` with the true peak read from astats after true_peak_output."""
    tp = re.findall(r"Peak level dB: (-?[\d.]+|-?inf)", text)
    return dataclasses.replace(loud, true_peak=round(float(tp[-1]), 1) if tp else float("nan"))


def convert_filter(channels: int) -> str:
    """The channel/sample-format conversion both passes share, so the gain
    measured in the first pass is the gain of exactly what gets encoded."""
    layout = "mono" if channels == 1 else "stereo"
    return f"aformat=sample_fmts=flt:channel_layouts={layout}"


def analyse(path: Path, ffmpeg: str, *, channels: int,
            silence: tuple[float, float] | None) -> Analysis:
    """One decode, two filter threads: ebur128 (integrated, LRA) with, if
    ``silence`` is ``(threshold_dbfs, min_seconds)``, silencedetect for the
    trim points; and the true peak, read as the sample peak after 4x
    oversampling with soxr (the BS.1770 method; ebur128's own true-peak
    resampler costs twice the time for the same figure)."""
    chain = [convert_filter(channels), "ebur128=framelog=quiet"]
    if silence is not None:
        chain.append(f"silencedetect=n={silence[0]}dB:d={silence[1]}")
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1", "-i", str(path),
           "-map", "0:a:0", "-af", ",".join(chain), "-f", "null", "-",
           *true_peak_output(convert_filter(channels))]
    proc = _spawn(cmd, path)
    if proc.returncode != 0:
        raise AudioError(f"cannot be decoded ({last_error_line(proc.stderr)})",
                         path=path, fix=_FIX_READ)
    text = proc.stderr.decode("utf-8", "replace")
    loud = with_true_peak(parse_summary(text, path), text)
    times = re.findall(rb"out_time_us=(\d+)", proc.stdout)
    duration = int(times[-1]) / 1e6 if times else 0.0
    start, end = 0.0, duration
    if silence is not None:
        starts = [float(x) for x in re.findall(r"silence_start: (-?[\d.]+)", text)]
        ends = [float(x) for x in re.findall(r"silence_end: (-?[\d.]+)", text)]
        if starts and starts[0] <= 0.01 and ends:
            start = ends[0]
        if starts and (len(ends) < len(starts) or ends[-1] >= duration - 0.02):
            end = starts[-1]
    if duration < 0.05:
        raise AudioError("has no audio ffmpeg can decode (the file may be cut off or damaged)", path=path,
                         fix=_FIX_READ)
    if loud.integrated <= SILENT_LUFS + 0.1 or math.isinf(loud.true_peak) or end <= start:
        raise AudioError("is silent throughout (nothing above the loudness gate)", path=path,
                         fix="check the recording: the microphone may have been muted")
    return Analysis(loudness=loud, duration=duration, start=start, end=end)
