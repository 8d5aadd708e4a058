"""Where the published tree lives: the Store protocol and the headers.

A store holds exactly the tree castline builds in ``public/``: media, art,
pages, sidecars, the feed, and the small JSON object that records what has
been published. Two stores exist: ``LocalStore`` (a folder, the default) and
``S3Store`` (any S3-compatible object store, in ``s3.py``); ``open_store``
(``open.py``) opens the one ``[storage] url`` names.

Rules every store keeps:

* Keys are ASCII letters, digits, ``- . _ /`` only, so that the URL an app
  fetches is the key itself, with nothing to escape (``keys.py``).
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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, Protocol, Sequence

from pipeline.errors import StateError, StoreError
from pipeline.tools.digest import sha256_of  # noqa: F401  (the stores' one hash)

from .keys import validate_key

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


def state_changed_error(store: str, key: str) -> StateError:
    return StateError(
        f"the published state {key} was changed by another publish while this one ran",
        path=store,
        fix="run the publish again; it will start from the new state",
    )
