"""``castline import`` of a 500-episode show: downloads in parallel vs one at a time.

A generated feed of N items (RSS 2.0 + itunes + podcast tags, 100 items
per page over RFC 5005 ``next`` links) is served from 127.0.0.1 with its
recordings: one real MP3 (a few seconds of synthesized tone) padded to
``--kb`` KB per episode so every file differs. Two network profiles:

* ``loopback``: the local server as fast as it goes (what the machine can do);
* ``wan``: each request waits ``--latency-ms`` before its first byte and
  each connection is held to ``--mbps`` Mbit/s, the way a podcast host's
  CDN serves one connection to a home line.

Each run imports into a fresh folder with ``pipeline.importer.recipe.import_show``
(the code behind the command), ``--workers`` 1 against the default 4 (and
8). Ratio = time with 1 worker / time with N (above 1: parallel is faster).

Run: ``python benchmarks/bench_import.py [--episodes 500] [--kb 200] [--latency-ms 60] [--mbps 16]``.
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.importer.recipe import import_show  # noqa: E402
from tests._showfiles import picture, tone  # noqa: E402

PAGE = 100


def make_site(episodes: int, kb: int, work: Path) -> dict[str, bytes]:
    base = tone(work / "tone.mp3", 3.0).read_bytes()
    routes = {"/cover.jpg": picture(work / "cover.jpg").read_bytes()}
    items = []
    start = datetime(2015, 1, 5, 9, tzinfo=timezone.utc)
    for n in range(episodes, 0, -1):
        body = base + bytes(max(0, kb * 1024 - len(base))) + n.to_bytes(4, "big")  # distinct files
        routes[f"/media/{n}.mp3"] = body
        items.append(f"<item><title>Episode {n}: a title</title><guid isPermaLink=\"false\">bench-{n}</guid>"
                     f"<pubDate>{format_datetime(start + timedelta(days=7 * n))}</pubDate>"
                     f"<itunes:episode>{n}</itunes:episode><description>&lt;p&gt;Notes of {n} with a "
                     f"&lt;a href=\"https://example.com/{n}\"&gt;link&lt;/a&gt;.&lt;/p&gt;</description>"
                     f'<enclosure url="/media/{n}.mp3" length="{len(body)}" type="audio/mpeg"/></item>')
    pages = [items[i:i + PAGE] for i in range(0, len(items), PAGE)]
    for i, chunk in enumerate(pages):
        nxt = f'<atom:link rel="next" href="/feed{i + 2}.xml"/>' if i + 1 < len(pages) else ""
        routes["/feed.xml" if i == 0 else f"/feed{i + 1}.xml"] = (
            '<?xml version="1.0"?><rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
            'xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Bench Show</title>'
            "<description>A generated show.</description><language>en</language>"
            '<itunes:image href="/cover.jpg"/><itunes:category text="Technology"/>'
            f"{nxt}{''.join(chunk)}</channel></rss>").encode()
    return routes


def _serve_forever(routes: dict[str, bytes], profile: dict, port_out) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # as real servers do: no 40 ms stalls between writes

        def log_message(self, *args):
            pass

        def do_GET(self):
            body = routes.get(self.path)
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            time.sleep(profile["latency"])
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            rate = profile["rate"]  # bytes per second per connection, 0 = unlimited
            step = 64 * 1024
            t0 = time.perf_counter()
            for i in range(0, len(body), step):
                self.wfile.write(body[i:i + step])
                if rate:
                    wait = min(i + step, len(body)) / rate - (time.perf_counter() - t0)
                    if wait > 0:
                        time.sleep(wait)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    server.serve_forever()


def serve(routes: dict[str, bytes], profile: dict) -> tuple[multiprocessing.Process, str]:
    """The host in a process of its own, so it does not share the
    importer's interpreter lock (a real host is another machine)."""
    ctx = multiprocessing.get_context("fork")
    port = ctx.Queue()
    proc = ctx.Process(target=_serve_forever, args=(routes, profile, port), daemon=True)
    proc.start()
    return proc, f"http://127.0.0.1:{port.get(timeout=30)}"


def run(url: str, workers: int, work: Path) -> float:
    target = work / f"show-{workers}"
    shutil.rmtree(target, ignore_errors=True)
    t0 = time.perf_counter()
    report = import_show(url, target, base_url="https://cdn.example.com/", workers=workers)
    took = time.perf_counter() - t0
    assert not report.problems, report.problems[:3]
    shutil.rmtree(target, ignore_errors=True)
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=500)
    ap.add_argument("--kb", type=int, default=200, help="size of each recording")
    ap.add_argument("--latency-ms", type=float, default=60.0)
    ap.add_argument("--mbps", type=float, default=16.0, help="per-connection rate of the wan profile")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--network", choices=("both", "loopback", "wan"), default="both")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        work = Path(tmp)
        routes = make_site(args.episodes, args.kb, work)
        total_mb = sum(len(v) for k, v in routes.items() if k.startswith("/media/")) / 1e6
        print(f"{args.episodes} episodes, {total_mb:.0f} MB of recordings, {args.repeat} run(s) each (median)\n")
        print("| network | workers | wall s | MB/s | vs 1 worker |")
        print("| --- | ---: | ---: | ---: | ---: |")
        profiles = {"loopback": {"latency": 0.0, "rate": 0},
                    f"wan ({args.latency_ms:.0f} ms, {args.mbps:g} Mbit/s per connection)":
                        {"latency": args.latency_ms / 1000, "rate": args.mbps * 1e6 / 8}}
        for name, profile in profiles.items():
            if args.network != "both" and not name.startswith(args.network):
                continue
            server, base = serve(routes, profile)
            try:
                times = {w: statistics.median(run(base + "/feed.xml", w, work) for _ in range(args.repeat))
                         for w in args.workers}
            finally:
                server.terminate()
                server.join()
            for w, t in times.items():
                print(f"| {name} | {w} | {t:.1f} | {total_mb / t:.1f} | {times[args.workers[0]] / t:.2f}x |")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
