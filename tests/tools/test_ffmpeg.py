"""Every ffmpeg castline starts dies with castline: on an error, on an
interrupt, and when castline itself is killed with SIGKILL mid-mastering."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipeline import audio
from pipeline.errors import AudioError
from pipeline.model import AudioSettings
from pipeline.tools import ffmpeg
from pipeline.tools.ffmpeg import Children, Failure
from tests.conftest import REPO

FF = ffmpeg.find_ffmpeg()
ENDLESS = ["-f", "lavfi", "-i", "anoisesrc=a=0.1", "-f", "null", "-"]  # runs until killed


def _processes() -> dict[int, tuple[int, int, str, str]]:
    """pid -> (parent pid, process group, state, command line) of every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out[int(entry)] = (int(stat[1]), int(stat[2]), stat[0], cmd)
    return out


def _alive(pids: set[int]) -> set[int]:
    procs = _processes()
    return {pid for pid in pids if pid in procs and procs[pid][2] != "Z"}


def _wait_until(condition, seconds: float = 20.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_failed_run_names_the_file_with_ffmpegs_last_words(tmp_path):
    missing = tmp_path / "nothing.wav"
    with pytest.raises(AudioError) as err:
        ffmpeg.run(["-i", str(missing), "-f", "null", "-"], ffmpeg=FF,
                   failure=Failure(source=missing, what="cannot be decoded"))
    text = str(err.value)
    assert text.startswith(f"{missing}: cannot be decoded: ") and "No such file" in text and "\n" not in text


def test_progress_comes_from_ffmpeg_as_it_works():
    seen: list[float] = []
    done = ffmpeg.run(["-f", "lavfi", "-i", "sine=d=20", "-f", "null", "-"], ffmpeg=FF, progress=20.0,
                      on_progress=seen.append)
    assert abs(done.out_time - 20.0) < 0.1
    assert seen and seen[-1] == pytest.approx(1.0, abs=0.01)


def test_commands_run_together_report_progress_and_their_logs():
    seen: list[float] = []
    runs = ffmpeg.run_together([["-f", "lavfi", "-i", f"sine=d={d}", "-af", "astats", "-f", "null", "-"]
                                for d in (10, 30)], ffmpeg=FF, progress=[10.0, 30.0], on_progress=seen.append)
    assert [round(r.out_time) for r in runs] == [10, 30]
    assert all("Peak level dB" in r.log for r in runs)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0, abs=0.01)


def test_when_one_of_commands_run_together_fails_the_others_are_stopped(tmp_path):
    """The first fails at once: the second, which would run until killed, is
    stopped, and the error names the file with ffmpeg's last words."""
    missing = tmp_path / "nothing.wav"
    children = Children()
    with pytest.raises(AudioError) as err:
        ffmpeg.run_together([["-i", str(missing), "-f", "null", "-"], ENDLESS], ffmpeg=FF, children=children,
                            failure=Failure(source=missing, what="cannot be decoded"), progress=[1.0, 1.0])
    assert str(err.value).startswith(f"{missing}: cannot be decoded: ") and "No such file" in str(err.value)
    assert children.running() == frozenset()


def test_an_interrupt_stops_every_command_run_together():
    started: list[subprocess.Popen] = []
    real_start = Children.start

    def start(self, *a, **k):
        if len(started) == 2:
            raise KeyboardInterrupt  # Ctrl-C as the third is about to start
        started.append(real_start(self, *a, **k))
        return started[-1]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Children, "start", start)
        with pytest.raises(KeyboardInterrupt):
            ffmpeg.run_together([ENDLESS, ENDLESS, ENDLESS], ffmpeg=FF, progress=[1.0, 1.0, 1.0])
    assert len(started) == 2
    assert _wait_until(lambda: not _alive({p.pid for p in started}))


def test_a_child_is_killed_when_its_caller_fails_or_is_interrupted():
    children = Children()
    proc = children.start([FF, "-nostdin", *ENDLESS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with pytest.raises(KeyboardInterrupt):
        with children.reaped(proc):
            raise KeyboardInterrupt
    assert proc.returncode is not None and not _alive({proc.pid}) and not children.running()
    # its own process group: a Ctrl-C at the terminal reaches castline, which decides
    assert os.getpgid(os.getpid()) != proc.pid


def test_stop_all_ends_a_run_waiting_in_another_thread():
    errors: list[BaseException] = []
    children, theirs = Children(), Children()  # another piece of work's children are not stopped
    other = theirs.start([FF, "-nostdin", *ENDLESS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def work() -> None:
        try:
            ffmpeg.run(ENDLESS, ffmpeg=FF, children=children)
        except BaseException as exc:  # noqa: BLE001 - the test wants whatever came out
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert _wait_until(lambda: bool(children.running()))
        children.stop_all()
        worker.join(10)
        assert not worker.is_alive() and isinstance(errors[0], AudioError)
        assert not children.running() and other.poll() is None
    finally:
        theirs.stop(other)


def test_stop_all_ends_a_master_under_way_in_another_thread(tmp_path):
    """What a publish does on Ctrl-C while episodes are mastered on worker
    threads: every ffmpeg the mastering started is in the children it was
    given, and stopping them ends it with an AudioError, leaving nothing."""
    recording = tmp_path / "long.flac"
    ffmpeg.run(["-y", "-f", "lavfi", "-i", "anoisesrc=d=600:c=pink:a=0.05:r=44100", "-ac", "2",
                "-c:a", "flac", "-compression_level", "0", str(recording)], ffmpeg=FF)
    children = Children()
    errors: list[BaseException] = []
    seen: set[int] = set()

    def work() -> None:
        try:
            audio.master(recording, tmp_path / "out", AudioSettings(), stem="ep", children=children)
        except BaseException as exc:  # noqa: BLE001 - the test wants whatever came out
            errors.append(exc)

    worker = threading.Thread(target=work)
    worker.start()
    assert _wait_until(lambda: bool(children.running()), 60)
    seen |= {p.pid for p in children.running()}
    children.stop_all()
    worker.join(30)
    assert not worker.is_alive() and errors and isinstance(errors[0], AudioError), errors
    assert not children.running() and not _alive(seen)
    assert not list((tmp_path / "out").glob("ep.*"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill_9_of_castline_mid_mastering_leaves_no_ffmpeg(sample_show):
    """A real ``castline publish`` on a show whose recording takes seconds to
    master is killed with SIGKILL while ffmpeg renders: every ffmpeg it
    started dies too."""
    recording = sample_show / "episodes" / "001-lets-take-this-offline.flac"
    ffmpeg.run(["-y", "-f", "lavfi", "-i", "anoisesrc=d=900:c=pink:a=0.05:r=44100", "-ac", "2",
                "-c:a", "flac", "-compression_level", "0", str(recording)], ffmpeg=FF)
    castline = subprocess.Popen([sys.executable, "-m", "cli", "publish", "--workspace", str(sample_show)],
                                cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def rendering() -> bool:
            return any(parent == castline.pid and "ebur128@verify" in cmd and "ffmpeg" in cmd
                       for parent, _, _, cmd in _processes().values())

        assert _wait_until(rendering, 120), castline.stderr.read().decode() if castline.poll() is not None else ""
        children = {pid: group for pid, (parent, group, _, cmd) in _processes().items()
                    if parent == castline.pid and "ffmpeg" in cmd}
        assert children
        assert castline.pid not in children.values()  # in a group of their own, not castline's
    finally:
        castline.send_signal(signal.SIGKILL)
        castline.wait()
    groups = set(children.values())

    def gone() -> bool:
        procs = _processes()
        return not _alive(set(children)) and not any(
            group in groups and state != "Z" for _, group, state, _ in procs.values())

    assert _wait_until(gone), [_processes().get(pid) for pid in _alive(set(children))]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_child_with_no_pipe_to_castline_dies_with_it_too():
    """An ffmpeg that writes nowhere castline reads (so no broken pipe would
    stop it) is killed by the kernel when castline is."""
    code = ("import subprocess, sys, time; from pipeline.tools import ffmpeg; "
            f"p = ffmpeg.Children().start([{FF!r}, '-nostdin', '-v', 'quiet', *{ENDLESS!r}], stdin=subprocess.DEVNULL, "
            "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(p.pid, flush=True); time.sleep(60)")
    host = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE)
    try:
        child = int(host.stdout.readline())
        assert _alive({child})
    finally:
        host.send_signal(signal.SIGKILL)
        host.wait()
    assert _wait_until(lambda: not _alive({child})), _processes().get(child)
