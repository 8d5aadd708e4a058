"""A published copy of the sample show, made once per test module, and the
tools to compare the published tree byte for byte."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lxml import etree

from tests.conftest import REPO, SHOW_PARTS

STATE = ".castline/state.json"


def copy_sample(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for part in SHOW_PARTS:
        src = REPO / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / part)
    return dest


def publish_once(dest: Path) -> Path:
    """The sample show in ``dest``, published to its public/ folder."""
    from pipeline.config.settings import load_settings
    from pipeline.publish.recipe import publish

    copy_sample(dest)
    report = publish(load_settings(dest))
    assert report.problems == (), report.problems
    return dest


def clone(base: Path, dest: Path) -> Path:
    """A private copy of a published show (cache and public/ included)."""
    shutil.copytree(base, dest, symlinks=True)
    return dest


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
