"""Progress a host can see: mastering reports as ffmpeg works, and when
stderr is not a terminal the CLI prints a plain line every few seconds."""

from __future__ import annotations

import io

from rich.console import Console

import cli


def test_line_progress_prints_stage_and_share_every_few_seconds():
    buf = io.StringIO()
    bars = cli._LineProgress(Console(file=buf, width=200))
    now = [100.0]
    bars.clock, bars.last = (lambda: now[0]), 100.0
    advance = bars.step("Mastering 001-x", 1.0)
    advance(0.1)  # too soon: nothing printed
    now[0] += 5.1
    advance(0.3)
    now[0] += 1.0
    advance(0.1)
    now[0] += 5.0
    advance(0.5)
    assert buf.getvalue().splitlines() == ["Mastering 001-x: 40%", "Mastering 001-x: 100%"]


def test_piped_output_gets_line_progress_and_json_gets_none(monkeypatch):
    with cli._progress(True) as bars:  # pytest's stderr is not a terminal
        assert isinstance(bars, cli._LineProgress)
    with cli._progress(False) as bars:
        assert bars is None
