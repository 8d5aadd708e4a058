"""The store ``[storage] url`` names: a folder or an S3 bucket.

``open_store`` is the one place that turns the storage settings into a
store; the S3 settings it hands on are checked here first, each mistake
naming its key in config.toml.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline import store  # the face: the S3 code (and boto3) loads only for an s3:// store
from pipeline.errors import ConfigError
from pipeline.model import StorageSettings

from .local import LocalStore
from .protocol import Store


def open_store(settings: StorageSettings, root: Path) -> Store:
    """The store ``[storage] url`` names: a folder relative to the show
    (default ``public``) or ``s3://bucket/prefix``."""
    url = settings.url.strip()
    config = root / "config.toml"
    if url.startswith("s3://"):
        bucket, prefix = store.parse_s3_url(url, config)
        _check_s3_settings(settings, config)
        return store.S3Store(bucket, prefix, settings)
    if not url or "://" in url:
        raise ConfigError(
            f"unknown store {url!r}",
            path=config,
            field="storage.url",
            fix='use a folder such as "public" or "s3://bucket/prefix"',
        )
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
