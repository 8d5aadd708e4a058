"""The files of each imported episode: recording, art, transcript, chapters.

Recordings are downloaded ``workers`` at a time (a download mostly waits
on the network, so threads are enough), each through ``fetch.download``:
resumable, checked against its length, complete or absent. Art and
transcripts are checked with castline's own rules as they arrive; one that
fails is reported and left out, never a reason to lose the episode.
Chapters come from ``podcast:chapters`` JSON, else Podlove Simple
Chapters in the feed, else the CHAP frames of the MP3 itself.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Callable, Iterator

from pipeline.errors import ArtError, CastlineError, ImportSourceError
from pipeline.ingest import read_transcript
from pipeline.progress import Progress
from pipeline.tools import http as fetch
from pipeline.tools.images import check_art

from .files import chapters_from_json, chapters_from_mp3, chapters_from_psc, clean_chapters
from .sourcefeed import SourceItem, SourceShow


def download_all(root: Path, new: list, show: SourceShow, progress: Progress, workers: int) -> Iterator[tuple]:
    """Download every new item's files, ``workers`` at a time; yield each
    item, as it finishes, with (chapters, image, warnings) or the error that
    stopped it. Ctrl-C cancels what has not started."""
    if not new:
        return
    total = sum(item.enclosure.length or 0 for item, *_ in new)
    advance = progress.step(f"Downloading {len(new)} recordings", float(total))
    shared = _Shared(root, show, advance, {}, threading.Lock())

    def job(entry):
        item, slug, number, date = entry
        try:
            return (*entry, _download_item(shared, item, slug))
        except CastlineError as exc:
            return (*entry, exc)

    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="castline-import")
    try:
        for future in as_completed([pool.submit(job, e) for e in new]):
            yield future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@dataclass(frozen=True)
class _Shared:
    """What every item's download shares: the show folder, the source show,
    the progress bar, and the episode art already fetched (by URL, under
    ``lock``: many episodes share one picture)."""

    root: Path
    show: SourceShow
    advance: Callable[[float], None]
    arts: dict
    lock: threading.Lock


def _download_item(shared: _Shared, item: SourceItem, slug: str):
    root, show, advance, arts, lock = shared.root, shared.show, shared.advance, shared.arts, shared.lock
    episodes = root / "episodes"
    audio = episodes / f"{slug}{item.enclosure.ext}"
    fetch.download(item.enclosure.url, audio, advance)
    notes: list[str] = []
    where = f"show_notes/{slug}.md"
    for url, ext in sorted(item.transcripts, key=lambda t: t[1] != ".vtt")[:1]:  # WebVTT first: the pages show it
        target = episodes / f"{slug}{ext}"
        try:
            fetch.download(url, target)
            read_transcript(target)
        except CastlineError as exc:
            target.unlink(missing_ok=True)
            notes.append(f"{where}: transcript {url} not imported ({exc.message})")
    chapters, how = [], ""
    try:
        if item.chapters_url:
            data, _, _ = fetch.get_bytes(item.chapters_url, "the chapters")
            chapters, how = chapters_from_json(data), "podcast:chapters"
        elif item.psc_chapters:
            chapters, how = chapters_from_psc(item.psc_chapters), "psc:chapters"
        elif audio.suffix == ".mp3":
            chapters, how = chapters_from_mp3(audio), "the MP3's CHAP frames"
    except (CastlineError, ValueError) as exc:
        notes.append(f"{where}: chapters not imported ({getattr(exc, 'message', exc)})")
    chapters, dropped = clean_chapters(chapters)
    if dropped:
        notes.append(f"{where}: {dropped} chapter(s) from {how} out of order or repeated; left out")
    image = None
    if item.image and item.image != show.image:
        with lock:  # one download per URL: many episodes share one picture
            url_lock = arts.setdefault(("lock", item.image), threading.Lock())
        with url_lock:
            if item.image not in arts:
                arts[item.image] = _episode_art(root, item.image, where, notes)
            image = arts[item.image]
    return chapters, image, notes


def _episode_art(root: Path, url: str, where: str, notes: list[str]) -> str | None:
    """The episode's art under art/ (named by its URL, so episodes that share
    a picture share the file), or None with the reason in ``notes``."""
    name = None
    try:
        name = fetch_art(root, url, root / "art" / f"episode-{hashlib.sha256(url.encode()).hexdigest()[:12]}")
        check_art(root / name)
        return name
    except (ArtError, ImportSourceError) as exc:
        if name:
            (root / name).unlink(missing_ok=True)
        notes.append(f"{where}: episode art not imported ({exc}); the show art is used")
        return None


def fetch_art(root: Path, url: str, stem: Path) -> str:
    """Download an image to ``stem`` + its real extension (.jpg/.png, read
    from the bytes: Apple's rules trust the extension)."""
    from PIL import Image, UnidentifiedImageError

    tmp = stem.with_name(stem.name + ".download")
    fetch.download(url, tmp)
    try:
        with Image.open(tmp) as im:
            ext = {"JPEG": ".jpg", "PNG": ".png"}.get(im.format or "", ".jpg")
    except (UnidentifiedImageError, OSError):
        ext = ".jpg"
    target = stem.with_suffix(ext)
    os.replace(tmp, target)
    return target.relative_to(root).as_posix()
