"""Mastering, checked from the outside: every encoded file is decoded again
and measured with a meter castline does not use (pyloudnorm + numpy 4x
oversampling, tests/_meter.py), against the R128 podcast targets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from pipeline import audio
from pipeline.audio import loudness, mastering
from pipeline.audio.loudness import Measuring
from pipeline.errors import AudioError
from pipeline.model import AudioSettings
from pipeline.tools.ffmpeg import find_ffmpeg, run
from tests._meter import decode, integrated, true_peak
from tests._speechlike import _at_lufs, speechlike, vowel, write_pcm, write_speechlike

FF = find_ffmpeg()
NO_TRIM = AudioSettings(trim_silence=False)


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("sources")
    return {
        "quiet_mono": write_speechlike(d / "quiet_mono.wav", FF, 6, channels=1, lufs=-30),
        "hot_stereo": write_speechlike(d / "hot_stereo.wav", FF, 6, channels=2, lufs=-11,
                                       transient_peak=0.995, seed=2),
        "hires_48k_24bit": write_speechlike(d / "hires.wav", FF, 5, channels=2, rate=48000,
                                            lufs=-24, seed=3, codec_args=["-c:a", "pcm_s24le"]),
        "mp3_source": write_speechlike(d / "source.mp3", FF, 5, channels=2, lufs=-26, seed=4,
                                       codec_args=["-c:a", "libmp3lame", "-b:a", "192k"]),
        "opus_source": write_speechlike(d / "source.opus", FF, 5, channels=1, rate=48000,
                                        lufs=-22, seed=5, codec_args=["-c:a", "libopus"]),
        "surround_flac": write_speechlike(d / "surround.flac", FF, 4, channels=6, lufs=-25,
                                          seed=6, codec_args=["-c:a", "flac"]),
    }


def assert_on_target(path: Path, settings: AudioSettings, *, channels: int, rate: int,
                     duration: float) -> None:
    d = decode(path, FF)
    assert d.channels == channels
    assert d.rate == rate
    assert abs(d.duration - duration) <= 0.05, (d.duration, duration)
    assert abs(integrated(d) - settings.loudness) <= 0.5, integrated(d)
    assert true_peak(d) <= settings.true_peak + 0.1, true_peak(d)


@pytest.mark.parametrize("case, channels", [
    ("quiet_mono", 1), ("hot_stereo", 2), ("hires_48k_24bit", 2), ("mp3_source", 2),
    ("opus_source", 1), ("surround_flac", 2),
])
def test_master_reaches_loudness_and_true_peak(sources, tmp_path, case, channels):
    src = sources[case]
    result = audio.master(src, tmp_path, NO_TRIM, stem="ep")
    assert result.main.path == tmp_path / "ep.mp3"
    assert result.main.mime == "audio/mpeg" and result.main.bitrate == 128
    assert result.main.size == result.main.path.stat().st_size
    expected = decode(src, FF).duration
    assert_on_target(result.main.path, NO_TRIM, channels=channels, rate=44100, duration=expected)
    assert (result.channels, result.sample_rate) == (channels, 44100)
    assert result.offset == 0.0  # no intro, nothing trimmed: recording time is master time
    assert abs(result.duration - decode(result.main.path, FF).duration) <= 0.05
    # the reported loudness is a measurement (of the samples going into the
    # encoder, less the encoder's known shift), not the plan; the peak is read
    # there too, at the limiter's 2x rate: the encoder's low-pass takes a
    # little off it, so it is a bound a few tenths over the file's
    d = decode(result.main.path, FF)
    assert abs(result.output_loudness.integrated - integrated(d)) <= 0.3
    assert -0.4 <= result.output_loudness.true_peak - true_peak(d) <= 1.0
    source = decode(src, FF)
    if source.channels <= 2:  # above that castline reports the downmix it masters
        assert abs(result.input_loudness.integrated - integrated(source)) <= 0.5


def test_quiet_source_with_transients_is_limited_not_clipped(sources, tmp_path):
    """+14 dB on a -30 LUFS recording whose clicks sit at -8 dBFS would put
    them at +6 dBTP: the limiter must hold them under -1 dBTP."""
    src = decode(sources["quiet_mono"], FF)
    assert true_peak(src) + (-16 - integrated(src)) > 3.0  # a plain gain would clip
    result = audio.master(sources["quiet_mono"], tmp_path, NO_TRIM, stem="q")
    out = decode(result.main.path, FF)
    assert true_peak(out) <= -0.9
    assert np.abs(out.samples).max() < 0.95


def test_configured_mono_and_stereo_override_the_source(sources, tmp_path):
    mono = audio.master(sources["hires_48k_24bit"], tmp_path / "m",
                        dataclasses.replace(NO_TRIM, channels="mono", sample_rate=48000), stem="m")
    assert_on_target(mono.main.path, NO_TRIM, channels=1, rate=48000, duration=5.0)
    stereo = audio.master(sources["opus_source"], tmp_path / "s",
                          dataclasses.replace(NO_TRIM, channels="stereo"), stem="s")
    assert decode(stereo.main.path, FF).channels == 2


def test_trim_intro_outro_crossfade_and_fades(tmp_path):
    rate = 44100
    speech = vowel(4.0, rate, level=0.03)
    body = np.concatenate([np.zeros(rate), speech, np.zeros(int(1.5 * rate))])
    src = write_pcm(tmp_path / "ep.wav", FF, body, rate)
    t = np.arange(2 * rate) / rate
    # the jingle file carries 0.5 s of silence at its head: it is stripped
    jingle = np.concatenate([np.zeros(rate // 2), 0.5 * np.sin(2 * np.pi * 440 * t)])
    intro = write_pcm(tmp_path / "intro.flac", FF, jingle, rate, ["-c:a", "flac"])
    outro = write_pcm(tmp_path / "outro.wav", FF, 0.05 * np.sin(2 * np.pi * 330 * t[: int(1.5 * rate)]),
                      rate)
    settings = AudioSettings(intro=intro, outro=outro, crossfade_ms=300, fade_in_ms=200,
                             fade_out_ms=500, min_silence_ms=500, silence_threshold=-50)
    result = audio.master(src, tmp_path / "out", settings, stem="ep")
    keep = 2 * 0.1  # castline keeps 100 ms of air at each trimmed end
    expected = 2.0 + (4.0 + keep) + 1.5 - 2 * 0.3
    assert_on_target(result.main.path, settings, channels=1, rate=44100, duration=expected)
    # a chapter at 0:01 of the recording (where speech starts) is at 0:01.8 in the master
    assert abs(result.offset - (2.0 - 0.3 - (1.0 - 0.1))) <= 0.03, result.offset
    out = decode(result.main.path, FF).samples[:, 0]
    # the intro (440 Hz) opens the episode: its first second is that tone
    head = out[: rate]
    spectrum = np.abs(np.fft.rfft(head))
    assert abs(np.argmax(spectrum) * rate / len(head) - 440) < 5
    # the intro plays at the episode's loudness, not its own hot level
    d = decode(result.main.path, FF)
    intro_part = dataclasses.replace(d, samples=d.samples[int(0.2 * rate): int(1.6 * rate)])
    assert abs(integrated(intro_part) - settings.loudness) < 1.5


def test_alternates_are_encoded_at_the_same_loudness(sources, tmp_path):
    settings = dataclasses.replace(NO_TRIM, alternates=("m4a", "opus"))
    result = audio.master(sources["quiet_mono"], tmp_path, settings, stem="ep")
    by_format = {e.format: e for e in result.alternates}
    assert set(by_format) == {"m4a", "opus"}
    m4a, opus = by_format["m4a"], by_format["opus"]
    assert (m4a.path.name, m4a.mime) == ("ep.m4a", "audio/x-m4a")
    assert (opus.path.name, opus.mime, opus.bitrate) == ("ep.opus", "audio/ogg", 64)
    assert decode(m4a.path, FF).codec == "aac"
    assert decode(opus.path, FF).rate == 48000
    for enc in (m4a, opus):
        assert enc.size == enc.path.stat().st_size
        rate = decode(enc.path, FF).rate
        assert_on_target(enc.path, settings, channels=1, rate=rate, duration=6.0)


def test_main_format_can_be_opus(sources, tmp_path):
    settings = dataclasses.replace(NO_TRIM, format="opus")
    result = audio.master(sources["hot_stereo"], tmp_path, settings, stem="ep")
    assert result.main.path.suffix == ".opus" and result.main.mime == "audio/ogg"
    assert_on_target(result.main.path, settings, channels=2, rate=48000, duration=6.0)


def test_progress_runs_from_zero_to_one(sources, tmp_path):
    seen: list[float] = []
    audio.master(sources["hot_stereo"], tmp_path, NO_TRIM, stem="p", on_progress=seen.append)
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)


def _zero_bytes(p: Path) -> Path:
    p.write_bytes(b"")
    return p


def _text(p: Path) -> Path:
    p.write_text("these are my show notes, not audio\n" * 20)
    return p


def _corrupt(p: Path) -> Path:
    p.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + np.random.default_rng(0).bytes(3000))
    return p


def _no_audio(p: Path) -> Path:
    import subprocess

    subprocess.run([FF, "-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x64:d=1",
                    "-frames:v", "1", str(p)], check=True)
    return p


def _silent(p: Path) -> Path:
    return write_pcm(p, FF, np.zeros(3 * 44100, dtype=np.float32), 44100)


def _nearly_silent(p: Path) -> Path:  # a -50 dBFS whine, -53 LUFS: +37 dB would be noise
    return write_pcm(p, FF, 0.0033 * np.sin(2 * np.pi * 1000 * np.arange(3 * 44100) / 44100), 44100)


def _damaged_flac(p: Path) -> Path:  # a good header, then noise: ffmpeg decodes nothing and says nothing
    import os
    import subprocess

    subprocess.run([FF, "-v", "error", "-f", "lavfi", "-i", "sine=d=3", "-c:a", "flac", str(p)], check=True)
    data = p.read_bytes()
    p.write_bytes(data[:200] + os.urandom(len(data) - 200))
    return p


@pytest.mark.parametrize("make, name, words", [
    (_zero_bytes, "empty.mp3", "empty"),
    (_damaged_flac, "damaged.flac", "no audio ffmpeg can decode"),
    (_text, "notes.mp3", "not audio"),
    (_corrupt, "broken.wav", "not audio"),
    (_no_audio, "cover.png", "no audio stream"),
    (_silent, "silent.wav", "silent"),
    (_nearly_silent, "hum.wav", "too quiet"),
])
def test_bad_audio_raises_one_clear_line_naming_the_file(tmp_path, make, name, words):
    src = make(tmp_path / name)
    with pytest.raises(AudioError) as err:
        audio.master(src, tmp_path / "out", AudioSettings(), stem="x")
    text = str(err.value)
    assert "\n" not in text and str(src) in text and words in text
    assert not list((tmp_path / "out").glob("x.*"))  # nothing half-written


def test_probe_and_measure_name_what_the_file_is(sources):
    info = audio.probe(sources["hires_48k_24bit"], FF)
    assert (info.channels, info.sample_rate, info.codec) == (2, 48000, "pcm_s24le")
    assert abs(info.duration - 5.0) < 0.01
    loud = audio.measure(sources["quiet_mono"], FF)
    assert abs(loud.integrated - integrated(decode(sources["quiet_mono"], FF))) < 0.3
    with pytest.raises(AudioError, match="no audio stream"):
        audio.probe(_no_audio(sources["quiet_mono"].parent / "still.png"), FF)


def test_cache_key_follows_content_settings_and_version(monkeypatch, tmp_path):
    base = AudioSettings()
    key = audio.cache_key("a" * 64, base)
    assert key == audio.cache_key("a" * 64, AudioSettings())
    assert key == audio.cache_key("a" * 64, dataclasses.replace(base, ffmpeg="/opt/ffmpeg"))
    assert key != audio.cache_key("b" * 64, base)
    for change in ({"loudness": -19.0}, {"true_peak": -2.0}, {"bitrate": 96},
                   {"channels": "mono"}, {"alternates": ("opus",)}, {"fade_in_ms": 10},
                   {"trim_silence": False}):
        assert key != audio.cache_key("a" * 64, dataclasses.replace(base, **change)), change
    with_intro = dataclasses.replace(base, intro=tmp_path / "intro.wav")
    assert audio.cache_key("a" * 64, with_intro, "1" * 64) != audio.cache_key("a" * 64, with_intro, "2" * 64)
    assert audio.cache_key("a" * 64, dataclasses.replace(base, intro=Path("/x/intro.wav")), "1" * 64) == \
        audio.cache_key("a" * 64, dataclasses.replace(base, intro=Path("/y/other.wav")), "1" * 64)
    monkeypatch.setattr(mastering, "AUDIO_VERSION", "999")
    assert key != audio.cache_key("a" * 64, base)


@pytest.mark.parametrize("wrong", ["gain-too-high", "ceiling-too-high"])
def test_a_first_render_off_target_is_corrected(sources, tmp_path, monkeypatch, wrong):
    """Whatever the plan, the render is measured and rendered again if it
    misses the target: 2 dB too much gain (what a limiter eating loudness
    looks like from the other side), or a ceiling over 0 dBFS."""
    if wrong == "gain-too-high":
        first = mastering._first_plan
        monkeypatch.setattr(mastering, "_first_plan",
                            lambda *a: dataclasses.replace(first(*a), gain_db=first(*a).gain_db + 2))
    else:
        monkeypatch.setattr(mastering, "_codec_shift", lambda *a: ((0.45,), (1.0,)))
    renders = []
    real_render = mastering._render
    monkeypatch.setattr(mastering, "_render", lambda *a, **k: renders.append(1) or real_render(*a, **k))
    result = audio.master(sources["quiet_mono"], tmp_path, NO_TRIM, stem="c")
    assert len(renders) >= 2
    assert_on_target(result.main.path, NO_TRIM, channels=1, rate=44100, duration=6.0)


def test_a_bad_intro_is_named_not_the_episode(sources, tmp_path):
    intro = _text(tmp_path / "intro.mp3")
    with pytest.raises(AudioError) as err:
        audio.master(sources["hot_stereo"], tmp_path / "out", AudioSettings(intro=intro), stem="x")
    assert str(intro) in str(err.value) and str(sources["hot_stereo"]) not in str(err.value)
    assert not list((tmp_path / "out").glob("x.*"))


@pytest.mark.parametrize("case", ["hot_stereo", "hires_48k_24bit", "mp3_source", "opus_source"])
def test_one_render_is_enough(sources, tmp_path, monkeypatch, case):
    """The codec's loudness shift is known ahead (LAME at 128k: -0.4 to
    -0.5 LU), and a file within 0.4 LU of the target is accepted: an episode
    is encoded once, not twice."""
    renders = []
    real_render = mastering._render
    monkeypatch.setattr(mastering, "_render", lambda *a, **k: renders.append(1) or real_render(*a, **k))
    audio.master(sources[case], tmp_path, NO_TRIM, stem="once")
    assert len(renders) == 1


def test_a_dual_mono_recording_is_processed_once_and_heard_in_both_channels(tmp_path, monkeypatch):
    """A mono microphone recorded into a stereo file: both channels the same,
    sample for sample. castline processes it as one channel and copies that
    to both; the file is on target, its channels are equal, and it is as loud
    as the same recording with a one-LSB difference between its channels,
    which is stereo and processed as such."""
    rate = 44100
    x = np.concatenate(list(speechlike(8, rate, 1, seed=31)))[:, 0]
    x = _at_lufs(x, rate, -26.0)
    dual = write_pcm(tmp_path / "dual.wav", FF, np.stack([x, x], axis=1), rate)
    y = x.copy()
    y[rate] += 2 / 32768  # one sample, one step of 16-bit apart: not the same signal any more
    stereo = write_pcm(tmp_path / "stereo.wav", FF, np.stack([x, y], axis=1), rate)
    plans = []
    real_render = mastering._render
    monkeypatch.setattr(mastering, "_render", lambda job, plan, **k: plans.append(plan) or real_render(job, plan, **k))
    settings = dataclasses.replace(NO_TRIM, alternates=("opus",))
    one = audio.master(dual, tmp_path / "d", settings, stem="d")
    two = audio.master(stereo, tmp_path / "s", settings, stem="s")
    assert [p.mono for p in plans] == [True, False]
    assert_on_target(one.main.path, NO_TRIM, channels=2, rate=rate, duration=8.0)
    assert_on_target(one.alternates[0].path, NO_TRIM, channels=2, rate=48000, duration=8.0)
    a, b = decode(one.main.path, FF), decode(two.main.path, FF)
    assert np.abs(a.samples[:, 0] - a.samples[:, 1]).max() < 1e-4
    opus = decode(one.alternates[0].path, FF).samples  # Opus codes stereo loosely: the side is only small
    side, mid = opus[:, 0] - opus[:, 1], opus[:, 0] + opus[:, 1]
    assert 10 * np.log10(np.mean(side ** 2) / np.mean(mid ** 2)) < -30
    assert abs(integrated(a) - integrated(b)) <= 0.1
    assert abs(one.output_loudness.integrated - two.output_loudness.integrated) <= 0.1


def test_a_summary_read_from_interleaved_filter_logs():
    """Two filter graphs (two threads) finish at once: ebur128's peak and its
    closing newline come after astats' line (a log caught from a real run)."""
    log = ("[ebur128@source @ 0x7f78500026c0] Summary:\n\n  Integrated loudness:\n    I:         -22.0 LUFS\n"
           "    Threshold: -32.2 LUFS\n\n  Loudness range:\n    LRA:         1.2 LU\n    Threshold: -42.3 LUFS\n"
           "    LRA low:   -22.8 LUFS\n    LRA high:  -21.6 LUFS\n\n  Sample peak:\n    Peak:       -8.0 dBFSOverall\n"
           "[astats@side @ 0x7f784c00a200] Peak level dB: -38.427193\n[ebur128@source @ 0x7f78500026c0] \n"
           "[out#0/null @ 0x5648cde066c0] video:0KiB audio:51680KiB\n")
    loud = loudness.parse_summary(loudness.section(log, "ebur128@source"))
    assert (loud.integrated, loud.lra, loud.true_peak) == (-22.0, 1.2, -8.0)
    side = loudness.section(log, "astats@side")
    assert "-38.427193" in side and "I:" not in side


@pytest.fixture(scope="module")
def long_sources(tmp_path_factory) -> dict[str, Path]:
    """Recordings of 14 s, measured in two halves (the cut at 7 s) when the
    threshold is lowered: silences on either side of the cut and across it,
    a dual-mono file and an MP3."""
    d = tmp_path_factory.mktemp("halves")
    rate = 44100

    def speech(seconds: float, seed: int) -> np.ndarray:
        return _at_lufs(np.concatenate(list(speechlike(seconds, rate, 1, seed=seed)))[:, 0], rate, -24.0)

    def gap(seconds: float) -> np.ndarray:
        return np.zeros(int(seconds * rate), dtype=np.float32)

    def stereo(x: np.ndarray, seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return np.stack([x, x * 0.7 + rng.standard_normal(len(x)).astype(np.float32) * 1e-4], axis=1)

    lead = np.concatenate([gap(8.5), speech(4, 41), gap(1.5)])  # silent past the cut
    tail = np.concatenate([speech(3, 42), gap(11)])  # silent from before the cut to the end
    across = np.concatenate([speech(6, 43), gap(2), speech(6, 44)])  # a pause the cut runs through
    dual = speech(14, 45)
    return {
        "lead": write_pcm(d / "lead.wav", FF, stereo(lead, 1), rate),
        "tail": write_pcm(d / "tail.wav", FF, stereo(tail, 2), rate),
        "across": write_pcm(d / "across.wav", FF, stereo(across, 3), rate),
        "dual": write_pcm(d / "dual.wav", FF, np.stack([dual, dual], axis=1), rate),
        "mp3": write_speechlike(d / "long.mp3", FF, 14, channels=2, lufs=-20, seed=46,
                                codec_args=["-c:a", "libmp3lame", "-b:a", "192k"]),
    }


@pytest.mark.parametrize("case", ["lead", "tail", "across", "dual", "mp3"])
def test_a_long_recording_measured_in_halves_reads_as_in_one_pass(long_sources, monkeypatch, case):
    """From a minute on, the measuring pass runs as two ffmpeg processes, one
    per half. What they find, joined, is what one pass over the whole finds:
    loudness, range, peak, where the speech starts and ends (silences that
    reach past the cut from either side, or that the cut runs through), the
    noise floor, and whether the channels are one mono signal."""
    src = long_sources[case]
    info = loudness.probe(src, FF)
    asked = Measuring(channels=2, silence=(-50.0, 0.5), noise=True, dual_mono=True)
    whole = loudness.analyse(src, FF, asked, duration=info.duration)
    runs = []
    real = loudness.run_together
    monkeypatch.setattr(loudness, "run_together", lambda *a, **k: runs.append(a[0]) or real(*a, **k))
    monkeypatch.setattr(loudness, "HALVES_FROM_S", 10.0)
    halves = loudness.analyse(src, FF, asked, duration=info.duration)
    assert len(runs) == 1 and len(runs[0]) == 2  # two processes, one run
    assert abs(halves.loudness.integrated - whole.loudness.integrated) <= 0.1 + 1e-9  # both to 0.1 LU
    assert abs(halves.loudness.lra - whole.loudness.lra) <= 0.2
    assert halves.loudness.true_peak == whole.loudness.true_peak
    assert abs(halves.duration - whole.duration) <= 0.03
    assert abs(halves.start - whole.start) <= 0.01 and abs(halves.end - whole.end) <= 0.01
    assert abs(halves.noise - whole.noise) <= 0.2
    assert halves.dual_mono == whole.dual_mono == (case == "dual")
    expected = {"lead": (8.5, 12.5), "tail": (0.0, 3.0), "across": (0.0, 14.0)}.get(case)
    if expected:  # the speech's edges (to the silence detector's resolution)
        assert abs(whole.start - expected[0]) <= 0.05 and abs(whole.end - expected[1]) <= 0.6, (whole.start, whole.end)


def test_a_long_recording_is_mastered_on_target_from_halves(long_sources, tmp_path, monkeypatch):
    """The whole chain with the measuring pass in halves: trimmed as with
    one pass (8.5 s of silence before the speech, past the cut), on target,
    rendered once."""
    one = audio.master(long_sources["lead"], tmp_path / "one", AudioSettings(), stem="one")
    monkeypatch.setattr(loudness, "HALVES_FROM_S", 10.0)
    renders = []
    real_render = mastering._render
    monkeypatch.setattr(mastering, "_render", lambda *a, **k: renders.append(1) or real_render(*a, **k))
    result = audio.master(long_sources["lead"], tmp_path / "two", AudioSettings(), stem="halves")
    assert len(renders) == 1
    assert 3.5 < result.duration < 4.3 and abs(result.duration - one.duration) <= 0.01
    assert_on_target(result.main.path, NO_TRIM, channels=2, rate=44100, duration=one.duration)


@pytest.mark.parametrize("args", [
    ["-c:a", "pcm_s16le"], ["-c:a", "pcm_s24le", "-ar", "48000"], ["-c:a", "pcm_f32le", "-ac", "1"],
    ["-c:a", "pcm_u8"], ["-c:a", "pcm_s16le", "-ac", "6"], ["-c:a", "pcm_s16le", "-metadata", "title=a LIST chunk"],
    ["-c:a", "pcm_mulaw"], ["-c:a", "adpcm_ima_wav"], ["-c:a", "pcm_s16le", "-rf64", "always"],
], ids=["s16", "s24-48k", "f32-mono", "u8", "5.1", "tagged", "mulaw", "adpcm", "rf64"])
def test_a_wav_header_is_read_as_ffmpeg_reads_it(tmp_path, monkeypatch, args):
    """A plain PCM WAV is probed from its header without starting ffmpeg;
    what that says is what ffmpeg says. Any other WAV goes to ffmpeg."""
    wav = tmp_path / "x.wav"
    run(["-y", "-f", "lavfi", "-i", "sine=d=3.3", "-ac", "2", *args, str(wav)], ffmpeg=FF)
    fast = loudness._wav_header(wav)
    monkeypatch.setattr(loudness, "_wav_header", lambda path: None)
    slow = loudness.probe(wav, FF)
    if args[1] in ("pcm_mulaw", "adpcm_ima_wav") or "-rf64" in args:
        assert fast is None
    else:
        assert fast is not None and abs(fast.duration - slow.duration) < 0.01
        assert (fast.channels, fast.sample_rate, fast.codec) == (slow.channels, slow.sample_rate, slow.codec)


def test_a_wav_header_that_claims_more_than_the_file_holds_goes_to_ffmpeg(tmp_path):
    wav = write_pcm(tmp_path / "cut.wav", FF, vowel(2.0)[:, None], 44100)
    data = wav.read_bytes()
    (tmp_path / "short.wav").write_bytes(data[: len(data) // 2])
    assert loudness._wav_header(wav) is not None
    assert loudness._wav_header(tmp_path / "short.wav") is None
    assert 0.9 < loudness.probe(tmp_path / "short.wav", FF).duration < 2.1  # ffmpeg's word for it
