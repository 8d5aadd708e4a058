"""The preview server, over real HTTP on 127.0.0.1: content types, byte
ranges (206/416), HEAD, folders and index.html, no escape from the root."""

from __future__ import annotations

import http.client
import threading
from pathlib import Path

import pytest

from pipeline.store import make_server
from pipeline.store.serve import parse_range

AUDIO = bytes(range(256)) * 40  # 10240 bytes, every offset distinguishable


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    top = tmp_path_factory.mktemp("preview")
    root = top / "public"
    (root / "media").mkdir(parents=True)
    (root / "episodes").mkdir()
    (root / "media/ep.mp3").write_bytes(AUDIO)
    (root / "media/ep.m4a").write_bytes(b"m4a")
    (root / "media/ep.opus").write_bytes(b"opus")
    (root / "feed.xml").write_text("<rss/>")
    (root / "index.html").write_text("<!doctype html><title>home</title>")
    (root / "episodes/index.html").write_text("<!doctype html><title>episodes</title>")
    (root / "episodes/a b.html").write_text("spaced")
    (root / "episodes/ep.chapters.json").write_text("{}")
    for name, data in {"chapters.json": "{}", "t.vtt": "WEBVTT\n", "t.srt": "1\n", "style.css": "a{}",
                       "player.js": ";", "art.jpg": "j", "art.png": "p", "empty.txt": ""}.items():
        (root / name).write_text(data)
    (top / "secret.txt").write_text("outside the root")
    (root / "link-out").symlink_to(top / "secret.txt")
    server = make_server(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[:2]
    server.shutdown()
    server.server_close()
    thread.join(5)


def request(address, path, method="GET", headers=None):
    conn = http.client.HTTPConnection(*address, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def test_binds_to_loopback_on_a_free_port(served):
    host, port = served
    assert host == "127.0.0.1" and port > 0


@pytest.mark.parametrize("path, content_type", [
    ("/media/ep.mp3", "audio/mpeg"), ("/media/ep.m4a", "audio/x-m4a"), ("/media/ep.opus", "audio/ogg"),
    ("/feed.xml", "application/rss+xml"), ("/chapters.json", "application/json"), ("/t.vtt", "text/vtt"),
    ("/t.srt", "application/x-subrip"), ("/index.html", "text/html; charset=utf-8"), ("/style.css", "text/css"),
    ("/player.js", ("application/javascript", "text/javascript")), ("/art.jpg", "image/jpeg"), ("/art.png", "image/png"),
])
def test_content_types_match_the_store(served, path, content_type):
    status, headers, _ = request(served, path)
    assert status == 200 and headers["content-type"].startswith(content_type)
    assert headers["accept-ranges"] == "bytes"


def test_full_get_and_head(served):
    status, headers, body = request(served, "/media/ep.mp3")
    assert status == 200 and body == AUDIO and headers["content-length"] == str(len(AUDIO))
    status, headers, body = request(served, "/media/ep.mp3", "HEAD")
    assert status == 200 and body == b"" and headers["content-length"] == str(len(AUDIO))
    assert headers["content-type"] == "audio/mpeg"


@pytest.mark.parametrize("spec, first, last", [
    ("bytes=0-1", 0, 1), ("bytes=100-355", 100, 355), ("bytes=10000-", 10000, 10239),
    ("bytes=-16", 10224, 10239), ("bytes=10200-99999", 10200, 10239), ("bytes=-99999", 0, 10239),
])
def test_ranged_get_is_206_with_exact_bytes(served, spec, first, last):
    status, headers, body = request(served, "/media/ep.mp3", headers={"Range": spec})
    assert status == 206
    assert headers["content-range"] == f"bytes {first}-{last}/{len(AUDIO)}"
    assert body == AUDIO[first : last + 1] and headers["content-length"] == str(last - first + 1)


def test_ranged_head_gives_the_span_without_a_body(served):
    status, headers, body = request(served, "/media/ep.mp3", "HEAD", {"Range": "bytes=0-99"})
    assert status == 206 and body == b"" and headers["content-range"] == "bytes 0-99/10240"


@pytest.mark.parametrize("spec", ["bytes=10240-", "bytes=99999-100000", "bytes=-0"])
def test_unsatisfiable_range_is_416(served, spec):
    status, headers, body = request(served, "/media/ep.mp3", headers={"Range": spec})
    assert status == 416 and headers["content-range"] == "bytes */10240" and body == b""


@pytest.mark.parametrize("spec", ["bytes=0-1,5-6", "items=0-1", "bytes=9-2", "bytes=-"])
def test_ranges_it_does_not_answer_get_the_whole_file(served, spec):
    status, _, body = request(served, "/media/ep.mp3", headers={"Range": spec})
    assert status == 200 and body == AUDIO


def test_folders_serve_index_html_and_redirect_to_a_slash(served):
    status, headers, body = request(served, "/")
    assert status == 200 and b"<title>home</title>" in body
    status, headers, _ = request(served, "/episodes")
    assert status == 301 and headers["location"] == "/episodes/"
    status, _, body = request(served, "/episodes/?x=1")
    assert status == 200 and b"<title>episodes</title>" in body
    status, _, body = request(served, "/episodes/a%20b.html")
    assert status == 200 and body == b"spaced"


@pytest.mark.parametrize("path", ["/../secret.txt", "/media/../../secret.txt", "/%2e%2e/secret.txt",
                                  "/media/%2E%2E/%2E%2E/secret.txt", "/link-out", "/..%5csecret.txt", "/nope.html"])
def test_nothing_outside_the_root_is_served(served, path):
    status, _, body = request(served, path)
    assert status == 404 and b"outside the root" not in body


def test_empty_file_and_unknown_method(served):
    status, headers, body = request(served, "/empty.txt")
    assert status == 200 and body == b"" and headers["content-length"] == "0"
    status, _, _ = request(served, "/index.html", "POST")
    assert status == 501


def test_parse_range_rules():
    assert parse_range(None, 10) is None
    assert parse_range("bytes=2-4", 10) == (2, 4)
    assert parse_range("bytes=8-", 10) == (8, 9)
    assert parse_range("bytes=-3", 10) == (7, 9)
    assert parse_range("bytes=10-", 10) is False
    assert parse_range("bytes=0-", 0) is False


# -- hostile and conditional requests ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec, status, first, last", [
    ("bytes=" + "9" * 4400 + "-", 416, None, None),  # past any end, however long: never int() of 4400 digits
    ("bytes=" + "1" * 5000 + "-" + "2" * 5000, 416, None, None),
    ("bytes=0-" + "9" * 4400, 206, 0, 10239),  # the end is clamped to the file
    ("bytes=-" + "9" * 4400, 206, 0, 10239),  # the last "huge" bytes: the whole file
    ("bytes=" + "0" * 4400 + "5-9", 206, 5, 9),  # leading zeros are still small numbers
])
def test_ranges_with_thousands_of_digits_get_an_answer(served, spec, status, first, last):
    code, headers, body = request(served, "/media/ep.mp3", headers={"Range": spec})
    assert code == status
    if status == 416:
        assert headers["content-range"] == "bytes */10240" and body == b""
    else:
        assert headers["content-range"] == f"bytes {first}-{last}/10240" and body == AUDIO[first : last + 1]


def test_if_modified_since_and_if_none_match_give_304(served):
    _, headers, _ = request(served, "/media/ep.mp3")
    etag, modified = headers["etag"], headers["last-modified"]
    for method in ("GET", "HEAD"):
        status, h, body = request(served, "/media/ep.mp3", method, {"If-Modified-Since": modified})
        assert status == 304 and body == b"" and h["etag"] == etag
        status, _, body = request(served, "/media/ep.mp3", method, {"If-None-Match": etag})
        assert status == 304 and body == b""
    status, _, body = request(served, "/media/ep.mp3", headers={"If-Modified-Since": "Mon, 01 Jan 1990 00:00:00 GMT"})
    assert status == 200 and body == AUDIO
    status, _, body = request(served, "/media/ep.mp3", headers={"If-None-Match": '"other"',
                                                              "If-Modified-Since": modified})
    assert status == 200 and body == AUDIO  # If-None-Match decides when both are sent
    for garbage in ("yesterday", "9" * 5000, "Mon, 99 Foo 99999 99:99:99 GMT"):
        status, _, body = request(served, "/media/ep.mp3", headers={"If-Modified-Since": garbage})
        assert status == 200 and body == AUDIO, garbage


def test_if_range_for_another_version_gets_the_whole_file(served):
    _, headers, _ = request(served, "/media/ep.mp3")
    status, _, body = request(served, "/media/ep.mp3", headers={"Range": "bytes=0-9", "If-Range": headers["etag"]})
    assert status == 206 and body == AUDIO[:10]
    status, _, body = request(served, "/media/ep.mp3", headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert status == 200 and body == AUDIO


def test_a_busy_port_is_one_line_and_exit_1(run_cli, tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("serve", "--dir", str(tmp_path), "--port", str(port))
    assert result.code == 1
    assert result.stderr.splitlines() == [
        f"error: --port: port {port} on 127.0.0.1 is already in use; stop the other server, or pick another port: "
        f"castline serve --port {port + 1}"]
    assert "Traceback" not in result.stdout + result.stderr


def test_an_address_that_is_not_this_machines_is_one_line(run_cli, tmp_path):
    result = run_cli("serve", "--dir", str(tmp_path), "--host", "nosuch.invalid", "--port", "8000")
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "error: --host: cannot listen on nosuch.invalid:8000 (Name or service not known); use --host 127.0.0.1, and a "
        "port above 1023"]


def test_serve_of_an_s3_show_says_to_pass_a_folder(run_cli, sample_show):
    config = sample_show / "config.toml"
    config.write_text(config.read_text().replace('url = "public"', 'url = "s3://bucket/show"'))
    result = run_cli("serve", "--workspace", str(sample_show))
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "error: config.toml: storage.url: the store is s3://bucket/show, not a local folder; pass --dir public (after a "
        "local publish) to preview a folder"]


@pytest.mark.parametrize("path, cors", [("/t.vtt", True), ("/t.srt", True), ("/episodes/ep.chapters.json", True),
                                        ("/media/ep.mp3", False), ("/index.html", False)])
def test_transcripts_and_chapters_allow_any_origin(served, path, cors):
    """Browser players (on the page, or another site) fetch these with CORS."""
    _, headers, _ = request(served, path)
    assert (headers.get("access-control-allow-origin") == "*") is cors
