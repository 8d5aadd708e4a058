"""File and byte hashing, in one place.

sha256 names content everywhere in castline: cache keys, content-hashed
media keys, the published state's object records, S3 ``x-amz-meta-sha256``.
sha384 is what ``podcast:integrity`` (Subresource Integrity) asks for; both
come from one read of the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

CHUNK = 1024 * 1024


def sha256_of(source: Path | bytes) -> str:
    """Hex sha256 of bytes or of a file, read in 1 MiB chunks."""
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    return digests(source)[0]


def digests(path: Path) -> tuple[str, str]:
    """(sha256, sha384) of a file, hex, from one read."""
    sha256, sha384 = hashlib.sha256(), hashlib.sha384()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            sha256.update(chunk)
            sha384.update(chunk)
    return sha256.hexdigest(), sha384.hexdigest()
