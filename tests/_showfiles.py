"""Show files for the tests: small ones synthesized on the spot (a tone, a
picture), and one way to edit a show's text files in place."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from pipeline.tools.ffmpeg import find_ffmpeg, run


def tone(path: Path, seconds: float = 1.0) -> Path:
    """A short sine tone, encoded by the real ffmpeg in the format the
    extension names (.wav, .flac, .mp3...)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    run(["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}:sample_rate=44100", "-y", str(path)],
        ffmpeg=find_ffmpeg())
    return path


def picture(path: Path, width: int = 1400, height: int = 1400) -> Path:
    """A plain RGB image of the given size, in the format its extension names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (200, 80, 40)).save(path)
    return path


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first occurrence of ``old`` in the text file at ``path``
    with ``new``; ``old`` must be there, so a test cannot silently edit
    nothing when the sample show changes."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def uncomment(text: str, kind: str) -> str:
    """Turn every commented-out setting (``# key = value`` in TOML, ``# key:
    value`` and the nested lines under it in YAML) into a live one;
    explanatory comments (sentences) stay comments."""
    setting = re.compile(r"^[a-z0-9_]+ = \S" if kind == "toml" else r"^([a-z_]+:( |$)|  )")
    out = []
    for line in text.splitlines():
        body = line[2:] if line.startswith("# ") else None
        out.append(body if body is not None and setting.match(body) else line)
    return "\n".join(out) + "\n"
