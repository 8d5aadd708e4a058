"""A real browser for the page tests: Debian's chromium driven by Playwright.

``chromium_context`` starts chromium headless with a fresh profile under the
test's tmp folder; ``preview_server`` serves a folder with castline's own
preview server on 127.0.0.1. Outside CI a missing chromium or Playwright
skips the browser tests; with ``CI=true`` it fails them, loudly.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from pipeline.store.serve import make_server

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
]


def _missing(what: str) -> None:
    message = f"{what}; the browser tests need Debian's chromium (apt-get install chromium) and playwright"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def chromium_path() -> str:
    """Debian's chromium, or fail (CI) / skip (elsewhere)."""
    exe = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not exe:
        _missing("chromium not found on PATH or at /usr/bin/chromium")
    return exe


@contextmanager
def chromium_context(profile: Path, *, width: int = 1280, height: int = 900) -> Iterator:
    """A Playwright BrowserContext of a fresh chromium profile in ``profile``."""
    exe = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright (python) is not installed")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile), executable_path=exe, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height}
        )
        try:
            yield context
        finally:
            context.close()


@contextmanager
def preview_server(root: Path) -> Iterator[str]:
    """Serve ``root`` with pipeline.store.serve on 127.0.0.1; yield its base URL."""
    server = make_server(root)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
