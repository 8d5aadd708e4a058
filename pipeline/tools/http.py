"""The one place castline talks HTTP: reading a feed, downloading its files.

``requests`` with urllib3's ``Retry`` does the work: every request has a
connect and a read timeout, a dropped connection or a 429/5xx answer is
retried with backoff, and redirects are followed (podcast hosts put a
tracking redirect, OP3 or Podtrac, in front of almost every enclosure).

A download goes to ``<name>.part`` first and is renamed only when its size
equals what the server said (``Content-Length``, or the total of a
``Content-Range``), so a file under its final name is always complete. An
interrupted download resumes where it stopped with a ``Range`` request;
a server that ignores ranges answers 200 and the file starts over.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Callable

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipeline.errors import ImportSourceError

TIMEOUT = (10.0, 60.0)  # seconds: connect, read (between bytes, not the whole body)
RETRIES = 3
CHUNK = 1 << 16
USER_AGENT = "castline-import/0.1 (+https://podcastindex.org/namespace/1.0)"
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_local = threading.local()


def session() -> requests.Session:
    """A session per thread (requests' sessions are not thread-safe), with
    timeouts on every call and retries for what is worth retrying."""
    s = getattr(_local, "session", None)
    if s is None:
        retry = Retry(total=RETRIES, connect=RETRIES, read=RETRIES, backoff_factor=0.3,
                      status_forcelist=(429, 500, 502, 503, 504), allowed_methods=("GET", "HEAD"),
                      respect_retry_after_header=True, raise_on_status=False)
        s = requests.Session()
        adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        s.headers["User-Agent"] = USER_AGENT
        _local.session = s
    return s


def get_bytes(url: str, what: str = "the feed") -> tuple[bytes, str, str]:
    """GET ``url``; return (body, final URL after redirects, content type).
    Raise ImportSourceError naming the URL for anything but a 2xx answer."""
    try:
        resp = session().get(url, timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise _unreachable(url, what, exc) from None
    with resp:
        if resp.status_code >= 400:
            raise ImportSourceError(f"{what} answered HTTP {resp.status_code} {resp.reason or ''}".strip(), path=url,
                                    fix="check the URL in a browser; the host may have moved or removed it")
        return resp.content, resp.url, resp.headers.get("Content-Type", "")


class _BrokenOff(ImportSourceError):
    """The body stopped short: worth resuming at once."""


def download(url: str, target: Path, on_bytes: Callable[[int], None] | None = None) -> tuple[int, str]:
    """Download ``url`` to ``target`` (resuming ``target.part`` if a former
    run left one); return (bytes, content type). The file appears under
    ``target`` only when complete; ImportSourceError otherwise. A body that
    breaks off is resumed at once, up to ``RETRIES`` times."""
    if target.is_file():
        return target.stat().st_size, ""
    for attempt in range(RETRIES + 1):
        try:
            return _download(url, target, on_bytes, count_part=attempt == 0)
        except _BrokenOff as exc:
            if attempt == RETRIES:
                raise ImportSourceError(exc.message, path=exc.path, fix=exc.fix) from None
    raise AssertionError("unreachable")


def _download(url: str, target: Path, on_bytes: Callable[[int], None] | None, count_part: bool) -> tuple[int, str]:
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        resp = session().get(url, timeout=TIMEOUT, stream=True, headers=headers)
    except requests.RequestException as exc:
        raise _unreachable(url, "the file", exc) from None
    with resp:
        if resp.status_code == 416 and have:  # nothing left to send: the part is the whole file
            expected = _total_of(resp.headers.get("Content-Range", ""))
            if expected in (None, have):
                os.replace(part, target)
                return have, resp.headers.get("Content-Type", "")
        if resp.status_code >= 400:
            raise ImportSourceError(f"answered HTTP {resp.status_code} {resp.reason or ''}".strip(), path=url,
                                    fix="check the URL; the file may have been removed from the old host")
        if resp.status_code == 206:
            m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
            if not m or int(m.group(1)) != have:
                raise ImportSourceError("sent a byte range that does not continue the partial download", path=url,
                                        fix=f"delete {part.name} and run import again")
            expected = int(m.group(3)) if m.group(3) != "*" else None
            mode = "ab"
        else:
            expected = _int(resp.headers.get("Content-Length"))
            if resp.headers.get("Content-Encoding", "identity") != "identity":
                expected = None  # the length is of the compressed body
            have, mode = 0, "wb"
        if on_bytes and have and count_part:  # a former run's bytes count once
            on_bytes(have)
        got = have
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with part.open(mode) as fh:
                for block in resp.iter_content(CHUNK):
                    fh.write(block)
                    got += len(block)
                    if on_bytes:
                        on_bytes(len(block))
        except requests.RequestException as exc:
            raise _BrokenOff(f"the download broke off after {got} bytes ({_reason(exc)})", path=url,
                                    fix="run import again: it resumes where it stopped") from None
        except OSError as exc:
            raise ImportSourceError(f"cannot write {part} ({exc.strerror})", path=url,
                                    fix="free some disk space or check the folder's permissions, then run import again"
                                    ) from None
        if expected is not None and got != expected:
            raise _BrokenOff(f"the download stopped at {got} of {expected} bytes", path=url,
                                    fix="run import again: it resumes where it stopped")
        os.replace(part, target)
        return got, resp.headers.get("Content-Type", "")


def _total_of(content_range: str) -> int | None:
    m = re.search(r"/(\d+)$", content_range.strip())
    return int(m.group(1)) if m else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _reason(exc: Exception) -> str:
    text = str(exc)
    for known in ("Name or service not known", "nodename nor servname", "Connection refused", "timed out",
                  "Temporary failure in name resolution", "certificate verify failed"):
        if known in text:
            return known.lower()
    return type(exc).__name__


def _unreachable(url: str, what: str, exc: Exception) -> ImportSourceError:
    return ImportSourceError(f"cannot reach {what} ({_reason(exc)})", path=url,
                             fix="check the URL and your connection, then run import again")
