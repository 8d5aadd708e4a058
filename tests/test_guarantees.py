"""What castline guarantees a host: nothing published is ever lost.

Each case below broke on castline 0.1 (issue 11). Every one runs on both
stores: the local folder and a real S3 server (SeaweedFS on 127.0.0.1).
The checks read the store itself: every enclosure in the feed must be
there with its stated length.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import etree

from pipeline.config.settings import load_settings
from pipeline.store import open_store
from pipeline.tags.write import read_tags
from tests._s3server import s3_env, s3_server  # noqa: F401  (fixtures)
from tests._showfiles import edit, tone
from tests.conftest import REPO

EP1, EP2 = "001-lets-take-this-offline", "002-mailbag-better-offsites"
BASE = "https://podcast.example.com/"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def show(request, published_copy: Path) -> Path:
    """The published sample show, on the local store or moved to a fresh
    S3 bucket (published there once; the master cache makes it quick)."""
    return _on_s3(request, published_copy) if request.param == "s3" else published_copy


def store_of(show: Path):
    return open_store(load_settings(show).storage, show)


def castline(show: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cli", *args, "--workspace", str(show)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def feed_items(show: Path) -> list[dict]:
    feed = store_of(show).get("feed.xml")
    out = []
    for item in etree.fromstring(feed).iter("item"):
        enc = item.find("enclosure")
        out.append({"guid": item.findtext("guid"), "title": item.findtext("title"),
                    "key": enc.get("url").removeprefix(BASE), "length": int(enc.get("length"))})
    return out


def assert_whole(show: Path, *, state_too: bool = True) -> list[dict]:
    """Every enclosure the feed names is in the store with its exact length,
    and the state holds every GUID in the feed (after a crash between the
    feed and the state it may not yet: a new episode's GUID is made from
    the show's podcast:guid and its slug, so the next run records the same)."""
    store = store_of(show)
    listing = store.listing()
    items = feed_items(show)
    assert items
    for item in items:
        assert item["key"] in listing, f"{item['key']} is missing from {store.name}"
        assert listing[item["key"]].size == item["length"]
    state = json.loads(store.get(".castline/state.json"))
    if state_too:
        assert {i["guid"] for i in items} <= {e["guid"] for e in state["episodes"]}
    return items


# 1. --prune never deletes what the feed or a published episode uses

def test_prune_deletes_only_what_nothing_uses(show: Path) -> None:
    before = {i["key"] for i in feed_items(show)}
    edit(show / "show_notes" / f"{EP2}.md", "Three Rules", "Four Rules")  # 002 gets a new media key
    plan = castline(show, "publish", "--prune", "--dry-run")
    assert plan.returncode == 0, plan.stderr
    deletes = [line.split()[1] for line in plan.stdout.splitlines() if line.startswith("  delete  ")]
    old_002 = next(k for k in before if EP2 in k)
    assert deletes == [old_002]  # the dry run lists every deletion, and only the replaced file
    done = castline(show, "publish", "--prune")
    assert done.returncode == 0, done.stderr
    items = assert_whole(show)
    assert old_002 not in store_of(show).listing()
    assert next(i["key"] for i in items if EP1 in i["key"]) in before  # 001 untouched
    status = castline(show, "status", "--json")
    assert {row["state"] for row in json.loads(status.stdout)} == {"published"}


# 2. the store is reconciled: what was deleted by hand comes back

def test_objects_deleted_from_the_store_are_restored(show: Path) -> None:
    store = store_of(show)
    mp3 = next(i["key"] for i in feed_items(show) if EP1 in i["key"])
    store.delete_many([mp3, f"episodes/{EP2}.html", "index.html"])
    plan = castline(show, "publish", "--dry-run")
    assert f"  upload  {mp3}  (" in plan.stdout and "the store lost it" in plan.stdout
    done = castline(show, "publish")
    assert done.returncode == 0, done.stderr
    assert "uploaded 3 objects" in done.stdout
    listing = store_of(show).listing()
    assert {mp3, f"episodes/{EP2}.html", "index.html"} <= set(listing)
    assert_whole(show)
    assert castline(show, "publish", "--json").stdout.count('"uploads": []') == 1  # and then nothing to do


# 3 and 7. kill -9 at any point: the next ordinary publish finishes, no manual step, nothing left over

def _killed_at(show: Path, target: str, n: int, match: str = "", after: bool = False) -> None:
    """Run `castline publish` in a child that SIGKILLs itself on the n-th
    call of ``target`` (module:Class.method) whose arguments mention
    ``match`` (before the call, or ``after`` it), as a crash or a power cut
    would."""
    code = (
        "import importlib, os, signal, sys\n"
        f"module, _, rest = {target!r}.partition(':')\n"
        "owner = importlib.import_module(module)\n"
        "*path, name = rest.split('.')\n"
        "for part in path: owner = getattr(owner, part)\n"
        "original, calls = getattr(owner, name), [0]\n"
        "def crash(*a, **k):\n"
        f"    hit = {match!r} in repr(a) + repr(k)\n"
        "    calls[0] += hit\n"
        f"    if hit and calls[0] == {n} and not {after}: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    result = original(*a, **k)\n"
        f"    if hit and calls[0] == {n}: os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return result\n"
        "setattr(owner, name, crash)\n"
        "import cli\n"
        f"sys.argv = ['castline', 'publish', '--workspace', {str(show)!r}]\n"
        "cli.main()\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def _changes(show: Path) -> None:
    edit(show / "show_notes" / f"{EP2}.md", "Three Rules", "Four Rules")
    tone(show / "episodes" / "003-tone.wav", 3.0)
    (show / "show_notes" / "003-tone.md").write_text(
        "---\ntitle: A tone\nnumber: 3\nseason: 1\ndate: 2012-05-01T09:00:00\n---\nNotes.\n")


def _finishes(show: Path, feed_before: bytes | None, lease_left: bool = True) -> None:
    if feed_before is not None:
        assert store_of(show).get("feed.xml") == feed_before  # listeners still have the old show, whole
    guids = {i["title"]: i["guid"] for i in assert_whole(show, state_too=False)}
    again = castline(show, "publish")
    assert again.returncode == 0, again.stderr
    assert ("took over the publish lease" in again.stderr) is lease_left  # one line, no manual step
    items = assert_whole(show)
    assert [i["title"] for i in items][:2] == ["A tone", "Mailbag: Four Rules for a Better Offsite"]
    assert all(guids.get(i["title"], i["guid"]) == i["guid"] for i in items)
    assert store_of(show).get(".castline/lock") is None
    assert not list((show / ".castline" / "cache").rglob("*.partial"))
    if (show / "public").is_dir():
        assert not list((show / "public").rglob(".castline-tmp-*"))


def test_kill_9_mid_media_write_on_the_local_store_then_an_ordinary_publish_finishes(published_copy: Path) -> None:
    show = published_copy
    _changes(show)
    feed = store_of(show).get("feed.xml")
    _killed_at(show, "tempfile:mkstemp", 1, match="/public/media", after=True)  # the temp file is there
    assert list((show / "public").rglob(".castline-tmp-*"))
    _finishes(show, feed)


def test_kill_9_between_the_feed_and_the_state_on_the_local_store(published_copy: Path) -> None:
    show = published_copy
    _changes(show)
    _killed_at(show, "pipeline.store.local:LocalStore.write_state", 1, match="state.json")
    _finishes(show, None)


@pytest.mark.s3
@pytest.mark.parametrize("target,n,match", [
    ("s3transfer.upload:UploadSubmissionTask._submit", 1, ""),  # the first media upload starts
    ("pipeline.store.s3:S3Store.write_state", 1, "state.json"),  # the feed is in, the state not yet
], ids=["first-media", "feed-before-state"])
def test_kill_9_on_s3_then_an_ordinary_publish_finishes(request, published_copy: Path, target: str, n: int,
                                                        match: str) -> None:
    show = _on_s3(request, published_copy)
    _changes(show)
    feed = store_of(show).get("feed.xml")
    _killed_at(show, target, n, match)
    _finishes(show, feed if match == "" else None)


def _on_s3(request, show: Path) -> Path:
    server = request.getfixturevalue("s3_env")
    bucket = server.new_bucket()
    config = show / "config.toml"
    config.write_text(config.read_text().replace(
        'url = "public"', f'url = "s3://{bucket}/show"\nendpoint_url = "{server.endpoint}"'))
    assert castline(show, "publish").returncode == 0
    return show


def test_kill_9_while_mastering_leaves_nothing_behind(published_copy: Path) -> None:
    """Killed mid-encode: no ffmpeg keeps running, and the next run removes
    the half-made cache entry and finishes."""
    show = published_copy
    _changes(show)
    tone(show / "episodes" / "003-tone.wav", 90.0)  # long enough to catch mid-encode
    proc = subprocess.Popen([sys.executable, "-m", "cli", "publish", "--workspace", str(show)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = None
    deadline = time.time() + 120
    while partial is None and time.time() < deadline:
        partial = next((show / ".castline" / "cache" / "master").glob(".*.partial"), None)
        time.sleep(0.05)
    assert partial is not None, "mastering never started"
    time.sleep(0.3)
    children = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.5)
    assert [pid for pid in children if _running(pid)] == []  # ffmpeg died with castline
    assert partial.exists()
    _finishes(show, None, lease_left=False)  # mastering happens before the lease is taken


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.s3
def test_unfinished_multipart_uploads_of_a_killed_run_are_aborted(request, published_copy: Path) -> None:
    show = _on_s3(request, published_copy)
    server = request.getfixturevalue("s3_env")
    store = store_of(show)
    left = store.client.create_multipart_upload(Bucket=store.bucket, Key="show/media/killed-run.mp3")
    store.client.upload_part(Bucket=store.bucket, Key="show/media/killed-run.mp3", UploadId=left["UploadId"],
                             PartNumber=1, Body=b"x" * 1024)
    _changes(show)
    done = castline(show, "publish")
    assert done.returncode == 0, done.stderr
    uploads = server.admin_client().list_multipart_uploads(Bucket=store.bucket, Prefix="show/").get("Uploads", [])
    assert uploads == []


# 4. a stale copy of the show never drops a published episode

def test_a_copy_that_lacks_a_published_episode_changes_nothing(show: Path) -> None:
    store = store_of(show)
    feed, state = store.get("feed.xml"), store.get(".castline/state.json")
    (show / "show_notes" / f"{EP2}.md").unlink()
    (show / "episodes" / f"{EP2}.mp3").unlink()
    edit(show / "show_notes" / f"{EP1}.md", '"Let\'s Take', '"New Let\'s Take')
    plan = castline(show, "publish", "--dry-run")
    assert plan.returncode == 1
    assert f"the published episode '{EP2}' has no notes here" in plan.stderr
    done = castline(show, "publish")
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(f"error: show_notes/{EP2}.md: the published episode '{EP2}' has no "
                                                   f"notes here (guid ")
    assert done.stderr.splitlines()[-1].endswith(f"or run `castline publish --remove {EP2}` to take the episode out "
                                                 "of the feed on purpose")
    assert store.get("feed.xml") == feed and store.get(".castline/state.json") == state
    skipped = castline(show, "publish", "--skip-broken")  # what is ready goes out; 002 stays as published
    assert skipped.returncode == 1
    assert [i["title"] for i in assert_whole(show)] == ["Mailbag: Three Rules for a Better Offsite",
                                                        "New Let's Take This Offline: Why Meeting in Person Matters"]
    removed = castline(show, "publish", "--remove", EP2)
    assert removed.returncode == 0, removed.stderr
    assert [i["title"] for i in assert_whole(show)] == ["New Let's Take This Offline: Why Meeting in Person Matters"]
    assert castline(show, "publish").returncode == 0  # removed on purpose: no longer an error


# 5. a GUID belongs to one episode for life

def test_a_new_episode_reusing_a_published_number_is_refused(show: Path) -> None:
    store = store_of(show)
    feed, state = store.get("feed.xml"), store.get(".castline/state.json")
    (show / "show_notes" / f"{EP1}.md").rename(show / "show_notes" / "001-a-different.md")
    (show / "episodes" / f"{EP1}.flac").unlink()
    tone(show / "episodes" / "001-a-different.wav", 2.0)
    done = castline(show, "publish")
    guid = next(e["guid"] for e in json.loads(state)["episodes"] if e["slug"] == EP1)
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: show_notes/001-a-different.md: number: number 1 is already published as '{EP1}' (with another "
        f"recording); give this episode another number; if it is '{EP1}' renamed, pin `guid: "
        f"{guid}` in its notes",
        f"error: show_notes/{EP1}.md: the published episode '{EP1}' has no notes here (guid "
        f"{guid}); restore the notes file (a stale copy of the show?), or run "
        f"`castline publish --remove {EP1}` to take the episode out of the feed on purpose"]
    assert store.get("feed.xml") == feed and store.get(".castline/state.json") == state


def test_a_renamed_episode_with_the_same_recording_keeps_its_guid(show: Path) -> None:
    guids = {i["title"]: i["guid"] for i in feed_items(show)}
    (show / "show_notes" / f"{EP2}.md").rename(show / "show_notes" / "002-mailbag.md")
    (show / "episodes" / f"{EP2}.mp3").rename(show / "episodes" / "002-mailbag.mp3")
    done = castline(show, "publish")
    assert done.returncode == 0, done.stderr
    assert {i["title"]: i["guid"] for i in assert_whole(show)} == guids


# 6. what gets re-tagged depends on content, not on the slugs named

def test_tags_follow_the_notes_after_partial_and_full_publishes(show: Path, tmp_path: Path) -> None:
    edit(show / "show_notes" / f"{EP2}.md", "Three Rules", "Four Rules")
    partial = castline(show, "publish", EP1)
    assert partial.returncode == 0, partial.stderr
    full = castline(show, "publish")
    assert full.returncode == 0, full.stderr
    assert "1 changed" in full.stdout  # 002's file still had the old title: now it is re-tagged
    store = store_of(show)
    for item in assert_whole(show):
        local = tmp_path / Path(item["key"]).name
        store.download(item["key"], local)
        assert read_tags(local)["title"] == item["title"]


# the no-op stays cheap: a handful of requests, no writes

@pytest.mark.s3
def test_a_no_op_publish_on_s3_makes_a_few_requests_and_no_write(request, published_copy: Path) -> None:
    from pipeline.publish.recipe import publish

    show = _on_s3(request, published_copy)
    store = store_of(show)
    calls: list[str] = []
    for client in (store.client, store._probe):
        client.meta.events.register("before-call.s3.*", lambda model, **kw: calls.append(model.name))
    report = publish(load_settings(show), store=store)
    assert report.uploads == () and report.deletes == ()
    assert calls == ["ListObjectsV2", "GetObject", "ListObjectsV2"]  # check, the state, one LIST per 1000 keys


# 9 (issue 16). published media changes only when its own episode changes

def test_renaming_the_show_uploads_only_the_feed_and_pages(show: Path) -> None:
    before = {i["key"] for i in feed_items(show)}
    edit(show / "config.toml", 'title = "Marketing Smarts"', 'title = "Marketing Smarts Weekly"')
    plan = castline(show, "publish", "--dry-run")
    assert "2 published episode(s) carry tags from before a show-wide change; castline publish --retag-all " \
           "updates them" in plan.stdout
    done = castline(show, "publish", "--json")
    assert done.returncode == 0, done.stderr
    uploaded = [key for key, _ in json.loads(done.stdout)["uploads"]]
    assert uploaded and not [k for k in uploaded if k.startswith(("media/", "art/"))]
    assert "feed.xml" in uploaded and "index.html" in uploaded
    assert {i["key"] for i in assert_whole(show)} == before  # every enclosure URL as it was
    import shutil

    shutil.rmtree(show / ".castline" / "cache")  # a fresh machine: the published files are re-tagged
    retag = castline(show, "publish", "--retag-all", "--json")
    assert retag.returncode == 0, retag.stderr
    assert len([k for k, _ in json.loads(retag.stdout)["uploads"] if k.startswith("media/")]) == 2
    store = store_of(show)
    for item in assert_whole(show):
        local = show / Path(item["key"]).name
        store.download(item["key"], local)
        assert read_tags(local)["album"] == "Marketing Smarts Weekly"
    assert "carry tags" not in castline(show, "publish", "--dry-run").stdout


def test_a_show_published_by_castline_0_1_is_adopted_without_rebuilding_its_media(published_copy: Path) -> None:
    """An upgrade never re-masters or re-uploads the back catalogue: a state
    written by castline 0.1 (objects as key -> sha256, one fingerprint per
    episode) is read, its episodes kept as published, and upgraded."""
    show = published_copy
    path = show / "public" / ".castline" / "state.json"
    state = json.loads(path.read_text())
    state["version"] = 1
    state["objects"] = {k: v["sha256"] for k, v in state["objects"].items()}
    for e in state["episodes"]:
        for name in ("own", "shared", "master_key", "keys", "removed"):
            e.pop(name, None)
    state.pop("rendered", None)
    path.write_text(json.dumps(state))
    before = {i["key"] for i in feed_items(show)}
    done = castline(show, "publish", "--json")
    assert done.returncode == 0, done.stderr
    assert not [k for k, _ in json.loads(done.stdout)["uploads"] if k.startswith("media/")]
    assert {i["key"] for i in assert_whole(show)} == before
    upgraded = json.loads(path.read_text())
    assert upgraded["version"] == 2 and all(e["own"] for e in upgraded["episodes"])
    assert json.loads(castline(show, "publish", "--json").stdout)["uploads"] == []
