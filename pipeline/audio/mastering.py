"""Mastering: one recording in, broadcast-level episode files out.

Listeners switch between shows and episodes without touching the volume
only if every episode sits at the same *integrated loudness* (-16 LUFS is the
podcast norm) and no peak, even between samples, passes the *true-peak*
ceiling (-1 dBTP), which leaves room for the codec's own overshoot.

The episode is never held in memory as PCM; it streams through ffmpeg:

1. **measure** (one decode): ebur128 for integrated loudness and range,
   silencedetect for the trim points; with the leveler on, ebur128 again
   after it (that is what the gain acts on); with the denoiser on, the noise
   floor; for a stereo recording, whether its two channels are one mono
   signal (``loudness.analyse``). From a minute on, without the leveler,
   the two halves of the recording are measured at once, one ffmpeg each,
   and their readings joined;
2. **render** (one decode, one encode per format): trim, denoise, level,
   gain, intro/outro, fades, a look-ahead limiter (``alimiter``; skipped
   when no peak can reach the ceiling), resample, encode. A dual-mono
   recording is processed as one channel and copied to both at the end. A
   lossy encoder changes loudness a little, the same way on any speech or
   music (LAME at 128k: -0.4 to -0.5 LU; ``_codec_shift``), so that is
   folded into the gain. The main format's samples are measured on their
   way into the encoder (ebur128, and the peak read at 2x the rate);
3. **correct** only if that measurement of the encoded file is off target
   (beyond 0.4 LU, or over the true-peak ceiling): render again with the
   error taken out.

Every ffmpeg runs its filters on one thread per filter graph (the decoder,
each graph and each encoder have threads of their own), and every ebur128
is preceded by ffmpeg's denormal remedy: see ``loudness``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

from pipeline.errors import AudioError, ConfigError
from pipeline.model import AudioSettings, Episode, Loudness, MasteredAudio
from pipeline.tools.ffmpeg import Children, find_ffmpeg
from pipeline.tools.tempfiles import scratch

from .clips import prepare_clip
from .encode import FORMATS, LEVELER, Format, RenderPlan, RenderJob, crossfade, denoiser, encoding, stream_facts
from .encode import render as _render  # master calls it by this name: tests wrap it here
from .loudness import Analysis, Measuring, analyse, probe

__all__ = ["AUDIO_VERSION", "cache_key", "effective_audio", "master"]

AUDIO_VERSION = "5"  # bump when the mastering chain changes what it outputs
log = logging.getLogger("castline.audio")

_TOLERANCE_LU = 0.4  # re-render only if the encoded file is further than this from target
_TP_MARGIN_DB = 0.5  # limiter ceiling sits this far under the true-peak target: the codec's overshoot
_TRIM_KEEP_S = 0.1  # silence kept before the first and after the last sound
_MAX_RENDERS = 3
_MAX_GAIN_DB = 35.0  # a recording this far under target is a muted or unplugged microphone
_MEASURED = 0.2  # share of the progress bar for the measuring pass (about its share of the time)
_TP_OVER_SAMPLE_DB = 2.0  # how far a true peak may sit over the sample peak the measuring pass reads


def effective_audio(settings: AudioSettings, episode: Episode) -> AudioSettings:
    """The show's [audio] settings with the episode's own ``leveler:`` and
    ``denoise:`` front matter applied (an imported episode or a music
    episode can opt out of the show's choice, or into it)."""
    changes = {name: getattr(episode, name) for name in ("leveler", "denoise")
               if getattr(episode, name, None) is not None}
    return dataclasses.replace(settings, **changes) if changes else settings


def cache_key(source_sha256: str, settings: AudioSettings, intro_sha256: str | None = None,
              outro_sha256: str | None = None) -> str:
    """A key that changes whenever the mastered bytes could: the source, every
    edit/loudness/encode setting, the intro/outro contents and AUDIO_VERSION.
    The ffmpeg path and the clip paths are left out (the contents count)."""
    fields = dataclasses.asdict(settings)
    for name in ("ffmpeg", "intro", "outro"):
        fields.pop(name, None)
    for name in ("leveler", "denoise"):  # off: the key masters had before these existed
        if not fields[name]:
            fields.pop(name)
    doc = {"v": AUDIO_VERSION, "src": source_sha256, "settings": fields,
           "intro": intro_sha256 if settings.intro else None,
           "outro": outro_sha256 if settings.outro else None}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def master(source: Path, out_dir: Path, settings: AudioSettings, *, stem: str,
           on_progress: Callable[[float], None] | None = None, children: Children | None = None) -> MasteredAudio:
    """Master ``source`` into ``out_dir/{stem}.{format}`` plus alternates.

    The ffmpeg it runs is the one ``settings.ffmpeg`` names (or the bundled
    one), looked up once here; each of its processes is entered in
    ``children``, so their owner can stop them from another thread.
    Raises AudioError (one line, naming the file) for a recording that cannot
    be read, has no audio or is silent throughout.
    """
    ffmpeg = find_ffmpeg(settings.ffmpeg)
    info = probe(source, ffmpeg, children)
    channels = settings.channels
    n_ch = {"mono": 1, "stereo": 2}.get(channels, 1 if info.channels == 1 else 2)
    trim = (settings.silence_threshold, settings.min_silence_ms / 1000) if settings.trim_silence else None
    unknown = [f for f in (settings.format, *settings.alternates) if f not in FORMATS or f == "wav"]
    if unknown:
        raise ConfigError(f"unknown audio format {unknown[0]!r}", field="[audio] format/alternates",
                          fix="use mp3, m4a or opus")
    formats = tuple(FORMATS[f] for f in dict.fromkeys((settings.format, *settings.alternates)))
    out_dir.mkdir(parents=True, exist_ok=True)
    with scratch(out_dir, "render") as tmp:
        shape = (LEVELER,) if settings.leveler else ()
        alone = not (settings.intro or settings.outro)  # a stereo jingle is not dual mono
        asked = Measuring(channels=n_ch, silence=trim, shape=shape, noise=settings.denoise,
                          dual_mono=alone and n_ch == 2 and info.channels == 2)
        ana = analyse(source, ffmpeg, asked, duration=info.duration,
                      on_progress=lambda f: _progress(on_progress, _MEASURED * f), children=children)
        comp, ceiling = _codec_shift(formats, settings)
        heard_in = ana.source or ana.loudness
        if settings.loudness - heard_in.integrated > _MAX_GAIN_DB:
            raise AudioError(f"is too quiet to master ({heard_in.integrated:.1f} LUFS: more "
                             f"than +{_MAX_GAIN_DB:.0f} dB would mostly raise noise)", path=source,
                             fix="check the microphone or the export level and record again")
        _progress(on_progress, _MEASURED)
        clips = tuple(prepare_clip(p, ffmpeg, tmp / f"{n}.wav", n_ch, settings, children) if p else None
                      for n, p in (("intro", settings.intro), ("outro", settings.outro)))
        if settings.denoise:
            shape = (denoiser(ana.noise, heard_in.integrated), *shape)
        plan = dataclasses.replace(_first_plan(ana, settings), comp_db=comp, ceiling_db=ceiling, shape=shape,
                                   mono=ana.dual_mono)
        peak = ana.loudness.true_peak + _TP_OVER_SAMPLE_DB + plan.gain_db + max(comp)
        plan = dataclasses.replace(plan, limit=any(clips) or bool(shape) or not peak < min(ceiling) - 1.0)
        job = RenderJob(source=source, clips=clips, formats=formats, settings=settings, channels=n_ch,
                        paths=tuple(tmp / f"out{k}.{fmt.ext}" for k, fmt in enumerate(formats)), codec_db=comp[0])
        renders = 0
        while True:
            renders += 1
            heard = _render(job, plan, ffmpeg=ffmpeg, children=children,
                            on_progress=lambda f: _progress(on_progress, _MEASURED + (1 - _MEASURED) * f))
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
        for fmt, path in zip(formats, job.paths):
            final = out_dir / f"{stem}.{fmt.ext}"
            os.replace(path, final)
            encodings.append(encoding(final, fmt, settings))
    _progress(on_progress, 1.0)
    main = encodings[0]
    dur, rate, chans = stream_facts(main.path)
    intro = clips[0].duration - crossfade(settings, clips[0], plan) if clips[0] else 0.0
    return MasteredAudio(main=main, duration=dur, channels=chans, sample_rate=rate,
                         input_loudness=ana.source or ana.loudness, output_loudness=heard,
                         alternates=tuple(encodings[1:]), offset=round(intro - plan.start, 4))


def _progress(cb: Callable[[float], None] | None, value: float) -> None:
    if cb is not None:
        cb(min(1.0, max(0.0, value)))


def _first_plan(ana: Analysis, settings: AudioSettings) -> RenderPlan:
    start = max(0.0, ana.start - _TRIM_KEEP_S) if ana.start > 0 else 0.0
    end = min(ana.duration, ana.end + _TRIM_KEEP_S) if ana.end < ana.duration else ana.duration
    return RenderPlan(start=start, end=end, cut_end=end < ana.duration,
                 gain_db=settings.loudness - ana.loudness.integrated,
                 comp_db=(), ceiling_db=())


def _correction(heard: Loudness, settings: AudioSettings) -> tuple[float, float] | None:
    """(gain, ceiling) changes in dB if the encoded file misses the target."""
    d_gain = settings.loudness - heard.integrated
    over = heard.true_peak - settings.true_peak
    if abs(d_gain) <= _TOLERANCE_LU and over <= 0.0:
        return None
    return (d_gain if abs(d_gain) > 0.1 else 0.0, -(over + 0.3) if over > -0.1 else 0.0)


def _codec_shift(formats: tuple[Format, ...], settings: AudioSettings) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per format, the gain that gives back what its encoder takes away, and
    the limiter ceiling. Measured on excerpts of every kind of source in the
    benchmark (speech, espeak voices, speech over music, mono 48 kHz) and the
    same on all of them within 0.1 LU: LAME takes 0.4-0.5 LU below 160 kbit/s
    and 0.3 LU above, AAC and Opus about 0.05 LU. The ceiling sits 0.5 dB
    under the target for what the codec adds to the peaks (AAC under
    96 kbit/s adds up to 1.7 dB more). The main file is measured after
    encoding anyway, and rendered again if it misses."""
    comp, ceiling = [], []
    for fmt in formats:
        rate = fmt.bitrate(settings)
        comp.append({"mp3": 0.45 if rate < 160 else 0.3}.get(fmt.name, 0.05))
        extra = 1.7 if fmt.name == "m4a" and rate < 96 else 0.0
        ceiling.append(settings.true_peak - _TP_MARGIN_DB - extra)
    return tuple(comp), tuple(ceiling)
