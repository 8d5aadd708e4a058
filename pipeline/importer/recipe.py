"""``castline import``: bring a show over from another host, keeping every GUID.

The recipe::

    pages    = the feed, and every page after it (RFC 5005 next / prev-archive)
    show     = config.toml from the channel, the show art downloaded   (only if the folder has none)
    new      = items whose GUID the show does not have yet, oldest first
    files    = each recording (in parallel), its art, transcript, chapters
    notes    = one notes file per item, written last, once its recording is whole

Apps know an episode by its GUID and a show by its ``podcast:guid``, so both
come over exactly as the old feed has them: moving the show is then, for
every subscriber, the same show at a new address (after the old host sends a
301 redirect to the new feed). MP3 and M4A recordings are published as
they are (``master: false``): listeners already have those files.

Running import again is safe: ``.castline/import.json`` records every GUID
imported, the hash of the source item and of the notes file as written.
Known GUIDs are never imported twice; the notes of an episode the old feed
has changed since are written again, unless the host has edited them (then
they are kept, and named). A failed download is reported and left out; the
next run retries it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from feeds.podcast_ns import podcast_guid
from pipeline.errors import ArtError, CastlineError, ImportSourceError
from pipeline.ingest import read_notes
from pipeline.progress import Progress, Quiet
from pipeline.scaffold import next_number, slugify
from pipeline.tools import http as fetch
from pipeline.tools.images import check_art

from .files import config_text, map_categories, notes_text
from .media import download_all, fetch_art
from .sourcefeed import SourceItem, SourceShow, date_by_position, parse_feed

RECORD = ".castline/import.json"
WORKERS = 4  # downloads at once
MAX_PAGES = 5000
LARGE = 1000  # episodes: say that the import will take a while


@dataclass(frozen=True)
class ImportReport:
    """What an import did. ``problems`` (downloads that failed) make the
    command exit 1; ``warnings`` are quirks of the source, each one line."""

    root: Path
    imported: tuple[str, ...]  # slugs written this run
    known: int  # items already imported before
    updated: tuple[str, ...]  # notes rewritten: the old feed changed the episode, the host had not edited them
    kept: tuple[str, ...]  # notes the host edited since import: left as they are
    warnings: tuple[str, ...]
    problems: tuple[CastlineError, ...]
    next_steps: tuple[str, ...]


def import_show(source: str, root: Path, *, base_url: str | None = None, owner_email: str | None = None,
                progress: Progress | None = None, workers: int = WORKERS) -> ImportReport:
    """Import the show at ``source`` (a feed URL or a saved feed file) into
    the show folder ``root`` (made if missing; an existing show gains the
    episodes it lacks). Raises ImportSourceError when the feed itself cannot
    be used; a download that fails is in the report's ``problems``."""
    root = Path(root).resolve()
    if base_url is not None:
        if not re.match(r"^https?://[^\s/]+\S*$", base_url.strip()):
            raise ImportSourceError(f"{base_url!r} is not an absolute http(s) URL", field="--base-url",
                                    fix="give the public URL the show will be served from, like https://cdn.example.com/show/")
        base_url = base_url.strip().rstrip("/") + "/"
    show, items, warnings = read_source(source)
    if show.locked and not _owner_matches(show, owner_email):
        raise ImportSourceError(
            "is locked (<podcast:locked>yes</podcast:locked>): its owner asked that no other platform import it",
            path=source, fix="if the show is yours, pass --owner-email with the owner email the feed gives, "
                             "or unlock the feed on the old host first")
    for folder in ("episodes", "show_notes", "art"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    record = _Record(root / RECORD)
    if not (root / "config.toml").exists():
        warnings += _write_config(root, source, show, base_url)
    else:
        warnings.append("config.toml: already there; kept as it is (import only adds episodes)")
    work, known, kept = _plan(root, record, items, warnings)
    record.save()
    imported, updated, problems, notes_by_slug = [], [], [], {}
    was_done = record.done_guids
    try:
        for item, slug, number, date, outcome in download_all(root, work, show, progress or Quiet(), workers):
            if isinstance(outcome, CastlineError):
                problems.append((slug, outcome))
                continue
            chapters, image, notes_by_slug[slug] = outcome
            text = notes_text(item, date, number=number, chapters=chapters, image=image)
            (root / "show_notes" / f"{slug}.md").write_text(text, encoding="utf-8")  # last: the recording is whole
            (updated if item.guid in was_done else imported).append(slug)
            record.done(item, slug, number, text.encode())
            record.save_now_and_then()
    finally:
        record.save()
    warnings += [w for slug in sorted(notes_by_slug) for w in notes_by_slug[slug]]
    problems = [exc for _, exc in sorted(problems, key=lambda p: p[0])]
    return ImportReport(root, tuple(sorted(imported)), known, tuple(sorted(updated)), tuple(kept), tuple(warnings),
                        tuple(problems), next_steps(root, source, base_url))


def read_source(source: str) -> tuple[SourceShow, list[SourceItem], list[str]]:
    """Every item of the feed, following RFC 5005 pages to the end, with
    duplicates (by GUID) and items without audio reported and left out."""
    warnings: list[str] = []
    url, seen, items, show, first = source, set(), [], None, None
    while url and len(seen) < MAX_PAGES:
        seen.add(url)
        data, final = _read(url)
        first = first or final  # where the feed itself is, after redirects
        page = parse_feed(data, final, first_position=len(items))
        show = show or page.show
        warnings += page.warnings
        items += page.items
        url = page.next_url if page.next_url not in seen else None
    if show.new_feed_url and show.new_feed_url.rstrip("/") not in (source.rstrip("/"), first.rstrip("/")):
        warnings.append(f"{source}: the feed says the show has moved to {show.new_feed_url} (itunes:new-feed-url); "
                        "if that is where it lives now, import that feed instead")
    if not items:
        raise ImportSourceError("has no episodes (no <item> in the feed)", path=source,
                                fix="check that this is the show's feed, not an empty or a test one")
    dates = date_by_position(items)
    out, guids = [], {}
    for item in items:
        where = f"{source}: item {item.position + 1} ({item.title or 'untitled'!r})"
        if item.enclosure is None:
            warnings.append(f"{where}: has no audio enclosure; skipped")
            continue
        if not item.guid:
            continue
        if item.guid in guids:
            warnings.append(f"{where}: guid {item.guid!r} repeats item {guids[item.guid] + 1}; kept the first only")
            continue
        guids[item.guid] = item.position
        if item.enclosure_count > 1:
            warnings.append(f"{where}: has {item.enclosure_count} enclosures; imported the first audio one")
        if item.date is None:
            said = f"pubDate {item.date_text!r} is not a date" if item.date_text else "has no pubDate"
            warnings.append(f"{where}: {said}; dated "
                            f"{dates[item.position].isoformat()} by its place in the feed (edit `date:` if wrong)")
            item = replace(item, date=dates[item.position])
        out.append(item)
    quirks: dict[str, int] = {}
    for item in out:
        for quirk in item.notes:
            quirks[quirk] = quirks.get(quirk, 0) + 1
    warnings += [f"{source}: {n} item(s) with {quirk}" for quirk, n in quirks.items()]
    if len(out) > LARGE:
        size = sum(i.enclosure.length or 0 for i in out) / 1e9
        warnings.append(f"{source}: {len(out)} episodes" + (f" (about {size:.1f} GB)" if size else "")
                        + " to download: this takes a while; an interrupted import resumes where it stopped")
    return show, out, warnings


def _read(source: str) -> tuple[bytes, str]:
    if re.match(r"^https?://", source, re.I):
        data, final, _ = fetch.get_bytes(source)
        return data, final
    path = Path(source).expanduser()
    if not path.is_file():
        raise ImportSourceError("is neither an http(s) URL nor a feed file", path=source,
                                fix="give the feed's URL (https://...) or the path of a saved feed")
    return path.read_bytes(), str(path)


def _owner_matches(show: SourceShow, email: str | None) -> bool:
    owners = {e.strip().lower() for e in (show.locked_owner, show.owner_email) if e}
    return bool(email) and email.strip().lower() in owners


def _write_config(root: Path, source: str, show: SourceShow, base_url: str | None) -> list[str]:
    warnings = []
    categories, unknown = map_categories(show.categories)
    for name in unknown:
        warnings.append(f"config.toml: show.categories: {name!r} is not in Apple's current list; left out")
    if not categories:
        warnings.append("config.toml: show.categories: none of the feed's categories is Apple's; add one "
                        '(like categories = ["Business > Marketing"]) before publishing')
    image = "art/cover.jpg"
    if show.image:
        try:
            image = fetch_art(root, show.image, root / "art" / "cover")
            info = check_art(root / image)
            for fix in info.fixes:
                warnings.append(f"{image}: {fix} when published")
        except ArtError as exc:
            warnings.append(f"{exc}; the show art must be fixed before publishing")
        except ImportSourceError as exc:
            warnings.append(f"show art: {exc}")
    else:
        warnings.append("config.toml: show.image: the feed has no show art; put a square JPEG at art/cover.jpg")
    guid = show.podcast_guid or _seed_guid(source, show)
    text, notes = config_text(show, source=source, base_url=base_url, image=image, categories=categories,
                              podcast_guid=guid)
    (root / "config.toml").write_text(text, encoding="utf-8")
    return warnings + notes


def _seed_guid(source: str, show: SourceShow) -> str | None:
    """The spec's podcast:guid from the show's original feed URL (never
    castline's new one), so the show keeps its identity across the move."""
    url = source if re.match(r"^https?://", source, re.I) else show.self_url
    return podcast_guid(url) if url else None


def _plan(root: Path, record: "_Record", items: list[SourceItem], warnings: list[str]):
    """What to do with each item, oldest first: import it (a slug kept from
    an interrupted run, its number unless another episode has it), update
    its notes (the old feed changed it and the host has not edited them), or
    nothing. Returns (work, known, kept); work entries are
    (item, slug, number, date)."""
    done = {g for g, e in record.items.items() if e.get("notes_sha256")}
    in_notes, numbers = _scan_notes(root)
    work, known, kept = [], 0, []
    next_free = next_number(root / "show_notes")
    for item in sorted(items, key=lambda i: (i.date, -i.position)):
        if item.guid in done or item.guid in in_notes:  # a notes file with the guid counts even if the record lost it
            known += 1
            entry = record.items.get(item.guid) if item.guid in done else None
            if entry is None or entry.get("source_sha256") in (None, _item_sha(item)):
                continue  # the old feed has not changed it since
            path = root / "show_notes" / f"{entry['slug']}.md"
            if not path.is_file():
                continue  # the host removed it: not brought back
            if _sha(path.read_bytes()) != entry["notes_sha256"]:
                kept.append(entry["slug"])
                entry["source_sha256"] = _item_sha(item)  # said once, not on every run
                warnings.append(f"show_notes/{entry['slug']}.md: the old feed changed this episode, but you have "
                                "edited the notes since the import; kept yours")
                continue
            work.append((item, entry["slug"], entry.get("number"), item.date))
            continue
        slug = record.items.get(item.guid, {}).get("slug")
        if slug is None:
            slug = f"{next_free:03d}-{slugify(item.title or 'episode')}"
            next_free += 1
        number = item.number
        if number is not None and (item.season, number) in numbers:
            warnings.append(f"show_notes/{slug}.md: number {number} is used by another episode "
                            f"{'of season ' + str(item.season) if item.season else ''}; left out (set it by hand)")
            number = None
        if number is not None:
            numbers.add((item.season, number))
        record.pending(item.guid, slug)
        work.append((item, slug, number, item.date))
    return work, known, kept


def _scan_notes(root: Path) -> tuple[set[str], set[tuple[int | None, int]]]:
    """The guids and (season, number) pairs the show's notes already use."""
    guids, numbers = set(), set()
    for path in (root / "show_notes").glob("*.md"):
        try:
            fields = read_notes(path, path.name).fields
        except CastlineError:
            continue
        if fields.get("guid") is not None:
            guids.add(str(fields["guid"]).strip())
        if isinstance(fields.get("number"), int):
            numbers.add((fields.get("season") if isinstance(fields.get("season"), int) else None, fields["number"]))
    return guids, numbers


def _item_sha(item: SourceItem) -> str:
    """What the old feed says about an episode, hashed: a re-run updates
    notes whose item changed (and only those)."""
    data = asdict(replace(item, position=0))
    return _sha(json.dumps(data, sort_keys=True, default=str).encode())


def next_steps(root: Path, source: str, base_url: str | None) -> tuple[str, ...]:
    go = "" if root == Path.cwd().resolve() else f"cd {root} && "
    feed = f"{base_url.rstrip('/')}/feed.xml" if base_url else "<base_url>/feed.xml"
    steps = [] if base_url else ["set [show] base_url in config.toml to where the show will be served"]
    return (*steps, f"{go}castline check", f"{go}castline publish",
            f"on the old host: redirect {source} to {feed} with a permanent HTTP 301 (and set "
            "itunes:new-feed-url there too, if it offers it); apps follow it and keep every subscriber",
            "keep the old host running until the apps have moved over (a few weeks)")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Record:
    """``.castline/import.json``: per source GUID, the slug it became and the
    sha256 of the notes file as import wrote it (None while in progress)."""

    def __init__(self, path: Path) -> None:
        self.path, self.saved = path, time.monotonic()
        try:
            self.items: dict[str, dict] = json.loads(path.read_text()).get("items", {})
        except (OSError, ValueError, AttributeError):
            self.items = {}

    @property
    def done_guids(self) -> set[str]:
        return {g for g, e in self.items.items() if e.get("notes_sha256")}

    def pending(self, guid: str, slug: str) -> None:
        self.items[guid] = {"slug": slug, "notes_sha256": None}

    def done(self, item: SourceItem, slug: str, number: int | None, notes: bytes) -> None:
        self.items[item.guid] = {"slug": slug, "number": number, "notes_sha256": _sha(notes),
                                 "source_sha256": _item_sha(item)}

    def save_now_and_then(self) -> None:
        """Save at most every two seconds while downloads go on, so a killed
        import loses little (a notes file is found again by its guid anyway)."""
        if time.monotonic() - self.saved > 2.0:
            self.save()

    def save(self) -> None:
        self.saved = time.monotonic()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"version": 1, "items": self.items}, indent=1, ensure_ascii=False))
        os.replace(tmp, self.path)
