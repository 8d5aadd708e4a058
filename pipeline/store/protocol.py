"""Where the published tree lives: the Store protocol, headers, LocalStore.

A store holds exactly the tree castline builds in ``public/``: media, art,
pages, sidecars, the feed, and the small JSON object that records what has
been published. Two stores exist: ``LocalStore`` (a folder, the default) and
``S3Store`` (any S3-compatible object store, in ``pipeline/s3store.py``).

Rules every store keeps:

* Keys are ASCII letters, digits, ``- . _ /`` only, so that the URL an app
  fetches is the key itself, with nothing to escape.
* Every object carries the right Content-Type (podcast apps refuse an
  enclosure served as ``application/octet-stream``) and a Cache-Control that
  matches how the key is used: media and art keys are never reused, so a CDN
  may keep them for a year (``immutable``); the feed and the pages change
  under the same key, so they live five minutes.
* Uploading is incremental: an object is written only when its sha256
  differs from what the store already holds. Nothing is ever deleted except
  by an explicit ``delete_many`` (the prune step).
* A reader never sees half an object: LocalStore writes a temp file and
  renames it; S3 publishes an object only once its PUT completes.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Protocol, Sequence

from pipeline.tools.digest import sha256_of  # noqa: F401  (the stores' one hash)
from pipeline.errors import ConfigError, StateError, StoreError
from pipeline.model import StorageSettings

FEED_KEY = "feed.xml"  # the feed: written after everything it points at

SHORT_CACHE = "public, max-age=300"
IMMUTABLE_CACHE = "public, max-age=31536000, immutable"
STATE_CACHE = "no-cache"
ARCHIVE_CACHE = "public, max-age=86400"
IMMUTABLE_PREFIXES = ("media/", "art/")

_CONTENT_TYPES = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/x-m4a",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".rss": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".vtt": "text/vtt",
    ".srt": "application/x-subrip",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}
_KEY_RE = re.compile(r"[A-Za-z0-9._/-]+")


@dataclass(frozen=True)
class ObjectInfo:
    """What a store says about one object (an S3 HEAD, or a file's stat)."""

    key: str
    size: int
    content_type: str | None
    cache_control: str | None
    sha256: str | None  # stored x-amz-meta-sha256, or the file's hash
    etag: str | None
    modified: float | None = None  # unix seconds


@dataclass(frozen=True)
class Stamp:
    """What one LIST (or one stat) says about an object, cheaply: its size and
    a token that changes whenever the object is written again (S3: the ETag;
    a folder: size, mtime and inode). The published state records the stamp
    each object had after castline wrote it, so a later publish can tell,
    without reading any object, that the store still holds what it wrote."""

    size: int
    token: str


@dataclass(frozen=True)
class Upload:
    """One object to put: its key, where the bytes come from, and headers.

    Made by ``make_upload`` so the hash, size and headers always agree with
    the bytes; ``sha256`` is what incremental sync compares.
    """

    key: str
    source: Path | bytes
    sha256: str
    size: int
    content_type: str
    cache_control: str


class Store(Protocol):
    """The published tree, wherever it lives. See the module docstring."""

    name: str  # "public/" or "s3://bucket/prefix", used in every message

    def check(self) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def head(self, key: str) -> ObjectInfo | None: ...
    def listing(self) -> dict[str, Stamp]: ...
    def put(self, uploads: Sequence[Upload], *, verify: bool = False,
            on_bytes: Callable[[int], None] | None = None) -> None: ...
    def download(self, key: str, dest: Path) -> None: ...
    def clean_leftovers(self) -> int: ...
    def put_many(
        self,
        uploads: Sequence[Upload],
        *,
        known: Mapping[str, str] | None = None,
        verify: bool = False,
        on_bytes: Callable[[int], None] | None = None,
    ) -> list[str]: ...
    def delete_many(self, keys: Sequence[str]) -> None: ...
    def list_keys(self) -> list[str]: ...
    def write_state(self, key: str, data: bytes, *, expected_etag: str | None) -> str: ...
    def read_state(self, key: str) -> tuple[bytes | None, str | None]: ...


def validate_key(key: str, store: str | None = None) -> str:
    """Return ``key`` if it is a safe object key, else raise StoreError.

    Safe means ASCII letters, digits, ``- . _ /``; relative; no empty, ``.``
    or ``..`` segment (so a key can never escape LocalStore's folder).
    """
    segments = key.split("/")
    if (
        not _KEY_RE.fullmatch(key)
        or any(seg in ("", ".", "..") for seg in segments)
    ):
        raise StoreError(
            f"bad object key {key!r}",
            path=store,
            fix="use only ASCII letters, digits, '-', '.', '_' and '/' "
            "between non-empty path segments (rename the file or slug)",
        )
    return key


def headers_for(key: str) -> tuple[str, str]:
    """(Content-Type, Cache-Control) for a key, from its extension and place.

    ``feed.xml`` (any ``.xml`` or ``.rss``) is the RSS type apps expect; keys
    under ``media/`` and ``art/`` are immutable because castline never
    reuses them (a changed file gets a new key); everything else (the feed,
    pages, chapters, transcripts) is short-lived so edits show up quickly.
    """
    suffix = Path(key).suffix.lower()
    if suffix == ".xml":
        content_type = "application/rss+xml; charset=utf-8"
    elif suffix in _CONTENT_TYPES:
        content_type = _CONTENT_TYPES[suffix]
    else:
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    if key.startswith(IMMUTABLE_PREFIXES):
        return content_type, IMMUTABLE_CACHE
    if key.startswith("feed-archive-"):
        return content_type, ARCHIVE_CACHE  # RFC 5005 archive pages: old episodes, rarely rewritten
    return content_type, SHORT_CACHE


def make_upload(key: str, source: Path | bytes, sha256: str | None = None) -> Upload:
    """Describe one object to put; computes size, hash (unless given) and
    headers. A missing source file is a StoreError naming it."""
    validate_key(key)
    if isinstance(source, bytes):
        size = len(source)
    else:
        source = Path(source)
        try:
            size = source.stat().st_size
        except OSError as err:
            raise StoreError(
                f"cannot read {source} for {key}: {err.strerror}",
                path=source,
                fix="build the show again so the file exists",
            ) from None
    content_type, cache_control = headers_for(key)
    return Upload(
        key=key,
        source=source,
        sha256=sha256 or sha256_of(source),
        size=size,
        content_type=content_type,
        cache_control=cache_control,
    )


def open_store(settings: StorageSettings, root: Path) -> Store:
    """The store ``[storage] url`` names: a folder relative to the show
    (default ``public``) or ``s3://bucket/prefix``."""
    url = settings.url.strip()
    config = root / "config.toml"
    if url.startswith("s3://"):
        from pipeline.store.s3 import S3Store, parse_s3_url

        bucket, prefix = parse_s3_url(url, config)
        _check_s3_settings(settings, config)
        return S3Store(
            bucket,
            prefix,
            endpoint_url=settings.endpoint_url,
            region=settings.region,
            multipart_threshold_mb=settings.multipart_threshold_mb,
            max_concurrency=settings.max_concurrency,
        )
    if not url or "://" in url:
        raise ConfigError(
            f"unknown store {url!r}",
            path=config,
            field="storage.url",
            fix='use a folder such as "public" or "s3://bucket/prefix"',
        )
    from pipeline.store.local import LocalStore

    folder = Path(url)
    return LocalStore(folder if folder.is_absolute() else root / folder, name=url.rstrip("/") + "/")


def _check_s3_settings(settings: StorageSettings, config: Path) -> None:
    endpoint = settings.endpoint_url
    if endpoint is not None and not re.fullmatch(r"https?://[^/\s]+/?", endpoint):
        raise ConfigError(
            f"bad endpoint_url {endpoint!r}",
            path=config,
            field="storage.endpoint_url",
            fix="give the scheme and host only, e.g. https://<account>.r2.cloudflarestorage.com",
        )
    if settings.multipart_threshold_mb < 5:
        raise ConfigError(
            "multipart_threshold_mb is below 5, the smallest S3 part",
            path=config,
            field="storage.multipart_threshold_mb",
            fix="use 5 or more (16 is the default)",
        )
    if not 1 <= settings.max_concurrency <= 64:
        raise ConfigError(
            f"max_concurrency {settings.max_concurrency} is out of range",
            path=config,
            field="storage.max_concurrency",
            fix="use a number from 1 to 64 (4 is the default)",
        )


def state_changed_error(store: str, key: str) -> StateError:
    return StateError(
        f"the published state {key} was changed by another publish while this one ran",
        path=store,
        fix="run the publish again; it will start from the new state",
    )
