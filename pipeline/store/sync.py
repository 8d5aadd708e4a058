"""Reconcile what a publish wants with what the store holds.

The published state is a record of what castline meant to publish, not
proof of what the store holds: a page or an MP3 may have been deleted by
hand, a bucket restored from a backup, an upload cut off by a crash. So
every publish lists the store (a folder: one walk of stat calls; S3: one
LIST per 1000 keys, which gives each object's size and ETag) and compares:

* an object the store lacks, or holds at another size, is uploaded;
* an object whose stamp (ETag, or size/mtime/inode) is the one the state
  recorded after castline wrote it is what castline wrote: compared by the
  recorded hash, nothing is read;
* anything else (written by someone else, or by a run that crashed before
  its state was written) is asked for its hash (a HEAD, or hashing the
  file) and uploaded only if it differs.

Pruning deletes only keys castline put in its own folders that neither the
current tree nor any published episode uses; the state and lease are
never pruned.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from .protocol import Stamp, Store, Upload
from .state import ObjectRecord, State

PRUNABLE = ("media/", "art/", "episodes/")


def differs(upload: Upload, state: State, listing: Mapping[str, Stamp], store: Store) -> bool:
    """Whether ``upload`` must be written for the store to hold it."""
    stamp = listing.get(upload.key)
    if stamp is None or stamp.size != upload.size:
        return True
    record = state.objects.get(upload.key)
    if record is not None and record.stamp == stamp.token:
        return record.sha256 != upload.sha256
    info = store.head(upload.key)
    return info is None or info.sha256 != upload.sha256


def prunable(state: State, listing: Mapping[str, Stamp], wanted: Iterable[str], used: Iterable[str]) -> tuple[str, ...]:
    """Keys ``--prune`` may delete: in castline's folders (or recorded as
    castline's), used by nothing current and by no published episode."""
    keep = set(wanted) | set(used)
    candidates = {k for k in listing if k.startswith(PRUNABLE)} | {k for k in state.objects if k in listing}
    return tuple(sorted(k for k in candidates if k not in keep and not k.startswith(".castline/")))


def recorded_objects(state: State, uploads: Mapping[str, Upload], listing: Mapping[str, Stamp],
                     deleted: Iterable[str]) -> dict[str, ObjectRecord]:
    """The state's object records after a publish: every object this run
    wants (with the stamp the store now gives it), plus the earlier records
    of objects still in the store (kept episodes' media, say)."""
    gone = set(deleted)
    out = {k: r for k, r in state.objects.items() if k in listing and k not in gone}
    for key, u in uploads.items():
        stamp = listing.get(key)
        out[key] = ObjectRecord(u.sha256, u.size, stamp.token if stamp else None)
    return dict(sorted(out.items()))


def phase(key: str, feed_keys: frozenset[str]) -> int:
    """Upload order: media and art (verified) first, then pages and
    sidecars, then the feed, so the feed never points at something missing."""
    if key in feed_keys:
        return 2
    return 0 if key.startswith(("media/", "art/")) else 1
