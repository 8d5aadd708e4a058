"""The one place castline finds and runs ffmpeg.

The binary comes from the ``imageio-ffmpeg`` wheel, so ``pip install`` is the
whole set-up; a path in ``[audio] ffmpeg`` (or ``CASTLINE_FFMPEG``) or a
system ffmpeg may be used instead. Every command is logged with
``shlex.join`` and a failure raises with ffmpeg's own last words.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from .errors import AudioError, ToolError

log = logging.getLogger("castline.ffmpeg")

_HOW_TO_GET = (
    "install castline with pip (the imageio-ffmpeg wheel carries ffmpeg), "
    "or set [audio] ffmpeg in config.toml to an ffmpeg binary"
)


@lru_cache(maxsize=8)
def find_ffmpeg(configured: str | None = None) -> str:
    """Return the path of a working ffmpeg binary or raise ToolError."""
    candidates: list[tuple[str, str]] = []
    if configured:
        candidates.append(("[audio] ffmpeg", configured))
    elif os.environ.get("CASTLINE_FFMPEG"):
        candidates.append(("CASTLINE_FFMPEG", os.environ["CASTLINE_FFMPEG"]))
    else:
        try:
            import imageio_ffmpeg

            candidates.append(("imageio-ffmpeg", imageio_ffmpeg.get_ffmpeg_exe()))
        except Exception:  # the wheel missing or without a binary for this platform
            pass
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


def run(
    args: list[str],
    *,
    ffmpeg: str,
    source: Path | None = None,
    input_bytes: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``ffmpeg -hide_banner -nostdin <args>``; raise AudioError naming
    ``source`` (the file being worked on) with ffmpeg's last error line."""
    cmd = [ffmpeg, "-hide_banner", "-nostdin", *args]
    log.debug("run: %s", shlex.join(cmd))
    try:
        proc = subprocess.run(cmd, input=input_bytes, capture_output=True, check=False)
    except OSError as exc:
        raise ToolError(f"cannot run ffmpeg ({exc.strerror})", path=ffmpeg, fix=_HOW_TO_GET) from exc
    if proc.returncode != 0:
        raise AudioError(
            f"ffmpeg failed: {last_error_line(proc.stderr)}",
            path=source,
            fix="check that the file is a complete audio recording ffmpeg can read",
        )
    return proc


def last_error_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
