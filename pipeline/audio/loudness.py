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

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import AudioError
from pipeline.model import Loudness
from pipeline.tools.ffmpeg import Children, Failure, last_error_line, run, run_together

from .gating import SILENT_LUFS, integrated, loudness_range

HALVES_FROM_S = 60.0  # a recording this long or longer is measured in two halves at once
# Before every ebur128: ffmpeg's denormal remedy, a DC of -351 dBFS. Where a
# recording is digitally silent (pauses between takes, an edited gap) the
# meter's K-weighting filters decay into denormal numbers, which the CPU
# computes dozens of times slower: ebur128 took 2.0 s instead of 0.45 s on
# 5 minutes with 20 s of silence in every minute, 0.8 instead of 0.45 on the
# espeak voices. Added to a float sample the DC changes only exact zeros,
# 300 dB under the gate: every reading stays the same.
DENORMAL_GUARD = "adenorm"
# Filters on one thread per graph: slice threading (astats, afftdn) costs more
# CPU handing work between threads than it saves on two shared cores; the
# decoder, each filter graph and each encoder have threads of their own anyway.
ONE_FILTER_THREAD = ("-filter_threads", "1", "-filter_complex_threads", "1")

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
class Measuring:
    """What the measuring pass is asked to find, besides the recording's
    loudness, in ``channels`` (1 or 2: as the render will process it).

    ``silence``, ``(threshold_dbfs, min_seconds)``: where the speech starts
    and ends (silencedetect), for the trim. ``shape``: the filters the render
    applies before its gain (the leveler), measured again after them, since
    that is what the gain acts on. ``noise``: the recording's noise floor
    (the denoiser's setting). ``dual_mono``: whether a stereo recording's
    two channels are one mono signal."""

    channels: int
    silence: tuple[float, float] | None = None
    shape: tuple[str, ...] = ()
    noise: bool = False
    dual_mono: bool = False


@dataclass(frozen=True)
class Analysis:
    """The measuring pass over a source: its loudness, decoded duration, and
    where speech starts and ends (``start``/``end`` in seconds) once leading
    and trailing silence are set aside."""

    loudness: Loudness
    duration: float
    start: float
    end: float
    source: Loudness | None = None  # the recording itself, when ``loudness`` is after the leveler
    noise: float = float("nan")  # LUFS of the quietest tenth of its 400 ms blocks: the noise floor
    dual_mono: bool = False  # two channels, sample for sample the same (a mono microphone in a stereo file)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise AudioError("recording not found", path=path, fix="check the file name")
    if path.stat().st_size == 0:
        raise AudioError("recording is empty (0 bytes)", path=path, fix=_FIX_READ)


def probe(path: Path, ffmpeg: str, children: Children | None = None) -> SourceInfo:
    """Read duration, channels, rate and codec of the first audio stream.

    Raises AudioError for a missing, empty or unreadable file, or one with
    no audio stream (a picture, a text file named .mp3, a silent video).
    """
    _check_file(path)
    known = _wav_header(path)
    if known is not None:
        return known
    proc = run(["-i", str(path)], ffmpeg=ffmpeg, children=children,
               failure=Failure(source=path, raises=False))  # no output: always "fails"
    text = proc.log
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
        duration = analyse(path, ffmpeg, Measuring(channels=channels), children=children).duration
    return SourceInfo(duration=duration, channels=channels, sample_rate=rate, codec=codec)


_WAV_CODECS = {(1, 8): "pcm_u8", (1, 16): "pcm_s16le", (1, 24): "pcm_s24le", (1, 32): "pcm_s32le",
               (3, 32): "pcm_f32le", (3, 64): "pcm_f64le"}


def _wav_header(path: Path) -> SourceInfo | None:
    """What a plain PCM WAV file is, from its RIFF header, as ffmpeg's probe
    would say it, without starting ffmpeg (30-50 ms at every publish). Any
    other file, or a WAV this does not fully understand (compressed,
    RF64, a streamed one without its length, a header that claims more
    than the file holds), is left to ffmpeg: None."""
    try:
        with path.open("rb") as f:
            head = f.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            fmt = None
            for _ in range(64):  # chunks before the samples: fmt, LIST, bext, ...
                chunk = f.read(8)
                if len(chunk) < 8:
                    return None
                name, size = chunk[:4], int.from_bytes(chunk[4:], "little")
                if name == b"fmt ":
                    body = f.read(size + (size & 1))
                    if size < 16:
                        return None
                    tag = int.from_bytes(body[0:2], "little")
                    if tag == 0xFFFE and size >= 40:  # WAVE_FORMAT_EXTENSIBLE: the real tag leads the GUID
                        tag = int.from_bytes(body[24:26], "little")
                    fmt = (tag, int.from_bytes(body[2:4], "little"), int.from_bytes(body[4:8], "little"),
                           int.from_bytes(body[14:16], "little"))
                elif name == b"data":
                    if fmt is None:
                        return None
                    tag, channels, rate, bits = fmt
                    codec = _WAV_CODECS.get((tag, bits))
                    frame = channels * bits // 8
                    if (codec is None or not 0 < channels <= 8 or not 0 < rate <= 768000 or size in (0, 0xFFFFFFFF)
                            or f.tell() + size > path.stat().st_size):
                        return None
                    return SourceInfo(duration=size // frame / rate, channels=channels, sample_rate=rate,
                                      codec=codec)
                else:
                    f.seek(size + (size & 1), 1)
    except OSError:
        return None
    return None


def measure(path: Path, ffmpeg: str, children: Children | None = None) -> Loudness:
    """Integrated loudness, true peak and loudness range of a file, per EBU R128."""
    _check_file(path)
    proc = run(["-nostats", "-i", str(path), "-map", "0:a:0", "-af",
                f"{DENORMAL_GUARD},ebur128=peak=true:framelog=quiet", "-f", "null", "-"],
               ffmpeg=ffmpeg, failure=_cannot_decode(path), children=children)
    return parse_summary(proc.log, path)


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


def convert_filter(channels: int) -> str:
    """The channel/sample-format conversion both passes share, so the gain
    measured in the first pass is the gain of exactly what gets encoded."""
    layout = "mono" if channels == 1 else "stereo"
    return f"aformat=sample_fmts=flt:channel_layouts={layout}"


def analyse(path: Path, ffmpeg: str, asked: Measuring, *, duration: float = 0.0,
            on_progress: Callable[[float], None] | None = None, children: Children | None = None) -> Analysis:
    """One decode: if ``asked.silence`` is ``(threshold_dbfs, min_seconds)``,
    silencedetect for the trim points, and ebur128 on the recording as it
    is; and, if given, on a second filter thread, the ``shape`` filters the
    render applies before its gain (the leveler) and ebur128 again, on what
    the gain will act on. ``dual_mono`` (for a stereo source) reads the
    peak of the difference of its channels, on another filter thread: none
    at all means the two are one mono signal, which the render then processes
    once (half the filter work) and copies to both channels. ``noise``
    keeps the source meter's 400 ms readings, whose quietest tenth is the
    recording's noise floor (the denoiser's setting).
    The true peak of the source is not needed: the limiter decision leaves
    a margin for it, and the encoded file is measured at 4x. ``duration``
    (the probed length) turns ffmpeg's progress into ``on_progress``.
    A recording of ``HALVES_FROM_S`` or more, without ``shape``, is measured
    in two halves at once (``_analyse_halves``)."""
    channels, silence, shape, noise, dual_mono = (asked.channels, asked.silence, asked.shape, asked.noise,
                                                  asked.dual_mono)
    if not shape and duration >= HALVES_FROM_S:
        return _analyse_halves(path, ffmpeg, asked, duration=duration, on_progress=on_progress, children=children)
    chain = [convert_filter(channels)]
    if silence is not None:
        chain.append(f"silencedetect=n={silence[0]}dB:d={silence[1]}")
    chain += [DENORMAL_GUARD, f"ebur128@source=peak=sample:framelog={'info' if noise else 'quiet'}"]
    outputs = ["-map", "0:a:0", "-af", ",".join(chain), "-f", "null", "-"]
    if shape:  # a second output: its own filter thread, on the other core
        outputs += ["-map", "0:a:0", "-af", ",".join([convert_filter(channels), *shape,
                                                      DENORMAL_GUARD, "ebur128@shaped=peak=sample:framelog=quiet"]),
                    "-f", "null", "-"]
    if dual_mono:
        outputs += ["-map", "0:a:0", "-af", "pan=mono|c0=c0-c1,astats@side=measure_perchannel=none:"
                    "measure_overall=Peak_level", "-f", "null", "-"]
    proc = run(["-nostats", *ONE_FILTER_THREAD, "-i", str(path), *outputs], ffmpeg=ffmpeg,
               failure=_cannot_decode(path), progress=duration, on_progress=on_progress, children=children)
    text = proc.log
    raw = parse_summary(section(text, "ebur128@source"), path)
    loud = parse_summary(section(text, "ebur128@shaped"), path) if shape else raw
    floor = float("nan")
    if noise:
        blocks = sorted(float(m) for m in re.findall(r"\[ebur128@source @ [^\]]*\] t: \S+\s+TARGET:\S+ LUFS\s+M:\s*(-?[\d.]+)", text)
                        if float(m) > -100.0)  # digital silence is not noise
        floor = blocks[len(blocks) // 10] if blocks else float("nan")
    duration = proc.out_time
    start, end = _speech(_silences(text, 0.0, duration) if silence is not None else [], duration)
    _refuse_empty(path, duration, raw, start, end)
    return Analysis(loudness=loud, duration=duration, start=start, end=end, source=raw if shape else None,
                    noise=floor, dual_mono=dual_mono and peak_level(text, "astats@side") == float("-inf"))


def _analyse_halves(path: Path, ffmpeg: str, asked: Measuring, *, duration: float,
                    on_progress: Callable[[float], None] | None, children: Children | None) -> Analysis:
    """The measuring pass in two ffmpeg processes at once, one per half of
    the recording, each decoding its own half (a meter filter runs on one
    thread, so one process measures at one core's speed; the render, after
    it, keeps both cores busy anyway). This is worth it from about a minute
    on: 5 minutes of WAV are measured in 0.32 s instead of 0.43 s, of MP3
    in 0.55 s instead of 0.78 s, on two cores.

    The meter's readings every 100 ms (``framelog``) are joined: the 400 ms
    blocks ending up to 300 ms after the cut from the first half (which
    reads on ``_OVERLAP_S`` past it), the rest from the second. Integrated
    loudness and loudness range are then computed from the blocks as
    ebur128 does (``gating``): within 0.02 LU of a single pass
    on every source of the benchmark. Silence is found in each half and
    joined across the cut; the overlap is longer than the shortest silence,
    so a silence the cut runs through is seen whole."""
    channels, silence, noise, dual_mono = asked.channels, asked.silence, asked.noise, asked.dual_mono
    cut = round(duration / 2, 1)  # on the meter's 100 ms grid
    overlap = max(_OVERLAP_S, (silence[1] + 0.5) if silence else 0.0)
    halves = [(0.0, cut + overlap), (cut, None)]
    chain = [convert_filter(channels)]
    if silence is not None:
        chain.append(f"silencedetect=n={silence[0]}dB:d={silence[1]}")
    chain += [DENORMAL_GUARD, "ebur128@source=peak=sample:framelog=info"]
    commands = []
    for start, length in halves:
        where = (["-ss", f"{start:.1f}"] if start else []) + (["-t", f"{length:.1f}"] if length else [])
        outputs = ["-map", "0:a:0", "-af", ",".join(chain), "-f", "null", "-"]
        if dual_mono:
            outputs += ["-map", "0:a:0", "-af", "pan=mono|c0=c0-c1,astats@side=measure_perchannel=none:"
                        "measure_overall=Peak_level", "-f", "null", "-"]
        commands.append(["-nostats", *ONE_FILTER_THREAD, *where, "-i", str(path), *outputs])
    first, second = run_together(commands, ffmpeg=ffmpeg, failure=_cannot_decode(path),
                                 progress=[cut + overlap, max(duration - cut, 0.001)], on_progress=on_progress,
                                 children=children)
    texts = (first.log, second.log)
    early, later = list(_frames(texts[0])), list(_frames(texts[1]))
    m_values = [m for t, m, _ in early if t < cut + 0.35] + [m for _, m, _ in later]  # 400 ms blocks to cut + 0.3 s
    s_values = [st for t, _, st in early if t < cut + 2.95] + [st for _, _, st in later]  # 3 s windows to cut + 2.9 s
    peaks = []
    for text in texts:
        try:
            peaks.append(parse_summary(section(text, "ebur128@source"), path).true_peak)
        except AudioError:  # a half with nothing in it (a length the header got wrong)
            pass
    raw = Loudness(integrated=round(integrated(m_values), 1), lra=round(loudness_range(s_values), 1),
                   true_peak=max(peaks) if peaks else float("-inf"))
    floor = float("nan")
    if noise:
        blocks = sorted(m for m in m_values if m > -100.0)  # digital silence is not noise
        floor = blocks[len(blocks) // 10] if blocks else float("nan")
    total = max(first.out_time, cut + second.out_time if second.out_time > 0 else 0.0)
    quiet = (_silences(texts[0], 0.0, first.out_time) + _silences(texts[1], cut, cut + second.out_time)
             if silence is not None else [])
    start, end = _speech(quiet, total)
    _refuse_empty(path, total, raw, start, end)
    mono = dual_mono and all(peak_level(text, "astats@side") == float("-inf") for text in texts)
    return Analysis(loudness=raw, duration=total, start=start, end=end, noise=floor, dual_mono=mono)


_OVERLAP_S = 3.0  # the first half reads this far past the cut: one 3 s window (loudness range)
_FRAME = re.compile(r"\[ebur128@source @ [^\]]*\] t: (\S+)\s+TARGET:\S+ LUFS\s+M:\s*(\S+)\s+S:\s*(\S+)")


def _frames(text: str):
    """(time, momentary, short-term) of each 100 ms line the meter wrote;
    ``nan`` (a block of digital silence) reads as nan and passes no gate."""
    for t, m, st in _FRAME.findall(text):
        yield float(t), float(m), float(st)


def _speech(quiet: list[tuple[float, float]], total: float) -> tuple[float, float]:
    """Where the sound starts and ends, given the silences found (in any
    order, overlapping where two parts saw the same one): after a silence
    from the very start, and before one that runs to the end."""
    joined: list[list[float]] = []
    for a, b in sorted(quiet):
        if joined and a <= joined[-1][1] + 0.01:
            joined[-1][1] = max(joined[-1][1], b)
        else:
            joined.append([a, b])
    start, end = 0.0, total
    if joined and joined[0][0] <= 0.01 and joined[0][1] < total - 0.02:
        start = joined[0][1]
    if joined and joined[-1][1] >= total - 0.02:
        end = joined[-1][0]
    return start, end


def _cannot_decode(path: Path) -> Failure:
    return Failure(source=path, what="cannot be decoded", fix=_FIX_READ)


def _refuse_empty(path: Path, duration: float, raw: Loudness, start: float, end: float) -> None:
    if duration < 0.05:
        raise AudioError("has no audio ffmpeg can decode (the file may be cut off or damaged)", path=path,
                         fix=_FIX_READ)
    if raw.integrated <= SILENT_LUFS + 0.1 or math.isinf(raw.true_peak) or end <= start:
        raise AudioError("is silent throughout (nothing above the loudness gate)", path=path,
                         fix="check the recording: the microphone may have been muted")


def _silences(text: str, offset: float, end: float) -> list[tuple[float, float]]:
    """The silences silencedetect found in one part, as (start, end) in the
    recording's time; one still running when the part ended runs to ``end``."""
    starts = [offset + float(x) for x in re.findall(r"silence_start: (-?[\d.]+)", text)]
    ends = [offset + float(x) for x in re.findall(r"silence_end: (-?[\d.]+)", text)]
    return [(a, ends[k] if k < len(ends) else end) for k, a in enumerate(starts)]


def peak_level(text: str, name: str) -> float:
    """The overall ``Peak level dB`` the named ``astats`` wrote last (-inf
    for digital silence), NaN if it wrote none."""
    peaks = re.findall(r"Peak level dB: (-?[\d.]+|-?inf)", section(text, name))
    return float(peaks[-1]) if peaks else float("nan")


def section(text: str, name: str) -> str:
    """What one named filter wrote last to ffmpeg's log (its summary).

    Filters on different threads (each output's graph has one) write their
    summaries at the same moment, and each ``av_log`` call is whole but the
    calls interleave: ebur128's peak or its closing newline may come after
    another filter's line, under a prefix of its own. So the named filter's
    pieces are gathered from its last ``Summary:`` on, the others' left out."""
    head = f"[{name} @ "
    ours = [block for block in re.split(r"\n(?=\[)", text) if block.startswith(head)]
    starts = [k for k, block in enumerate(ours) if "Summary:" in block]
    return "\n".join(ours[starts[-1] if starts else 0:])
