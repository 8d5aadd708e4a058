"""How many S3 requests a no-op publish makes, by the size of the show. Run by hand:

    python3 benchmarks/bench_requests.py --episodes 20 490

For each N: a generated show of N short episodes (bench_scale's), published
to a fresh bucket on a local SeaweedFS (127.0.0.1), then published again
with nothing changed while every request castline's S3 clients send is
counted by operation. The baseline is the first publish of the same show
(its request count and time). The store is reconciled on every publish (the
state is a record, not proof), so the no-op still lists the bucket: one
LIST per 1000 keys, plus the reachability check and the state.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def counted_publish(show: Path) -> tuple[Counter, float, int, int]:
    from pipeline.config.settings import load_settings
    from pipeline.publish.recipe import publish
    from pipeline.store import open_store

    settings = load_settings(show)
    store = open_store(settings.storage, settings.root)
    calls: Counter = Counter()
    for client in (store.client, store._probe):
        client.meta.events.register("before-call.s3.*", lambda model, **kw: calls.update([model.name]))
    started = time.monotonic()
    report = publish(settings, store=store)
    return calls, time.monotonic() - started, len(report.uploads), len(store.listing())


def main() -> None:
    import os

    import bench_scale
    from tests._s3server import find_weed, start_seaweedfs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, nargs="+", default=[20, 490])
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="castline-requests-"))
    server = start_seaweedfs(root / "s3", find_weed())
    os.environ.update(server.env())
    pcm = bench_scale.base_pcm(1.0)
    rows = []
    try:
        for n in args.episodes:
            show = bench_scale.make_show(root, n, pcm)
            bucket = server.new_bucket()
            config = show / "config.toml"
            config.write_text(config.read_text().replace(
                'url = "public"', f'url = "s3://{bucket}/show"\nendpoint_url = "{server.endpoint}"'))
            first, first_s, uploads, objects = counted_publish(show)
            noop, noop_s, again, _ = counted_publish(show)
            assert again == 0, again
            rows.append((n, objects, sum(first.values()), first_s, sum(noop.values()), noop_s, dict(noop)))
            print(rows[-1], flush=True)
    finally:
        server.stop()
    print("| episodes | objects in the store | first publish: requests | s | no-op: requests | s | no-op requests |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for n, objects, fr, fs, nr, ns, detail in rows:
        what = ", ".join(f"{v} {k}" for k, v in sorted(detail.items()))
        print(f"| {n} | {objects} | {fr} | {fs:.1f} | {nr} | {ns:.2f} | {what} |")


if __name__ == "__main__":
    main()
