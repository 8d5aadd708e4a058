"""Speech-like test signals, synthesized (never committed as binaries).

Speech, for a loudness meter and a limiter, is a voiced buzz (a pitch near
120 Hz and its harmonics) plus breath noise, shaped into ~4 Hz syllables,
grouped into phrases with pauses between them. A few short, loud transients
(a plosive, a bumped microphone) give the crest factor that makes a plain
gain clip. Generation is chunked so an hour needs no more than a second of
samples in memory.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np

CHUNK_S = 1.0


def speechlike(seconds: float, rate: int = 44100, channels: int = 1, *, seed: int = 1,
               gain: float = 1.0, transients_per_min: float = 3.0,
               transient_peak: float = 0.4) -> Iterator[np.ndarray]:
    """Yield float32 blocks (frames x channels) of speech-like sound scaled by
    ``gain`` (speech peaks near 0.5 * gain) with a few 4 ms bursts peaking at
    ``transient_peak`` (absolute, 0.4 is about -8 dBFS)."""
    rng = np.random.default_rng(seed)
    total = int(round(seconds * rate))
    done = 0
    phase = 0.0
    # phrase schedule: on 1.5-4 s, off 0.2-0.7 s
    t_next = 0.0
    on = True
    bounds: list[tuple[int, int]] = []
    t = 0.0
    while t < seconds:
        length = rng.uniform(1.5, 4.0)
        bounds.append((int(t * rate), int(min(seconds, t + length) * rate)))
        t += length + rng.uniform(0.2, 0.7)
    n_tr = max(1, int(round(seconds / 60.0 * transients_per_min))) if transients_per_min else 0
    tr_at = sorted(int(x) for x in rng.uniform(0.1, 0.9, n_tr) * total)
    harmonics = np.arange(1, 25)
    amps = 1.0 / harmonics ** 1.1
    while done < total:
        n = min(int(CHUNK_S * rate), total - done)
        idx = np.arange(done, done + n)
        time = idx / rate
        f0 = 120 + 25 * np.sin(2 * np.pi * 0.3 * time + seed)
        ph = phase + np.cumsum(2 * np.pi * f0 / rate)
        phase = float(ph[-1] % (2 * np.pi))
        voiced = (np.sin(np.outer(ph, harmonics)) * amps).sum(axis=1) / 3.0
        noise = rng.standard_normal(n) * 0.08
        noise = np.convolve(noise, np.ones(3) / 3, mode="same")
        syll = np.clip(np.sin(2 * np.pi * 4.0 * time + 0.5 * np.sin(2 * np.pi * 0.7 * time)), 0, 1) ** 0.7
        env = np.zeros(n)
        for a, b in bounds:
            if b > done and a < done + n:
                env[max(a, done) - done:min(b, done + n) - done] = 1.0
        x = (voiced + noise) * (0.15 + 0.85 * syll) * env * 0.5 * gain
        for at in tr_at:
            if done <= at < done + n:
                k = at - done
                m = min(n - k, int(0.004 * rate))
                burst = np.sin(2 * np.pi * 900 * np.arange(m) / rate) * np.hanning(m) * transient_peak
                x[k:k + m] = burst
        block = np.repeat(x[:, None], channels, axis=1).astype(np.float32)
        if channels > 1:
            block[:, 1:] *= 0.97
        yield block
        done += n


def write_speechlike(path: Path, ffmpeg: str, seconds: float, *, rate: int = 44100,
                     channels: int = 1, lufs: float = -28.0, seed: int = 1,
                     transients_per_min: float = 3.0, transient_peak: float = 0.4,
                     codec_args: list[str] | None = None) -> Path:
    """Write a speech-like file at about ``lufs`` (the loudness is set from a
    measured 20 s excerpt; the caller measures the result independently)."""
    ref = np.concatenate(list(speechlike(min(seconds, 20.0), rate, 1, seed=seed,
                                         transients_per_min=0)))[:, 0]
    import pyloudnorm
    level = pyloudnorm.Meter(rate).integrated_loudness(ref.astype(np.float64))
    if channels > 1:
        level += 10 * np.log10(channels)  # same signal in each channel sums up
    gain = 10 ** ((lufs - level) / 20)
    args = codec_args if codec_args is not None else ["-c:a", "pcm_s16le"]
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "f32le",
           "-ar", str(rate), "-ac", str(channels), "-i", "pipe:0", *args, str(path)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    for block in speechlike(seconds, rate, channels, seed=seed, gain=gain,
                            transients_per_min=transients_per_min, transient_peak=transient_peak):
        proc.stdin.write(np.clip(block, -0.999, 0.999).astype(np.float32).tobytes())
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError(f"ffmpeg failed writing {path}")
    return path


def vowel(seconds: float, rate: int = 44100, *, level: float = 0.1) -> np.ndarray:
    """A sustained voiced sound with a syllable rhythm that never falls
    silent: its start and end are exactly where the sound is (for trims)."""
    t = np.arange(int(round(seconds * rate))) / rate
    f0 = 130 + 10 * np.sin(2 * np.pi * 0.5 * t)
    ph = np.cumsum(2 * np.pi * f0 / rate)
    buzz = sum(np.sin(k * ph) / k for k in range(1, 16))
    return (buzz * (0.4 + 0.6 * np.abs(np.sin(2 * np.pi * 3 * t))) * level).astype(np.float32)


def write_pcm(path: Path, ffmpeg: str, samples: np.ndarray, rate: int,
              codec_args: list[str] | None = None) -> Path:
    """Write float samples (frames, or frames x channels) with ffmpeg."""
    x = samples if samples.ndim == 2 else samples[:, None]
    args = codec_args if codec_args is not None else ["-c:a", "pcm_s16le"]
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "f32le",
           "-ar", str(rate), "-ac", str(x.shape[1]), "-i", "pipe:0", *args, str(path)]
    subprocess.run(cmd, input=np.ascontiguousarray(x, dtype=np.float32).tobytes(), check=True)
    return path


def _at_lufs(x: np.ndarray, rate: int, lufs: float) -> np.ndarray:
    import pyloudnorm
    level = pyloudnorm.Meter(rate).integrated_loudness(x.astype(np.float64))
    return x * 10 ** ((lufs - level) / 20)


def interview(rate: int = 44100, *, turn_s: float = 6.0, gap_s: float = 1.5, turns: int = 4,
              host_lufs: float = -24.0, guest_lu: float = -12.0, hiss_dbfs: float = -45.0,
              seed: int = 11) -> tuple[np.ndarray, list[tuple[str, int, int]]]:
    """Two voices taking turns (host, guest, host, ...), the guest
    ``guest_lu`` quieter, gaps of nothing but steady hiss (white noise at
    ``hiss_dbfs`` RMS) between turns and under everything. Returns mono
    samples and the timeline: ``(who, first, last)`` sample spans, ``who`` one
    of host, guest, pause."""
    rng = np.random.default_rng(seed)
    voices = {who: _at_lufs(np.concatenate(list(speechlike(turn_s * turns / 2 + 1, rate, seed=seed + k,
                                                           transients_per_min=0)))[:, 0], rate, lufs)
              for k, (who, lufs) in enumerate((("host", host_lufs), ("guest", host_lufs + guest_lu)))}
    parts, spans, at = [np.zeros(int(gap_s * rate))], [("pause", 0, int(gap_s * rate))], int(gap_s * rate)
    used = {"host": 0, "guest": 0}
    for t in range(turns):
        who = ("host", "guest")[t % 2]
        n = int(turn_s * rate)
        parts += [voices[who][used[who]: used[who] + n], np.zeros(int(gap_s * rate))]
        used[who] += n
        spans += [(who, at, at + n), ("pause", at + n, at + n + int(gap_s * rate))]
        at += n + int(gap_s * rate)
    x = np.concatenate(parts)
    x = x + rng.standard_normal(len(x)) * 10 ** (hiss_dbfs / 20)
    return x.astype(np.float32), spans


def music_bed(seconds: float, rate: int = 44100, *, level_dbfs: float = -30.0) -> np.ndarray:
    """A bass line under the speech band (55-82 Hz, below any voice's pitch):
    a note every half second, so no denoiser mistakes it for steady hum."""
    t = np.arange(int(seconds * rate)) / rate
    notes = np.array([55.0, 65.41, 73.42, 82.41])
    f = notes[(t * 2).astype(int) % len(notes)]
    ph = np.cumsum(2 * np.pi * f / rate)
    x = np.sin(ph) + 0.5 * np.sin(2 * ph)
    return (x / np.sqrt(np.mean(x ** 2)) * 10 ** (level_dbfs / 20)).astype(np.float32)
