"""Processes on this machine: is one still running, and since when.

A lock or temp file names the process that made it (pid and start time);
the next run asks here whether that process is gone, so a kill -9 never
leaves anything that needs a manual step.
"""

from __future__ import annotations

import os


def start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), or ''."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return fields[19].decode()
    except (OSError, IndexError):
        return ""


def alive(pid: int, started: str) -> bool:
    """Whether ``pid`` runs and is the process that started at ``started``
    (a reused pid is another process)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    now_started = start_time(pid)
    return not (started and now_started and now_started != started)
