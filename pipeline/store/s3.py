"""S3Store: the published tree in an S3-compatible bucket, through boto3.

Works with AWS S3, Cloudflare R2, Backblaze B2, MinIO and SeaweedFS; set
``[storage] endpoint_url`` for anything but AWS. Credentials come only from
boto3's standard chain (environment, shared profile, instance or task role):
castline never reads them from config.toml and never prints them.

How a sync stays cheap and safe:

* one LIST of the prefix tells which keys exist and their sizes; an object
  is skipped when it is there with the same size and its sha256 (from the
  caller's published state, or else the object's ``x-amz-meta-sha256``)
  matches, so a run with nothing new makes no PUT at all;
* files above ``multipart_threshold_mb`` go up in parts, several files and
  parts at once (one s3transfer TransferManager), with botocore retrying
  throttling and 5xx answers with backoff;
* uploaded media can be verified with a HEAD (size and type) before the
  feed that points at them is replaced;
* every boto3 failure becomes one StoreError line naming the store, the key
  and the fix; no traceback reaches the host.
"""

from __future__ import annotations

import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from pipeline.errors import ConfigError, StoreError
from pipeline.model import StorageSettings

from .keys import validate_key
from .protocol import STATE_CACHE, ObjectInfo, Stamp, Upload, state_changed_error
from .s3errors import boto_errors, is_missing, is_precondition_failed, translate

if TYPE_CHECKING:  # boto3 is loaded by the first S3Store, never by importing castline
    import boto3

_MB = 1024 * 1024
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")  # S3's rule for bucket names (3-63 characters)


def s3_url_problem(url: str) -> str | None:
    """Why ``s3://bucket/prefix`` cannot name a place in a bucket, or None.
    The one rule for bucket names and prefixes (the S3 store trusts it;
    config checks ``[storage] url`` with it)."""
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not BUCKET.fullmatch(bucket) or ".." in bucket:
        return f"{url!r} does not name a valid bucket"
    prefix = prefix.strip("/")
    if prefix:
        try:
            validate_key(prefix)
        except StoreError:
            return f"{url!r} has a prefix with characters S3 keys here may not use"
    return None


def parse_s3_url(url: str, config: Path) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ("bucket", "some/prefix"), by the one
    rule config checks (``s3_url_problem``)."""
    problem = s3_url_problem(url)
    if problem:
        raise ConfigError(problem, path=config, field="storage.url",
                          fix="write s3://bucket/prefix with a bucket of 3-63 lowercase letters, digits, '.' or '-'")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    return bucket, prefix.strip("/")


class S3Store:
    """A bucket (and optional prefix) holding the published tree."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        settings: StorageSettings | None = None,
        *,
        max_attempts: int = 5,
        session: boto3.session.Session | None = None,
    ) -> None:
        """``settings``: the endpoint, region, multipart threshold and
        concurrency of ``[storage]`` (its ``url`` is not read: ``bucket``
        and ``prefix`` say where); the defaults without it."""
        import boto3
        from boto3.s3.transfer import TransferConfig
        from botocore.config import Config

        settings = settings or StorageSettings()
        endpoint_url = settings.endpoint_url
        multipart_threshold_mb, max_concurrency = settings.multipart_threshold_mb, settings.max_concurrency
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.name = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.endpoint_url = endpoint_url
        self.max_concurrency = max_concurrency
        session = session or boto3.session.Session()
        region = settings.region or session.region_name or ("us-east-1" if endpoint_url else None)

        def client(attempts: int, pool: int):
            config = Config(
                retries={"mode": "standard", "total_max_attempts": attempts},
                connect_timeout=5,
                read_timeout=60,
                max_pool_connections=pool,
                # S3-compatible stores (R2, B2, older MinIO) reject the
                # default CRC checksums botocore adds since 1.36.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                s3={"addressing_style": "path"} if endpoint_url else None,
            )
            return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)

        self._client = client(max_attempts, max(10, max_concurrency * 3))
        self._client.meta.events.register("before-send.s3.PutObject", _close_after_conditional_put)
        self._probe = client(1, 2)  # check(): fail fast, no retries
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold_mb * _MB,
            multipart_chunksize=max(8, multipart_threshold_mb // 2) * _MB,
            max_concurrency=max_concurrency,
            preferred_transfer_client="classic",
        )

    @property
    def client(self):
        """The boto3 client (tests and benchmarks hook its events)."""
        return self._client

    # -- reading ---------------------------------------------------------

    def check(self) -> None:
        """Fail fast, with the fix, if the bucket is unreachable, missing,
        or our credentials are refused. Reads only: a no-op run stays at
        zero writes."""
        try:
            self._probe.list_objects_v2(Bucket=self.bucket, Prefix=self._full(""), MaxKeys=1)
        except boto_errors() as err:
            raise self._error(err, None, "check") from None

    def get(self, key: str) -> bytes | None:
        data, _ = self._get(key)
        return data

    def head(self, key: str) -> ObjectInfo | None:
        try:
            answer = self._client.head_object(Bucket=self.bucket, Key=self._full(key))
        except boto_errors() as err:
            if is_missing(err):
                return None
            raise self._error(err, key, "head") from None
        return ObjectInfo(
            key=key,
            size=answer["ContentLength"],
            content_type=answer.get("ContentType"),
            cache_control=answer.get("CacheControl"),
            sha256=answer.get("Metadata", {}).get("sha256"),
            etag=answer.get("ETag"),
            modified=answer["LastModified"].timestamp() if answer.get("LastModified") else None,
        )

    def list_keys(self) -> list[str]:
        """Every key under the prefix (state and lock included)."""
        return sorted(self._sizes())

    def listing(self) -> dict[str, Stamp]:
        """key -> (size, ETag) of every object under the prefix: one LIST
        request per 1000 keys, no object read."""
        start = self._full("")
        out: dict[str, Stamp] = {}
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                for item in page.get("Contents", []):
                    out[item["Key"][len(start):]] = Stamp(item["Size"], str(item.get("ETag", "")).strip('"'))
        except boto_errors() as err:
            raise self._error(err, None, "list") from None
        return out

    def put(self, uploads: Sequence[Upload], *, verify: bool = False,
            on_bytes: Callable[[int], None] | None = None) -> None:
        """Upload every object given (the caller decided they differ)."""
        for upload in uploads:
            validate_key(upload.key, self.name)
        if uploads:
            self._upload(uploads, on_bytes)
            if verify:
                self._parallel(self._verify, uploads)

    def download(self, key: str, dest: Path) -> None:
        try:
            self._client.download_file(self.bucket, self._full(validate_key(key, self.name)), str(dest))
        except boto_errors() as err:
            raise self._error(err, key, "read") from None

    def clean_leftovers(self) -> int:
        """Abort the multipart uploads under the prefix that a killed run
        left unfinished (S3 keeps, and bills, their parts until aborted).
        Called only while this run holds the publish lease, so no live
        upload of this show can be among them. Returns how many."""
        start = self._full("")
        aborted = 0
        try:
            for page in self._client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=start):
                for item in page.get("Uploads", []):
                    self._client.abort_multipart_upload(Bucket=self.bucket, Key=item["Key"], UploadId=item["UploadId"])
                    aborted += 1
        except boto_errors() as err:
            raise self._error(err, None, "abort unfinished uploads") from None
        return aborted

    # -- writing ---------------------------------------------------------

    def put_many(
        self,
        uploads: Sequence[Upload],
        *,
        known: Mapping[str, str] | None = None,
        verify: bool = False,
        on_bytes: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Upload what changed (see the module docstring); return its keys.

        ``on_bytes`` receives byte counts from worker threads as parts go up
        (negative when s3transfer rewinds a part to retry it).
        """
        for upload in uploads:
            validate_key(upload.key, self.name)
        todo = self._changed(uploads, known)
        if todo:
            self._upload(todo, on_bytes)
            if verify:
                self._parallel(self._verify, todo)
        return [u.key for u in todo]

    def delete_many(self, keys: Sequence[str]) -> None:
        keys = [validate_key(k, self.name) for k in keys]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": self._full(k)} for k in keys[start:start + 1000]]
            try:
                answer = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            except boto_errors() as err:
                raise self._error(err, batch[0]["Key"], "delete") from None
            for failed in answer.get("Errors", []):
                raise StoreError(
                    f"cannot delete: {failed.get('Code')} {failed.get('Message', '')}",
                    path=self.name, field=failed.get("Key"),
                    fix="check that the credentials may delete objects in the bucket",
                )

    def read_state(self, key: str) -> tuple[bytes | None, str | None]:
        return self._get(key)

    def write_state(self, key: str, data: bytes, *, expected_etag: str | None) -> str:
        """PutObject with If-Match (or If-None-Match: * for the first one):
        the server refuses it if anyone wrote the state since we read it."""
        condition = {"IfMatch": expected_etag} if expected_etag else {"IfNoneMatch": "*"}
        try:
            answer = self._client.put_object(
                Bucket=self.bucket, Key=self._full(key), Body=data,
                ContentType="application/json", CacheControl=STATE_CACHE, **condition,
            )
        except boto_errors() as err:
            if is_precondition_failed(err):
                raise state_changed_error(self.name, key) from None
            raise self._error(err, key, "write") from None
        return answer["ETag"]

    # -- helpers ---------------------------------------------------------

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _error(self, err: Exception, key: str | None, action: str) -> StoreError:
        if key and self.prefix and key.startswith(self.prefix + "/"):
            key = key[len(self.prefix) + 1:]
        return translate(err, store=self.name, bucket=self.bucket, endpoint=self.endpoint_url, key=key, action=action)

    def _get(self, key: str) -> tuple[bytes | None, str | None]:
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self._full(validate_key(key, self.name)))
            return answer["Body"].read(), answer.get("ETag")
        except boto_errors() as err:
            if is_missing(err):
                return None, None
            raise self._error(err, key, "read") from None

    def _sizes(self) -> dict[str, int]:
        """key -> size of every object under the prefix, one LIST per 1000."""
        start = self._full("")
        sizes = {}
        try:
            for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start):
                for item in page.get("Contents", []):
                    sizes[item["Key"][len(start):]] = item["Size"]
        except boto_errors() as err:
            raise self._error(err, None, "list") from None
        return sizes

    def _changed(self, uploads: Sequence[Upload], known: Mapping[str, str] | None) -> list[Upload]:
        sizes = self._sizes()
        present = [u for u in uploads if sizes.get(u.key) == u.size]
        if known is not None:
            same = {u.key for u in present if known.get(u.key) == u.sha256}
        else:
            heads = self._parallel(lambda u: self.head(u.key), present)
            same = {u.key for u, info in zip(present, heads) if info and info.sha256 == u.sha256}
        return [u for u in uploads if u.key not in same]

    def _upload(self, todo: Sequence[Upload], on_bytes: Callable[[int], None] | None) -> None:
        from boto3.s3.transfer import create_transfer_manager

        subscribers = [_Progress(on_bytes)] if on_bytes else None
        with create_transfer_manager(self._client, self._transfer) as manager:
            futures = [
                (
                    u,
                    manager.upload(
                        str(u.source) if isinstance(u.source, Path) else io.BytesIO(u.source),
                        self.bucket,
                        self._full(u.key),
                        extra_args={
                            "ContentType": u.content_type,
                            "CacheControl": u.cache_control,
                            "Metadata": {"sha256": u.sha256},
                        },
                        subscribers=subscribers,
                    ),
                )
                for u in todo
            ]
            failure = None
            for upload, future in futures:
                try:
                    future.result()
                except boto_errors() as err:
                    failure = failure or self._error(err, upload.key, "upload")
                except OSError as err:
                    failure = failure or StoreError(
                        f"cannot read {upload.source}: {err.strerror}", path=self.name,
                        field=upload.key, fix="build the show again so the file exists",
                    )
        if failure:
            raise failure

    def _verify(self, upload: Upload) -> None:
        info = self.head(upload.key)
        if info is None or info.size != upload.size or info.content_type != upload.content_type:
            found = "nothing" if info is None else f"{info.size} bytes of {info.content_type}"
            raise StoreError(
                f"verify failed after upload: the store has {found}, "
                f"expected {upload.size} bytes of {upload.content_type}",
                path=self.name, field=upload.key,
                fix="run the publish again; if it repeats, the store or a proxy alters uploads",
            )

    def _parallel(self, fn, items):
        with ThreadPoolExecutor(max_workers=max(1, self.max_concurrency)) as pool:
            return list(pool.map(fn, items))


def _close_after_conditional_put(request, **kwargs) -> None:
    """A conditional PUT (state, lease) that the server refuses with 412 may
    answer before reading the body; some servers (SeaweedFS) then leave the
    kept-alive connection unusable and the next request waits for its read
    timeout. These writes are rare and small: each gets its own connection."""
    if "If-Match" in request.headers or "If-None-Match" in request.headers:
        request.headers["Connection"] = "close"


class _Progress:
    """Forwards s3transfer progress to the caller's callback, one thread at
    a time (rich's bars are not meant to be updated concurrently).

    A subscriber in s3transfer's sense: s3transfer looks its ``on_*``
    methods up by name (``s3transfer.utils.get_callbacks``), it never checks
    for a ``BaseSubscriber``, so none is subclassed and importing the store
    loads no boto3."""

    def __init__(self, callback: Callable[[int], None]) -> None:
        self._callback = callback
        self._lock = threading.Lock()

    def on_queued(self, future, **kwargs):
        pass

    def on_progress(self, future, bytes_transferred, **kwargs):
        with self._lock:
            self._callback(bytes_transferred)

    def on_done(self, future, **kwargs):
        pass
