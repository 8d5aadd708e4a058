"""The ``[show]`` section: title, author, art, categories, hosts, base URL
and the rest of what the feed and the pages say about the show.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.vocab import APPLE_CATEGORIES, LANGUAGE, MEDIUMS
from pipeline.errors import CastlineError
from pipeline.model import Category, Person, Show
from pipeline.text import URL_FIX, clean_line, clean_text

from .podcasting import read_show_tags, read_value
from .reader import WEB_FIX, Reader, shown, strings, value_url_problem

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def read_show(root: Path, rel: Path, text: str, table: dict[str, Any], problems: list[CastlineError]) -> Show | None:
    r = Reader(rel, text, "show", table, problems)
    before = len(problems)
    title = r.line("title", required=True)
    if "title" in table and isinstance(table["title"], str) and not title:
        r.fail("title", "is empty", fix="give the show a title")
    description = r.block("description", required=True)
    if "description" in table and isinstance(table["description"], str) and not description:
        r.fail("description", "is empty", fix="describe the show in a sentence or two")
    author = r.line("author", required=True)
    base_url = r.url("base_url", required=True, web=True)
    if base_url and not base_url.endswith("/"):
        base_url += "/"
    language = r.get("language", str, required=True)
    if language is not None and not LANGUAGE.match(language):
        r.fail("language", f"{shown(language)} is not an ISO 639 language code", fix='use a code like "en" or "en-us"')
    image_name = r.get("image", str, required=True)
    image = (root / image_name).resolve() if image_name else None
    if image is not None and not image.is_relative_to(root):
        r.fail("image", f"{shown(image_name)} is outside the show folder", fix="keep the show art inside the show folder")
    email = r.get("email", str)
    if email is not None and not _EMAIL.match(email):
        r.fail("email", f"{shown(email)} is not an email address", fix="write it like host@example.com")
        email = None
    timezone = r.get("timezone", str, "UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        r.fail("timezone", f"{shown(timezone)} is not a time zone", fix='use an IANA name like "America/New_York" or "UTC"')
        timezone = "UTC"
    categories = _categories(r)
    hosts = _hosts(r, author)
    box = r.get("host_box", dict, {})
    box_reader = Reader(rel, text, "show.host_box", box, problems)
    host_bio = box_reader.block("bio")
    host_links = box_reader.links("links")
    box_reader.finish()
    values = dict(
        explicit=r.get("explicit", bool, False),
        type=r.choice("type", ("episodic", "serial"), "episodic"),
        copyright=r.line("copyright"),
        email=email,
        owner_name=r.line("owner_name"),
        link=r.url("link", web=True),
        timezone=timezone,
        hosts=hosts,
        host_bio=host_bio,
        host_links=host_links,
        subscribe=r.links("subscribe"),
        funding=r.links("funding"),
        keywords=tuple(clean_line(k) for k in strings(r, "keywords")),
        podcast_guid=r.line("podcast_guid"),
        locked=r.get("locked", bool, False),
        new_feed_url=r.url("new_feed_url", web=True),
        block=r.get("block", bool, False),
        complete=r.get("complete", bool, False),
        apple_verify=r.line("apple_verify"),
        license=r.line("license"),
        license_url=r.url("license_url"),
        location=r.line("location"),
        medium=r.choice("medium", tuple(sorted(MEDIUMS)), "podcast"),
        update_frequency=r.line("update_frequency"),
        podroll=r.links("podroll", web=True),
        analytics_prefix=r.url("analytics_prefix", web=True),
        allow_html=r.get("allow_html", bool, False),
        page_size=r.number("page_size", 20, 1, 500, int),
        value_recipients=read_value(r),
        **read_show_tags(r),
    )
    r.finish()
    if len(problems) > before:
        return None
    return Show(title=title, description=description, author=author, language=language, base_url=base_url,
                image=image, categories=categories, **values)


def _categories(r: Reader) -> tuple[Category, ...]:
    names = strings(r, "categories")
    if "categories" not in r.table:
        r.missing.append("categories")
        return ()
    if not names:
        if isinstance(r.table.get("categories"), list):
            r.fail("categories", "needs at least one Apple Podcasts category",
                   fix='write it like categories = ["Business > Marketing"]')
        return ()
    out = []
    for name in names:
        main, _, sub = (part.strip() for part in name.partition(">"))
        if main not in APPLE_CATEGORIES:
            hint = difflib.get_close_matches(main, list(APPLE_CATEGORIES), n=1)
            r.fail("categories", f"{shown(main)} is not an Apple Podcasts category",
                   fix=f"did you mean {hint[0]!r}?" if hint else "use one from README, Apple Podcasts categories")
        elif sub and sub not in APPLE_CATEGORIES[main]:
            hint = difflib.get_close_matches(sub, list(APPLE_CATEGORIES[main]), n=1)
            r.fail("categories", f"{shown(sub)} is not a subcategory of {main!r}",
                   fix=f"did you mean {main} > {hint[0]}?" if hint else "use one of " + ", ".join(APPLE_CATEGORIES[main]))
        else:
            out.append(Category(main, sub or None))
    return tuple(out)


_PERSON_TEXT = {"name": clean_line, "role": clean_line, "group": clean_line, "bio": clean_text}


def _hosts(r: Reader, author: str | None) -> tuple[Person, ...]:
    allowed = {f.name for f in fields(Person)}
    out = []
    for i, item in enumerate(r.get("hosts", list, [])):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not clean_line(item["name"]):
            r.fail("hosts", f"entry {i + 1} needs a name", fix='write [[show.hosts]] with name = "..."', entry=i)
            continue
        unknown = set(item) - allowed
        if unknown:
            r.fail("hosts", f"entry {i + 1} has unknown key {shown(sorted(unknown)[0])}",
                   fix="use " + ", ".join(sorted(allowed)), entry=i)
            continue
        bad = [k for k, v in item.items() if not isinstance(v, str)]
        if bad:
            r.fail("hosts", f"entry {i + 1}: {bad[0]} is not a string", fix=f'write it like {bad[0]} = "..."', entry=i)
            continue
        person = {"role": "host", **{k: _PERSON_TEXT.get(k, str)(v) for k, v in item.items()}}
        for key in ("href", "img"):
            problem = person.get(key) and value_url_problem(person[key], web=key == "img")
            if problem:
                r.fail("hosts", f"entry {i + 1} {key}: {problem}", fix=WEB_FIX if key == "img" else URL_FIX, entry=i)
        out.append(Person(**person))
    if not out and author:
        out.append(Person(name=author, role="host"))
    return tuple(out)
