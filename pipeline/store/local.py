"""LocalStore: the published tree as a folder (``public/`` by default).

This is the store a new user has without any account: ``castline serve``
previews it over HTTP. It keeps the same promises as S3Store:

* every object is written to a temp file beside it and renamed into place
  (``os.replace``), so a reader (the preview server, rsync, a web server)
  never sees half a file;
* the published-state object is replaced only if it still holds what the
  caller read (compare-and-swap under an ``flock`` on the folder);
* the publish lease (``lease.py``) is created with the same
  compare-and-swap, so exactly one process can take it;
* nothing is ever written or read through a symbolic link: a link inside
  the folder that points elsewhere is refused, so a published tree can
  never be used to overwrite a file outside it;
* a temp file names the process that made it, so the next run removes the
  ones whose process died (kill -9, a power cut) and leaves a live run's.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from pipeline.errors import StoreError
from pipeline.tools.tempfiles import is_stale, temp_prefix

from .keys import validate_key
from .protocol import ObjectInfo, Stamp, Upload, headers_for, sha256_of, state_changed_error

_TEMP_PREFIX = ".castline-tmp-"
_CHUNK = 1024 * 1024


class LocalStore:
    """A folder that holds the published tree; keys are relative paths."""

    def __init__(self, root: Path, *, name: str | None = None) -> None:
        self.root = Path(root)
        self.name = name or f"{self.root}/"

    # -- reading ---------------------------------------------------------

    def check(self) -> None:
        """Create the folder if needed and make sure we may write in it."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise self._error(f"cannot create the folder: {err.strerror}") from None
        if not self.root.is_dir() or not os.access(self.root, os.W_OK | os.X_OK):
            raise self._error("the folder is not writable")

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as err:
            raise self._error(f"cannot read: {err.strerror}", key) from None

    def head(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        sha = sha256_of(path)
        content_type, cache_control = headers_for(key)
        st = path.stat()
        return ObjectInfo(key, st.st_size, content_type, cache_control, sha, sha, st.st_mtime)

    def list_keys(self) -> list[str]:
        """Every object key under the folder (state and lock included)."""
        return sorted(self.listing())

    def listing(self) -> dict[str, Stamp]:
        """key -> (size, mtime/inode token) of every file, from one walk of
        stat calls: nothing is read. Temp files and links are not objects."""
        out: dict[str, Stamp] = {}
        for key, entry in self._walk():
            if not entry.name.startswith(_TEMP_PREFIX):
                st = entry.stat(follow_symlinks=False)
                out[key] = Stamp(st.st_size, f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}")
        return out

    def clean_leftovers(self) -> int:
        """Remove the temp files of runs whose process is gone. Returns how many."""
        removed = 0
        for _, entry in self._walk():
            if entry.name.startswith(_TEMP_PREFIX) and is_stale(entry.name[len(_TEMP_PREFIX):], Path(entry.path)):
                Path(entry.path).unlink(missing_ok=True)
                removed += 1
        return removed

    def download(self, key: str, dest: Path) -> None:
        try:
            shutil.copyfile(self._path(key), dest)
        except OSError as err:
            raise self._error(f"cannot read: {err.strerror}", key) from None

    # -- writing ---------------------------------------------------------

    def put_many(
        self,
        uploads: Sequence[Upload],
        *,
        known: Mapping[str, str] | None = None,
        verify: bool = False,
        on_bytes: Callable[[int], None] | None = None,
    ) -> list[str]:
        """Write the uploads whose content differs; return their keys.

        With ``known`` (key -> sha256 from the published state) a file is
        skipped when its hash is known and the file is there with the right
        size; without it the file on disk is hashed and compared.
        """
        todo = [u for u in uploads if self._differs(u, known)]
        self.put(todo, verify=verify, on_bytes=on_bytes)
        return [u.key for u in todo]

    def put(self, uploads: Sequence[Upload], *, verify: bool = False,
            on_bytes: Callable[[int], None] | None = None) -> None:
        """Write every upload given (the caller decided they differ)."""
        for upload in uploads:
            self._write(upload, on_bytes)
            if verify:
                self._verify(upload)

    def delete_many(self, keys: Sequence[str]) -> None:
        """Remove objects (missing ones are fine) and folders left empty."""
        for key in keys:
            path = self._path(key)
            try:
                path.unlink(missing_ok=True)
            except OSError as err:
                raise self._error(f"cannot delete: {err.strerror}", key) from None
            parent = path.parent
            while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent

    def read_state(self, key: str) -> tuple[bytes | None, str | None]:
        data = self.get(key)
        return (data, sha256_of(data)) if data is not None else (None, None)

    def write_state(self, key: str, data: bytes, *, expected_etag: str | None) -> str:
        """Replace the state only if it is still the version the caller read
        (``expected_etag``; None means it must not exist yet)."""
        path = self._path(key)
        with self._folder_lock():
            _, current = self.read_state(key)
            if current != expected_etag:
                raise state_changed_error(self.name, key)
            self._atomic_write(path, key, [data], durable=True)
        return sha256_of(data)

    # -- helpers ---------------------------------------------------------

    def _path(self, key: str) -> Path:
        """The file of ``key``; refused when a link on the way (or the file
        itself) would lead out of the folder."""
        path = self.root / validate_key(key, self.name)
        root = self.root.resolve()
        parent = path.parent.resolve()
        if path.is_symlink() or (parent != root and root not in parent.parents):
            raise StoreError("is a symbolic link; castline never writes or reads through links in the store",
                             path=self.name, field=key, fix=f"remove the link {path} (the next publish writes a real file)")
        return path

    def _walk(self) -> Iterator[tuple[str, os.DirEntry]]:
        """(key, entry) of every regular file below the folder; links are not
        followed (and not listed). Strings, not Paths: a thousand episodes."""
        if not self.root.is_dir():
            return
        stack = [("", str(self.root))]  # (key prefix, folder)
        while stack:
            prefix, folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append((f"{prefix}{entry.name}/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    yield prefix + entry.name, entry

    def _error(self, message: str, key: str | None = None) -> StoreError:
        return StoreError(
            message,
            path=self.name,
            field=key,
            fix="check that the folder in storage.url exists, is writable and the disk is not full",
        )

    def _differs(self, upload: Upload, known: Mapping[str, str] | None) -> bool:
        path = self._path(upload.key)
        try:
            size = path.stat().st_size
        except OSError:
            return True
        if size != upload.size:
            return True
        if known is not None:
            return known.get(upload.key) != upload.sha256
        return sha256_of(path) != upload.sha256

    def _write(self, upload: Upload, on_bytes: Callable[[int], None] | None) -> None:
        path = self._path(upload.key)
        source = upload.source
        if isinstance(source, Path) and path.exists() and os.path.samefile(source, path):
            if on_bytes:  # the tree was built in place: nothing to copy
                on_bytes(upload.size)
            return
        chunks = _read_chunks(source, self, upload.key) if isinstance(source, Path) else [source]
        self._atomic_write(path, upload.key, chunks, on_bytes=on_bytes)

    def _atomic_write(
        self,
        path: Path,
        key: str,
        chunks: Iterable[bytes],
        *,
        durable: bool = False,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        tmp = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX + temp_prefix())
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                    if on_bytes:
                        on_bytes(len(chunk))
                if durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
            tmp = None
        except OSError as err:
            raise self._error(f"cannot write: {err.strerror}", key) from None
        finally:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)

    def _verify(self, upload: Upload) -> None:
        path = self._path(upload.key)
        size = path.stat().st_size if path.is_file() else -1
        if size != upload.size:
            raise self._error(f"verify failed: {size} bytes on disk, expected {upload.size}", upload.key)

    @contextmanager
    def _folder_lock(self) -> Iterator[None]:
        """An exclusive flock on the folder itself: no extra file in the tree."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock


def _read_chunks(source: Path, store: LocalStore, key: str) -> Iterator[bytes]:
    try:
        with open(source, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                yield chunk
    except OSError as err:
        raise StoreError(
            f"cannot read {source}: {err.strerror}", path=store.name, field=key,
            fix="build the show again so the file exists",
        ) from None
