"""The one place castline finds, starts and stops ffmpeg.

The binary comes from the ``imageio-ffmpeg`` wheel, so ``pip install`` is the
whole set-up; a path in ``[audio] ffmpeg`` (or ``CASTLINE_FFMPEG``) or a
system ffmpeg may be used instead. Every command is logged with
``shlex.join``, its return code is checked, and a failure raises with
ffmpeg's own last words.

Every ffmpeg castline starts dies with castline. A child runs in its own
process group (so one ``killpg`` stops an encoder and the meter reading from
it), is killed when the code that started it leaves by an exception or
Ctrl-C, and on Linux asks the kernel to kill it should castline itself die
(``prctl(PR_SET_PDEATHSIG, SIGKILL)``: a ``kill -9`` or an out-of-memory
kill leaves no encoder running). The death signal follows the *thread* that
started the child, so a child is always waited for by the thread that
started it (``run`` does this; ``Children.start`` callers must too).

Nothing here is global: the binary is looked up by ``find_ffmpeg`` when a
caller asks (and passed down from there), and the children running for one
piece of work are entered in a ``Children`` its owner made, so that owner
can stop them all from another thread (``Children.stop_all``: Ctrl-C while
two episodes are mastered on worker threads).
"""

from __future__ import annotations

import ctypes
import dataclasses
import importlib.util
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import AudioError, ToolError

log = logging.getLogger("castline.ffmpeg")

_HOW_TO_GET = (
    "install castline with pip (the imageio-ffmpeg wheel carries ffmpeg), "
    "or set [audio] ffmpeg in config.toml to an ffmpeg binary"
)
_FIX_PLAY = "check that the file is a complete audio recording ffmpeg can read"
_PR_SET_PDEATHSIG = 1


def find_ffmpeg(configured: str | None = None) -> str:
    """Return the path of a working ffmpeg binary or raise ToolError. It
    looks afresh at every call (a few file checks, nothing remembered):
    call it once for a piece of work and pass the path on."""
    candidates: list[tuple[str, str]] = []
    if configured:
        candidates.append(("[audio] ffmpeg", configured))
    elif os.environ.get("CASTLINE_FFMPEG"):
        candidates.append(("CASTLINE_FFMPEG", os.environ["CASTLINE_FFMPEG"]))
    else:
        bundled = _bundled()
        if bundled:
            candidates.append(("imageio-ffmpeg", bundled))
        system = shutil.which("ffmpeg")
        if system:
            candidates.append(("PATH", system))
    for source, exe in candidates:
        resolved = shutil.which(exe) or (exe if Path(exe).is_file() else None)
        if resolved and os.access(resolved, os.X_OK):
            return resolved
        if source != "imageio-ffmpeg":
            raise ToolError(
                f"ffmpeg not found at {exe!r}",
                field=source,
                fix="point it at an ffmpeg binary, or remove it to use the bundled one",
            )
    raise ToolError("ffmpeg not found", fix=_HOW_TO_GET)


def _bundled() -> str | None:
    """The ffmpeg the imageio-ffmpeg wheel carries. Its own lookup
    (``get_ffmpeg_exe``) runs ``ffmpeg -version`` to check the binary, 20-30 ms
    at every castline start; the wheel is built per platform and holds one
    ``ffmpeg-*`` binary in ``imageio_ffmpeg/binaries``, so that file is taken
    as it is (a binary that cannot run says so when castline starts it). Its
    lookup is the fallback for any other layout (a conda or system ffmpeg)."""
    if os.environ.get("IMAGEIO_FFMPEG_EXE"):
        return os.environ["IMAGEIO_FFMPEG_EXE"]
    spec = importlib.util.find_spec("imageio_ffmpeg")
    for where in (spec.submodule_search_locations or ()) if spec else ():
        found = sorted(p for p in Path(where, "binaries").glob("ffmpeg-*")
                       if p.is_file() and os.access(p, os.X_OK))
        if len(found) == 1:
            return str(found[0])
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # the wheel missing or without a binary for this platform
        return None


# --- starting and stopping children -------------------------------------------------

def _libc_prctl():
    """The C library's ``prctl`` (17 us to look up), or None off Linux."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def _die_with(parent: int, prctl) -> Callable[[], None]:
    def child_setup() -> None:  # runs in the child between fork and exec: no allocation, no locks
        prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
        if os.getppid() != parent:  # castline died before the death signal was armed
            os._exit(137)
    return child_setup


class Children:
    """The ffmpeg processes one piece of work has running.

    Whoever owns the work (a publish's mastering pool) makes one and passes
    it down to every run, so that it can stop them all from another thread
    (``stop_all``: on Ctrl-C, or when another episode failed); a thread
    waiting on one of them then sees it fail and raises. A run given none
    enters its children in one of its own: only its thread stops them."""

    def __init__(self) -> None:
        self._running: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self._prctl = _libc_prctl()

    def start(self, cmd: list[str], *, group: int = 0, pass_fds: tuple[int, ...] = (),
              **popen: object) -> subprocess.Popen:
        """Start one child of castline: in process group ``group`` (0: a new
        group led by the child), killed by the kernel if castline dies.
        Callers wait for it (or ``stop`` it) in the thread that started it."""
        log.debug("start: %s", shlex.join(cmd))
        setup = _die_with(os.getpid(), self._prctl) if self._prctl is not None else None
        try:
            proc = subprocess.Popen(cmd, process_group=group, preexec_fn=setup, pass_fds=pass_fds,
                                    **popen)  # type: ignore[call-overload]
        except OSError as exc:
            raise ToolError(f"cannot run ffmpeg ({exc.strerror})", path=cmd[0], fix=_HOW_TO_GET) from exc
        with self._lock:
            self._running.add(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        """Kill ``proc``'s process group (it and anything started in its
        group), reap it, and forget it."""
        if proc.poll() is None:
            try:
                os.killpg(os.getpgid(proc.pid), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                proc.kill()
            proc.wait()
        with self._lock:
            self._running.discard(proc)

    def stop_all(self) -> None:
        """Kill every child still running (Ctrl-C, a failure elsewhere)."""
        for proc in self.running():
            self.stop(proc)

    def running(self) -> frozenset[subprocess.Popen]:
        """The children started and not yet stopped or reaped."""
        with self._lock:
            return frozenset(self._running)

    @contextmanager
    def reaped(self, *procs: subprocess.Popen) -> Iterator[None]:
        """Leave no child behind: on any exception (Ctrl-C included) the
        children are killed; on success they have been waited for and are
        forgotten."""
        try:
            yield
        except BaseException:
            for proc in procs:
                self.stop(proc)
            raise
        for proc in procs:
            self.stop(proc)  # already finished: only reaps and forgets


# --- running a command to the end ---------------------------------------------------

@dataclass(frozen=True)
class Finished:
    """A finished ffmpeg run: its stdout, its log, and (when progress was
    asked for) how far it got, in seconds of output."""

    stdout: bytes
    stderr: bytes
    returncode: int = 0
    out_time: float = 0.0

    @property
    def log(self) -> str:
        return self.stderr.decode("utf-8", "replace")


class ProgressReader:
    """Follows ffmpeg's ``-progress`` key=value stream on a pipe of its own
    (so stdout stays free for data and stderr for the log) and reports the
    share of ``duration`` written so far."""

    def __init__(self, duration: float, on_progress: Callable[[float], None] | None) -> None:
        self.read_fd, self.write_fd = os.pipe()
        self.duration, self.on_progress = max(duration, 0.001), on_progress
        self.out_time = 0.0
        self.thread = threading.Thread(target=self._follow, daemon=True)

    def args(self) -> list[str]:
        return ["-progress", f"pipe:{self.write_fd}"]

    def started(self) -> None:
        os.close(self.write_fd)  # the child holds its own copy
        self.thread.start()

    def _follow(self) -> None:
        with os.fdopen(self.read_fd, "rb") as stream:
            for line in stream:
                m = re.match(rb"out_time_us=(\d+)", line)
                if m:
                    self.out_time = int(m.group(1)) / 1e6
                    if self.on_progress is not None:
                        self.on_progress(min(1.0, self.out_time / self.duration))

    def finish(self) -> float:
        if self.thread.is_alive() or self.thread.ident is not None:
            self.thread.join()
        else:  # never started: the child did not start either
            os.close(self.write_fd)
            os.close(self.read_fd)
        return self.out_time


@dataclass(frozen=True)
class Failure:
    """How a failed run is told: the file being worked on (``source``, which
    the error names), what failed and how to fix it; ffmpeg's last error
    line is added. ``raises=False`` returns a failed run instead (``ffmpeg
    -i`` alone, a probe, always "fails": it has no output)."""

    source: Path | None = None
    what: str = "ffmpeg failed"
    fix: str = _FIX_PLAY
    raises: bool = True

    def check(self, done: Finished) -> Finished:
        if self.raises and done.returncode != 0:
            raise AudioError(f"{self.what}: {last_error_line(done.stderr)}", path=self.source, fix=self.fix)
        return done


def run(args: list[str], *, ffmpeg: str, failure: Failure = Failure(), progress: float | None = None,
        on_progress: Callable[[float], None] | None = None, children: Children | None = None) -> Finished:
    """Run ``ffmpeg -hide_banner -nostdin <args>`` to the end; a failure
    raises AudioError as ``failure`` tells it. ``progress`` (the expected
    output duration in seconds) adds ffmpeg's ``-progress`` and feeds
    ``on_progress(fraction)``. The child is entered in ``children``, so
    their owner can stop it from another thread."""
    kids = children if children is not None else Children()
    reader = ProgressReader(progress, on_progress) if progress is not None else None
    cmd = [ffmpeg, "-hide_banner", "-nostdin", *(reader.args() if reader else ()), *args]
    try:
        proc = kids.start(cmd, pass_fds=(reader.write_fd,) if reader else (), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except BaseException:
        if reader:
            reader.finish()
        raise
    if reader:
        reader.started()
    with kids.reaped(proc):
        out, err = proc.communicate()
        out_time = reader.finish() if reader else 0.0
    return failure.check(Finished(stdout=out, stderr=err, returncode=proc.returncode, out_time=out_time))


def run_together(arg_lists: list[list[str]], *, ffmpeg: str, failure: Failure = Failure(),
                 progress: list[float] | None = None, on_progress: Callable[[float], None] | None = None,
                 children: Children | None = None) -> list[Finished]:
    """Run several ffmpeg commands at the same time, each to the end, and
    return what each did (as ``run``). Their logs go to files, not pipes, so
    none of them waits on a full pipe while another is read; all are waited
    for by this thread. ``progress`` (the expected output duration of each)
    feeds ``on_progress`` with the share of their sum written so far. If one
    fails, the others are stopped and the error (``failure``) gives its last
    words; every child is stopped if this thread leaves by an exception."""
    kids = children if children is not None else Children()
    totals = progress or [0.0] * len(arg_lists)
    done = [0.0] * len(arg_lists)
    whole = max(sum(totals), 0.001)
    one_at_a_time = threading.Lock()  # each child's progress is read on a thread of its own

    def share(k: int) -> Callable[[float], None]:
        def report(fraction: float) -> None:
            with one_at_a_time:
                done[k] = fraction * max(totals[k], 0.001)
                if on_progress is not None:
                    on_progress(min(1.0, sum(done) / whole))
        return report

    readers = [ProgressReader(t, share(k)) if progress is not None else None for k, t in enumerate(totals)]
    logs = [tempfile.TemporaryFile() for _ in arg_lists]
    procs: list[subprocess.Popen] = []
    try:
        for args, reader, log_file in zip(arg_lists, readers, logs):
            cmd = [ffmpeg, "-hide_banner", "-nostdin", *(reader.args() if reader else ()), *args]
            procs.append(kids.start(cmd, pass_fds=(reader.write_fd,) if reader else (), stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=log_file))
            if reader:
                reader.started()
        with kids.reaped(*procs):
            for proc in procs:
                if proc.wait() != 0:  # the others' work is of no use now
                    for other in procs:
                        kids.stop(other)
                    break
        results = []
        for proc, log_file in zip(procs, logs):
            log_file.seek(0)
            results.append(Finished(stdout=b"", stderr=log_file.read(), returncode=proc.returncode))
    except BaseException:
        for proc in procs:
            kids.stop(proc)
        for reader in readers:
            if reader is not None:
                reader.finish()  # a started one's thread ends with its child's pipe
        raise
    finally:
        for log_file in logs:
            log_file.close()
    results = [dataclasses.replace(r, out_time=reader.finish() if reader else 0.0)
               for r, reader in zip(results, readers)]
    for done_run in results:
        failure.check(done_run)
    return results


def last_error_line(stderr: bytes) -> str:
    """ffmpeg's last words: the last line of its log that is not progress."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines()
             if ln.strip() and not re.match(r"^[a-z_]+=\S*$", ln.strip())]
    return lines[-1] if lines else "no output"
