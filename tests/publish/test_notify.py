"""pipeline/publish/notify.py: WebSub and podping, against a hub on 127.0.0.1.

A small HTTP server stands in for the WebSub hub, the podping endpoint and
Podcast Index's pubnotify; each test asserts the exact requests it got.
Nothing leaves the machine.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from pipeline.model import AudioSettings, Category, NotifySettings, Settings, Show, StorageSettings
from pipeline.publish.notify import TOKEN_ENV, Notification, due_notifications, send, user_agent

TOKEN = "podping-secret-token-123"
FEED = "https://podcast.example.com/feed.xml"


class Recorder:
    """The fake hub: records (method, path, query, headers, body); answers
    with the status set for a path (default 204 for the hub, 200 else)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status: dict[str, int] = {}
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                recorder.requests.append({
                    "method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                    "headers": dict(self.headers), "body": self.rfile.read(length).decode()})
                code = recorder.status.get(parts.path, 204 if parts.path == "/hub" else 200)
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hub(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    recorder = Recorder()
    yield recorder
    recorder.close()


def settings(hub: Recorder, **notify) -> Settings:
    show = Show(title="Marketing Smarts", description="A show.", author="Ann", language="en",
                base_url="https://podcast.example.com/", image=Path("art/cover.jpg"),
                categories=(Category("Business", "Marketing"),), medium="podcast")
    defaults = dict(websub_hubs=(hub.url + "/hub",), podping=True, podping_endpoint=hub.url + "/podping",
                    pubnotify_endpoint=hub.url + "/api/1.0/hub/pubnotify", timeout=5.0)
    return Settings(root=Path("."), show=show, audio=AudioSettings(), storage=StorageSettings(),
                    notify=NotifySettings(**{**defaults, **notify}))


def test_a_changed_feed_is_announced_to_the_hub_and_by_podping_with_the_exact_requests(hub):
    plan = due_notifications(settings(hub), "sha-1", None)
    assert [n.kind for n in plan.notifications] == ["websub", "podping"]
    result = send(plan, env={TOKEN_ENV: TOKEN})
    assert result.warnings == () and len(result.sent) == 2
    websub, podping = hub.requests
    assert (websub["method"], websub["path"]) == ("POST", "/hub")
    assert websub["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(websub["body"]) == {"hub.mode": ["publish"], "hub.url": [FEED]}
    assert websub["headers"]["User-Agent"] == user_agent() and user_agent().startswith("castline/")
    assert "Authorization" not in websub["headers"]  # the token goes to the podping endpoint only
    assert (podping["method"], podping["path"]) == ("GET", "/podping")
    assert podping["query"] == {"url": [FEED], "reason": ["update"], "medium": ["podcast"]}
    assert podping["headers"]["Authorization"] == TOKEN
    assert podping["headers"]["User-Agent"] == user_agent()
    assert result.record == {"feed_sha256": "sha-1", "live": {}, "pending": []}


def test_an_unchanged_feed_announces_nothing(hub):
    first = send(due_notifications(settings(hub), "sha-1", None), env={TOKEN_ENV: TOKEN})
    again = due_notifications(settings(hub), "sha-1", first.record)
    assert again.notifications == ()
    assert send(again, env={TOKEN_ENV: TOKEN}).record == first.record
    assert len(hub.requests) == 2


def test_without_a_token_podping_becomes_the_no_key_pubnotify_call(hub):
    result = send(due_notifications(settings(hub, websub_hubs=()), "sha-1", None), env={})
    assert result.warnings == ()
    (request,) = hub.requests
    assert (request["method"], request["path"]) == ("GET", "/api/1.0/hub/pubnotify")
    assert request["query"] == {"url": [FEED]}
    assert "Authorization" not in request["headers"]


def test_live_items_going_live_and_ending_give_podping_reasons(hub):
    s = settings(hub, websub_hubs=())
    pending = send(due_notifications(s, "sha-1", None, {"live-1": "pending"}), env={TOKEN_ENV: TOKEN})
    live = send(due_notifications(s, "sha-2", pending.record, {"live-1": "live"}), env={TOKEN_ENV: TOKEN})
    ended = send(due_notifications(s, "sha-3", live.record, {"live-1": "ended"}), env={TOKEN_ENV: TOKEN})
    assert ended.record["live"] == {"live-1": "ended"}
    assert [r["query"]["reason"] for r in hub.requests] == [["update"], ["live"], ["liveEnd"]]


def test_a_failed_notification_is_one_warning_never_holds_the_token_and_is_retried_next_time(hub):
    hub.status["/podping"] = 500
    s = settings(hub, websub_hubs=(hub.url + "/hub", hub.url + "/down"))
    hub.status["/down"] = 503
    result = send(due_notifications(s, "sha-1", None), env={TOKEN_ENV: TOKEN})
    assert [n.kind for n in result.sent] == ["websub"]
    (warning,) = result.warnings
    assert "2 of 3 feed announcements failed" in warning and "HTTP 500" in warning and "HTTP 503" in warning
    assert TOKEN not in warning and TOKEN not in repr(result.record)
    assert [p["kind"] for p in result.record["pending"]] == ["websub", "podping"]

    # The next publish, feed unchanged: only what failed is sent again.
    hub.requests.clear()
    hub.status.clear()
    retry = due_notifications(s, "sha-1", result.record)
    assert [(n.kind, n.endpoint) for n in retry.notifications] == [
        ("websub", hub.url + "/down"), ("podping", hub.url + "/podping")]
    done = send(retry, env={TOKEN_ENV: TOKEN})
    assert done.warnings == () and done.record["pending"] == []
    assert [r["path"] for r in hub.requests] == ["/down", "/podping"]


def test_an_unreachable_endpoint_or_a_timeout_is_a_warning_not_an_error(hub):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/hub"
    s = settings(hub, websub_hubs=(dead,), podping=False)
    result = send(due_notifications(s, "sha-1", None), env={}, timeout=2.0)
    assert result.sent == () and "cannot connect" in result.warnings[0]


def test_pending_notifications_for_hubs_no_longer_configured_are_dropped(hub):
    stale = {"feed_sha256": "sha-1", "live": {}, "pending": [
        Notification("websub", "https://old-hub.example/", FEED).to_dict(), {"garbage": True}]}
    assert due_notifications(settings(hub), "sha-1", stale).notifications == ()
    assert due_notifications(replace(settings(hub), notify=NotifySettings()), "sha-2", None).notifications == ()


def test_dry_run_lines_describe_each_notification_without_the_token(hub):
    plan = due_notifications(settings(hub), "sha-1", None)
    lines = [n.describe() for n in plan.notifications]
    assert lines == [f"WebSub publish of {FEED} to {hub.url}/hub",
                     f"podping (update, podcast) of {FEED} to {hub.url}/podping"]
    assert hub.requests == []


# -- through castline publish: after the feed is in the store, once per change ------------------------------

def test_publish_announces_a_changed_feed_once_and_retries_a_failed_hub(hub, published_copy, run_cli):
    show = published_copy
    config = show / "config.toml"
    config.write_text(config.read_text() + f'\n[notify]\nwebsub_hubs = ["{hub.url}/hub"]\npodping = true\n'
                      f'podping_endpoint = "{hub.url}/podping"\n'
                      f'pubnotify_endpoint = "{hub.url}/api/1.0/hub/pubnotify"\n')
    plan = run_cli("publish", "--dry-run", "--workspace", str(show))
    assert f"  announce  WebSub publish of {FEED} to {hub.url}/hub" in plan.stdout.splitlines()
    assert hub.requests == []  # a dry run sends nothing

    hub.status["/hub"] = 503  # the hub is down: the publish still succeeds, with one warning
    first = run_cli("publish", "--workspace", str(show))
    assert first.code == 0, first.stderr
    assert "feed announcements failed" in first.stderr and "the next publish sends them again" in first.stderr
    assert [(r["method"], r["path"]) for r in hub.requests] == [("POST", "/hub"), ("GET", "/api/1.0/hub/pubnotify")]
    assert hub.requests[0]["body"] == f"hub.mode=publish&hub.url={FEED.replace(':', '%3A').replace('/', '%2F')}"

    del hub.status["/hub"]
    hub.requests.clear()
    again = run_cli("publish", "--workspace", str(show))  # nothing new, but the failed one is owed
    assert again.code == 0, again.stderr
    assert [(r["method"], r["path"]) for r in hub.requests] == [("POST", "/hub")]

    hub.requests.clear()
    quiet = run_cli("publish", "--workspace", str(show))
    assert quiet.code == 0 and hub.requests == []  # announced once: a no-op tells nobody

    notes = show / "show_notes" / "002-mailbag-better-offsites.md"
    notes.write_text(notes.read_text().replace("Three Rules", "Four Rules"))
    skipped = run_cli("publish", "--no-notify", "--workspace", str(show))
    assert skipped.code == 0 and hub.requests == []
    owed = run_cli("publish", "--workspace", str(show))  # --no-notify kept the change owed
    assert owed.code == 0 and [r["path"] for r in hub.requests] == ["/hub", "/api/1.0/hub/pubnotify"]
