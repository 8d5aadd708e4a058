"""Mastering: one recording in, broadcast-level episode files out.

Listeners switch between shows and episodes without touching the volume
only if every episode sits at the same *integrated loudness* (-16 LUFS is the
podcast norm) and no peak, even between samples, passes the *true-peak*
ceiling (-1 dBTP), which leaves room for the codec's own overshoot.

The episode is never held in memory as PCM; it streams through ffmpeg:

1. **measure** (one decode, two filter threads): ebur128 for integrated
   loudness and range, silencedetect for the trim points, and the true peak
   after 4x oversampling (``loudness.analyse``);
2. **predict the codec shift**, beside 1 on the other core: a lossy encoder
   changes loudness and peaks a little (LAME at 128k: about -0.5 LU on
   bright speech, and up to +0.7 dB of true peak), so three 6-second
   excerpts go through the same chain and each encoder, and the difference
   is folded into the gain and the limiter ceiling;
3. **render** (one decode, one encode per format): trim, gain, intro/outro,
   fades, a look-ahead limiter (``alimiter`` run at 4x the rate, so it holds
   the peaks between samples; skipped when no peak can reach the ceiling),
   resample, encode. The main file's bytes are teed into a second ffmpeg
   that measures them as they are written;
4. **correct** only if that measurement of the encoded file is off target
   (beyond 0.3 LU, or over the true-peak ceiling): render again with the
   error taken out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
import shlex
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from pathlib import Path

from .errors import AudioError, ConfigError, ToolError
from .ffmpeg import find_ffmpeg, last_error_line
from .loudness import (Analysis, SourceInfo, analyse, convert_filter, measure, parse_summary,
                       probe, true_peak_output, with_true_peak)
from .model import AudioSettings, Encoding, Loudness, MasteredAudio

__all__ = ["AUDIO_VERSION", "SourceInfo", "cache_key", "master", "measure", "probe"]

AUDIO_VERSION = "1"  # bump when the mastering chain changes what it outputs
log = logging.getLogger("castline.audio")

_TOLERANCE_LU = 0.3  # re-render if the encoded file is further than this from target
_TP_MARGIN_DB = 0.5  # limiter ceiling sits this far under the predicted codec overshoot
_TRIM_KEEP_S = 0.1  # silence kept before the first and after the last sound
_EXCERPT_S = 6.0  # three excerpts this long predict the codec shift
_OVERSAMPLE = 4  # BS.1770's true-peak rate: the limiter sees what a DAC will make
_MAX_RENDERS = 3
_MAX_GAIN_DB = 35.0  # a recording this far under target is a muted or unplugged microphone


def cache_key(source_sha256: str, settings: AudioSettings, intro_sha256: str | None = None,
              outro_sha256: str | None = None) -> str:
    """A key that changes whenever the mastered bytes could: the source, every
    edit/loudness/encode setting, the intro/outro contents and AUDIO_VERSION.
    The ffmpeg path and the clip paths are left out (the contents count)."""
    fields = dataclasses.asdict(settings)
    for name in ("ffmpeg", "intro", "outro"):
        fields.pop(name, None)
    doc = {"v": AUDIO_VERSION, "src": source_sha256, "settings": fields,
           "intro": intro_sha256 if settings.intro else None,
           "outro": outro_sha256 if settings.outro else None}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class Format:
    """An output format: file extension, MIME type for the feed's enclosure,
    encoder, muxer (for the file, and for a stream the meter can read from a
    pipe) and sample rate (None: the configured one; Opus is always 48 kHz)."""

    name: str
    ext: str
    mime: str
    codec: str
    muxer: str
    stream_muxer: str
    rate: int | None = None
    tee_opts: str = ""

    def bitrate(self, settings: AudioSettings) -> int:
        """kbit/s: the configured rate for MP3/AAC; Opus sounds as good at half."""
        if self.name == "opus":
            return max(32, settings.bitrate // 2)
        return 0 if self.name == "wav" else settings.bitrate


FORMATS = {
    "mp3": Format("mp3", "mp3", "audio/mpeg", "libmp3lame", "mp3", "mp3"),
    "m4a": Format("m4a", "m4a", "audio/x-m4a", "aac", "ipod", "adts", tee_opts=":movflags=+faststart"),
    "opus": Format("opus", "opus", "audio/ogg", "libopus", "ogg", "ogg", rate=48000),
    "wav": Format("wav", "wav", "audio/wav", "pcm_f32le", "wav", "wav"),
}


def encoder_args(fmt: Format, settings: AudioSettings, n_ch: int) -> list[str]:
    """ffmpeg output options for one format: codec, CBR bitrate, channels."""
    args = ["-c:a", fmt.codec, "-ac", str(n_ch)]
    if fmt.name != "wav":
        args += ["-b:a", f"{fmt.bitrate(settings)}k"]
    if fmt.name == "m4a":
        args += ["-movflags", "+faststart"]
    return args


@dataclasses.dataclass(frozen=True)
class _Clip:
    """An intro or outro, decoded to the episode's channels and rate, and the
    gain (dB) that brings it to the target loudness on its own."""

    path: Path
    duration: float
    gain_db: float


def _prepare_clip(path: Path, ffmpeg: str, out: Path, n_ch: int, settings: AudioSettings) -> _Clip:
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
    probe(path, ffmpeg)
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-map", "0:a:0",
           "-af", f"{convert_filter(n_ch)},aresample={rate}", "-f", "s32le", "-c:a", "pcm_s32le",
           "pipe:1"]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise AudioError(f"cannot be decoded ({last_error_line(proc.stderr)})", path=path,
                         fix="export the intro/outro again as WAV or FLAC")
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
    return _Clip(path=out, duration=seg.frame_count() / rate, gain_db=gain)


@dataclasses.dataclass(frozen=True)
class _Plan:
    """What a render does: the body's trim and gain, and per output format
    the extra gain (codec shift) and limiter ceiling in dBFS."""

    start: float
    end: float
    gain_db: float
    comp_db: tuple[float, ...]
    ceiling_db: tuple[float, ...]
    cut_end: bool = False  # False: play to the end of the source
    limit: bool = True  # False when no peak can reach the ceiling: skip the limiter


def master(source: Path, out_dir: Path, settings: AudioSettings, *, stem: str,
           on_progress: Callable[[float], None] | None = None) -> MasteredAudio:
    """Master ``source`` into ``out_dir/{stem}.{format}`` plus alternates.

    Raises AudioError (one line, naming the file) for a recording that cannot
    be read, has no audio or is silent throughout.
    """
    ffmpeg = find_ffmpeg(settings.ffmpeg)
    info = probe(source, ffmpeg)
    channels = settings.channels
    n_ch = {"mono": 1, "stereo": 2}.get(channels, 1 if info.channels == 1 else 2)
    trim = (settings.silence_threshold, settings.min_silence_ms / 1000) if settings.trim_silence else None
    unknown = [f for f in (settings.format, *settings.alternates) if f not in FORMATS or f == "wav"]
    if unknown:
        raise ConfigError(f"unknown audio format {unknown[0]!r}", field="[audio] format/alternates",
                          fix="use mp3, m4a or opus")
    formats = tuple(FORMATS[f] for f in dict.fromkeys((settings.format, *settings.alternates)))
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".castline-", dir=out_dir) as tmp_name:
        tmp = Path(tmp_name)
        with ThreadPoolExecutor(max_workers=1) as pool:  # two measuring passes, two cores
            shift = pool.submit(_predict, source, ffmpeg, info.duration, formats, settings, n_ch, tmp)
            ana = analyse(source, ffmpeg, channels=n_ch, silence=trim)
            try:
                comp, ceiling = shift.result()
            except AudioError as exc:  # no prediction: the verification will correct
                log.warning("%s: codec shift not predicted (%s)", source, exc)
                comp = (0.0,) * len(formats)
                ceiling = (settings.true_peak - _TP_MARGIN_DB,) * len(formats)
        if settings.loudness - ana.loudness.integrated > _MAX_GAIN_DB:
            raise AudioError(f"is too quiet to master ({ana.loudness.integrated:.1f} LUFS: more "
                             f"than +{_MAX_GAIN_DB:.0f} dB would mostly raise noise)", path=source,
                             fix="check the microphone or the export level and record again")
        _progress(on_progress, 0.15)
        clips = [_prepare_clip(p, ffmpeg, tmp / f"{n}.wav", n_ch, settings) if p else None
                 for n, p in (("intro", settings.intro), ("outro", settings.outro))]
        plan = dataclasses.replace(_first_plan(ana, settings), comp_db=comp, ceiling_db=ceiling)
        peak = ana.loudness.true_peak + plan.gain_db + max(comp)
        plan = dataclasses.replace(plan, limit=any(clips) or not peak < min(ceiling) - 1.0)
        renders = 0
        while True:
            renders += 1
            paths = [tmp / f"out{k}.{fmt.ext}" for k, fmt in enumerate(formats)]
            total = _expected_duration(plan, clips, settings)
            heard = _render(source, ffmpeg, plan, clips, formats, paths, settings, n_ch, total,
                            lambda f: _progress(on_progress, 0.15 + 0.85 * f))
            fix = _correction(heard, settings)
            if fix is None:
                break
            if renders >= _MAX_RENDERS:
                in_spec = (abs(heard.integrated - settings.loudness) <= 0.5
                           and heard.true_peak <= settings.true_peak + 0.1)
                log.log(logging.INFO if in_spec else logging.WARNING, "%s: %.1f LUFS / %.1f dBTP after %d renders",
                        source, heard.integrated, heard.true_peak, renders)
                break
            log.info("%s: encoded at %.1f LUFS / %.1f dBTP, rendering again", source,
                     heard.integrated, heard.true_peak)
            plan = dataclasses.replace(
                plan, limit=True, comp_db=(plan.comp_db[0] + fix[0], *plan.comp_db[1:]),
                ceiling_db=(min(plan.ceiling_db[0], 0.0) + fix[1], *plan.ceiling_db[1:]))
        encodings = []
        for fmt, path in zip(formats, paths):
            final = out_dir / f"{stem}.{fmt.ext}"
            os.replace(path, final)
            encodings.append(_encoding(final, fmt, settings))
    _progress(on_progress, 1.0)
    main = encodings[0]
    dur, rate, chans = _stream_facts(main.path)
    intro = clips[0].duration - _crossfade(settings, clips[0], plan) if clips[0] else 0.0
    return MasteredAudio(main=main, duration=dur, channels=chans, sample_rate=rate,
                         input_loudness=ana.loudness, output_loudness=heard,
                         alternates=tuple(encodings[1:]), offset=round(intro - plan.start, 4))


def _progress(cb: Callable[[float], None] | None, value: float) -> None:
    if cb is not None:
        cb(min(1.0, max(0.0, value)))


def _first_plan(ana: Analysis, settings: AudioSettings) -> _Plan:
    start = max(0.0, ana.start - _TRIM_KEEP_S) if ana.start > 0 else 0.0
    end = min(ana.duration, ana.end + _TRIM_KEEP_S) if ana.end < ana.duration else ana.duration
    return _Plan(start=start, end=end, cut_end=end < ana.duration,
                 gain_db=settings.loudness - ana.loudness.integrated,
                 comp_db=(), ceiling_db=())


def _correction(heard: Loudness, settings: AudioSettings) -> tuple[float, float] | None:
    """(gain, ceiling) changes in dB if the encoded file misses the target."""
    d_gain = settings.loudness - heard.integrated
    over = heard.true_peak - settings.true_peak
    if abs(d_gain) <= _TOLERANCE_LU and over <= 0.0:
        return None
    return (d_gain if abs(d_gain) > 0.1 else 0.0, -(over + 0.3) if over > -0.1 else 0.0)


def _expected_duration(plan: _Plan, clips: list, settings: AudioSettings) -> float:
    total = plan.end - plan.start
    for clip in clips:
        if clip is not None:
            total += clip.duration - _crossfade(settings, clip, plan)
    return max(total, 0.001)


def _crossfade(settings: AudioSettings, clip: _Clip, plan: _Plan) -> float:
    """Seconds of overlap between a clip and the episode: as configured, but
    never more than half of either (acrossfade cannot overlap more)."""
    return min(settings.crossfade_ms / 1000, clip.duration / 2, (plan.end - plan.start) / 2)


def _body_chain(plan: _Plan, n_ch: int, rate: int, settings: AudioSettings, *,
                trim: bool = True) -> list[str]:
    chain = []
    cuts = []
    if trim and plan.start > 0:
        cuts.append(f"start={plan.start:.6f}")
    if trim and plan.cut_end:
        cuts.append(f"end={plan.end:.6f}")
    if cuts:
        chain += [f"atrim={':'.join(cuts)}", "asetpts=PTS-STARTPTS"]
    chain += [convert_filter(n_ch), f"aresample={rate}:resampler=soxr",
              f"volume={plan.gain_db:.3f}dB"]
    body = plan.end - plan.start
    if settings.fade_in_ms > 0:
        chain.append(f"afade=t=in:d={settings.fade_in_ms / 1000:.3f}")
    if settings.fade_out_ms > 0:
        d = settings.fade_out_ms / 1000
        chain.append(f"afade=t=out:st={max(0.0, body - d):.6f}:d={d:.3f}")
    return chain


def _graph(plan: _Plan, clips: list, formats: tuple[Format, ...], n_ch: int,
           settings: AudioSettings, *, trim: bool = True) -> str:
    """The filter graph of a render: input 0 is the source, then the clips."""
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
        xf = _crossfade(settings, clip, plan)
        join = f"acrossfade=d={xf:.3f}:c1=tri:c2=tri" if xf > 0 else "concat=n=2:v=0:a=1"
        parts.append(f"{pair}{join}[j{idx}]")
        cur = f"j{idx}"
        idx += 1
    outs = "".join(f"[s{k}]" for k in range(len(formats)))
    parts.append(f"[{cur}]asplit={len(formats)}{outs}")
    for k, fmt in enumerate(formats):
        chain = [f"volume={plan.comp_db[k]:.3f}dB"]
        if plan.limit:
            chain += _limiter(plan.ceiling_db[k], rate)
        chain.append(f"aresample={fmt.rate or rate}:resampler=soxr")
        parts.append(f"[s{k}]{','.join(chain)}[o{k}]")
    return ";".join(parts)


def _limiter(ceiling_db: float, rate: int) -> list[str]:
    """A true-peak limiter: ffmpeg's look-ahead ``alimiter`` (5 ms look-ahead,
    50 ms release, no auto-gain, delay compensated) run at 4x the rate, so it
    sees and holds the peaks that fall between the samples; soxr makes the
    oversampling cheap."""
    limit = max(0.0625, min(1.0, 10 ** (ceiling_db / 20)))
    return [f"aresample={_OVERSAMPLE * rate}:resampler=soxr",
            f"alimiter=limit={limit:.5f}:level=0:latency=1:attack=5:release=50",
            f"aresample={rate}:resampler=soxr"]


def _predict(source: Path, ffmpeg: str, duration: float, formats: tuple[Format, ...],
             settings: AudioSettings, n_ch: int, tmp: Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Each encoder's loudness and true-peak shift, measured on excerpts.

    Up to three 6-second windows are levelled to the target on their own,
    go through the same chain and limiter, and then both into a PCM file and
    through each encoder. Returns per format the gain that gives back what
    the encoder took away, and the limiter ceiling lowered by the peak it
    added. Runs beside the measuring pass, on the other core."""
    settings = dataclasses.replace(settings, fade_in_ms=0, fade_out_ms=0)
    base_ceiling = settings.true_peak - _TP_MARGIN_DB
    if duration <= 3 * _EXCERPT_S + 1:
        windows = [(0.0, duration)]
    else:
        windows = [(duration * f - _EXCERPT_S / 2, _EXCERPT_S) for f in (0.25, 0.5, 0.75)]
    inputs: list[str] = []
    for at, length in windows:
        inputs += ["-ss", f"{at:.6f}", "-t", f"{length:.6f}", "-i", str(source)]
    cat = "".join(f"[{i}:a:0]" for i in range(len(windows))) + f"concat=n={len(windows)}:v=0:a=1"
    base = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-y", *inputs]
    proc = subprocess.run([*base, "-filter_complex", f"{cat},{convert_filter(n_ch)},"
                           "ebur128=framelog=quiet", "-f", "null", "-"], capture_output=True)
    level = parse_summary(proc.stderr.decode("utf-8", "replace"), source).integrated
    gain = max(-30.0, min(40.0, settings.loudness - level))
    n = len(formats) + 1
    plan = _Plan(start=0.0, end=duration, gain_db=gain, comp_db=(0.0,) * n,
                 ceiling_db=(base_ceiling,) * n)
    graph = _graph(plan, [None, None], (FORMATS["wav"], *formats), n_ch, settings, trim=False)
    args = [*base, "-v", "error", "-filter_complex", graph.replace("[0:a:0]", f"{cat},", 1)]
    refs = [tmp / "probe-ref.wav", *(tmp / f"probe{k}.{f.ext}" for k, f in enumerate(formats))]
    for k, (fmt, path) in enumerate(zip((FORMATS["wav"], *formats), refs)):
        args += ["-map", f"[o{k}]", *encoder_args(fmt, settings, n_ch), str(path)]
    _run(args, source)
    ref = measure(refs[0], ffmpeg)
    comp, ceil = [], []
    for path in refs[1:]:
        got = measure(path, ffmpeg)
        comp.append(max(-3.0, min(3.0, ref.integrated - got.integrated)))
        over = max(0.0, got.true_peak - ref.true_peak) if ref.true_peak > base_ceiling - 1.5 else 0.0
        ceil.append(base_ceiling - over)
    return tuple(comp), tuple(ceil)


def _run(args: list[str], source: Path) -> None:
    log.debug("run: %s", shlex.join(args))
    proc = subprocess.run(args, capture_output=True, check=False)
    if proc.returncode != 0:
        raise AudioError(f"mastering failed: {last_error_line(proc.stderr)}", path=source,
                         fix="check that the recording (and intro/outro) play in a player")


def _render(source: Path, ffmpeg: str, plan: _Plan, clips: list, formats: tuple[Format, ...],
            paths: list[Path], settings: AudioSettings, n_ch: int, total: float,
            on_progress: Callable[[float], None]) -> Loudness:
    """One decode, all encodes; the main encoding is teed into a measuring
    ffmpeg as it is written. Returns that measurement of the encoded main."""
    args = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-v", "error", "-y",
            "-progress", "pipe:2", "-i", str(source)]
    for clip in clips:
        if clip is not None:
            args += ["-i", str(clip.path)]
    args += ["-filter_complex", _graph(plan, clips, formats, n_ch, settings)]
    main = formats[0]
    args += ["-map", "[o0]", *encoder_args(main, settings, n_ch), "-f", "tee",
             f"[f={main.muxer}{main.tee_opts}]{paths[0].name}|[f={main.stream_muxer}:onfail=ignore]pipe:1"]
    for k in range(1, len(formats)):  # names relative to cwd: nothing for tee to unescape
        args += ["-map", f"[o{k}]", *encoder_args(formats[k], settings, n_ch), paths[k].name]
    meter = [ffmpeg, "-hide_banner", "-nostdin", "-nostats", "-f", main.stream_muxer,
             "-i", "pipe:0", "-map", "0:a:0", "-af", "ebur128=framelog=quiet", "-f", "null", "-",
             *true_peak_output()]
    log.debug("run: %s | %s", shlex.join(args), shlex.join(meter))
    try:
        enc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               cwd=paths[0].parent)
        met = subprocess.Popen(meter, stdin=enc.stdout, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    except OSError as exc:
        raise ToolError(f"cannot run ffmpeg ({exc.strerror})", path=ffmpeg) from exc
    assert enc.stdout is not None and enc.stderr is not None
    enc.stdout.close()  # the meter owns it now
    errors: list[bytes] = []
    reader = threading.Thread(target=_read_progress, args=(enc.stderr, total, on_progress, errors))
    reader.start()
    met_err = met.communicate()[1]
    reader.join()
    if enc.wait() != 0:
        raise AudioError(f"mastering failed: {last_error_line(b''.join(errors))}", path=source,
                         fix="check that the recording (and intro/outro) play in a player")
    try:
        text = met_err.decode("utf-8", "replace")
        heard = with_true_peak(parse_summary(text), text)
        if heard.true_peak == heard.true_peak:  # not NaN
            return heard
    except AudioError:  # the meter fell over: measure the file itself
        pass
    return measure(paths[0], ffmpeg)


def _read_progress(stream, total: float, on_progress: Callable[[float], None],
                   errors: list[bytes]) -> None:
    for line in iter(stream.readline, b""):
        m = re.match(rb"out_time_us=(\d+)", line)
        if m:
            on_progress(int(m.group(1)) / 1e6 / total)
        elif b"=" not in line or line.startswith(b"["):
            errors.append(line)


def _encoding(path: Path, fmt: Format, settings: AudioSettings) -> Encoding:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return Encoding(path=path, format=fmt.name, mime=fmt.mime, size=path.stat().st_size,
                    sha256=digest.hexdigest(), bitrate=fmt.bitrate(settings))


def _stream_facts(path: Path) -> tuple[float, int, int]:
    """Decoded duration, sample rate and channels, from the file's own
    headers (mutagen reads LAME's delay/padding, Ogg granules, MP4 boxes)."""
    import mutagen

    info = mutagen.File(path).info
    return float(info.length), int(getattr(info, "sample_rate", 48000)), int(info.channels)
