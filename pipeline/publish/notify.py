"""Announce a changed feed: WebSub hubs and podping, after the feed is stored.

Apps poll feeds, some every few hours. A publish that tells them at once
is what makes a new episode appear within a minute:

* **WebSub** (W3C): for each ``[notify] websub_hubs`` entry the feed carries
  ``atom:link rel="hub"``, and after the feed is in the store castline POSTs
  ``hub.mode=publish&hub.url=<feed URL>`` to the hub, which fetches the feed
  and pushes it to its subscribers.
* **Podping** (Podcast Index): with ``[notify] podping = true`` the feed
  carries ``podcast:podping usesPodping="true"``, and castline sends
  ``GET <podping_endpoint>?url=<feed>&reason=update|live|liveEnd&medium=<medium>``
  with ``Authorization: <token>`` when ``CASTLINE_PODPING_TOKEN`` is set
  (the token is read from the environment only: never from config, never
  printed, never logged); without a token it calls Podcast Index's no-key
  ``hub/pubnotify?url=<feed>``, which podpings on the show's behalf.

Announcing is best effort: a notification that fails never fails the
publish. ``send`` returns one warning for the lot and a record of what is
still pending; the publisher keeps that record in the published state, and
the next publish sends the pending ones again. Nothing here reads config
files or the clock, and nothing is sent by ``due_notifications``: the plan
is a plain value, so ``--dry-run`` can list it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Literal

from pipeline.model import Settings

TOKEN_ENV = "CASTLINE_PODPING_TOKEN"
Kind = Literal["websub", "podping"]
Reason = Literal["update", "live", "liveEnd"]


@dataclass(frozen=True)
class Notification:
    """One announcement: ``kind`` says how, ``endpoint`` where (the hub, the
    podping or pubnotify URL), ``reason`` why (podping's update, live or
    liveEnd)."""

    kind: Kind
    endpoint: str
    feed_url: str
    reason: Reason = "update"
    medium: str = "podcast"

    def describe(self) -> str:
        """One line for ``--dry-run`` and warnings; never holds the token."""
        if self.kind == "websub":
            return f"WebSub publish of {self.feed_url} to {self.endpoint}"
        return f"podping ({self.reason}, {self.medium}) of {self.feed_url} to {self.endpoint}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "endpoint": self.endpoint, "feed_url": self.feed_url,
                "reason": self.reason, "medium": self.medium}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Notification | None:
        try:
            return cls(kind=raw["kind"], endpoint=str(raw["endpoint"]), feed_url=str(raw["feed_url"]),
                       reason=raw.get("reason", "update"), medium=str(raw.get("medium", "podcast")))
        except (KeyError, TypeError):
            return None  # a record from another version: dropped, the next change announces anew


@dataclass(frozen=True)
class NotifyPlan:
    """What this publish should announce, and what the record will say
    once it has: the feed's sha256 and the live items' statuses."""

    notifications: tuple[Notification, ...]
    feed_sha256: str
    live: Mapping[str, str] = field(default_factory=dict)  # liveItem GUID -> status
    pubnotify_endpoint: str = ""  # where a podping goes without a token


@dataclass(frozen=True)
class NotifyResult:
    """``sent``: the notifications that succeeded; ``warnings``: at most one
    line naming the ones that failed; ``record``: the JSON-ready dict to
    keep in the published state (``previous`` for the next publish)."""

    sent: tuple[Notification, ...]
    warnings: tuple[str, ...]
    record: dict[str, Any]


def due_notifications(settings: Settings, feed_sha256: str, previous: Mapping[str, Any] | None,
                      live: Mapping[str, str] | None = None) -> NotifyPlan:
    """The announcements this publish owes, without sending anything.

    ``feed_sha256`` is the hash of the ``feed.xml`` now in the store;
    ``previous`` the record the last publish kept (``NotifyResult.record``,
    or None the first time); ``live`` each ``podcast:liveItem`` GUID and its
    status as written in this feed. A feed that changed since the last
    announced one is announced to every hub and by podping (reason
    ``live`` when a live item just went live, ``liveEnd`` when one just
    ended, else ``update``); what failed last time is sent again.
    """
    n = settings.notify
    previous = previous or {}
    live = dict(live or {})
    feed_url = settings.feed_url
    due: list[Notification] = []
    if feed_sha256 != previous.get("feed_sha256"):
        due += [Notification("websub", hub, feed_url) for hub in n.websub_hubs]
        if n.podping:
            for reason in _reasons(previous.get("live") or {}, live):
                due.append(Notification("podping", n.podping_endpoint, feed_url, reason,
                                        settings.show.medium))
    for raw in previous.get("pending") or ():
        pending = Notification.from_dict(raw)
        if pending is not None and pending.feed_url == feed_url and _still_configured(settings, pending):
            due.append(pending)
    return NotifyPlan(tuple(dict.fromkeys(due)), feed_sha256, live, n.pubnotify_endpoint)


def send(plan: NotifyPlan, *, env: Mapping[str, str], timeout: float = 10.0) -> NotifyResult:
    """Send every notification of ``plan``; never raises for a failed one.

    A podping goes to the podping endpoint with the token from
    ``env[CASTLINE_PODPING_TOKEN]``; without a token it becomes the no-key
    Podcast Index pubnotify call (once, whatever the reason). Failures are
    summed up in one warning and kept as ``pending`` in the record.
    """
    token = (env.get(TOKEN_ENV) or "").strip()
    sent: list[Notification] = []
    failed: list[tuple[Notification, str]] = []
    done_pubnotify = False
    for note in plan.notifications:
        if note.kind == "podping" and not token:
            if done_pubnotify:
                sent.append(note)
                continue
            done_pubnotify = True
        try:
            _deliver(note, token, plan.pubnotify_endpoint, timeout)
        except _Failed as exc:
            failed.append((note, str(exc)))
        else:
            sent.append(note)
    warnings: tuple[str, ...] = ()
    if failed:
        what = "; ".join(f"{note.describe()}: {why}" for note, why in failed)
        warnings = (f"{len(failed)} of {len(plan.notifications)} feed announcements failed ({what}); "
                    "the feed is published, and the next publish sends them again",)
    record = {"feed_sha256": plan.feed_sha256, "live": dict(sorted(plan.live.items())),
              "pending": [note.to_dict() for note, _ in failed]}
    return NotifyResult(tuple(sent), warnings, record)


def user_agent() -> str:
    try:
        version = metadata.version("castline")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"castline/{version} (podcast publisher)"


class _Failed(Exception):
    """Why one notification failed, in words safe to show (never the token)."""


def _deliver(note: Notification, token: str, pubnotify: str, timeout: float) -> None:
    import urllib.error
    import urllib.parse
    import urllib.request  # loaded only to announce: http.client and ssl are large

    headers = {"User-Agent": user_agent()}
    data = None
    if note.kind == "websub":
        data = urllib.parse.urlencode({"hub.mode": "publish", "hub.url": note.feed_url}).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        url = note.endpoint
    elif note.kind == "podping" and token:
        query = urllib.parse.urlencode({"url": note.feed_url, "reason": note.reason, "medium": note.medium})
        url = _with_query(note.endpoint, query)
        headers["Authorization"] = token
    else:  # a podping without a token: Podcast Index's no-key pubnotify
        url = _with_query(pubnotify, urllib.parse.urlencode({"url": note.feed_url}))
    request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only, checked in config)
            response.read(65536)
    except urllib.error.HTTPError as exc:
        raise _Failed(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise _Failed(f"cannot connect ({exc.reason})") from None
    except (OSError, ValueError) as exc:  # timeouts, resets, a malformed URL
        raise _Failed(str(exc) or type(exc).__name__) from None


def _with_query(endpoint: str, query: str) -> str:
    return endpoint + ("&" if "?" in endpoint else "?") + query


def _reasons(before: Mapping[str, str], now: Mapping[str, str]) -> Iterable[Reason]:
    """podping reasons for a changed feed: ``live`` if a live item has just
    gone live, ``liveEnd`` if one has just ended, otherwise ``update``."""
    went_live = any(status == "live" and before.get(guid) != "live" for guid, status in now.items())
    ended = any(status == "ended" and before.get(guid) == "live" for guid, status in now.items())
    reasons: list[Reason] = (["live"] if went_live else []) + (["liveEnd"] if ended else [])
    return reasons or ["update"]


def _still_configured(settings: Settings, note: Notification) -> bool:
    n = settings.notify
    if note.kind == "websub":
        return note.endpoint in n.websub_hubs
    return n.podping
