"""An independent meter for tests: decode with ffmpeg to float PCM, then
pyloudnorm for integrated loudness and 4x FFT oversampling (numpy) for the
true peak; a different code path from castline's ffmpeg ebur128. And a
file's length as decoded, sample by sample."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm

from pipeline.tools.ffmpeg import find_ffmpeg


@dataclass(frozen=True)
class Decoded:
    samples: np.ndarray  # frames x channels, float64
    rate: int
    channels: int
    codec: str

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / self.rate


def decode(path: Path, ffmpeg: str) -> Decoded:
    banner = subprocess.run([ffmpeg, "-hide_banner", "-i", str(path)], capture_output=True).stderr
    m = re.search(rb"Audio: (\w+).*?, (\d+) Hz, ([^,]+),", banner)
    assert m, banner.decode()
    channels = {b"mono": 1, b"stereo": 2, b"5.1": 6, b"5.1(side)": 6}[m.group(3)]
    raw = subprocess.run([ffmpeg, "-hide_banner", "-v", "error", "-i", str(path), "-f", "f32le",
                          "-c:a", "pcm_f32le", "pipe:1"], capture_output=True, check=True).stdout
    x = np.frombuffer(raw, dtype=np.float32).astype(np.float64).reshape(-1, channels)
    return Decoded(x, int(m.group(2)), channels, m.group(1).decode())


def decoded_seconds(path: Path) -> float:
    """Decode the whole file with ffmpeg and count the samples."""
    proc = subprocess.run([find_ffmpeg(), "-v", "error", "-i", str(path), "-f", "s16le", "-ac", "1", "-ar", "8000", "-"],
                          capture_output=True, check=True)
    return len(proc.stdout) / 2 / 8000


def integrated(d: Decoded) -> float:
    return float(pyloudnorm.Meter(d.rate).integrated_loudness(d.samples))


def true_peak(d: Decoded, factor: int = 4) -> float:
    """dBTP: the peak of the band-limited signal between samples, found by
    ideal (FFT) interpolation at ``factor`` times the rate."""
    x = np.pad(d.samples, ((2048, 2048), (0, 0)))
    n = x.shape[0]
    up = np.fft.irfft(np.fft.rfft(x, axis=0), n=n * factor, axis=0) * factor
    return float(20 * np.log10(np.abs(up).max()))
