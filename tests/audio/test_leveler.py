"""Levelling and noise reduction, checked from the outside.

An interview is synthesized: two voices taking turns, the guest 12 LU
quieter than the host, steady hiss at -45 dBFS under everything. Mastered
with ``leveler`` and ``denoise`` on, the file is decoded and measured with
the tests' own meter (pyloudnorm, numpy FFT true peak), never castline's.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest

from pipeline import audio
from pipeline.audio import mastering
from pipeline.config import load_settings
from pipeline.ingest import ingest
from pipeline.model import AudioSettings, Episode
from pipeline.tools.ffmpeg import find_ffmpeg
from tests._meter import decode, integrated, true_peak
from tests._speechlike import _at_lufs, interview, music_bed, speechlike, write_pcm

FF = find_ffmpeg()
RATE = 44100
PRODUCED = AudioSettings(trim_silence=False, leveler=True, denoise=True)


def short_term(x: np.ndarray, first: int, last: int) -> float:
    """Mean short-term loudness (3 s windows, 0.5 s apart) of a span."""
    meter = pyloudnorm.Meter(RATE)
    return float(np.mean([meter.integrated_loudness(x[s: s + 3 * RATE])
                          for s in range(first, last - 3 * RATE + 1, RATE // 2)]))


def speakers_and_noise(x: np.ndarray, spans) -> tuple[float, float, float]:
    """(host, guest) mean short-term loudness and the speech-to-noise ratio
    in dB: speech power over the power in the pauses (their middles)."""
    host = np.mean([short_term(x, a, b) for who, a, b in spans if who == "host"])
    guest = np.mean([short_term(x, a, b) for who, a, b in spans if who == "guest"])
    speech = np.concatenate([x[a:b] for who, a, b in spans if who != "pause"])
    pauses = np.concatenate([x[a + RATE // 3: b - RATE // 3] for who, a, b in spans if who == "pause"])
    snr = 10 * np.log10(np.mean(speech ** 2) / max(np.mean(pauses ** 2), 1e-20))
    return float(host), float(guest), float(snr)


@pytest.fixture(scope="module")
def interview_file(tmp_path_factory) -> tuple[Path, list]:
    samples, spans = interview(RATE)
    return write_pcm(tmp_path_factory.mktemp("iv") / "interview.wav", FF, samples, RATE), spans


def test_leveler_and_denoise_even_out_speakers_and_clear_the_pauses(interview_file, tmp_path):
    src, spans = interview_file
    before = decode(src, FF)
    host0, guest0, snr0 = speakers_and_noise(before.samples[:, 0], spans)
    assert host0 - guest0 > 10  # the material is what it claims
    result = audio.master(src, tmp_path, PRODUCED, stem="ep")
    after = decode(result.main.path, FF)
    assert abs(after.duration - before.duration) <= 0.05
    host, guest, snr = speakers_and_noise(after.samples[:, 0], spans)
    assert abs(host - guest) <= 2.0, (host, guest)
    assert snr - snr0 >= 10.0, (snr0, snr)
    assert abs(integrated(after) - PRODUCED.loudness) <= 0.5, integrated(after)
    assert true_peak(after) <= PRODUCED.true_peak + 0.1, true_peak(after)
    # what the recording was, not what the leveler made of it
    assert abs(result.input_loudness.integrated - integrated(before)) <= 0.5


def test_a_music_bed_under_speech_does_not_pump(tmp_path):
    """Speech with 2-second holes every 7 seconds over a bass line (below any
    voice's pitch): the gain the bed gets may not swing by more than 3 dB."""
    seconds = 30
    speech = np.concatenate(list(speechlike(seconds, RATE, seed=21, transients_per_min=0)))[:, 0]
    speech *= (np.arange(len(speech)) / RATE % 7) < 5
    bed = music_bed(seconds, RATE, level_dbfs=-36)
    hiss = np.random.default_rng(3).standard_normal(len(bed)) * 10 ** (-50 / 20)
    mix = (_at_lufs(speech, RATE, -24) + bed + hiss).astype(np.float32)
    src = write_pcm(tmp_path / "bed.wav", FF, mix, RATE)
    result = audio.master(src, tmp_path / "out", PRODUCED, stem="bed")
    out = decode(result.main.path, FF).samples[:, 0]
    gain = _bass_level(out) - _bass_level(mix.astype(np.float64))
    assert gain.max() - gain.min() <= 3.0, gain.round(1)


def _bass_level(x: np.ndarray) -> np.ndarray:
    """dB of the 45-90 Hz band (where only the bed plays) in 1 s windows."""
    freqs = np.fft.rfftfreq(RATE, 1 / RATE)
    band = (freqs > 45) & (freqs < 90)
    out = []
    for s in range(RATE, len(x) - 2 * RATE, RATE // 2):
        spectrum = np.abs(np.fft.rfft(x[s: s + RATE] * np.hanning(RATE))) ** 2
        out.append(10 * np.log10(spectrum[band].sum()))
    return np.array(out)


def test_off_by_default_and_masters_keep_their_cache_keys(monkeypatch):
    """With both off, the settings add nothing to the cache key: at the same
    AUDIO_VERSION it is the key masters had before the settings existed."""
    base = AudioSettings()
    assert (base.leveler, base.denoise) == (False, False)
    monkeypatch.setattr(mastering, "AUDIO_VERSION", "2")
    key = audio.cache_key("a" * 64, base)
    # the key of commit 8cdc33e (AUDIO_VERSION 2), computed with its own model.py and audio.py
    assert key == "127e503e59b410740e40d8af6fea13bada60d1bb3920c4127c4fdaf5c87ecb01"
    assert audio.cache_key("a" * 64, dataclasses.replace(base, leveler=True)) != key
    assert audio.cache_key("a" * 64, dataclasses.replace(base, denoise=True)) != key


def test_an_episode_overrides_the_show():
    show = AudioSettings(leveler=True, denoise=True)
    ep = Episode(slug="001-x", notes_path=Path("n.md"), audio_path=Path("a.wav"), title="x",
                 date=None, body="")  # type: ignore[arg-type]
    assert audio.effective_audio(show, ep) == show
    music = dataclasses.replace(ep, leveler=False, denoise=False)
    assert audio.effective_audio(show, music) == AudioSettings()
    assert audio.effective_audio(AudioSettings(), dataclasses.replace(ep, denoise=True)).denoise
    key = audio.cache_key("a" * 64, audio.effective_audio(show, music))
    assert key != audio.cache_key("a" * 64, audio.effective_audio(show, ep))


def test_config_and_front_matter_reach_the_master_settings(sample_show):
    """``[audio] leveler``/``denoise`` in config.toml, ``leveler:``/``denoise:``
    in a notes file's front matter; the episode's word wins."""
    config = sample_show / "config.toml"
    config.write_text(config.read_text().replace("[audio]\n", "[audio]\nleveler = true\ndenoise = true\n", 1))
    notes = sorted((sample_show / "show_notes").glob("001-*.md"))[0]
    notes.write_text(notes.read_text().replace("\ntitle:", "\nleveler: false\ntitle:", 1))
    settings = load_settings(sample_show)
    assert (settings.audio.leveler, settings.audio.denoise) == (True, True)
    episodes = {ep.slug[:3]: ep for ep in ingest(settings.ingest).episodes}
    assert (episodes["001"].leveler, episodes["001"].denoise) == (False, None)
    assert audio.effective_audio(settings.audio, episodes["001"]) == dataclasses.replace(settings.audio, leveler=False)
    assert audio.effective_audio(settings.audio, episodes["002"]) == settings.audio
