"""The preview server behind ``castline serve``: the published folder over
HTTP on 127.0.0.1, answering the way a podcast host must.

Podcast apps and browsers fetch audio in pieces: they ask for
``Range: bytes=a-b`` to read the tags, to seek, or to resume, and give up on
a server that ignores it. So this server answers single byte ranges with
``206 Partial Content`` and ``Content-Range``, says ``416`` (with
``Content-Range: bytes */size``) for a range past the end, always advertises
``Accept-Ranges: bytes``, and serves HEAD. It answers conditional requests
the way a CDN does: ``If-None-Match`` (an ETag of size and modification
time) and ``If-Modified-Since`` give ``304 Not Modified``, and a range
with ``If-Range`` naming an older version gets the whole new file. A range
header no file could satisfy, however many digits it has, is ``416``.
Content-Type is the store's (``headers_for``), so the preview shows what
the store serves. A folder answers with its ``index.html``; nothing outside the root
is ever served, whatever ``..`` or symlinks the path holds. Responses carry
``Cache-Control: no-cache`` so edits show on reload.
"""

from __future__ import annotations

import email.utils
import errno
import logging
import re
import socket
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipeline.errors import ServeError
from pipeline.model import StorageSettings

from .protocol import headers_for

log = logging.getLogger("castline.serve")

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_CHUNK = 64 * 1024
_MAX_DIGITS = 18  # more than any file's size: a longer number is never converted


class PreviewServer(ThreadingHTTPServer):
    """A threading HTTP server that knows the folder it serves."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path) -> None:
        self.root = Path(root).resolve()
        super().__init__(address, _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


def make_server(root: Path, host: str = "127.0.0.1", port: int = 0) -> ThreadingHTTPServer:
    """Bind (``port=0``: any free port) and return the server; the caller
    runs ``serve_forever()`` (in a thread, for tests) and ``shutdown()``.
    A port in use or an address that is not this machine's is a ServeError."""
    try:
        return PreviewServer((host, port), root)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            other = port + 1 if 0 < port < 65535 else 8000
            raise ServeError(f"port {port} on {host} is already in use", field="--port",
                             fix=f"stop the other server, or pick another port: castline serve --port {other}") from None
        if isinstance(exc, socket.gaierror) or exc.errno in (errno.EADDRNOTAVAIL, errno.EACCES):
            raise ServeError(f"cannot listen on {host}:{port} ({exc.strerror or exc})", field="--host",
                             fix="use --host 127.0.0.1, and a port above 1023") from None
        raise


def preview_root(storage: StorageSettings, root: Path) -> Path:
    """The folder the local store of the show at ``root`` writes, which
    ``castline serve`` previews."""
    url = storage.url
    if url.startswith("s3://"):
        raise ServeError(f"the store is {url}, not a local folder", path="config.toml", field="storage.url",
                         fix="pass --dir public (after a local publish) to preview a folder")
    return (root / url).resolve()


def parse_range(header: str | None, size: int) -> tuple[int, int] | None | bool:
    """The inclusive byte span a ``Range`` header asks of a ``size``-byte file.

    ``None``: no usable range, serve the whole file (also for multiple ranges
    or a syntax this server does not answer, as RFC 9110 allows).
    ``False``: unsatisfiable, answer 416. Otherwise ``(first, last)``.
    """
    match = _RANGE.match((header or "").strip())
    if not match:
        return None
    first, last = (_number(g) for g in match.groups())
    if first is None and last is None:
        return None
    if first is None:  # "-n": the last n bytes
        return (max(0, size - last), size - 1) if last > 0 and size > 0 else False
    if last is not None and last < first:
        return None  # invalid range: ignore it
    if first >= size:
        return False
    return first, min(last, size - 1) if last is not None else size - 1


def _number(digits: str) -> int | None:
    """A decimal from a Range header; a number longer than any file is size
    (a huge count of digits would otherwise make ``int`` refuse)."""
    if not digits:
        return None
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else 10**_MAX_DIGITS


class _Handler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"
    server_version = "castline-preview"

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the stdlib's name)
        log.info("%s %s", self.address_string(), format % args)

    def _serve(self, *, body: bool) -> None:
        url_path = urlsplit(self.path).path
        path = self._resolve(url_path)
        if path is not None and path.is_dir():
            if not url_path.endswith("/"):
                self._redirect(url_path + "/")
                return
            path = path / "index.html"
        if path is None or not path.is_file():
            self._error(HTTPStatus.NOT_FOUND, body)
            return
        try:
            self._send_file(path, body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client went away during %s", url_path)  # players abort ranged reads often

    def _resolve(self, url_path: str) -> Path | None:
        """The file for a URL path, or None when it would leave the root."""
        parts = [p for p in unquote(url_path).split("/") if p not in ("", ".")]
        if any(p == ".." or "\\" in p or "\x00" in p for p in parts):
            return None
        path = self.server.root.joinpath(*parts).resolve()
        return path if path == self.server.root or path.is_relative_to(self.server.root) else None

    def _send_file(self, path: Path, body: bool) -> None:
        stat = path.stat()
        size = stat.st_size
        key = path.relative_to(self.server.root).as_posix()
        etag = f'"{size:x}-{stat.st_mtime_ns:x}"'
        modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        if _not_modified(self.headers, etag, int(stat.st_mtime)):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", modified)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            return
        if_range = self.headers.get("If-Range")
        fresh = if_range is None or if_range.strip() in (etag, modified)
        span = parse_range(self.headers.get("Range"), size) if fresh else None
        if span is False:
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{size}")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        first, last = span if span else (0, size - 1)
        length = max(0, last - first + 1)
        self.send_response(HTTPStatus.PARTIAL_CONTENT if span else HTTPStatus.OK)
        self.send_header("Content-Type", headers_for(key)[0])
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Last-Modified", modified)
        self.send_header("ETag", etag)
        if key.endswith((".vtt", ".srt", ".chapters.json")):  # browser players fetch these cross-origin
            self.send_header("Access-Control-Allow-Origin", "*")
        if span:
            self.send_header("Content-Range", f"bytes {first}-{last}/{size}")
        self.end_headers()
        if body and length:
            with path.open("rb") as fh:
                fh.seek(first)
                _copy(fh, self.wfile, length)

    def _redirect(self, location: str) -> None:
        self.send_response(HTTPStatus.MOVED_PERMANENTLY)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _error(self, status: HTTPStatus, body: bool) -> None:
        page = f"<!doctype html><title>{status.value} {status.phrase}</title><h1>{status.phrase}</h1>\n".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        if body:
            self.wfile.write(page)


def _not_modified(headers, etag: str, mtime: int) -> bool:
    """RFC 9110: ``If-None-Match`` decides when present; otherwise
    ``If-Modified-Since`` (a date that cannot be read is ignored)."""
    none_match = headers.get("If-None-Match")
    if none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in none_match.split(",")]
        return "*" in tags or etag in tags
    since = headers.get("If-Modified-Since")
    if not since:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if when is None or when.tzinfo is None:
        return False
    return mtime <= when.timestamp()


def _copy(src, dst, length: int) -> None:
    remaining = length
    while remaining > 0:
        chunk = src.read(min(_CHUNK, remaining))
        if not chunk:
            break
        dst.write(chunk)
        remaining -= len(chunk)


__all__ = ["PreviewServer", "make_server", "parse_range", "preview_root"]
