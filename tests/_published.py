"""The tools to read a published show: its tree byte for byte, the feed's
items, and the check that it is whole."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

STATE = ".castline/state.json"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (the published tree), by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def feed_items(show: Path) -> list[dict]:
    """Each <item> of the published feed: guid, title, enclosure url and length."""
    root = etree.parse(str(show / "public" / "feed.xml"))
    out = []
    for item in root.iter("item"):
        enc = item.find("enclosure")
        out.append({"guid": item.findtext("guid"), "title": item.findtext("title"), "url": enc.get("url"),
                    "length": int(enc.get("length"))})
    return out


def assert_consistent(show: Path) -> None:
    """The published show is whole: every enclosure exists with its exact
    length, and the state is valid JSON holding every GUID in the feed."""
    public = show / "public"
    items = feed_items(show)
    assert items, "the feed lists no episode"
    for item in items:
        path = public / item["url"].removeprefix("https://podcast.example.com/")
        assert path.is_file(), f"{path} is missing"
        assert path.stat().st_size == item["length"]
    state = json.loads((public / STATE).read_text())
    assert {i["guid"] for i in items} <= {e["guid"] for e in state["episodes"]}
