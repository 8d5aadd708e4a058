"""Publishing the sample show to a real S3 server (SeaweedFS on 127.0.0.1)."""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import boto3
import pytest
from lxml import etree

from pipeline.config.settings import load_settings
from pipeline.errors import StoreError
from pipeline.publish.recipe import publish
from pipeline.store import open_store
from tests._s3server import s3_env, s3_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.s3


def use_bucket(show: Path, server, bucket: str, *, create: bool = True) -> None:
    config = show / "config.toml"
    text = config.read_text().replace('url = "public"', f'url = "s3://{bucket}/show"\nendpoint_url = "{server.endpoint}"')
    text = text.replace('base_url = "https://podcast.example.com/"', f'base_url = "{server.endpoint}/{bucket}/show/"')
    config.write_text(text)
    if create:
        client(server).create_bucket(Bucket=bucket)


def client(server):
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, region_name="us-east-1")


class Counting:
    """The real store, counting the writes it makes."""

    def __init__(self, store, fail_on_call: int | None = None) -> None:
        self.store, self.puts, self.calls, self.fail_on_call = store, [], 0, fail_on_call

    def __getattr__(self, name):
        return getattr(self.store, name)

    def put(self, uploads, **kw):
        self.calls += 1
        if self.fail_on_call == self.calls:
            raise StoreError("connection lost (injected)", path=self.store.name, fix="run castline publish again")
        self.store.put(uploads, **kw)
        self.puts.extend(u.key for u in uploads)


def feed_of(server, bucket: str) -> bytes:
    return client(server).get_object(Bucket=bucket, Key="show/feed.xml")["Body"].read()


def test_publish_to_s3_headers_ranges_and_incremental(sample_show: Path, s3_env, tmp_path: Path) -> None:
    server = s3_env
    use_bucket(sample_show, server, "castline-a")
    settings = load_settings(sample_show)
    first = Counting(open_store(settings.storage, settings.root))
    report = publish(settings, store=first)
    assert report.problems == () and len(first.puts) == len(report.uploads) > 0
    s3 = client(server)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="castline-a", Prefix="show/")["Contents"]]
    expect = {".mp3": ("audio/mpeg", "immutable"), ".jpg": ("image/jpeg", "immutable"),
              ".html": ("text/html; charset=utf-8", "max-age=300"), ".json": ("application/json", "max-age"),
              ".vtt": ("text/vtt", "max-age"), ".xml": ("application/rss+xml; charset=utf-8", "max-age=300")}
    seen = set()
    for key in keys:
        if key.startswith("show/.castline/"):
            continue  # castline's own state: never cached
        head = s3.head_object(Bucket="castline-a", Key=key)
        suffix = Path(key).suffix
        if suffix in expect:
            ctype, cache = expect[suffix]
            assert head["ContentType"].startswith(ctype), (key, head["ContentType"])
            assert cache in head["CacheControl"], (key, head["CacheControl"])
            seen.add(suffix)
    assert seen >= {".mp3", ".jpg", ".html", ".json", ".vtt", ".xml"}

    # enclosure URLs resolve (signed, since the test server refuses anonymous reads) and answer ranges
    feed = etree.fromstring(feed_of(server, "castline-a"))
    for enclosure in feed.iter("enclosure"):
        key = enclosure.get("url").removeprefix(f"{server.endpoint}/castline-a/")
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "castline-a", "Key": key})
        request = urllib.request.Request(url, headers={"Range": "bytes=100-199"})
        with urllib.request.urlopen(request) as response:
            assert response.status == 206
            body = response.read()
        whole = s3.get_object(Bucket="castline-a", Key=key)["Body"].read()
        assert body == whole[100:200] and len(whole) == int(enclosure.get("length"))

    # a second publish makes zero PUTs
    second = Counting(open_store(settings.storage, settings.root))
    report = publish(settings, store=second)
    assert second.puts == [] and report.uploads == ()

    # a fresh clone (no cache, no public/) publishing to the same bucket keeps every GUID and uploads nothing
    clone = tmp_path / "clone"
    shutil.copytree(sample_show, clone, ignore=shutil.ignore_patterns(".castline", "public"))
    third = Counting(open_store(settings.storage, clone))
    publish(load_settings(clone), store=third)
    assert third.puts == []
    assert feed_of(server, "castline-a") == etree.tostring(feed, xml_declaration=True, encoding="UTF-8") or \
        [g.text for g in etree.fromstring(feed_of(server, "castline-a")).iter("guid")] == [g.text for g in feed.iter("guid")]


def test_interrupted_publish_keeps_old_feed_and_next_run_finishes(sample_show: Path, s3_env) -> None:
    server = s3_env
    use_bucket(sample_show, server, "castline-b")
    settings = load_settings(sample_show)
    publish(settings)
    old_feed = feed_of(server, "castline-b")
    notes = sample_show / "show_notes" / "002-mailbag-better-offsites.md"
    notes.write_text(notes.read_text().replace("Three Rules", "Four Rules"))
    settings = load_settings(sample_show)
    faulty = Counting(open_store(settings.storage, settings.root), fail_on_call=2)  # media went up, then the link drops
    with pytest.raises(StoreError, match="injected"):
        publish(settings, store=faulty)
    assert any(k.startswith("media/") for k in faulty.puts)
    assert feed_of(server, "castline-b") == old_feed  # the public feed never pointed at anything missing
    report = publish(settings)
    assert b"Four Rules" in feed_of(server, "castline-b")
    assert not any(k.startswith("media/") for k, _ in report.uploads)  # the media was already there


@pytest.mark.parametrize("case", ["wrong-keys", "missing-bucket", "unreachable"])
def test_store_errors_are_one_line(sample_show: Path, s3_env, run_cli, monkeypatch, case: str) -> None:
    server = s3_env
    bucket = f"castline-{case}"
    use_bucket(sample_show, server, bucket, create=case != "missing-bucket")
    if case == "wrong-keys":
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    if case == "unreachable":
        config = sample_show / "config.toml"
        config.write_text(config.read_text().replace(server.endpoint, "http://127.0.0.1:9"))
    result = run_cli("publish", "--workspace", str(sample_show))
    assert result.code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: s3://{bucket}/show"), result.stderr
    assert "Traceback" not in result.stderr
    assert server.secret_key not in result.stderr + result.stdout
