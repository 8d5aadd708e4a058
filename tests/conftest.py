"""Shared fixtures: the one show factory (the sample show copied, or
published once and copied), and the CLI as a host runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
GOLDEN_DIR = REPO / "tests" / "golden"  # the pinned outputs
SHOW_PARTS = ("config.toml", "episodes", "show_notes", "art")


# -- the show factory: every test's show is made here ------------------------------------------------------------

def copy_sample(dest: Path) -> Path:
    """A private copy of the sample show that lives in the repository, at ``dest``."""
    dest.mkdir(parents=True)
    for part in SHOW_PARTS:
        src = REPO / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dest / part)
    return dest


def clone(base: Path, dest: Path) -> Path:
    """A private copy of a show made here, published or not (cache and public/ included)."""
    shutil.copytree(base, dest, symlinks=True)
    return dest


@pytest.fixture
def sample_show(tmp_path: Path) -> Path:
    """A private copy of the sample show, not yet published."""
    return copy_sample(tmp_path / "show")


@pytest.fixture(scope="session")
def published_sample(tmp_path_factory) -> Path:
    """The sample show published once for the whole session, the way a host
    does it: ``castline publish`` in a fresh process. Shared and read-only:
    tests that change it take ``published_copy``."""
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
    return clone(published_sample, tmp_path / "show")


@pytest.fixture
def show(published_copy: Path) -> Path:
    """The show a host works on: a private copy of the published sample show.
    A module whose show is made otherwise overrides this fixture:
    test_guarantees (this show on both stores) and test_fuzz (one copy for
    the module) build on the factory above; scaffold/ makes its show with
    ``castline init``, the code it tests."""
    return published_copy


# -- the CLI -----------------------------------------------------------------------------------------------------

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
