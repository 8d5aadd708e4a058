"""LocalStore: the published tree as a folder (``public/`` by default).

This is the store a new user has without any account: ``castline serve``
previews it over HTTP. It keeps the same promises as S3Store:

* every object is written to a temp file beside it and renamed into place
  (``os.replace``), so a reader (the preview server, rsync, a web server)
  never sees half a file;
* the published-state object is replaced only if it still holds what the
  caller read (compare-and-swap under an ``flock`` on the folder);
* the publish lock is a file created with ``O_CREAT | O_EXCL``: exactly one
  process can create it.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from pipeline.errors import StoreError
from pipeline.storage import (
    LockRecord,
    ObjectInfo,
    Upload,
    headers_for,
    lock_held_error,
    new_lock_record,
    sha256_of,
    state_changed_error,
    validate_key,
)

_TEMP_PREFIX = ".castline-tmp-"
_CHUNK = 1024 * 1024


class LocalStore:
    """A folder that holds the published tree; keys are relative paths."""

    def __init__(self, root: Path, *, name: str | None = None, lock_ttl: float = 3600.0) -> None:
        self.root = Path(root)
        self.name = name or f"{self.root}/"
        self.lock_ttl = lock_ttl

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
        return ObjectInfo(key, path.stat().st_size, content_type, cache_control, sha, sha)

    def list_keys(self) -> list[str]:
        """Every object key under the folder (state and lock included)."""
        if not self.root.is_dir():
            return []
        keys = []
        for path in self.root.rglob("*"):
            if path.is_file() and not path.name.startswith(_TEMP_PREFIX):
                keys.append(path.relative_to(self.root).as_posix())
        return sorted(keys)

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
        for upload in todo:
            self._write(upload, on_bytes)
            if verify:
                self._verify(upload)
        return [u.key for u in todo]

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

    @contextmanager
    def lock(self, key: str, owner: str) -> Iterator[None]:
        """Hold the publish lock file for the duration of the block."""
        path = self._path(key)
        mine = new_lock_record(owner, self.lock_ttl)
        with self._folder_lock():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                held = LockRecord.from_bytes(self.get(key))
                if held is None or not held.expired():
                    raise lock_held_error(self.name, key, held) from None
                self._atomic_write(path, key, [mine.to_bytes()], durable=True)
            else:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(mine.to_bytes())
        try:
            yield
        finally:
            with self._folder_lock():
                if LockRecord.from_bytes(self.get(key)) == mine:
                    path.unlink(missing_ok=True)

    # -- helpers ---------------------------------------------------------

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key, self.name)

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
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
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
