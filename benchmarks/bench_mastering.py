"""Mastering benchmark: castline vs ffmpeg-normalize vs the bare floor.

On the same generated speech-like files (-28 LUFS, a few loud transients,
stereo 44.1 kHz 16-bit WAV) this times, in one run:

- floor: one ffmpeg decode + LAME 128k CBR encode, nothing else;
- ffmpeg-normalize: two-pass loudnorm (EBU, -16 LUFS, -1 dBTP), MP3 128k out,
  using the same imageio ffmpeg (FFMPEG_PATH);
- castline: ``pipeline.audio.master`` with default settings (trim off, so all
  three outputs have the same length).

Each runs as its own process tree; its wall time and peak memory (the sum of
the RSS of every process in the tree, polled from /proc every 50 ms) are
recorded, and its output is measured with ffmpeg's ebur128 (true peak on).

    python benchmarks/bench_mastering.py            # 10 and 60 minutes
    python benchmarks/bench_mastering.py --quick    # 2 minutes only
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.ffmpeg import find_ffmpeg  # noqa: E402
from pipeline.loudness import measure  # noqa: E402
from tests._speechlike import write_speechlike  # noqa: E402

TARGET, CEILING = -16.0, -1.0


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


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, float]:
    """Run ``cmd``; return (wall seconds, peak tree RSS bytes, CPU seconds of
    the tree: what it costs when the machine is shared)."""
    peak = 0
    cpu0 = _cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def poll() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(0.05)

    poller = threading.Thread(target=poll)
    poller.start()
    err = proc.stderr.read() if proc.stderr else b""
    proc.wait()
    wall = time.perf_counter() - start
    done.set()
    poller.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {err.decode(errors='replace')[-500:]}")
    return wall, peak, _cpu() - cpu0


CASTLINE = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from pipeline.audio import master
from pipeline.model import AudioSettings
master(Path({src!r}), Path({out!r}), AudioSettings(trim_silence=False), stem="castline")
"""


def run_one(src: Path, work: Path, ffmpeg: str) -> list[dict]:
    rows = []
    out = work / "floor.mp3"
    wall, mem, cpu = timed([ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(src),
                            "-c:a", "libmp3lame", "-b:a", "128k", str(out)])
    rows.append({"tool": "floor (decode + LAME)", "wall": wall, "mem": mem, "cpu": cpu, "out": out})
    out = work / "ffmpeg-normalize.mp3"
    env = {**os.environ, "FFMPEG_PATH": ffmpeg}
    wall, mem, cpu = timed(["ffmpeg-normalize", str(src), "-nt", "ebu", "-t", str(TARGET), "-tp",
                       str(CEILING), "-c:a", "libmp3lame", "-b:a", "128k", "-o", str(out), "-f"],
                      env=env)
    rows.append({"tool": "ffmpeg-normalize", "wall": wall, "mem": mem, "cpu": cpu, "out": out})
    code = CASTLINE.format(root=str(ROOT), src=str(src), out=str(work))
    wall, mem, cpu = timed([sys.executable, "-c", code])
    rows.append({"tool": "castline", "wall": wall, "mem": mem, "cpu": cpu,
                 "out": work / "castline.mp3"})
    for row in rows:
        row["loud"] = measure(row["out"], ffmpeg)
    return rows


def table(results: dict[str, list[dict]]) -> str:
    lines = ["| file | tool | wall s | vs ffmpeg-normalize | vs floor | CPU s | peak MB (tree) "
             "| I LUFS | TP dBTP | on target |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, rows in results.items():
        floor = rows[0]["wall"]
        norm = rows[1]["wall"]
        for r in rows:
            loud = r["loud"]
            ok = abs(loud.integrated - TARGET) <= 0.5 and loud.true_peak <= CEILING + 0.1
            on = "n/a (no loudness)" if r is rows[0] else ("yes" if ok else "NO")
            lines.append(f"| {name} | {r['tool']} | {r['wall']:.1f} | {r['wall'] / norm:.2f}x "
                         f"| {r['wall'] / floor:.2f}x | {r['cpu']:.1f} | {r['mem'] / 2**20:.0f} "
                         f"| {loud.integrated:.1f} | {loud.true_peak:.1f} | {on} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one 2-minute file only")
    parser.add_argument("--work", type=Path, help="keep files here (default: a temp dir)")
    args = parser.parse_args()
    ffmpeg = find_ffmpeg()
    minutes = [2] if args.quick else [10, 60]
    with tempfile.TemporaryDirectory(prefix="castline-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        results = {}
        for m in minutes:
            src = work / f"speech-{m}min.wav"
            if not src.exists():
                print(f"generating {src.name} ...", file=sys.stderr)
                write_speechlike(src, ffmpeg, m * 60, channels=2, lufs=-28.0, seed=7)
            src_loud = measure(src, ffmpeg)
            print(f"{src.name}: {src_loud.integrated:.1f} LUFS, {src_loud.true_peak:.1f} dBTP",
                  file=sys.stderr)
            sub = work / f"out-{m}min"
            sub.mkdir(exist_ok=True)
            results[f"{m} min"] = run_one(src, sub, ffmpeg)
            print(table({f"{m} min": results[f"{m} min"]}), file=sys.stderr)
        print(f"machine: {os.cpu_count()} cores, load average at the end {os.getloadavg()[0]:.1f}; "
              f"target {TARGET} LUFS ±0.5, TP <= {CEILING} dBTP + 0.1")
        print(table(results))


if __name__ == "__main__":
    main()
