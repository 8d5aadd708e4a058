"""The keys of the published tree, and the rule every key keeps.

A key is the object's path in the store and, below ``[show] base_url``, the
URL an app fetches: ASCII letters, digits, ``- . _ /`` only, so there is
nothing to escape. The feed is ``feed.xml`` (written after everything it
points at), its RFC 5005 archive pages ``feed-archive-<n>.xml``, and each
episode's page and chapters live under ``episodes/`` by its slug. The
published state and the lease keep their keys beside their formats
(``STATE_KEY`` in ``state.py``, ``LEASE_KEY`` in ``lease.py``).
"""

from __future__ import annotations

import re

from pipeline.errors import StoreError
from pipeline.model import Episode

FEED_KEY = "feed.xml"  # the feed: written after everything it points at

_KEY_RE = re.compile(r"[A-Za-z0-9._/-]+")


def archive_key(n: int) -> str:
    """Store key of RFC 5005 archive page ``n`` (1 = the oldest episodes).
    A full page never changes again, so its key may be cached for long."""
    return f"feed-archive-{n}.xml"


def page_key(ep: Episode) -> str:
    return f"episodes/{ep.slug}.html"


def chapters_key(ep: Episode) -> str:
    return f"episodes/{ep.slug}.chapters.json"


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
