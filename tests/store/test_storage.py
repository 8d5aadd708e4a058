"""The storage layer: headers, keys, LocalStore, and S3Store against a real
SeaweedFS server started by the suite (tests/_s3server.py)."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from pipeline.errors import ConfigError, StateError, StoreError
from pipeline.model import StorageSettings
from pipeline.store import Lease, LocalStore, headers_for, make_upload, open_store, validate_key
from pipeline.store.protocol import IMMUTABLE_CACHE, SHORT_CACHE, sha256_of

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


def assert_state_write_is_conditional(store, key: str = ".castline/state.json") -> None:
    """The state is written only by whoever read the current version: a
    first write fails if one exists, a stale reader's write fails."""
    assert store.read_state(key) == (None, None)
    etag1 = store.write_state(key, b'{"v": 1}', expected_etag=None)
    assert store.read_state(key) == (b'{"v": 1}', etag1)
    with pytest.raises(StateError, match="changed by another publish"):
        store.write_state(key, b'{"v": 0}', expected_etag=None)
    etag2 = store.write_state(key, b'{"v": 2}', expected_etag=etag1)
    with pytest.raises(StateError):
        store.write_state(key, b'{"v": 3}', expected_etag=etag1)  # stale reader
    assert store.read_state(key) == (b'{"v": 2}', etag2)


def test_local_state_is_a_compare_and_swap(tmp_path):
    assert_state_write_is_conditional(LocalStore(tmp_path / "public"))


def assert_one_racing_writer_wins(store, writers: int) -> None:
    """``writers`` threads write the state from the same etag at once:
    exactly one write lands, and the state is that writer's, whole."""
    key = ".castline/state.json"
    base = store.write_state(key, b"{}", expected_etag=None)
    won, barrier = [], threading.Barrier(writers)

    def writer(n):
        barrier.wait()
        try:
            store.write_state(key, json.dumps({"n": n}).encode(), expected_etag=base)
            won.append(n)
        except StateError:
            pass

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1, won
    assert json.loads(store.read_state(key)[0]) == {"n": won[0]}


def test_local_racing_state_writers_exactly_one_wins(tmp_path):
    assert_one_racing_writer_wins(LocalStore(tmp_path / "public"), 8)




# -- S3Store against a real SeaweedFS ------------------------------------------

from tests._s3server import free_ports, s3_env, s3_server  # noqa: E402,F401  (fixtures)

from pipeline.store import S3Store  # noqa: E402


def _s3_store(server, bucket: str | None = None, *, max_attempts: int = 5) -> S3Store:
    bucket = bucket or server.new_bucket()
    settings = StorageSettings(endpoint_url=server.endpoint, multipart_threshold_mb=5)
    return S3Store(bucket, "show", settings, max_attempts=max_attempts)


def _count_puts(store: S3Store) -> list[str]:
    """Every write request the store's client sends, by operation name."""
    calls: list[str] = []
    for op in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload", "CopyObject"):
        store.client.meta.events.register(
            f"before-call.s3.{op}", lambda model, **kw: calls.append(model.name)
        )
    return calls


def _full_tree(tmp_path: Path) -> list:
    """Every kind of object a published show holds; the episode is above the
    5 MB multipart threshold so metadata must survive a multipart upload."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    (src / "ep.mp3").write_bytes(os.urandom(6 * 1024 * 1024 + 123))
    (src / "ep.m4a").write_bytes(os.urandom(50_000))
    (src / "ep.jpg").write_bytes(os.urandom(20_000))
    (src / "ep.png").write_bytes(os.urandom(10_000))
    small = {
        "feed.xml": b"<rss version='2.0'/>",
        "index.html": b"<!doctype html><title>Show</title>",
        "episodes/001-hello/index.html": b"<!doctype html><title>Hello</title>",
        "episodes/001-hello/chapters.json": b'{"version": "1.2.0", "chapters": []}',
        "episodes/001-hello/transcript.vtt": b"WEBVTT\n",
        "episodes/001-hello/transcript.srt": b"1\n00:00:00,000 --> 00:00:01,000\nHi\n",
        "static/site.css": b"body{}",
        "static/player.js": b"void 0;",
    }
    return [
        make_upload("media/001-hello.mp3", src / "ep.mp3"),
        make_upload("media/001-hello.m4a", src / "ep.m4a"),
        make_upload("art/001-hello.jpg", src / "ep.jpg"),
        make_upload("art/show.png", src / "ep.png"),
        *(make_upload(k, v) for k, v in small.items()),
    ]


@pytest.mark.s3
def test_s3_sync_sets_type_cache_and_hash_on_every_object(s3_env, tmp_path):
    store = _s3_store(s3_env)
    store.check()
    uploads = _full_tree(tmp_path)
    seen = []
    assert store.put_many(uploads, verify=True, on_bytes=seen.append) == [u.key for u in uploads]
    assert sum(seen) == sum(u.size for u in uploads)
    admin = s3_env.admin_client()
    for up in uploads:
        answer = admin.head_object(Bucket=store.bucket, Key=f"show/{up.key}")
        assert answer["ContentType"] == headers_for(up.key)[0], up.key
        assert answer["CacheControl"] == headers_for(up.key)[1], up.key
        assert answer["ContentLength"] == up.size
        assert answer["Metadata"]["sha256"] == up.sha256
    assert store.list_keys() == sorted(u.key for u in uploads)
    assert store.get("feed.xml") == b"<rss version='2.0'/>" and store.get("nope.xml") is None
    assert store.head("nope.xml") is None


@pytest.mark.s3
def test_s3_ranged_get_of_an_episode_answers_206_with_the_right_bytes(s3_env, tmp_path):
    store = _s3_store(s3_env)
    audio = os.urandom(300_000)
    store.put_many([make_upload("media/001.mp3", audio)])
    answer = s3_env.admin_client().get_object(Bucket=store.bucket, Key="show/media/001.mp3", Range="bytes=1000-1999")
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert answer["ContentRange"] == "bytes 1000-1999/300000"
    assert answer["Body"].read() == audio[1000:2000]


@pytest.mark.s3
def test_s3_second_sync_makes_zero_puts(s3_env, tmp_path):
    store = _s3_store(s3_env)
    uploads = _full_tree(tmp_path)
    puts = _count_puts(store)
    store.put_many(uploads)
    assert puts.count("PutObject") + puts.count("CreateMultipartUpload") == len(uploads)
    puts.clear()
    assert store.put_many(uploads) == []  # compared with x-amz-meta-sha256
    assert store.put_many(uploads, known={u.key: u.sha256 for u in uploads}) == []
    assert puts == []
    changed = make_upload("feed.xml", b"<rss version='2.0'><channel/></rss>")
    assert store.put_many([*uploads[:-8], changed]) == ["feed.xml"]
    assert puts == ["PutObject"]


@pytest.mark.s3
def test_s3_an_object_deleted_by_hand_is_uploaded_again_even_if_known(s3_env, tmp_path):
    store = _s3_store(s3_env)
    up = make_upload("media/001.mp3", os.urandom(1000))
    store.put_many([up])
    s3_env.admin_client().delete_object(Bucket=store.bucket, Key="show/media/001.mp3")
    assert store.put_many([up], known={up.key: up.sha256}) == ["media/001.mp3"]
    assert store.head(up.key).size == 1000


@pytest.mark.s3
def test_s3_delete_many_prunes_only_what_is_named(s3_env, tmp_path):
    store = _s3_store(s3_env)
    store.put_many([make_upload(k, b"x") for k in ("a.html", "b/c.html", "feed.xml")])
    store.delete_many(["a.html", "b/c.html", "missing.html"])
    assert store.list_keys() == ["feed.xml"]


@pytest.mark.s3
def test_s3_anonymous_reads_are_refused(s3_env):
    import urllib.error
    import urllib.request

    store = _s3_store(s3_env)
    store.put_many([make_upload("feed.xml", b"<rss/>")])
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{s3_env.endpoint}/{store.bucket}/show/feed.xml", timeout=5)
    assert err.value.code == 403


def _assert_one_line(err: StoreError, store: S3Store, *words: str) -> None:
    text = str(err)
    assert "\n" not in text and text.startswith(store.name + ":"), text
    for word in words:
        assert word in text, text


@pytest.mark.s3
def test_s3_wrong_credentials_give_one_clear_line_and_change_nothing(s3_env, monkeypatch, tmp_path):
    bucket = s3_env.new_bucket()
    _s3_store(s3_env, bucket).put_many([make_upload("feed.xml", b"<rss/>")])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    store = _s3_store(s3_env, bucket, max_attempts=1)
    with pytest.raises(StoreError) as err:
        store.check()
    _assert_one_line(err.value, store, "refused the credentials", "AWS_SECRET_ACCESS_KEY")
    assert "not-the-secret" not in str(err.value)
    with pytest.raises(StoreError) as err:
        store.put_many([make_upload("feed.xml", b"<rss>changed</rss>")])
    _assert_one_line(err.value, store, "refused the credentials")
    listed = s3_env.admin_client().list_objects_v2(Bucket=bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["show/feed.xml"]
    body = s3_env.admin_client().get_object(Bucket=bucket, Key="show/feed.xml")["Body"].read()
    assert body == b"<rss/>"


@pytest.mark.s3
def test_s3_missing_credentials_say_where_to_put_them(s3_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    store = _s3_store(s3_env, "castline-any")
    with pytest.raises(StoreError) as err:
        store.check()
    _assert_one_line(err.value, store, "no S3 credentials found", "AWS_ACCESS_KEY_ID", "never reads keys from config.toml")


@pytest.mark.s3
def test_s3_missing_bucket_gives_one_clear_line_and_creates_nothing(s3_env, tmp_path):
    store = _s3_store(s3_env, "castline-no-such-bucket")
    with pytest.raises(StoreError) as err:
        store.check()
    _assert_one_line(err.value, store, "bucket castline-no-such-bucket does not exist", "create the bucket")
    with pytest.raises(StoreError) as err:
        store.put_many([make_upload("feed.xml", b"<rss/>")])
    _assert_one_line(err.value, store, "does not exist")
    with pytest.raises(StoreError) as err:
        with Lease(store):
            pass
    _assert_one_line(err.value, store, "does not exist")
    names = [b["Name"] for b in s3_env.admin_client().list_buckets()["Buckets"]]
    assert "castline-no-such-bucket" not in names


@pytest.mark.s3
def test_s3_unreachable_endpoint_gives_one_clear_line(s3_env):
    (port,) = free_ports(1)
    store = S3Store("castline-any", "show", StorageSettings(endpoint_url=f"http://127.0.0.1:{port}"), max_attempts=2)
    with pytest.raises(StoreError) as err:
        store.check()
    _assert_one_line(err.value, store, f"cannot reach the S3 endpoint http://127.0.0.1:{port}", "storage.endpoint_url")
    with pytest.raises(StoreError) as err:
        store.put_many([make_upload("feed.xml", b"<rss/>")])
    _assert_one_line(err.value, store, "cannot reach")


@pytest.mark.s3
def test_open_store_builds_a_working_s3_store(s3_env, tmp_path):
    bucket = s3_env.new_bucket()
    settings = StorageSettings(url=f"s3://{bucket}/shows/mine/", endpoint_url=s3_env.endpoint)
    store = open_store(settings, tmp_path)
    assert isinstance(store, S3Store) and store.name == f"s3://{bucket}/shows/mine"
    store.check()
    store.put_many([make_upload("feed.xml", b"<rss/>")])
    assert [o["Key"] for o in s3_env.admin_client().list_objects_v2(Bucket=bucket)["Contents"]] == ["shows/mine/feed.xml"]


@pytest.mark.s3
def test_s3_state_is_a_conditional_write(s3_env):
    store = _s3_store(s3_env)
    key = ".castline/state.json"
    assert_state_write_is_conditional(store, key)
    assert store.head(key).content_type == "application/json"


@pytest.mark.s3
def test_s3_racing_state_writers_exactly_one_wins(s3_env):
    assert_one_racing_writer_wins(_s3_store(s3_env), 6)




class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs):
        yield self.body


def _answer_slowdown(times: int, calls: list[str]):
    """A 'before-send' hook: the first ``times`` PutObject requests get a
    503 SlowDown without reaching the server, as a throttling S3 would."""
    from botocore.awsrequest import AWSResponse

    body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"

    def hook(request, **kwargs):
        if request.method == "PUT":
            calls.append(request.url)
            if len(calls) <= times:
                return AWSResponse(request.url, 503, {}, _Raw(body))
        return None

    return hook


@pytest.mark.s3
def test_s3_throttling_is_retried_with_backoff(s3_env):
    store = _s3_store(s3_env, max_attempts=3)
    calls: list[str] = []
    store.client.meta.events.register("before-send.s3.PutObject", _answer_slowdown(2, calls))
    assert store.put_many([make_upload("feed.xml", b"<rss/>")]) == ["feed.xml"]
    assert len(calls) == 3
    assert store.get("feed.xml") == b"<rss/>"


@pytest.mark.s3
def test_s3_upload_failing_after_retries_names_the_key_and_the_store(s3_env):
    store = _s3_store(s3_env, max_attempts=2)
    calls: list[str] = []
    store.client.meta.events.register("before-send.s3.PutObject", _answer_slowdown(99, calls))
    with pytest.raises(StoreError) as err:
        store.put_many([make_upload("media/001.mp3", b"ID3" * 10)])
    _assert_one_line(err.value, store, "media/001.mp3", "kept failing (SlowDown) after retries", "try again later")
    assert len(calls) == 2 and store.list_keys() == []


@pytest.mark.s3
def test_s3_verify_refuses_an_object_that_came_back_wrong(s3_env):
    store = _s3_store(s3_env)

    def truncate(parsed, **kwargs):
        parsed["ContentLength"] -= 1  # as if a proxy had cut the upload short

    store.client.meta.events.register("after-call.s3.HeadObject", truncate)
    up = make_upload("media/001.mp3", b"ID3" * 100)
    with pytest.raises(StoreError) as err:
        store.put_many([up], verify=True)
    _assert_one_line(err.value, store, "media/001.mp3", "verify failed after upload", "299 bytes of audio/mpeg, expected 300")
