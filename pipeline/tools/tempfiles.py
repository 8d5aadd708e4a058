"""Temp files and folders that name the process that made them.

A crash can happen between any two lines, so every temp file or working
folder castline makes (a store write in progress, a master being encoded)
starts with a tag naming its host and process: ``<host>.<pid>.<start>-``.
The next run removes the leftovers of processes that are gone, at once,
and never touches those of a run that is still going (two publishes may
master at the same time). Leftovers from another host, or without a tag,
are removed once they are a day old.

One scheme for every file and folder of the show's own cache:
``.<tag>-<name>-<random>.partial`` beside what it becomes (``write_atomic``
and ``work_dir``); ``clean_folder`` removes a dead run's. (The local store
names its temp files ``.castline-tmp-<tag>...`` inside the published tree,
so its listing can tell them from the host's files.)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write ``path`` whole or not at all: a temp file beside it, named for
    this process (a crash leaves one that the next run removes), renamed into
    place. Raises OSError (a full disk, a read-only folder) with no temp file
    left behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{temp_prefix()}{path.stem}-", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def scratch(folder: Path, name: str) -> Iterator[Path]:
    """A working folder inside ``folder`` for the length of a ``with``,
    named for this process (a crash leaves one the next run removes) and
    removed when the block ends, however it ends."""
    folder.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".{temp_prefix()}{name}-", suffix=".partial", dir=folder))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def work_dir(final: Path) -> Path:
    """A fresh folder beside ``final``, private to this process and thread,
    named for its process so a later run can clean it up after a crash."""
    final.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{temp_prefix()}{final.name[:16]}-", suffix=".partial", dir=final.parent))
