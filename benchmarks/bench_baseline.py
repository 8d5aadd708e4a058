"""This tree against a baseline commit, side by side, on shows made from a seed.

    python3 benchmarks/bench_baseline.py --baseline 61b0392 [--seed N ...] [--rounds 5]

For a change that must not change what castline writes (a refactor), and
whose cost must stay small: for each seed (a new random one per run unless
given; printed) it makes a show nobody tuned to, of 10 to 120 episodes with
notes of 1 to 30 paragraphs, quotes, links, some with chapters and some with
a WebVTT transcript, recordings of 1 to 3 s at random levels, and publishes
it with both trees (first at the same path, then each in its own copy, through
the real CLI in a fresh process). Then:

* the output must be the same: every file of ``public/`` byte for byte (the
  MP3s included), the published state but for its timestamps and stamps;
* in interleaved rounds (a change of load falls on both alike, least of the
  rounds kept): a no-op publish (answered from the receipt), the same
  without the receipt (the full path), ``castline check --no-store`` with
  nothing changed, and a re-render after a template edit.

It prints one table row per seed and measure, with the ratio this/baseline.
The baseline is checked out with ``git worktree`` into a temp folder and run
from there (its own ``cli.py`` and ``pipeline/``); nothing is installed.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

from bench_scale import RATE, base_pcm, wav  # noqa: E402  (the same synthesized speech-like audio)

WORDS = ("team meeting offsite remote office culture trust idea proximity friction coffee hallway manager "
         "calendar focus energy feedback hybrid travel agenda retreat workshop whiteboard lunch story").split()


def make_show(root: Path, seed: int, pcm: bytes) -> tuple[Path, int]:
    """A show drawn from ``seed``: how many episodes, how long their notes,
    which have chapters or a transcript, how long and loud the recordings."""
    rng = random.Random(seed)
    n = rng.randint(10, 120)
    show = root / "show"
    (show / "episodes").mkdir(parents=True)
    (show / "show_notes").mkdir()
    shutil.copy(REPO / "config.toml", show / "config.toml")
    shutil.copytree(REPO / "art", show / "art")
    for i in range(1, n + 1):
        slug = f"{i:03d}-{rng.choice(WORDS)}-{rng.choice(WORDS)}"
        seconds = rng.uniform(1.0, 3.0)
        gain = rng.uniform(0.2, 1.0)
        body = array("h", (int(v * gain) for v in array("h", pcm[: int(seconds * RATE) * 2]))).tobytes()
        (show / "episodes" / f"{slug}.wav").write_bytes(wav(body + i.to_bytes(4, "little")))
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 60))).capitalize() + "."
                      for _ in range(rng.randint(1, 30))]
        if rng.random() < 0.5:
            paragraphs.insert(rng.randint(0, len(paragraphs)), "> " + " ".join(rng.choices(WORDS, k=12)))
        if rng.random() < 0.5:
            paragraphs.append(f"See [the {rng.choice(WORDS)} notes](https://example.com/{slug}).")
        chapters = ""
        if rng.random() < 0.4:
            starts = sorted({0.0, *(round(rng.uniform(0.2, seconds - 0.2), 1) for _ in range(rng.randint(1, 3)))})
            chapters = "chapters:\n" + "".join(f"  - start: {s}\n    title: {rng.choice(WORDS).title()}\n"
                                               for s in starts)
        if rng.random() < 0.3:
            cue = min(seconds - 0.1, 0.9)
            (show / "episodes" / f"{slug}.vtt").write_text(
                f"WEBVTT\n\n00:00:00.000 --> 00:00:0{cue:.3f}\n{' '.join(rng.choices(WORDS, k=8))}\n")
        day = 1 + (i - 1) % 28
        month = 1 + ((i - 1) // 28) % 12
        (show / "show_notes" / f"{slug}.md").write_text(
            f"---\ntitle: \"{' '.join(rng.choices(WORDS, k=rng.randint(2, 8))).title()}\"\nnumber: {i}\n"
            f"date: {2010 + (i - 1) // 336}-{month:02d}-{day:02d}T09:00:00\n{chapters}---\n\n"
            + "\n\n".join(paragraphs) + "\n")
    return show, n


def castline(tree: Path, show: Path, *args: str) -> float:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "cli", *args, "--workspace", str(show)], cwd=tree,
                          capture_output=True, text=True)
    wall = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"{tree}: castline {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return wall


def same_output(a: Path, b: Path) -> str:
    """'yes', or the first file that differs between the two published trees."""
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    if files_a != files_b:
        return f"no: only in one of them: {sorted(files_a ^ files_b)[:3]}"
    state = Path(".castline/state.json")
    for rel in sorted(files_a - {state}):
        if (a / rel).read_bytes() != (b / rel).read_bytes():
            return f"no: {rel}"
    mask = lambda p: re.sub(r'"(first_published|stamp)":"[^"]*"', '"T"', p.read_text())  # noqa: E731
    return "yes" if mask(a / state) == mask(b / state) else f"no: {state} (beyond timestamps)"


def measure(seed: int, baseline: Path, rounds: int, pcm: bytes) -> tuple[int, dict[str, tuple[float, float]], str]:
    with tempfile.TemporaryDirectory(prefix="castline-bench-") as tmp:
        show, n = make_show(Path(tmp) / "made", seed, pcm)
        shows, first, run = {}, {}, Path(tmp) / "run"
        for tree, name in ((baseline, "base"), (REPO, "head")):  # both first published at the same path
            shutil.copytree(show, run)
            first[tree] = castline(tree, run, "publish")
            shows[tree] = run.rename(Path(tmp) / name)
        same = same_output(shows[baseline] / "public", shows[REPO] / "public")
        for tree, s in shows.items():
            castline(tree, s, "publish")  # moved: the show's path is part of what the pages were rendered from
        best: dict[str, dict[Path, float]] = {}

        def keep(name: str, tree: Path, wall: float) -> None:
            best.setdefault(name, {})[tree] = min(wall, best.get(name, {}).get(tree, wall))

        for r in range(rounds):
            for tree, s in (shows.items() if r % 2 == 0 else reversed(shows.items())):
                keep("no-op publish (receipt)", tree, castline(tree, s, "publish"))
                (s / ".castline" / "cache" / "receipt.json").unlink()
                keep("no-op publish, full path", tree, castline(tree, s, "publish"))
                keep("check --no-store, nothing changed", tree, castline(tree, s, "check", "--no-store"))
                template = s / "templates" / "episode.html"
                template.parent.mkdir(exist_ok=True)
                template.write_text((tree / ("pipeline/site/templates" if (tree / "pipeline/site").is_dir()
                                             else "pipeline/templates") / "episode.html").read_text()
                                    + f"\n{{# edit {r} #}}\n")
                keep("template edit (every page)", tree, castline(tree, s, "publish"))
        rows = {"first publish": (first[baseline], first[REPO])}
        rows.update({name: (by[baseline], by[REPO]) for name, by in best.items()})
        return n, rows, same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="the commit to compare with (e.g. the last landed one)")
    parser.add_argument("--seed", type=int, action="append", help="a show's seed (repeatable); default: 3 new ones")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    seeds = args.seed or [random.randrange(1_000_000) for _ in range(3)]
    print(f"seeds: {' '.join(map(str, seeds))}  baseline: {args.baseline}  rounds: {args.rounds}", flush=True)
    pcm = base_pcm(3.2)
    work = Path(tempfile.mkdtemp(prefix="castline-baseline-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(work / "tree"), args.baseline], cwd=REPO, check=True,
                   capture_output=True)
    try:
        print("| seed | episodes | measure | baseline s | this s | this / baseline | same output |")
        print("| ---: | ---: | --- | ---: | ---: | ---: | --- |")
        for seed in seeds:
            n, rows, same = measure(seed, work / "tree", args.rounds, pcm)
            for name, (base, head) in rows.items():
                print(f"| {seed} | {n} | {name} | {base:.2f} | {head:.2f} | {head / base:.2f}x | {same} |", flush=True)
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(work / "tree")], cwd=REPO, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
