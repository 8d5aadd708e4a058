"""The one temp-file scheme and the one file cache: whole or nothing, named
for their process, cleaned after a crash, stale when the file changes."""

from __future__ import annotations

import hashlib
import json
import os
import socket
from pathlib import Path

import pytest

from pipeline.tools.filecache import FileCache
from pipeline.tools.tempfiles import clean_folder, scratch, temp_prefix, write_atomic


def test_write_atomic_leaves_the_old_file_or_the_new_one_and_no_temp(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "cache" / "receipt.json"
    write_atomic(target, '{"a": 1}')
    assert json.loads(target.read_text()) == {"a": 1}

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError):
        write_atomic(target, b'{"a": 2}')
    assert json.loads(target.read_text()) == {"a": 1}
    assert sorted(p.name for p in target.parent.iterdir()) == ["receipt.json"]


def test_a_dead_runs_scratch_is_cleaned_and_a_live_ones_kept(tmp_path: Path) -> None:
    host = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
    dead = tmp_path / f".{host}.999999999.0-render-abc.partial"  # a pid that cannot be running
    dead.mkdir()
    (dead / "out0.mp3").write_bytes(b"half")
    with scratch(tmp_path, "render") as live:
        assert live.name.startswith(f".{temp_prefix()}render-") and live.name.endswith(".partial")
        assert clean_folder(tmp_path) == 1
        assert live.is_dir() and not dead.exists()
    assert not live.exists()  # removed when the block ends
    with pytest.raises(RuntimeError):
        with scratch(tmp_path, "render") as failed:
            raise RuntimeError("ffmpeg failed")
    assert not failed.exists() and list(tmp_path.iterdir()) == []


def test_file_cache_answers_until_the_file_changes(tmp_path: Path) -> None:
    recording = tmp_path / "001.wav"
    recording.write_bytes(b"RIFF" + b"\0" * 100)
    cache = FileCache(tmp_path / "hashes.json")
    stamp, hit = cache.get(recording)
    assert hit is None
    cache.put(recording, stamp, ["abc"])
    cache.save()
    again = FileCache(tmp_path / "hashes.json")
    assert again.get(recording)[1] == ["abc"]
    recording.write_bytes(b"RIFF" + b"\1" * 101)  # another size: another file
    assert again.get(recording)[1] is None
    (tmp_path / "hashes.json").write_text("{not json")
    assert FileCache(tmp_path / "hashes.json").get(recording)[1] is None  # a broken cache is an empty one
