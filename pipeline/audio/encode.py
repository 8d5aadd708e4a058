"""Rendering: the output formats, the ffmpeg filter graph and the encode run.

One render is one ffmpeg process: the source (and the intro/outro) decoded
once, trimmed, denoised, levelled, crossfaded, split per format, limited and
encoded. The main format's samples are metered on their way into the
encoder, so the level a listener hears is known without a second decode.
``audio.master`` decides what to render (a ``RenderJob``, the same for every
render of an episode, and a ``RenderPlan``, corrected between renders); this
module only turns them into the exact ffmpeg command and runs it.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable
from pathlib import Path

from pipeline.config import FORMATS, Format
from pipeline.errors import AudioError
from pipeline.model import AudioSettings, Encoding, Loudness
from pipeline.tools.digest import digests
from pipeline.tools.ffmpeg import Children, Failure, run

from .clips import Clip
from .loudness import DENORMAL_GUARD, ONE_FILTER_THREAD, convert_filter, measure, parse_summary, peak_level, section

__all__ = ["FORMATS", "LEVELER", "Format", "RenderPlan", "RenderJob", "denoiser", "crossfade", "encoder_args", "encoding",
           "expected_duration", "filter_graph", "render", "stream_facts"]

log = logging.getLogger("castline.audio")  # the mastering log, as before the split

LOUD, PEAK = "verify", "peak"  # names of the render's meters in ffmpeg's log
_FIX = "check that the recording (and intro/outro) play in a player"
_OVERSAMPLE = 2  # the limiter's rate: 2x sees nearly every peak between samples in speech (see _limiter)


def encoder_args(fmt: Format, settings: AudioSettings, n_ch: int) -> list[str]:
    """ffmpeg output options for one format: codec, CBR bitrate, channels."""
    args = ["-c:a", fmt.codec, "-ac", str(n_ch)]
    if fmt.name != "wav":
        args += ["-b:a", f"{fmt.bitrate(settings)}k"]
    if fmt.name == "m4a":
        args += ["-movflags", "+faststart"]
    return args


@dataclasses.dataclass(frozen=True)
class RenderPlan:
    """What a render does: the body's trim and gain, and per output format
    the extra gain (codec shift) and limiter ceiling in dBFS."""

    start: float
    end: float
    gain_db: float
    comp_db: tuple[float, ...]
    ceiling_db: tuple[float, ...]
    cut_end: bool = False  # False: play to the end of the source
    limit: bool = True  # False when no peak can reach the ceiling: skip the limiter
    shape: tuple[str, ...] = ()  # denoiser and leveler filters, before the gain
    mono: bool = False  # dual mono (both channels the same): process one, encode it to both


@dataclasses.dataclass(frozen=True)
class RenderJob:
    """What every render of one episode works on, however its plan is
    corrected: the recording, the prepared intro and outro (None where there
    is none), the formats to encode and the file each goes to (the main
    format first), the settings, the channel count of the output, and what
    the main format's encoder takes off the loudness (``codec_db``, a
    constant per encoder: see ``audio.mastering._codec_shift``)."""

    source: Path
    clips: tuple[Clip | None, ...]
    formats: tuple[Format, ...]
    paths: tuple[Path, ...]
    settings: AudioSettings
    channels: int
    codec_db: float = 0.0


# The leveler: ffmpeg's Dynamic Audio Normalizer. Each 250 ms frame gets the
# gain that brings its RMS to -20 dBFS (r=0.1; its peak no higher than
# -6 dBFS, p=0.5; at most +26 dB, m=20), and that gain is smoothed over 15
# frames (a 3.75 s Gaussian window): fast enough to bring a quiet guest up to
# the host within a turn, slow enough that a music bed under the speech does
# not pump in the gaps between phrases. The gain and the limiter come after
# it, so the loudness target and the ceiling hold as without it.
LEVELER = "dynaudnorm=f=250:g=15:p=0.5:m=20:r=0.1"


def denoiser(noise_lufs: float, speech_lufs: float) -> str:
    """ffmpeg's FFT denoiser (``afftdn``), told where the recording's noise
    floor is: the quietest tenth of its 400 ms blocks, measured in the
    measuring pass, plus 2 dB; never closer than 15 dB under the speech
    (a recording without pauses must not lose its quiet words), and -50 dB
    (afftdn's default) when the recording has no floor to measure. It takes
    up to 20 dB off steady noise (hiss, hum, fan), in every band it finds it."""
    floor = noise_lufs + 2.0 if math.isfinite(noise_lufs) else -50.0
    floor = max(-80.0, min(-20.0, floor, speech_lufs - 15.0))
    return f"afftdn=nr=20:nf={floor:.1f}"


def crossfade(settings: AudioSettings, clip: Clip, plan: RenderPlan) -> float:
    """Seconds of overlap between a clip and the episode: as configured, but
    never more than half of either (acrossfade cannot overlap more)."""
    return min(settings.crossfade_ms / 1000, clip.duration / 2, (plan.end - plan.start) / 2)


def _body_chain(plan: RenderPlan, n_ch: int, rate: int, settings: AudioSettings, *,
                trim: bool = True) -> list[str]:
    chain = []
    cuts = []
    if trim and plan.start > 0:
        cuts.append(f"start={plan.start:.6f}")
    if trim and plan.cut_end:
        cuts.append(f"end={plan.end:.6f}")
    if cuts:
        chain += [f"atrim={':'.join(cuts)}", "asetpts=PTS-STARTPTS"]
    convert = ["pan=mono|c0=c0", convert_filter(1)] if plan.mono else [convert_filter(n_ch)]
    chain += [*convert, *plan.shape, f"aresample={rate}:resampler=soxr",
              f"volume={plan.gain_db:.3f}dB"]
    body = plan.end - plan.start
    if settings.fade_in_ms > 0:
        chain.append(f"afade=t=in:d={settings.fade_in_ms / 1000:.3f}")
    if settings.fade_out_ms > 0:
        d = settings.fade_out_ms / 1000
        chain.append(f"afade=t=out:st={max(0.0, body - d):.6f}:d={d:.3f}")
    return chain


def expected_duration(job: RenderJob, plan: RenderPlan) -> float:
    """Seconds of output a render writes: the trimmed body, and each clip
    less its crossfade."""
    total = plan.end - plan.start
    for clip in job.clips:
        if clip is not None:
            total += clip.duration - crossfade(job.settings, clip, plan)
    return max(total, 0.001)


def filter_graph(job: RenderJob, plan: RenderPlan, *, trim: bool = True, meter: bool = False) -> str:
    """The filter graph of a render: input 0 is the source, then the clips.
    ``meter`` taps the main format's final PCM, just before its encoder,
    with ebur128 (loudness and sample peak). A dual-mono plan (``plan.mono``)
    is processed as one channel and copied to both just before the encoders."""
    clips, formats, n_ch, settings = job.clips, job.formats, job.channels, job.settings
    rate = settings.sample_rate
    parts = [f"[0:a:0]{','.join(_body_chain(plan, n_ch, rate, settings, trim=trim))}[body]"]
    cur = "body"
    idx = 1
    for where, clip in zip(("intro", "outro"), clips):
        if clip is None:
            continue
        parts.append(f"[{idx}:a:0]{convert_filter(n_ch)},aresample={rate}:resampler=soxr,"
                     f"volume={clip.gain_db:.3f}dB[{where}]")
        pair = f"[{where}][{cur}]" if where == "intro" else f"[{cur}][{where}]"
        xf = crossfade(settings, clip, plan)
        join = f"acrossfade=d={xf:.3f}:c1=tri:c2=tri" if xf > 0 else "concat=n=2:v=0:a=1"
        parts.append(f"{pair}{join}[j{idx}]")
        cur = f"j{idx}"
        idx += 1
    if len(formats) > 1:
        parts.append(f"[{cur}]asplit={len(formats)}" + "".join(f"[s{k}]" for k in range(len(formats))))
    ebur = f"{DENORMAL_GUARD},ebur128@{LOUD}=framelog=quiet" + (":dualmono=true" if plan.mono else "")
    for k, fmt in enumerate(formats):
        metered = meter and k == 0
        chain = [f"volume={plan.comp_db[k]:.3f}dB"]
        if plan.limit:
            chain += _limiter(plan.ceiling_db[k], rate, oversample=1 if metered else _OVERSAMPLE)
        if fmt.rate and fmt.rate != rate:
            chain.append(f"aresample={fmt.rate}:resampler=soxr")
        src = f"[s{k}]" if len(formats) > 1 else f"[{cur}]"
        dual = ["pan=stereo|c0=c0|c1=c0"] if plan.mono else []  # the one channel, to both, at the same level
        if not metered:
            parts.append(f"{src}{','.join([*chain, *dual])}[o{k}]")
            continue
        parts += [f"{src}{','.join(chain)},asplit=3{'[d0]' if dual else '[o0]'}[m0][p0]", f"[m0]{ebur},anullsink",
                  f"[p0]aresample={_OVERSAMPLE * (fmt.rate or rate)}:resampler=soxr,astats@{PEAK}="
                  "measure_perchannel=none:measure_overall=Peak_level,anullsink"]
        if dual:
            parts.append(f"[d0]{','.join(dual)}[o0]")
    return ";".join(parts)


def _limiter(ceiling_db: float, rate: int, oversample: int = _OVERSAMPLE) -> list[str]:
    """A peak limiter: ffmpeg's look-ahead ``alimiter`` (5 ms look-ahead,
    50 ms release, no auto-gain, delay compensated). Its gain moves slowly
    (5 ms), so it adds no new high frequencies and the peaks between the
    limited samples rise over them about as little as the recording's own:
    0.04 dB at most at 2x on every source of the benchmark, and the encoded
    MP3's true peak the same to 0.1 dB as with the limiter run at 2x. So
    the main format, whose peak is read at 2x before its encoder (and
    rendered again if over), is limited at its own rate; alternates, which
    are not metered, at ``oversample`` x the rate (soxr up and down), so it
    sees and holds the peaks that fall between the samples. The 2x limiter
    cost 1.0 s of CPU per 5 minutes of stereo; the 1x limiter and the 2x
    peak reading 0.55 s."""
    limit = max(0.0625, min(1.0, 10 ** (ceiling_db / 20)))
    alimiter = f"alimiter=limit={limit:.5f}:level=0:latency=1:attack=5:release=50"
    if oversample == 1:
        return [alimiter]
    return [f"aresample={oversample * rate}:resampler=soxr", alimiter, f"aresample={rate}:resampler=soxr"]


def render(job: RenderJob, plan: RenderPlan, *, ffmpeg: str, on_progress: Callable[[float], None] | None = None,
           children: Children | None = None) -> Loudness:
    """One decode, all encodes, and a meter on the main format's samples as
    they go into its encoder: ebur128 for the loudness, and the peak read at
    twice the rate (soxr and astats: 0.3 s of CPU per 5 minutes of stereo,
    where ebur128's 4x true peak costs 1.1 s, a third of the encoder).
    ``job.codec_db`` is what the encoder takes off the loudness. Returns the
    loudness and peak of the encoded main file. Measuring before the encoder
    instead of decoding the encoded file again halves the cost of knowing
    what listeners hear."""
    args = ["-nostats", "-v", "info", "-y", *ONE_FILTER_THREAD, "-i", str(job.source)]
    for clip in job.clips:
        if clip is not None:
            args += ["-i", str(clip.path)]
    args += ["-filter_complex", filter_graph(job, plan, meter=True)]
    for k, fmt in enumerate(job.formats):
        args += ["-map", f"[o{k}]", *encoder_args(fmt, job.settings, job.channels), str(job.paths[k])]
    done = run(args, ffmpeg=ffmpeg, failure=Failure(source=job.source, what="mastering failed", fix=_FIX),
               progress=expected_duration(job, plan), on_progress=on_progress, children=children)
    try:
        loud = parse_summary(section(done.log, f"ebur128@{LOUD}"))
    except AudioError:  # no reading came back: measure the file itself
        return measure(job.paths[0], ffmpeg, children)
    peak = peak_level(done.log, f"astats@{PEAK}")
    if peak != peak:  # NaN: no peak reading
        return measure(job.paths[0], ffmpeg, children)
    return Loudness(integrated=round(loud.integrated - job.codec_db, 1), lra=loud.lra, true_peak=round(peak, 1))


def encoding(path: Path, fmt: Format, settings: AudioSettings) -> Encoding:
    """The feed's facts about one finished file: size, sha256, MIME type."""
    sha256, sha384 = digests(path)
    return Encoding(path=path, format=fmt.name, mime=fmt.mime, size=path.stat().st_size,
                    sha256=sha256, bitrate=fmt.bitrate(settings), sha384=sha384)


def stream_facts(path: Path) -> tuple[float, int, int]:
    """Decoded duration, sample rate and channels, from the file's own
    headers (mutagen reads LAME's delay/padding, Ogg granules, MP4 boxes)."""
    import mutagen

    info = mutagen.File(path).info
    return float(info.length), int(getattr(info, "sample_rate", 48000)), int(info.channels)
