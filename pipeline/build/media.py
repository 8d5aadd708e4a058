"""Episode -> the final media file: mastered, tagged, hashed, cached.

Mastering is the slow part of a publish, so its result is cached in
``.castline/cache`` under a key made of the recording's bytes, every audio
setting and castline's audio version: a re-run with nothing changed encodes
nothing. The tagged copy is cached the same way under a key that adds the
tag contents. The published state keeps the result too (``media``), so a
fresh clone that publishes against the same store need not re-master
episodes whose inputs did not change.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from pipeline.audio import cache_key, effective_audio, master, passthrough, passthrough_key
from pipeline.store import MediaFile, PublishedMedia
from pipeline.model import BuildSettings, Encoding, Episode, Loudness, MasteredAudio
from pipeline.tags import TagInfo, write_tags
from pipeline.tools.digest import digests, sha256_of
from pipeline.tools.ffmpeg import Children
from pipeline.tools.filecache import FileCache
from pipeline.tools.tempfiles import CACHE_DIR, work_dir

TAG_WRITER = "pipeline.tags"  # the tag writer as published fingerprints name it (its module's name before the
# stage packages): a new name here would make every published episode look re-tagged


class HashCache:
    """sha256 of files, remembered by (size, mtime) so a no-op publish of a
    large show does not re-read every recording."""

    def __init__(self, root: Path) -> None:
        self.files = FileCache(root / CACHE_DIR / "hashes.json")
        self.seen: dict[Path, str] = {}  # this run's answers: the plan and the build ask for the same files

    def sha256(self, path: Path) -> str:
        if path in self.seen:
            return self.seen[path]
        stamp, hit = self.files.get(path)
        if hit:
            digest = hit[0]
        else:
            digest = sha256_of(path)
            self.files.put(path, stamp, [digest])
        self.seen[path] = digest
        return digest

    def save(self) -> None:
        self.files.save()


@dataclass(frozen=True)
class MediaPlan:
    """What the media file of one episode will be made from."""

    fingerprint: str  # changes whenever the final file's bytes would
    master_key: str
    source_sha256: str


def master_key_for(settings: BuildSettings, episode: Episode, hashes: HashCache) -> str:
    """The cache key of the episode's master: its recording, every audio
    setting that shapes it, the intro/outro contents, castline's audio
    version. Cheap (hashes are cached by size and mtime)."""
    a = settings.audio
    source = hashes.sha256(episode.audio_path)
    if not episode.master:
        return passthrough_key(source)
    intro = hashes.sha256(a.intro) if a.intro else None
    outro = hashes.sha256(a.outro) if a.outro else None
    return cache_key(source, effective_audio(a, episode), intro, outro)


def media_plan(settings: BuildSettings, episode: Episode, tag_info: TagInfo, hashes: HashCache) -> MediaPlan:
    source = hashes.sha256(episode.audio_path)
    master_key = master_key_for(settings, episode, hashes)
    tag_json = json.dumps(_tag_dict(tag_info), sort_keys=True, default=str)
    fingerprint = hashlib.sha256(f"{master_key}\n{TAG_WRITER}\n{tag_json}".encode()).hexdigest()
    return MediaPlan(fingerprint=fingerprint, master_key=master_key, source_sha256=source)


def _tag_dict(info: TagInfo) -> dict:
    d = asdict(info)
    cover = d.pop("cover", None)
    d["cover_sha256"] = hashlib.sha256(cover).hexdigest() if cover else None
    return d


def is_mastered(settings: BuildSettings, plan: MediaPlan) -> bool:
    """Whether the master for ``plan`` is already in the cache."""
    return (settings.root / CACHE_DIR / "master" / plan.master_key / "master.json").is_file()


def master_cached(settings: BuildSettings, episode: Episode, plan: MediaPlan,
                  on_progress: Callable[[float], None] | None = None,
                  children: Children | None = None) -> MasteredAudio:
    """Master the episode's recording, or take the master from the cache.

    The work happens in a folder of its own (two publishes, or two threads,
    may master the same recording at once) and the finished folder, with its
    ``master.json`` inside, is renamed into place in one step: a cache entry
    is complete or absent, even after Ctrl-C."""
    master_dir = settings.root / CACHE_DIR / "master" / plan.master_key
    meta_path = master_dir / "master.json"
    if meta_path.is_file():
        return _load_master(meta_path)
    tmp = work_dir(master_dir)
    try:
        make = master if episode.master else passthrough  # master: false publishes it as it is
        mastered = make(episode.audio_path, tmp, effective_audio(settings.audio, episode), stem="master",
                        on_progress=on_progress, children=children)
        mastered = _relocate(mastered, tmp, master_dir)
        (tmp / "master.json").write_text(json.dumps(_dump_master(mastered), indent=1))
        return mastered if _install(tmp, master_dir) else _load_master(meta_path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def cached_master(settings: BuildSettings, master_key: str | None) -> MasteredAudio | None:
    """The master cached under ``master_key``, or None."""
    meta = settings.root / CACHE_DIR / "master" / (master_key or "-") / "master.json"
    return _load_master(meta) if master_key and meta.is_file() else None


def published_master(settings: BuildSettings, record, store) -> MasteredAudio:
    """The episode's published media, fetched from the store into the cache
    (``published/<fingerprint>``), as the master to re-tag: used when the
    master it was made from is not cached on this machine."""
    media, key, alt_keys = record_media(record.media)
    folder = settings.root / CACHE_DIR / "published" / (record.fingerprint or record.guid)
    if not (folder / "done").is_file():
        tmp = work_dir(folder)
        try:
            for k in (key, *alt_keys):
                store.download(k, tmp / k.rsplit("/", 1)[-1])
            (tmp / "done").write_text("ok")
            _install(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def local(e: Encoding, k: str) -> Encoding:
        return Encoding(folder / k.rsplit("/", 1)[-1], e.format, e.mime, e.size, e.sha256, e.bitrate, e.sha384)

    return MasteredAudio(local(media.main, key), media.duration, media.channels, media.sample_rate,
                         media.input_loudness, media.output_loudness,
                         tuple(local(a, k) for a, k in zip(media.alternates, alt_keys)), media.offset)


def tag_cached(settings: BuildSettings, plan: MediaPlan, mastered: MasteredAudio, tag_info: TagInfo) -> MasteredAudio:
    """Copy the master and write the tags, cached under the fingerprint
    (the master plus every tag value): retagging happens only when a tag
    would change. Installed in one rename, like ``master_cached``."""
    out_dir = settings.root / CACHE_DIR / "tagged" / plan.fingerprint
    meta = out_dir / "tagged.json"
    if meta.is_file():
        return _load_master(meta)
    tmp = work_dir(out_dir)
    try:
        encodings = []
        for enc in (mastered.main, *mastered.alternates):
            target = tmp / enc.path.name
            shutil.copyfile(enc.path, target)
            write_tags(target, tag_info, ffmpeg=settings.audio.ffmpeg)
            sha256, sha384 = digests(target)
            encodings.append(Encoding(path=out_dir / target.name, format=enc.format, mime=enc.mime,
                                      size=target.stat().st_size, sha256=sha256, bitrate=enc.bitrate, sha384=sha384))
        result = MasteredAudio(main=encodings[0], duration=mastered.duration, channels=mastered.channels,
                               sample_rate=mastered.sample_rate, input_loudness=mastered.input_loudness,
                               output_loudness=mastered.output_loudness, alternates=tuple(encodings[1:]),
                               offset=mastered.offset)
        (tmp / "tagged.json").write_text(json.dumps(_dump_master(result), indent=1))
        return result if _install(tmp, out_dir) else _load_master(meta)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _install(tmp: Path, final: Path) -> bool:
    """Rename the finished ``tmp`` to ``final``. False when another run
    installed the same entry first (same key, same content): use theirs.
    A leftover without its json (from an older castline) is replaced."""
    meta = next(iter([*tmp.glob("*.json"), *tmp.glob("done")]))
    if final.is_dir() and not (final / meta.name).is_file():
        shutil.rmtree(final, ignore_errors=True)
    try:
        tmp.rename(final)
        return True
    except OSError:
        if (final / meta.name).is_file():
            return False
        raise


def _relocate(m: MasteredAudio, old: Path, new: Path) -> MasteredAudio:
    def move(e: Encoding) -> Encoding:
        return Encoding(new / e.path.relative_to(old), e.format, e.mime, e.size, e.sha256, e.bitrate, e.sha384)

    return MasteredAudio(move(m.main), m.duration, m.channels, m.sample_rate, m.input_loudness, m.output_loudness,
                         tuple(move(a) for a in m.alternates), m.offset)


def _dump_master(m: MasteredAudio) -> dict:
    def enc(e: Encoding) -> dict:  # vars, not asdict: flat values need no deep copy (1000s of episodes)
        return {**vars(e), "path": e.path.name}

    return {
        "main": enc(m.main), "duration": m.duration, "channels": m.channels, "sample_rate": m.sample_rate,
        "input_loudness": dict(vars(m.input_loudness)) if m.input_loudness else None,
        "output_loudness": dict(vars(m.output_loudness)) if m.output_loudness else None,
        "alternates": [enc(a) for a in m.alternates], "offset": m.offset,
    }


def _load_master(meta: Path) -> MasteredAudio:
    d = json.loads(meta.read_text())
    folder = meta.parent

    def enc(e: dict) -> Encoding:
        return Encoding(**{**e, "path": folder / e["path"]})

    loud = lambda v: Loudness(**v) if v else None  # noqa: E731
    return MasteredAudio(enc(d["main"]), d["duration"], d["channels"], d["sample_rate"], loud(d["input_loudness"]),
                         loud(d["output_loudness"]), tuple(enc(a) for a in d["alternates"]), d.get("offset", 0.0))


def media_record(m: MasteredAudio, key: str, alt_keys: list[str]) -> PublishedMedia:
    """What the state keeps of an episode's media (enough to put it in the
    feed and pages without the file at hand)."""
    def one(e: Encoding, k: str) -> MediaFile:
        return MediaFile(k, e.path.name, e.format, e.mime, e.size, e.sha256, e.bitrate, e.sha384)

    loud = lambda v: dict(vars(v)) if v else None  # noqa: E731
    return PublishedMedia(one(m.main, key), m.duration, m.channels, m.sample_rate, loud(m.input_loudness),
                          loud(m.output_loudness), tuple(one(a, k) for a, k in zip(m.alternates, alt_keys)), m.offset)


def record_media(d: PublishedMedia) -> tuple[MasteredAudio, str, list[str]]:
    """The inverse of media_record: a MasteredAudio whose paths are not on
    this machine (only keys, sizes, hashes and durations are used)."""
    def enc(f: MediaFile) -> Encoding:
        return Encoding(path=Path(f.path), format=f.format, mime=f.mime, size=f.size, sha256=f.sha256,
                        sha384=f.sha384, bitrate=f.bitrate)

    loud = lambda v: Loudness(**v) if v else None  # noqa: E731
    m = MasteredAudio(enc(d.main), d.duration, d.channels, d.sample_rate, loud(d.input_loudness),
                      loud(d.output_loudness), tuple(enc(a) for a in d.alternates), d.offset)
    return m, d.main.key, [a.key for a in d.alternates]
