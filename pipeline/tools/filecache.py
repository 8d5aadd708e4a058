"""A value per file, remembered by the file's path, size and mtime.

Hashing a two-hour recording or asking ffmpeg what it is costs seconds; a
publish or ``castline check`` of a show whose recordings did not change
should cost none. One JSON file holds ``[size, mtime_ns, *value]`` under each
file's resolved path; a file whose size or mtime changed is a miss. Saved
atomically (``tempfiles.write_atomic``), and only when something changed.
"""

from __future__ import annotations

import json
from pathlib import Path

from .tempfiles import write_atomic

Stamp = tuple[int, int]  # (size, mtime_ns) of a file when it was read


class FileCache:
    """The cache kept in the JSON file at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.data: dict[str, list] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.data = {}
        self.dirty = False

    def get(self, file: Path) -> tuple[Stamp, list | None]:
        """The file's stamp now, and the value remembered for it (None: not
        remembered, or the file changed since)."""
        st = file.stat()
        stamp = (st.st_size, st.st_mtime_ns)
        hit = self.data.get(str(file.resolve()))
        return stamp, (hit[2:] if isinstance(hit, list) and len(hit) > 2 and tuple(hit[:2]) == stamp else None)

    def put(self, file: Path, stamp: Stamp, value: list) -> None:
        """Remember ``value`` for ``file`` as it was at ``stamp`` (taken
        before the file was read)."""
        self.data[str(file.resolve())] = [*stamp, *value]
        self.dirty = True

    def save(self) -> None:
        if self.dirty:
            write_atomic(self.path, json.dumps(self.data))
            self.dirty = False
