"""Mastering benchmark: castline vs ffmpeg-normalize vs the bare floor, on
a matrix of varied recordings.

For every source, in one run and one after the other, four process trees:

- floor: one ffmpeg decode + LAME 128k CBR encode, nothing else;
- ffmpeg-normalize: two-pass loudnorm (EBU, -16 LUFS, -1 dBTP), MP3 128k out,
  using the same imageio ffmpeg (FFMPEG_PATH);
- castline: ``pipeline.audio.master`` with the defaults (trim off, so every
  output has the source's length), in a fresh Python process;
- castline +lev+dn: the same with ``leveler`` and ``denoise`` on.

Each tree's wall time, CPU time (RUSAGE_CHILDREN) and peak memory (RSS of
every process in it, polled from /proc every 50 ms) are recorded, castline's
renders are counted, and every output is measured with ffmpeg's ebur128
(true peak on): a different path from castline's own verification.

    nice python benchmarks/bench_mastering.py            # the full matrix, 2-hour file included
    nice python benchmarks/bench_mastering.py --quick    # 1-minute sources, no 2-hour file
    nice python benchmarks/bench_mastering.py --only espeak,mp3 --minutes 3

Sources are synthesized (espeak-ng voices when installed, the tests'
speech-like generator otherwise), never committed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from pipeline.audio import measure  # noqa: E402
from pipeline.tools.ffmpeg import find_ffmpeg  # noqa: E402
from tests._speechlike import interview, music_bed, speechlike, write_pcm, write_speechlike  # noqa: E402

TARGET, CEILING = -16.0, -1.0
FF = find_ffmpeg()


# --- the sources ---------------------------------------------------------------------

def _ff(*args: str) -> None:
    subprocess.run([FF, "-hide_banner", "-nostdin", "-v", "error", "-y", *args], check=True)


def _loop_to(src: Path, out: Path, seconds: float, *codec: str) -> Path:
    _ff("-stream_loop", "-1", "-i", str(src), "-t", f"{seconds}", *(codec or ("-c:a", "pcm_s16le")), str(out))
    return out


def _filtered(src: Path, out: Path, af: str) -> Path:
    """``src`` through the ffmpeg audio filters ``af``, as 16-bit WAV."""
    _ff("-i", str(src), "-af", af, "-c:a", "pcm_s16le", str(out))
    return out


def _at(src: Path, out: Path, lufs: float, *codec: str) -> Path:
    level = measure(src, FF).integrated
    _ff("-i", str(src), "-af", f"volume={lufs - level:.2f}dB", *(codec or ("-c:a", "pcm_s16le")), str(out))
    return out


def espeak(work: Path, seconds: float) -> Path:
    """Two espeak-ng voices taking turns (a host and a guest), 44.1 kHz
    stereo at -28 LUFS: not the generator the rest of the matrix uses."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        raise SystemExit("espeak-ng is not installed (apt-get install espeak-ng), or leave it out with --only")
    lines = ["Welcome back to the show. Today we talk about why teams that share a hallway have better ideas.",
             "Thanks for having me. The research is surprisingly clear on this point, and it goes back decades.",
             "So what did the studies actually measure? Was it patents, papers, or something softer than that?",
             "Citations, mostly. Papers written by people in the same building were cited far more often."]
    parts = []
    for k, text in enumerate(lines):
        part = work / f"espeak-{k}.wav"
        voice, pitch = ("en-us", "45") if k % 2 == 0 else ("en-gb+f3", "60")
        subprocess.run([exe, "-v", voice, "-p", pitch, "-s", "165", "-w", str(part), text], check=True)
        parts.append(part)
    listing = work / "espeak.txt"
    listing.write_text("".join(f"file '{p}'\n" for p in parts))
    joined = work / "espeak-joined.wav"
    _ff("-f", "concat", "-safe", "0", "-i", str(listing), "-af", "apad=pad_dur=0.6", "-ar", "44100", "-ac", "2",
        str(joined))
    looped = _loop_to(joined, work / "espeak-looped.wav", seconds)
    return _at(looped, work / "espeak.wav", -28.0)


def speech(work: Path, seconds: float) -> Path:
    """The original benchmark material: speech-like, -28 LUFS, loud bursts."""
    return write_speechlike(work / "speech.wav", FF, seconds, channels=2, lufs=-28.0, seed=7)


def speech_over_music(work: Path, seconds: float) -> Path:
    rate = 44100
    voice = np.concatenate(list(speechlike(seconds, rate, 1, seed=8, transients_per_min=0)))[:, 0]
    t = np.arange(len(voice)) / rate
    pad = sum(np.sin(2 * np.pi * f * t) for f in (220.0, 277.2, 329.6)) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.25 * t))
    mix = voice * 0.3 + music_bed(seconds, rate, level_dbfs=-30)[: len(voice)] + pad * 0.01
    tmp = write_pcm(work / "music-raw.wav", FF, np.repeat(mix[:, None], 2, axis=1), rate)
    return _at(tmp, work / "speech-over-music.wav", -24.0)


def loud_clipped(work: Path, seconds: float) -> Path:
    """Mastered far too hot: -8 LUFS, every peak flattened at full scale."""
    src = write_speechlike(work / "hot-raw.wav", FF, seconds, channels=2, lufs=-14.0, seed=9)
    return _filtered(src, work / "loud-clipped.wav", "volume=8dB,alimiter=limit=1:level=0,volume=-0.01dB")


def very_quiet(work: Path, seconds: float) -> Path:
    return write_speechlike(work / "quiet.wav", FF, seconds, channels=2, lufs=-40.0, seed=10)


def mono_48k(work: Path, seconds: float) -> Path:
    return write_speechlike(work / "mono48.wav", FF, seconds, rate=48000, channels=1, lufs=-24.0, seed=11)


def pcm_24bit(work: Path, seconds: float) -> Path:
    return write_speechlike(work / "s24.wav", FF, seconds, channels=2, lufs=-22.0, seed=12,
                            codec_args=["-c:a", "pcm_s24le"])


def long_silences(work: Path, seconds: float) -> Path:
    """Speech with 20 seconds of digital silence in every minute."""
    src = write_speechlike(work / "gaps-raw.wav", FF, seconds, channels=2, lufs=-26.0, seed=13)
    return _filtered(src, work / "long-silences.wav", "volume='if(lt(mod(t,60),40),1,0)':eval=frame")


def mp3_source(work: Path, seconds: float) -> Path:
    return write_speechlike(work / "source.mp3", FF, seconds, channels=2, lufs=-23.0, seed=14,
                            codec_args=["-c:a", "libmp3lame", "-b:a", "192k"])


def m4a_source(work: Path, seconds: float) -> Path:
    return write_speechlike(work / "source.m4a", FF, seconds, channels=2, lufs=-25.0, seed=15,
                            codec_args=["-c:a", "aac", "-b:a", "160k"])


def interview_hiss(work: Path, seconds: float) -> Path:
    """Host and a 12 LU quieter guest taking turns, hiss at -45 dBFS."""
    samples, _ = interview(44100)
    one = write_pcm(work / "interview-one.wav", FF, samples, 44100)
    return _loop_to(one, work / "interview.wav", seconds, "-ac", "2", "-c:a", "pcm_s16le")


def two_hours(work: Path, seconds: float) -> Path:
    base = write_speechlike(work / "long-base.wav", FF, 600, channels=2, lufs=-28.0, seed=16)
    return _loop_to(base, work / "two-hours.wav", 7200)


SOURCES: dict[str, tuple[Callable[[Path, float], Path], float | None]] = {
    # name: (maker, fixed length in seconds or None for --minutes)
    "espeak 2 voices": (espeak, None),
    "speech -28 LUFS": (speech, None),
    "speech over music": (speech_over_music, None),
    "loud clipped": (loud_clipped, None),
    "very quiet -40": (very_quiet, None),
    "mono 48 kHz": (mono_48k, None),
    "24-bit": (pcm_24bit, None),
    "long silences": (long_silences, None),
    "mp3 source": (mp3_source, None),
    "m4a source": (m4a_source, None),
    "interview + hiss": (interview_hiss, None),
    "2 hours": (two_hours, 7200.0),
}


# --- timing process trees ---------------------------------------------------------

def _tree_rss(root: int) -> int:
    """Bytes of RSS summed over ``root`` and all its descendants."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child, parent in parents.items():
            if parent == pid and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(rss.get(pid, 0) for pid in tree)


def _cpu() -> float:
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    return use.ru_utime + use.ru_stime


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, float, str]:
    """Run ``cmd``; return (wall s, peak tree RSS bytes, CPU s of the tree, stdout)."""
    peak = 0
    cpu0 = _cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    done.set()
    poller.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {err.decode(errors='replace')[-800:]}")
    return wall, peak, _cpu() - cpu0, out.decode()


CASTLINE = """
import json, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from pipeline import audio
from pipeline.audio import mastering
from pipeline.model import AudioSettings
renders = []
real = mastering._render
mastering._render = lambda *a, **k: renders.append(1) or real(*a, **k)
audio.master(Path({src!r}), Path({out!r}), AudioSettings(trim_silence=False, leveler={lev}, denoise={lev}),
             stem={stem!r})
print(json.dumps({{"renders": len(renders)}}))
"""


def _least(runs: list[tuple[float, int, float, str]]) -> tuple[float, int, float, str]:
    """The least wall, memory and CPU of the runs (on a shared machine the
    least disturbed run is the closest to the truth)."""
    return min(r[0] for r in runs), min(r[1] for r in runs), min(r[2] for r in runs), runs[-1][3]


def run_one(src: Path, work: Path, repeat: int, normalize: bool = True, leveler: bool = True) -> list[dict]:
    """The floor, castline and castline +lev+dn, ``repeat`` rounds of the
    three in turn (so a change of load falls on all three alike), the least
    of each kept; ffmpeg-normalize once, after the first round."""
    floor_out = work / "floor.mp3"
    floor_cmd = [FF, "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(src),
                 "-c:a", "libmp3lame", "-b:a", "128k", str(floor_out)]
    ours = []
    for tool, lev in (("castline", False), ("castline +lev+dn", True))[:2 if leveler else 1]:
        stem = "castline-lev" if lev else "castline"
        code = CASTLINE.format(root=str(ROOT), src=str(src), out=str(work), lev=lev, stem=stem)
        ours.append((tool, stem, [sys.executable, "-c", code]))
    runs: dict[str, list] = {"floor": [], **{tool: [] for tool, _, _ in ours}}
    norm_row = None
    for k in range(repeat):
        runs["floor"].append(timed(floor_cmd))
        for tool, _, cmd in ours:
            runs[tool].append(timed(cmd))
        if normalize and k == 0:
            out = work / "ffmpeg-normalize.mp3"
            env = {**os.environ, "FFMPEG_PATH": FF}
            wall, mem, cpu, _ = timed(["ffmpeg-normalize", str(src), "-nt", "ebu", "-t", str(TARGET),
                                       "-tp", str(CEILING), "-c:a", "libmp3lame", "-b:a", "128k", "-o", str(out),
                                       "-f"], env=env)
            norm_row = {"tool": "ffmpeg-normalize", "wall": wall, "mem": mem, "cpu": cpu, "out": out, "renders": 2}
    wall, mem, cpu, _ = _least(runs["floor"])
    rows = [{"tool": "floor", "wall": wall, "mem": mem, "cpu": cpu, "out": floor_out, "renders": None}]
    if norm_row:
        rows.append(norm_row)
    for tool, stem, _ in ours:
        wall, mem, cpu, stdout = _least(runs[tool])
        rows.append({"tool": tool, "wall": wall, "mem": mem, "cpu": cpu, "out": work / f"{stem}.mp3",
                     "renders": json.loads(stdout.strip().splitlines()[-1])["renders"]})
    for row in rows:
        row["loud"] = measure(row["out"], FF)
    return rows


def table(results: dict[str, list[dict]]) -> str:
    lines = ["| source | tool | renders | wall s | wall vs floor | CPU s | CPU vs floor | vs ffmpeg-normalize "
             "| peak MB | I LUFS | TP dBTP | on target |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, rows in results.items():
        floor = rows[0]
        norm = next((r for r in rows if r["tool"] == "ffmpeg-normalize"), None)
        for r in rows:
            loud = r["loud"]
            ok = abs(loud.integrated - TARGET) <= 0.5 and loud.true_peak <= CEILING + 0.1
            on = "n/a" if r is floor else ("yes" if ok else "NO")
            renders = "" if r["renders"] is None else str(r["renders"])
            lines.append(f"| {name} | {r['tool']} | {renders} | {r['wall']:.1f} | {r['wall'] / floor['wall']:.2f}x "
                         f"| {r['cpu']:.1f} | {r['cpu'] / floor['cpu']:.2f}x | {versus(r, norm)} "
                         f"| {r['mem'] / 2**20:.0f} | {loud.integrated:.1f} | {loud.true_peak:.1f} | {on} |")
    return "\n".join(lines)


def versus(row: dict, norm: dict | None) -> str:
    return f"{row['wall'] / norm['wall']:.2f}x" if norm else "-"


def summary(results: dict[str, list[dict]]) -> str:
    lines = ["| tool | renders / episode | wall vs floor: mean (range) | wall <= 1.3x | CPU vs floor: mean (range) "
             "| on target |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for tool in ("ffmpeg-normalize", "castline", "castline +lev+dn"):
        rows = [(r, rs[0]) for rs in results.values() for r in rs if r["tool"] == tool]
        if not rows:
            continue
        wall = [r["wall"] / f["wall"] for r, f in rows]
        cpu = [r["cpu"] / f["cpu"] for r, f in rows]
        ok = sum(abs(r["loud"].integrated - TARGET) <= 0.5 and r["loud"].true_peak <= CEILING + 0.1 for r, _ in rows)
        lines.append(f"| {tool} | {np.mean([r['renders'] for r, _ in rows]):.2f} | {np.mean(wall):.2f}x "
                     f"({min(wall):.2f}-{max(wall):.2f}x) | {sum(w <= 1.3 for w in wall)}/{len(rows)} "
                     f"| {np.mean(cpu):.2f}x ({min(cpu):.2f}-{max(cpu):.2f}x) | {ok}/{len(rows)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1-minute sources, no 2-hour file")
    parser.add_argument("--minutes", type=float, help="length of each source (default 10, --quick 1)")
    parser.add_argument("--only", help="comma-separated words: run the sources whose name has one")
    parser.add_argument("--work", type=Path, help="keep files here (default: a temp dir)")
    parser.add_argument("--no-normalize", action="store_true", help="leave ffmpeg-normalize out (quicker)")
    parser.add_argument("--no-leveler", action="store_true", help="leave castline +lev+dn out (quicker)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of the floor and castline per source, the least counts (default 2; "
                             "1 for the 2-hour file); ffmpeg-normalize runs once")
    args = parser.parse_args()
    minutes = args.minutes or (1.0 if args.quick else 10.0)
    chosen = {n: s for n, s in SOURCES.items() if not (args.quick and s[1]) and
              (not args.only or any(w.strip() in n for w in args.only.split(",")))}
    with tempfile.TemporaryDirectory(prefix="castline-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = {}
        for name, (make, fixed) in chosen.items():
            sub = work / name.replace(" ", "-").replace("+", "")
            sub.mkdir(exist_ok=True)
            print(f"{name}: generating ...", file=sys.stderr)
            src = make(sub, fixed or minutes * 60)
            loud = measure(src, FF)
            print(f"{name}: {src.name}, {loud.integrated:.1f} LUFS, {loud.true_peak:.1f} dBTP", file=sys.stderr)
            results[name] = run_one(src, sub, 1 if fixed else args.repeat, normalize=not args.no_normalize,
                                    leveler=not args.no_leveler)
            print(table({name: results[name]}), file=sys.stderr, flush=True)
            for row in results[name]:
                row["out"].unlink(missing_ok=True)
            if fixed:
                src.unlink(missing_ok=True)
        print(f"machine: {os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f}; "
              f"sources {minutes:g} min (2 hours where named); target {TARGET} LUFS ±0.5, TP <= {CEILING} dBTP + 0.1")
        print(table(results))
        print()
        print(summary(results))


if __name__ == "__main__":
    main()
