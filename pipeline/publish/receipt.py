"""The receipt of the last publish: proof that nothing changed since.

A publish that leaves the store complete writes
``.castline/cache/receipt.json``. It holds:

* ``inputs``: a fingerprint of everything a publish reads from the show:
  the path, size, mtime, ctime and inode of every file in the show folder
  (``.castline``, version-control folders and a local store folder inside
  it left out),
  the loaded settings, and castline's own code and templates;
* ``state``: the sha256 of the published state the store holds after it;
* ``listing``: the sha256 of the store's listing (every key and its
  ETag or size/mtime/inode) after it;
* ``until``: the first moment the clock changes the output (a scheduled
  episode's date, a live item's start or end);
* ``report``: what a publish with nothing to do reports.

The next plain ``castline publish`` (or ``--dry-run``) lists the store and
reads the state as always, then compares. If all match, nothing can have
changed: an edit changes a file's size, mtime or ctime (ctime cannot be set
back by hand), a lost or altered object changes the listing, another
publish changes the state. It then returns the stored report without
reading a notes file, hashing a recording or rendering a page. Any
difference, a receipt that does not read, or a flag that asks for work
(``--prune``, ``--remove``, ``--retag-all``, ...) takes the full path,
which writes a new receipt when it ends clean.

The fingerprint of the inputs is taken before the full path reads them, so
a file edited while a publish runs is seen by the next one.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

from pipeline.store import Stamp
from pipeline.tools.tempfiles import CACHE_DIR, write_atomic

from .report import Report, from_json, to_json

RECEIPT = "receipt.json"
_VERSION = 1
_SKIP = {".castline", ".git", ".hg", ".svn", "__pycache__"}  # castline's own and version control: not the show
_CODE = (Path(__file__).parent.parent, Path(__file__).parent.parent.parent / "feeds")  # pipeline/ and feeds/


def fingerprint_inputs(settings: Any, store_dir: Path | None) -> str:
    """One hash over the stat of every file a publish may read, the
    settings and castline's code (see the module docstring)."""
    digest = hashlib.sha256(f"{_VERSION}\n{settings!r}\n".encode())
    skip_dir = store_dir.resolve() if store_dir is not None else None
    _walk(Path(settings.root), "", digest, skip_dir)
    for folder in _CODE:
        _walk(folder, f"<{folder.name}>/", digest, None)
    return digest.hexdigest()


def _walk(folder: Path, prefix: str, digest: "hashlib._Hash", skip_dir: Path | None) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as err:
        digest.update(f"{prefix}!{err.errno}\n".encode())
        return
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
            if entry.is_dir(follow_symlinks=False):
                if entry.name in _SKIP or (skip_dir is not None and Path(entry.path) == skip_dir):
                    continue
                digest.update(f"{prefix}{entry.name}/\n".encode())
                _walk(Path(entry.path), f"{prefix}{entry.name}/", digest, skip_dir)
                continue
            line = f"{prefix}{entry.name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}"
            if entry.is_symlink():  # a link counts with what it points at
                target = os.stat(entry.path)
                line += f"\0{target.st_size}\0{target.st_mtime_ns}\0{target.st_ctime_ns}\0{target.st_ino}"
        except OSError as err:
            line = f"{prefix}{entry.name}!{err.errno}"
        digest.update(line.encode() + b"\n")


def listing_hash(listing: Mapping[str, Stamp]) -> str:
    digest = hashlib.sha256()
    for key in sorted(listing):
        digest.update(f"{key}\0{listing[key].token}\n".encode())
    return digest.hexdigest()


def state_hash(state_bytes: bytes | None) -> str:
    return hashlib.sha256(state_bytes or b"").hexdigest()


def read(root: Path, *, inputs: str, state_bytes: bytes | None, listing: Mapping[str, Stamp],
         now: datetime) -> Report | None:
    """The stored report if the receipt matches the show, the state and the
    store as they are now, else None."""
    try:
        data = json.loads((root / CACHE_DIR / RECEIPT).read_text(encoding="utf-8"))
        if (data.get("version") != _VERSION or data["inputs"] != inputs or data["state"] != state_hash(state_bytes)
                or data["listing"] != listing_hash(listing)):
            return None
        if data["until"] is not None and now >= datetime.fromisoformat(data["until"]):
            return None
        return from_json(data["report"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write(root: Path, *, inputs: str, state_bytes: bytes | None, listing: Mapping[str, Stamp],
          until: datetime | None, report: Report) -> None:
    """Record a clean publish (atomically: a crash leaves the old receipt
    or none, and a temp file the next run's cache cleanup removes)."""
    doc = {"version": _VERSION, "inputs": inputs, "state": state_hash(state_bytes), "listing": listing_hash(listing),
           "until": until.isoformat() if until is not None else None, "report": to_json(report)}
    try:
        write_atomic(root / CACHE_DIR / RECEIPT, json.dumps(doc, ensure_ascii=False))
    except OSError:  # a receipt is an optimisation: without one the next run takes the full path
        pass


def forget(root: Path) -> None:
    """Drop the receipt (a publish that changed the store without ending clean)."""
    (root / CACHE_DIR / RECEIPT).unlink(missing_ok=True)
