"""Shared fixtures: a copy of the sample show, and the CLI as a host runs it."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHOW_PARTS = ("config.toml", "episodes", "show_notes", "art")


@pytest.fixture
def sample_show(tmp_path: Path) -> Path:
    """A private copy of the sample show that lives in the repository."""
    show = tmp_path / "show"
    show.mkdir()
    for part in SHOW_PARTS:
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, show / part)
        else:
            shutil.copy2(src, show / part)
    return show


@pytest.fixture(scope="session")
def published_sample(tmp_path_factory) -> Path:
    """The sample show published once for the whole session, the way a host
    does it: ``castline publish`` in a fresh process. Tests that change it
    must work on a ``clone`` (tests._published) of it."""
    import subprocess

    from tests._published import copy_sample

    show = copy_sample(tmp_path_factory.mktemp("published") / "show")
    proc = subprocess.run([sys.executable, "-m", "cli", "publish", "--workspace", str(show)], capture_output=True,
                          text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert f"feed:  {show / 'public' / 'feed.xml'}" in proc.stdout
    assert "Traceback" not in proc.stderr
    return show


@pytest.fixture
def published_copy(published_sample: Path, tmp_path: Path) -> Path:
    """A private copy of the published sample show (cache and public/ too),
    for tests that change it."""
    from tests._published import clone

    return clone(published_sample, tmp_path / "show")


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(capsys, monkeypatch):
    """Run ``castline ARGS`` in-process through cli.main, like a host would."""
    import cli

    def run(*args: str, cwd: Path | None = None) -> CliResult:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["castline", *args])
        capsys.readouterr()
        try:
            cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
