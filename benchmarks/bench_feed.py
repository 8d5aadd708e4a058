"""Feed size and render time of a long show, complete vs paged (RFC 5005).

Builds a generated show of N episodes straight through ``feeds`` (no audio,
no store): each item as castline writes it for a typical episode (notes of
about 1.5 KB, a guest, a transcript, chapters, a soundbite, an alternate
encoding, an image). Renders the complete feed, then the same show with
``feed_limit`` items in feed.xml and the rest in archive pages, and counts
which documents change when one episode is added or edited: only those are
uploaded again (the publish compares hashes).

    python3 benchmarks/bench_feed.py                 # 5000 episodes, feed_limit 300
    python3 benchmarks/bench_feed.py --episodes 1000 --limit 100
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feeds import (  # noqa: E402
    FeedCategory, FeedChannel, FeedEnclosure, FeedImage, FeedItem, FeedPerson, FeedSoundbite, FeedTranscript,
    render_feed, render_paged, sri,
)

BASE = "https://podcast.example.com/"
START = datetime(2010, 1, 4, 9, 0, tzinfo=timezone.utc)
NOTES = ("<p>In this episode we talk with our guest about how teams find ideas, why the hallway still "
         "matters, and what a marketer can learn from a lab notebook.</p>" * 6 +
         "<ul><li><a href=\"https://example.com/a\">A book</a></li><li><a href=\"https://example.com/b\">"
         "A paper</a></li></ul><p>Chapters:<br>0:00 Intro<br>4:10 The idea<br>31:00 Goodbye</p>")
SHA384 = "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b"


def channel() -> FeedChannel:
    return FeedChannel(
        title="Marketing Smarts", link=BASE, feed_url=BASE + "feed.xml",
        description_html="<p>Conversations with the people who make marketing work.</p>", language="en",
        author="Matthew T. Grant", image_url=BASE + "art/cover-28033a695e8a.jpg",
        categories=(FeedCategory("Business", "Marketing"),), owner_email="podcast@example.com",
        podcast_guid="d8582db3-a7c6-50a5-a509-a29f7ddd6cec", hubs=("https://pubsubhubbub.appspot.com/",),
        podping=True, images=(FeedImage(BASE + "art/cover-600-cb00bd31a677.jpg", alt="cover", aspect_ratio="1/1",
                                        width=600, height=600, type="image/jpeg", purpose="artwork"),))


def item(n: int, title: str | None = None) -> FeedItem:
    slug = f"{n:04d}-episode"
    return FeedItem(
        guid=f"0e3b5f6c-0000-5000-8000-{n:012d}", title=title or f"Conversation number {n}",
        pub_date=START + timedelta(days=7 * n), link=f"{BASE}episodes/{slug}.html",
        enclosure=FeedEnclosure(f"{BASE}media/{slug}-a1b2c3d4e5.mp3", 28_000_000 + n, "audio/mpeg", 96,
                                integrity=sri(SHA384)),
        duration=1800 + n % 900, description_html=NOTES, content_html=NOTES,
        summary_text="How teams find ideas, and why the hallway still matters.", episode=n, season=1 + n // 100,
        persons=(FeedPerson(f"Guest {n}", role="guest", href=f"https://example.com/guest/{n}"),),
        transcripts=(FeedTranscript(f"{BASE}episodes/{slug}.vtt", "text/vtt", "en", "captions"),),
        chapters_url=f"{BASE}episodes/{slug}.chapters.json", soundbites=(FeedSoundbite(250.0, 30.0, "The idea"),),
        alternates=(FeedEnclosure(f"{BASE}media/{slug}-f6e5d4c3b2.opus", 14_000_000 + n, "audio/ogg", 48, "Opus",
                                  integrity=sri(SHA384)),),
        keywords=("marketing", "ideas"))


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def paged(ch: FeedChannel, items: list[FeedItem], limit: int) -> dict[int, bytes]:
    return dict(render_paged(ch, items, limit=limit, archive_url=lambda k: f"{BASE}feed-archive-{k}.xml"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--episodes", type=int, default=5000)
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n, limit = args.episodes, args.limit
    ch, items = channel(), [item(i) for i in range(1, n + 1)]

    full_s, full = timed(lambda: render_feed(ch, items), args.repeat)
    paged_s, docs = timed(lambda: paged(ch, items, limit), args.repeat)
    archive_bytes = sum(len(v) for k, v in docs.items() if k)

    def changed(new_items: list[FeedItem]) -> list[int]:
        after = paged(ch, new_items, limit)
        return sorted(k for k in after if docs.get(k) != after[k])

    cases = {
        "a new episode published": changed(items + [item(n + 1)]),
        "the newest episode's title edited": changed(items[:-1] + [replace(items[-1], title="Retitled")]),
        "an episode from the first year edited": changed([replace(items[10], title="Retitled")] + items[:10] + items[11:]),
        "nothing changed": changed(list(items)),
    }
    mb = 1024 * 1024
    print(f"{n} episodes, feed_limit {limit}: median of {args.repeat} renders on this machine\n")
    print("| feed | feed.xml | archive pages | render s (all documents) |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| complete (default) | {len(full) / mb:.1f} MB | 0 | {full_s:.2f} |")
    print(f"| feed_limit = {limit} | {len(docs[0]) / mb:.2f} MB | {len(docs) - 1} ({archive_bytes / mb:.1f} MB) "
          f"| {paged_s:.2f} |")
    print("\n| change | documents that differ (re-uploaded) |")
    print("| --- | --- |")
    for name, keys in cases.items():
        names = ", ".join("feed.xml" if k == 0 else f"feed-archive-{k}.xml" for k in keys) or "none"
        print(f"| {name} | {len(keys)}: {names} |")


if __name__ == "__main__":
    main()
