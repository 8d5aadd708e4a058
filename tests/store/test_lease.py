"""The publish lease, on both stores: one publish at a time, and a crash
never needs a manual step (an expired lease, a dead holder, an empty or
torn lease file are taken over with a one-line notice)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from pipeline.errors import StateError, StoreError
from pipeline.model import StorageSettings
from pipeline.store import LEASE_KEY, Lease, LeaseRecord, LocalStore, S3Store, unlock
from tests._s3server import s3_env, s3_server  # noqa: F401  (fixtures)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request, tmp_path):
    if request.param == "local":
        return LocalStore(tmp_path / "public")
    server = request.getfixturevalue("s3_env")
    return S3Store(server.new_bucket(), "show", StorageSettings(endpoint_url=server.endpoint))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _plant(store, record: LeaseRecord | bytes) -> None:
    data = record if isinstance(record, bytes) else record.to_bytes()
    store.write_state(LEASE_KEY, data, expected_etag=None)


def _record(**kw) -> LeaseRecord:
    now = time.time()
    base = dict(owner="laptop:1", host=socket.gethostname(), pid=os.getpid(), started="", token="t", since=now,
                expires=now + 120)
    return LeaseRecord(**{**base, **kw})


def test_a_second_publish_is_refused_while_the_first_holds_the_lease(store):
    with Lease(store):
        with pytest.raises(StateError) as err:
            with Lease(store):
                pass
        text = str(err.value)
        assert text.startswith(f"{store.name}: another publish of this show is running (lease .castline/lock held by "
                               f"{socket.gethostname()}:{os.getpid()} since ")
        assert text.endswith("wait for it to finish; if that machine is gone for good, run castline unlock")
        assert "\n" not in text
    assert store.get(LEASE_KEY) is None


def test_the_lease_of_a_killed_process_on_this_host_is_taken_over_at_once(store):
    pid = _dead_pid()
    _plant(store, _record(owner=f"{socket.gethostname()}:{pid}", pid=pid))
    with Lease(store) as lease:
        assert LeaseRecord.from_bytes(store.get(LEASE_KEY)).pid == os.getpid()
    assert lease.notices == [lease.notices[0]]
    assert f"took over the publish lease of {socket.gethostname()}:{pid} since" in lease.notices[0]
    assert lease.notices[0].endswith("that process is no longer running")
    assert store.get(LEASE_KEY) is None


def test_an_expired_lease_of_another_host_is_taken_over(store):
    _plant(store, _record(owner="elsewhere:42", host="elsewhere", pid=42, expires=time.time() - 1))
    with Lease(store) as lease:
        pass
    assert lease.notices[0].endswith("its lease expired")


def test_a_live_lease_of_another_host_is_respected_until_it_expires(store):
    _plant(store, _record(owner="elsewhere:42", host="elsewhere", pid=42))
    with pytest.raises(StateError, match="held by elsewhere:42"):
        with Lease(store):
            pass


def test_an_empty_lease_file_is_taken_over_once_older_than_the_lease_time(store):
    _plant(store, b"")
    with pytest.raises(StateError, match="unreadable owner"):
        with Lease(store):
            pass
    with Lease(store, seconds=0.0) as lease:  # "older than the lease time"
        pass
    assert lease.notices[0].endswith("it was unreadable and older than the lease time")


def test_the_lease_is_renewed_while_the_publish_works(store):
    with Lease(store, seconds=30, renew_every=0.2):
        first = LeaseRecord.from_bytes(store.get(LEASE_KEY)).expires
        time.sleep(1.0)
        assert LeaseRecord.from_bytes(store.get(LEASE_KEY)).expires > first


def test_a_lease_taken_away_from_a_stalled_run_is_noticed(store):
    lease = Lease(store, seconds=0.0)
    lease.acquire()
    with Lease(store):  # the first one "stalled" past its lease time
        with pytest.raises(StateError, match="lost its lease"):
            lease.confirm()


def test_a_failed_release_never_hides_the_error_that_ended_the_publish(store, monkeypatch):
    def broken(keys):
        raise StoreError("the S3 endpoint stopped answering (delete)", path=store.name)

    with pytest.raises(RuntimeError, match="the real error"):
        with Lease(store):
            monkeypatch.setattr(store, "delete_many", broken)
            raise RuntimeError("the real error")


def test_castline_unlock_removes_a_lease(store, tmp_path):
    assert unlock(store) is False
    _plant(store, _record(owner="elsewhere:42", host="elsewhere", pid=42))
    assert unlock(store).owner == "elsewhere:42"
    assert store.get(LEASE_KEY) is None


def test_two_racing_takeovers_of_a_dead_lease_exactly_one_wins(store):
    import threading

    pid = _dead_pid()
    _plant(store, _record(owner=f"{socket.gethostname()}:{pid}", pid=pid))
    won, lost = [], []
    barrier = threading.Barrier(4)

    def take():
        lease = Lease(store)
        barrier.wait()
        try:
            lease.acquire()
            won.append(lease)
        except StateError:
            lost.append(1)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(lost) == 3
    assert json.loads(store.get(LEASE_KEY))["token"] == won[0].mine.token
