"""What ``castline import`` writes: config.toml, notes files, chapters.

Each function takes values read from the source feed and returns text, so
the result can be compared with what is on disk (the import record keeps a
hash of every file import wrote: a file the host has edited since is never
overwritten).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import yaml

from feeds.apple import APPLE_CATEGORIES
from pipeline.model import Chapter
from pipeline.scaffold import PLACEHOLDER_BASE_URL  # castline check names it until the host sets base_url
from pipeline.text import clean_line, clean_text, url_problem

from .sourcefeed import SourceItem, SourceShow

# Published as they are only if Apple Podcasts plays them: an Ogg or a FLAC is mastered to the show's format.
PASSTHROUGH = (".mp3", ".m4a")


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when PyYAML has it: several times faster
    """Front matter as a host would write it: times quoted ("1:30"; bare,
    YAML 1.1 would read a base-60 number)."""


class _Time(str):
    pass


_Dumper.add_representer(_Time, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))

_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Apple's categories before the 2019 revision (still in many feeds) -> today's.
_LEGACY = {
    "arts > literature": "Arts > Books", "business > business news": "News > Business News",
    "business > management & marketing": "Business > Marketing", "business > shopping": "Business",
    "business > industries": "Business", "education > educational technology": "Education",
    "education > higher education": "Education", "education > k-12": "Education",
    "education > language courses": "Education > Language Learning", "education > training": "Education > Courses",
    "games & hobbies": "Leisure", "games & hobbies > video games": "Leisure > Video Games",
    "games & hobbies > automotive": "Leisure > Automotive", "games & hobbies > aviation": "Leisure > Aviation",
    "games & hobbies > hobbies": "Leisure > Hobbies", "games & hobbies > other games": "Leisure > Games",
    "government & organizations": "Government", "government & organizations > national": "Government",
    "government & organizations > local": "Government", "government & organizations > regional": "Government",
    "government & organizations > non-profit": "Business > Non-Profit", "health": "Health & Fitness",
    "health > alternative health": "Health & Fitness > Alternative Health",
    "health > fitness & nutrition": "Health & Fitness > Fitness", "health > self-help": "Education > Self-Improvement",
    "health > sexuality": "Health & Fitness > Sexuality", "news & politics": "News",
    "religion & spirituality > other": "Religion & Spirituality", "science & medicine": "Science",
    "science & medicine > medicine": "Health & Fitness > Medicine",
    "science & medicine > natural sciences": "Science > Natural Sciences",
    "science & medicine > social sciences": "Science > Social Sciences", "society & culture > history": "History",
    "sports & recreation": "Sports", "sports & recreation > amateur": "Sports",
    "sports & recreation > college & high school": "Sports", "sports & recreation > outdoor": "Sports > Wilderness",
    "sports & recreation > professional": "Sports", "technology > gadgets": "Technology",
    "technology > podcasting": "Technology", "technology > software how-to": "Technology",
    "technology > tech news": "News > Tech News", "tv & film": "TV & Film",
}


def map_categories(names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Apple categories as castline writes them (``"Main > Sub"``) and the
    feed's categories that have no place in Apple's current list."""
    def norm(s: str) -> str:
        return " ".join(s.lower().replace(" and ", " & ").split())

    mains = {norm(m): m for m in APPLE_CATEGORIES}
    out, unknown = [], []
    for name in names:
        main, _, sub = (p.strip() for p in name.partition(">"))
        key = norm(f"{main} > {sub}" if sub else main)
        mapped = _LEGACY.get(key) or (_LEGACY.get(norm(main)) if not sub else None)
        if mapped is None and norm(main) in mains:
            real = mains[norm(main)]
            subs = {norm(s): s for s in APPLE_CATEGORIES[real]}
            mapped = f"{real} > {subs[norm(sub)]}" if sub and norm(sub) in subs else real
            if sub and norm(sub) not in subs:
                unknown.append(name)
        elif mapped is None and sub:
            mapped = _LEGACY.get(norm(main))
        if mapped is None:
            unknown.append(name)
        elif mapped not in out:
            out.append(mapped)
    return out, unknown


def to_markdown(html: str) -> str:
    """Show notes HTML as Markdown (links, lists, emphasis and headings
    survive); plain text stays as it is."""
    if not re.search(r"<[a-zA-Z/!]", html):
        return clean_text(html)
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "iframe", "object", "embed", "form"]):
        tag.decompose()
    md = MarkdownConverter(heading_style="ATX", bullets="-", escape_underscores=False).convert_soup(soup)
    md = re.sub(r"[ \t]+\n", "\n", md)
    return clean_text(re.sub(r"\n{3,}", "\n\n", md))


def _strip_castline_chapters(html: str) -> str:
    """castline appends a "Chapters:" paragraph to the feed's notes; the
    chapters come back as chapters, so the paragraph is not kept twice."""
    return re.sub(r"<p>Chapters:<br>.*?</p>\s*$", "", html, flags=re.S)


def _toml(value: object) -> str:
    """A TOML value: JSON's string escapes are TOML's too."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def config_text(show: SourceShow, *, source: str, base_url: str | None, image: str, categories: list[str],
                podcast_guid: str | None) -> tuple[str, list[str]]:
    """config.toml for the imported show, and what had to be left out."""
    notes: list[str] = []
    description = to_markdown(show.description_html) or show.title
    language = (show.language or "").replace("_", "-").strip()
    language = language.split("-")[0].lower() + language[len(language.split("-")[0]):] if language else ""
    if not _LANG.match(language):
        notes.append(f"config.toml: show.language: the feed's {show.language!r} is not an ISO 639 code; wrote \"en\", "
                     "change it if the show is in another language")
        language = "en"
    lines = ["# Imported by `castline import` from", f"# {source}",
             "# Check it with `castline check`; every key is explained in README (Config reference).", "",
             "[show]", f"title = {_toml(show.title or 'Imported show')}",
             'description = """\n' + description.replace("\\", "\\\\").replace('"', '\\"') + '\n"""',
             f"author = {_toml(show.author or show.owner_name or show.title or 'Unknown')}",
             f"language = {_toml(language)}"]
    if base_url:
        lines.append(f"base_url = {_toml(base_url)}")
    else:
        lines += ["# Where the published show will be served (your CDN or site): set it before publishing.",
                  f"base_url = {_toml(PLACEHOLDER_BASE_URL)}"]
    lines += [f"image = {_toml(image)}", f"categories = {_toml(categories)}"]
    if show.explicit is not None:
        lines.append(f"explicit = {_toml(show.explicit)}")
    if show.type in ("episodic", "serial"):
        lines.append(f"type = {_toml(show.type)}")
    if show.copyright:
        lines.append(f"copyright = {_toml(show.copyright)}")
    if show.owner_email and _EMAIL.match(show.owner_email):
        lines.append(f"email = {_toml(show.owner_email)}")
    elif show.owner_email:
        notes.append(f"config.toml: show.email: the feed's owner email {show.owner_email!r} is not an address; left out")
    if show.owner_name:
        lines.append(f"owner_name = {_toml(show.owner_name)}")
    if show.link and url_problem(show.link) is None:
        lines.append(f"link = {_toml(show.link)}")
    hosts = [p for p in show.persons if p.get("role", "host") == "host"] or list(show.persons)
    if hosts:
        lines.append(f"hosts = {_toml([_person(p, 'host') for p in hosts])}")
    funding = [{"name": n, "url": u} for n, u in show.funding if url_problem(u) is None]
    if funding:
        lines.append(f"funding = {_toml(funding)}")
    if show.keywords:
        lines.append(f"keywords = {_toml(list(show.keywords))}")
    if podcast_guid:
        lines += ["# The show's identity in podcast apps: kept from the old feed, never changes.",
                  f"podcast_guid = {_toml(podcast_guid)}"]
    for key, value in (("license", show.license), ("license_url", show.license_url), ("location", show.location)):
        if value:
            lines.append(f"{key} = {_toml(value)}")
    lines += ["# Set only if this show ever moves away from castline:", '# new_feed_url = "https://..."', "",
              "[storage]", 'url = "public"', ""]
    return "\n".join(lines), notes


def _person(p: dict, default_role: str) -> dict:
    out = {"name": p["name"], "role": p.get("role") or default_role}
    for key in ("group", "href", "img"):
        if p.get(key) and (key == "group" or url_problem(p[key]) is None):
            out[key] = p[key]
    return out


def stamp(seconds: float) -> str:
    """Seconds as the notes write chapter times: ``M:SS`` or ``H:MM:SS``,
    with milliseconds when there are any."""
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    frac = f".{ms:03d}".rstrip("0") if ms else ""
    return f"{h}:{m:02d}:{s:02d}{frac}" if h else f"{m}:{s:02d}{frac}"


def clean_chapters(chapters: list[Chapter]) -> tuple[list[Chapter], int]:
    """Chapters ingest accepts: titled, in order, links absolute; and how
    many were dropped."""
    out: list[Chapter] = []
    dropped = 0
    for c in sorted(chapters, key=lambda c: c.start):
        title = clean_line(c.title or "") or f"Chapter {len(out) + 1}"
        if out and c.start <= out[-1].start:
            dropped += 1
            continue
        url = c.url if c.url and url_problem(c.url) is None else None
        img = c.img if c.img and url_problem(c.img) is None else None
        out.append(Chapter(start=max(0.0, c.start), title=title, url=url, img=img))
    return out, dropped


def notes_text(item: SourceItem, date: datetime, *, number: int | None, chapters: list[Chapter],
               image: str | None) -> str:
    """The notes file of one imported episode: front matter, then the body
    in Markdown. ``guid`` pins the source's GUID: apps know the episode by it."""
    fields: dict[str, object] = {"title": item.title or f"Episode from {date.date().isoformat()}"}
    if number is not None:
        fields["number"] = number
    if item.season is not None:
        fields["season"] = item.season
    fields["date"] = date.isoformat()
    if item.type != "full":
        fields["type"] = item.type
    if item.explicit is not None:
        fields["explicit"] = item.explicit
    if item.summary:
        fields["summary"] = item.summary
    if image:
        fields["image"] = image
    if item.keywords:
        fields["keywords"] = list(item.keywords)
    guests = [_person(p, "guest") for p in item.persons]
    if guests:
        fields["guests"] = guests
    if chapters:
        fields["chapters"] = [{"start": _Time(stamp(c.start)), "title": c.title, **({"url": c.url} if c.url else {}),
                               **({"img": c.img} if c.img else {})} for c in chapters]
    if item.soundbites:
        fields["soundbites"] = [dict(b) for b in item.soundbites]
    if item.location:
        fields["location"] = item.location
    if item.license:
        fields["license"] = item.license
    fields["guid"] = item.guid
    passed = item.enclosure is not None and item.enclosure.ext in PASSTHROUGH
    if passed:
        fields["master"] = False
    front = yaml.dump(fields, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000,
                      default_flow_style=False)
    body = to_markdown(_strip_castline_chapters(item.body_html)) if chapters else to_markdown(item.body_html)
    comment = "# Imported by castline import. guid: the old feed's, by which apps know the episode; keep it.\n"
    if passed:
        comment += "# master: false publishes the recording as it was, only re-tagged.\n"
    return f"---\n{comment}{front}---\n\n{body or item.title}\n"


def chapters_from_json(data: bytes) -> list[Chapter]:
    """podcast:chapters JSON (``{"chapters": [{"startTime", "title", ...}]}``);
    chapters marked ``"toc": false`` are not listed by apps and are left out."""
    doc = json.loads(data.decode("utf-8-sig"))
    out = []
    for c in doc.get("chapters", []) if isinstance(doc, dict) else []:
        if not isinstance(c, dict) or c.get("toc") is False:
            continue
        try:
            start = float(c.get("startTime", 0))
        except (TypeError, ValueError):
            continue
        out.append(Chapter(start=start, title=str(c.get("title") or ""), url=c.get("url"), img=c.get("img")))
    return out


def chapters_from_psc(items: tuple[tuple[str, str, str | None], ...]) -> list[Chapter]:
    """Podlove Simple Chapters: ``start`` in normal play time (``HH:MM:SS.mmm``,
    ``MM:SS`` or seconds)."""
    out = []
    for start, title, href in items:
        seconds = 0.0
        try:
            for part in start.strip().split(":"):
                seconds = seconds * 60 + float(part)
        except ValueError:
            continue
        out.append(Chapter(start=seconds, title=title, url=href))
    return out


def chapters_from_mp3(path: Path) -> list[Chapter]:
    """The ID3 CHAP frames of a downloaded MP3 (title from TIT2, link from
    WXXX), in order of their start."""
    from mutagen import MutagenError
    from mutagen.id3 import ID3

    try:
        tag = ID3(path)
    except (MutagenError, OSError, ValueError):  # no tag, or one mutagen cannot read: no chapters
        return []
    out = []
    for frame in tag.getall("CHAP"):
        title = frame.sub_frames.get("TIT2")
        links = [f for k, f in frame.sub_frames.items() if k.startswith("WXXX")]
        out.append(Chapter(start=frame.start_time / 1000, title=str(title.text[0]) if title and title.text else "",
                           url=links[0].url if links else None))
    return sorted(out, key=lambda c: c.start)
