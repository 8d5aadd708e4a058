"""The publish lease: one publish of a show writes to its store at a time.

A lock that outlives its holder blocks the host until someone deletes a
file by hand; a crash (kill -9, a power cut, a dropped connection) must
never need that. So the lock is a *lease*: a small JSON object beside the
published state that says who holds it (owner, host, pid, the pid's start
time) and until when. The running publish renews it every few seconds
while it works; a lease is taken over, with a one-line notice, when

* its expiry has passed (the holder stopped renewing: it died, or hangs), or
* its holder is on this host and that process is gone (a kill -9 is seen at
  once, no waiting for the expiry), or
* it cannot be read (empty or torn by a crash) and it is older than the
  lease time.

Taking over is a compare-and-swap on the lease object (the stores'
conditional write), so of two runs that find the same dead lease exactly
one wins. ``castline unlock`` removes a lease by hand for the rare case a
holder on another machine is known to be gone.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable

from pipeline.errors import StateError
from pipeline.tools.processes import alive, start_time

from .protocol import Store

LEASE_KEY = ".castline/lock"
LEASE_SECONDS = 120.0  # how long a lease lives without renewal
RENEW_EVERY = 15.0


@dataclass(frozen=True)
class LeaseRecord:
    """The body of the lease object."""

    owner: str  # "host:pid", as shown to the host
    host: str
    pid: int
    started: str  # the pid's start time (so a reused pid is not mistaken for the holder)
    token: str  # unique per acquisition
    since: float  # unix seconds
    expires: float

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes | None) -> "LeaseRecord | None":
        try:
            raw = json.loads(data or b"")
            return cls(str(raw["owner"]), str(raw.get("host", "")), int(raw.get("pid", 0)), str(raw.get("started", "")),
                       str(raw["token"]), float(raw["since"]), float(raw["expires"]))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None

    def gone(self, now: float) -> str | None:
        """Why this lease may be taken over, or None while its holder lives."""
        if now >= self.expires:
            return "its lease expired"
        if self.host == socket.gethostname() and self.pid and not alive(self.pid, self.started):
            return "that process is no longer running"
        return None


def _stamp(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


class Lease:
    """Hold the publish lease for a ``with`` block, renewing it meanwhile.

    ``notices`` collects the one-line notices (a lease taken over) for the
    publish report. ``lost`` tells whether another run took the lease away
    (only possible if this one stalled past the lease time); publish checks
    ``confirm()`` before it replaces the feed and the state.
    """

    def __init__(self, store: Store, *, key: str = LEASE_KEY, seconds: float = LEASE_SECONDS,
                 renew_every: float = RENEW_EVERY, clock: Callable[[], float] = time.time) -> None:
        self.store, self.key, self.seconds, self.renew_every, self.clock = store, key, seconds, renew_every, clock
        self.notices: list[str] = []
        self.mine: LeaseRecord | None = None
        self.etag: str | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    # -- the with block --------------------------------------------------

    def __enter__(self) -> "Lease":
        self.acquire()
        self._thread = threading.Thread(target=self._renew_loop, name="castline-lease", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.release()
        except Exception:
            if exc is None:
                raise
            # a failed release never hides the error that ended the publish:
            # the lease expires by itself and its holder is seen to be gone

    # -- steps -----------------------------------------------------------

    def acquire(self) -> None:
        now = self.clock()
        record = self._record(now)
        try:
            self.etag = self.store.write_state(self.key, record.to_bytes(), expected_etag=None)
        except StateError:
            data, etag = self.store.read_state(self.key)
            if data is None and etag is None:  # released between our two calls: try once more
                self.etag = self.store.write_state(self.key, record.to_bytes(), expected_etag=None)
            else:
                held = LeaseRecord.from_bytes(data)
                why = self._takeover_reason(held, now)
                if why is None:
                    raise self._held_error(held) from None
                try:
                    self.etag = self.store.write_state(self.key, record.to_bytes(), expected_etag=etag)
                except StateError:
                    raise self._held_error(LeaseRecord.from_bytes(self.store.read_state(self.key)[0])) from None
                who = f"{held.owner} since {_stamp(held.since)}" if held else "an unreadable lease"
                self.notices.append(f"took over the publish lease of {who}: {why}")
        self.mine = record

    def renew(self) -> None:
        """Push the expiry forward if the lease is still ours."""
        with self._guard:
            if self.mine is None or self.lost:
                return
            now = self.clock()
            renewed = LeaseRecord(**{**asdict(self.mine), "expires": now + self.seconds})
            try:
                self.etag = self.store.write_state(self.key, renewed.to_bytes(), expected_etag=self.etag)
                self.mine = renewed
            except StateError:
                self.lost = True

    def confirm(self) -> None:
        """Raise if the lease was taken away (this run stalled too long)."""
        self.renew()
        if self.lost:
            raise StateError("this publish lost its lease to another publish while it was stalled",
                             path=f"{self.store.name}{self.key}", fix="run castline publish again")

    def release(self) -> None:
        with self._guard:
            if self.mine is None or self.lost:
                return
            data, _ = self.store.read_state(self.key)
            if LeaseRecord.from_bytes(data) == self.mine:
                self.store.delete_many([self.key])
            self.mine = None

    # -- helpers ---------------------------------------------------------

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.renew_every):
            try:
                self.renew()
            except Exception:  # a transient store error: the next renewal tries again
                pass

    def _record(self, now: float) -> LeaseRecord:
        host, pid = socket.gethostname(), os.getpid()
        return LeaseRecord(owner=f"{host}:{pid}", host=host, pid=pid, started=start_time(pid),
                           token=uuid.uuid4().hex, since=now, expires=now + self.seconds)

    def _takeover_reason(self, held: LeaseRecord | None, now: float) -> str | None:
        if held is not None:
            return held.gone(now)
        info = self.store.head(self.key)
        age = now - info.modified if info is not None and info.modified is not None else 0.0
        return "it was unreadable and older than the lease time" if age >= self.seconds else None

    def _held_error(self, held: LeaseRecord | None) -> StateError:
        who = f"{held.owner} since {_stamp(held.since)}, renewed until {_stamp(held.expires)}" if held else \
            "an unreadable owner (it is taken over once it is older than the lease time)"
        return StateError(f"another publish of this show is running (lease {self.key} held by {who})",
                          path=self.store.name,
                          fix="wait for it to finish; if that machine is gone for good, run castline unlock")


def unlock(store: Store, key: str = LEASE_KEY) -> LeaseRecord | None | bool:
    """Remove the lease by hand. Returns the record removed (None if it was
    unreadable), or False when there was no lease."""
    data, _ = store.read_state(key)
    if data is None:
        return False
    store.delete_many([key])
    return LeaseRecord.from_bytes(data)
