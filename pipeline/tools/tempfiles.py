"""Temp files and folders that name the process that made them.

A crash can happen between any two lines, so every temp file or working
folder castline makes (a store write in progress, a master being encoded)
starts with a tag naming its host and process: ``<host>.<pid>.<start>-``.
The next run removes the leftovers of processes that are gone, at once,
and never touches those of a run that is still going (two publishes may
master at the same time). Leftovers from another host, or without a tag,
are removed once they are a day old.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from pathlib import Path

from pipeline.tools.processes import alive, start_time

FOREIGN_AGE = 24 * 3600.0


def _host() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


def temp_prefix() -> str:
    """The tag for a temp name made by this process (ends with ``-``)."""
    pid = os.getpid()
    return f"{_host()}.{pid}.{start_time(pid) or 0}-"


def is_stale(name: str, path: Path, now: float | None = None) -> bool:
    """Whether the temp ``name`` (the part after a fixed prefix such as
    ``.castline-tmp-``) belongs to a process that is gone."""
    now = time.time() if now is None else now
    tag = name.split("-", 1)[0].split(".")
    if len(tag) == 3 and tag[0] == _host() and tag[1].isdigit():
        return not alive(int(tag[1]), "" if tag[2] == "0" else tag[2])
    try:
        return now - path.lstat().st_mtime > FOREIGN_AGE
    except OSError:
        return False


def clean_folder(folder: Path, prefix: str = ".", suffix: str = ".partial") -> int:
    """Remove stale ``<prefix><tag>-....<suffix>`` files and folders directly
    in ``folder``. Returns how many."""
    import shutil

    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name.endswith(suffix) and \
                is_stale(entry.name[len(prefix):], Path(entry.path)):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                Path(entry.path).unlink(missing_ok=True)
            removed += 1
    return removed


CACHE_DIR = ".castline/cache"  # the show's cache: masters, tagged files, hashes, probes, the receipt


def clean_cache(root: Path) -> int:
    """Remove the half-made cache entries of runs that died (kill -9, a
    power cut). A live run's entries are kept. Returns how many."""
    return sum(clean_folder(root / CACHE_DIR / sub) for sub in ("", "master", "tagged", "published"))
