"""The storage layer: headers, keys, LocalStore, and S3Store against a real
SeaweedFS server started by the suite (tests/_s3server.py)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from pipeline.errors import ConfigError, StateError, StoreError
from pipeline.localstore import LocalStore
from pipeline.model import StorageSettings
from pipeline.storage import (
    IMMUTABLE_CACHE,
    SHORT_CACHE,
    LockRecord,
    headers_for,
    make_upload,
    open_store,
    sha256_of,
    validate_key,
)

# -- headers and keys ------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "content_type", "cache_control"),
    [
        ("media/001-hello-3f2a.mp3", "audio/mpeg", IMMUTABLE_CACHE),
        ("media/002-x.m4a", "audio/x-m4a", IMMUTABLE_CACHE),
        ("media/003-x.ogg", "audio/ogg", IMMUTABLE_CACHE),
        ("art/show-1400.jpg", "image/jpeg", IMMUTABLE_CACHE),
        ("art/ep-001.png", "image/png", IMMUTABLE_CACHE),
        ("feed.xml", "application/rss+xml; charset=utf-8", SHORT_CACHE),
        ("index.html", "text/html; charset=utf-8", SHORT_CACHE),
        ("episodes/001-hello/index.html", "text/html; charset=utf-8", SHORT_CACHE),
        ("episodes/001-hello/chapters.json", "application/json", SHORT_CACHE),
        ("episodes/001-hello/transcript.vtt", "text/vtt", SHORT_CACHE),
        ("episodes/001-hello/transcript.srt", "application/x-subrip", SHORT_CACHE),
        ("static/site.css", "text/css; charset=utf-8", SHORT_CACHE),
        ("static/player.js", "application/javascript; charset=utf-8", SHORT_CACHE),
    ],
)
def test_headers_for_each_kind_of_object(key, content_type, cache_control):
    assert headers_for(key) == (content_type, cache_control)


def test_the_cache_policies_are_short_for_pages_and_immutable_for_media():
    assert SHORT_CACHE == "public, max-age=300"
    assert IMMUTABLE_CACHE == "public, max-age=31536000, immutable"


@pytest.mark.parametrize(
    "key",
    ["", "/feed.xml", "media//a.mp3", "../etc/passwd", "media/../../x", "a b.mp3",
     "épisode.mp3", "media/a.mp3?x=1", "media/", "./feed.xml", "a\\b"],
)
def test_unsafe_keys_are_refused_with_a_store_error(key):
    with pytest.raises(StoreError) as err:
        validate_key(key, "public/")
    assert "bad object key" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(StoreError):
        make_upload(key, b"x")


def test_safe_keys_pass():
    for key in ("feed.xml", ".castline/state.json", "media/001_a-b.C.mp3"):
        assert validate_key(key) == key


def test_make_upload_computes_size_hash_and_headers(tmp_path):
    path = tmp_path / "a.mp3"
    path.write_bytes(b"ID3" + bytes(1000))
    up = make_upload("media/a.mp3", path)
    assert (up.size, up.sha256, up.content_type) == (1003, sha256_of(path), "audio/mpeg")
    assert make_upload("feed.xml", b"<rss/>", sha256="given").sha256 == "given"


def test_make_upload_of_a_missing_file_names_it(tmp_path):
    with pytest.raises(StoreError, match="missing.mp3"):
        make_upload("media/missing.mp3", tmp_path / "missing.mp3")


# -- open_store --------------------------------------------------------------


def test_open_store_default_is_the_public_folder(tmp_path):
    store = open_store(StorageSettings(), tmp_path)
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "public" and store.name == "public/"


@pytest.mark.parametrize("url", ["ftp://host/x", "gs://bucket", "s3://", "s3://Bad_Bucket/x", "s3://ab", ""])
def test_open_store_refuses_unknown_urls_naming_the_field(tmp_path, url):
    with pytest.raises(ConfigError) as err:
        open_store(StorageSettings(url=url), tmp_path)
    assert "storage.url" in str(err.value)


def test_open_store_checks_s3_settings(tmp_path):
    with pytest.raises(ConfigError, match="storage.endpoint_url"):
        open_store(StorageSettings(url="s3://bucket/x", endpoint_url="localhost:9000"), tmp_path)
    with pytest.raises(ConfigError, match="storage.multipart_threshold_mb"):
        open_store(StorageSettings(url="s3://bucket/x", multipart_threshold_mb=1), tmp_path)


# -- LocalStore ---------------------------------------------------------------


def _tree(tmp_path: Path) -> list:
    """A small published tree: one episode's media and art, a page, a feed."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "ep.mp3").write_bytes(os.urandom(300_000))
    (src / "ep.jpg").write_bytes(os.urandom(20_000))
    return [
        make_upload("media/001-hello.mp3", src / "ep.mp3"),
        make_upload("art/001-hello.jpg", src / "ep.jpg"),
        make_upload("episodes/001-hello/index.html", b"<!doctype html><title>Hello</title>"),
        make_upload("feed.xml", b"<rss version='2.0'/>"),
    ]


def test_local_put_many_writes_files_and_reports_bytes(tmp_path):
    store = LocalStore(tmp_path / "public")
    store.check()
    uploads = _tree(tmp_path)
    seen = []
    done = store.put_many(uploads, verify=True, on_bytes=seen.append)
    assert done == [u.key for u in uploads]
    assert sum(seen) == sum(u.size for u in uploads)
    for up in uploads:
        info = store.head(up.key)
        assert (info.size, info.sha256, info.content_type) == (up.size, up.sha256, up.content_type)
    assert store.get("feed.xml") == b"<rss version='2.0'/>"
    assert store.list_keys() == sorted(u.key for u in uploads)
    assert oct((tmp_path / "public/feed.xml").stat().st_mode & 0o777) == "0o644"


def test_local_second_sync_writes_nothing(tmp_path):
    store = LocalStore(tmp_path / "public")
    uploads = _tree(tmp_path)
    store.put_many(uploads)
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "public").rglob("*") if p.is_file()}
    assert store.put_many(uploads) == []
    assert store.put_many(uploads, known={u.key: u.sha256 for u in uploads}) == []
    assert mtimes == {p: p.stat().st_mtime_ns for p in (tmp_path / "public").rglob("*") if p.is_file()}


def test_local_sync_rewrites_a_changed_or_missing_file_even_if_known(tmp_path):
    store = LocalStore(tmp_path / "public")
    uploads = _tree(tmp_path)
    store.put_many(uploads)
    known = {u.key: u.sha256 for u in uploads}
    (tmp_path / "public/feed.xml").unlink()
    changed = make_upload("episodes/001-hello/index.html", b"<!doctype html><title>Hello again</title>")
    assert store.put_many([*uploads[:2], changed, uploads[3]], known=known) == [changed.key, "feed.xml"]
    assert store.get(changed.key) == changed.source


def test_local_put_many_in_place_does_not_copy_onto_itself(tmp_path):
    store = LocalStore(tmp_path / "public")
    built = tmp_path / "public/media/a.mp3"
    built.parent.mkdir(parents=True)
    built.write_bytes(b"abc" * 1000)
    up = make_upload("media/a.mp3", built)
    assert store.put_many([up], known={}) == ["media/a.mp3"]
    assert built.read_bytes() == b"abc" * 1000


def test_local_delete_many_prunes_only_what_is_named(tmp_path):
    store = LocalStore(tmp_path / "public")
    uploads = _tree(tmp_path)
    store.put_many(uploads)
    store.delete_many(["episodes/001-hello/index.html", "not/there.html"])
    assert store.list_keys() == ["art/001-hello.jpg", "feed.xml", "media/001-hello.mp3"]
    assert not (tmp_path / "public/episodes").exists()


def test_local_write_leaves_no_temp_file_when_the_source_vanishes(tmp_path):
    store = LocalStore(tmp_path / "public")
    src = tmp_path / "gone.mp3"
    src.write_bytes(b"x" * 10)
    up = make_upload("media/gone.mp3", src)
    src.unlink()
    with pytest.raises(StoreError, match="gone.mp3"):
        store.put_many([up])
    assert store.list_keys() == [] and not list((tmp_path / "public").rglob(".castline-tmp-*"))


def test_local_check_names_an_unwritable_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as err:
        LocalStore(blocker / "public", name="file/public/").check()
    assert str(err.value).startswith("file/public/: cannot create the folder")


def test_local_state_is_a_compare_and_swap(tmp_path):
    store = LocalStore(tmp_path / "public")
    key = ".castline/state.json"
    assert store.read_state(key) == (None, None)
    etag1 = store.write_state(key, b'{"v": 1}', expected_etag=None)
    assert store.read_state(key) == (b'{"v": 1}', etag1)
    with pytest.raises(StateError, match="changed by another publish"):
        store.write_state(key, b'{"v": 0}', expected_etag=None)
    etag2 = store.write_state(key, b'{"v": 2}', expected_etag=etag1)
    with pytest.raises(StateError):
        store.write_state(key, b'{"v": 3}', expected_etag=etag1)  # stale reader
    assert store.read_state(key) == (b'{"v": 2}', etag2)


def test_local_racing_state_writers_exactly_one_wins(tmp_path):
    store = LocalStore(tmp_path / "public")
    key = ".castline/state.json"
    base = store.write_state(key, b"{}", expected_etag=None)
    results = []

    def writer(n):
        try:
            store.write_state(key, json.dumps({"n": n}).encode(), expected_etag=base)
            results.append(n)
        except StateError:
            pass

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1
    assert json.loads(store.read_state(key)[0]) == {"n": results[0]}


def test_local_lock_excludes_a_second_publish_and_is_released(tmp_path):
    store = LocalStore(tmp_path / "public")
    with store.lock(".castline/lock", "alice@laptop"):
        with pytest.raises(StateError) as err:
            with store.lock(".castline/lock", "bob@ci"):
                pass
        message = str(err.value)
        assert "another publish of this show is running (lock .castline/lock held by alice@laptop since" in message
        assert "delete .castline/lock if it crashed" in message and "\n" not in message
    assert store.get(".castline/lock") is None
    with store.lock(".castline/lock", "bob@ci"):
        assert LockRecord.from_bytes(store.get(".castline/lock")).owner == "bob@ci"


def test_local_lock_left_by_a_crash_expires(tmp_path):
    store = LocalStore(tmp_path / "public", lock_ttl=0.0)
    crashed = store.lock(".castline/lock", "crashed")
    crashed.__enter__()  # never exited: the process died
    with store.lock(".castline/lock", "next"):
        assert LockRecord.from_bytes(store.get(".castline/lock")).owner == "next"
    assert store.get(".castline/lock") is None
