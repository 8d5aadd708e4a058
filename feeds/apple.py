"""Apple Podcasts' rules for a feed, checked before anything is published.

Apple refuses a feed that lacks a required tag or uses a category outside its
current list (the 2019 revision; feedgen still ships the older one), and
quietly demotes episodes that break its advice. ``check_feed`` reports every
broken rule at once, each naming the element and the episode, so the host
can fix them all in one go.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from feeds.model import FeedChannel, FeedItem, FeedProblem, is_absolute_url, iter_urls

from feeds.vocab import (  # noqa: F401  (re-exported: the rules and the words they check against)
    LANGUAGE,
    APPLE_CATEGORIES,
    APPLE_MEDIA_TYPES,
    DESCRIPTION_MAX_BYTES,
    MEDIUMS,
    TRANSCRIPT_TYPES,
)

_LNADDRESS = re.compile(r"^[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}$", re.IGNORECASE)
# "Episode 12", "Ep. 12", "#12", "S2E3", or a leading "12:" / "12 -".
_NUMBERED = re.compile(
    r"(\bep(isode)?\.?\s*\d+|#\d+|\bs\d+\s*e\d+\b|^\s*\d{1,3}\s*[:.)\-\u2013\u2014|])",
    re.IGNORECASE)


def check_feed(channel: FeedChannel, items: Sequence[FeedItem]) -> list[FeedProblem]:
    """Every Apple rule (and Podcasting 2.0 basic) the feed would break,
    channel first, then each episode in the order given."""
    problems = list(_check_channel(channel))
    seen: set[str] = set()
    for item in items:
        problems.extend(_check_item(channel, item))
        if item.guid in seen:
            problems.append(FeedProblem("guid", "two episodes share this GUID; every episode "
                                        "needs its own, forever", item.guid))
        seen.add(item.guid)
    for element, url, episode in iter_urls(channel, items):
        if not is_absolute_url(url):
            problems.append(FeedProblem(element, f"{url!r} is not an absolute http(s) URL",
                                        episode))
    return problems


def _check_channel(c: FeedChannel):
    def error(element: str, message: str) -> FeedProblem:
        return FeedProblem(element, message, None, "error")

    def warning(element: str, message: str) -> FeedProblem:
        return FeedProblem(element, message, None, "warning")

    if not c.title.strip():
        yield error("title", "the show needs a title")
    if not c.description_html.strip():
        yield error("description", "the show needs a description")
    elif len(c.description_html.encode("utf-8")) > DESCRIPTION_MAX_BYTES:
        yield error("description", f"{len(c.description_html.encode('utf-8'))} bytes; Apple "
                    f"allows at most {DESCRIPTION_MAX_BYTES}: shorten it")
    if not c.image_url:
        yield error("itunes:image", "the show needs artwork")
    if not LANGUAGE.match(c.language or ""):
        yield error("language", f"{c.language!r} is not an ISO 639 code such as en or en-us")
    if not c.categories:
        yield error("itunes:category", "choose at least one Apple Podcasts category")
    for category in c.categories:
        yield from _check_category(category.name, category.sub)
    if not c.author.strip():
        yield warning("itunes:author", "name the show's author")
    if not c.owner_email:
        yield warning("itunes:owner", "give an owner email: Apple uses it to confirm ownership")
    if c.type not in ("episodic", "serial"):
        yield error("itunes:type", f"{c.type!r} must be episodic or serial")
    if c.podcast_guid is not None and not _is_uuid(c.podcast_guid):
        yield error("podcast:guid", f"{c.podcast_guid!r} is not a UUID")
    if c.analytics_prefix and not c.analytics_prefix.endswith("/"):
        yield warning("enclosure", "the analytics prefix should end with '/'")
    for r in c.value_recipients:
        if not r.address or r.split <= 0:
            yield error("podcast:valueRecipient",
                        f"{r.name!r} needs an address and a split above zero")
    if c.medium not in MEDIUMS and c.medium.removesuffix("L") not in MEDIUMS:
        yield warning("podcast:medium", f"{c.medium!r} is not a Podcasting 2.0 medium")
    for r in c.value_recipients:
        if r.type == "lnaddress" and not _LNADDRESS.match(r.address):
            yield error("podcast:valueRecipient", f"{r.address!r} is not a Lightning Address "
                        "like name@example.com")
    for loc in c.locations:
        yield from _check_location(loc, None)
    for live in c.live_items:
        if not live.content_links:
            yield error("podcast:liveItem", f"{live.title!r} needs a content link: a page that "
                        "plays the stream for apps that cannot")
        if live.end is not None and live.end <= live.start:
            yield error("podcast:liveItem", f"{live.title!r} ends before it starts")


def _check_location(loc, episode: str | None):
    if len(loc.name) > 128:
        yield FeedProblem("podcast:location", f"{loc.name[:40]!r}... is longer than 128 "
                          "characters; aggregators cut it", episode, "warning")
    if loc.rel not in (None, "subject", "creator"):
        yield FeedProblem("podcast:location", f"rel {loc.rel!r} must be subject or creator",
                          episode)
    if loc.country is not None and not re.fullmatch(r"[A-Za-z]{2}", loc.country):
        yield FeedProblem("podcast:location", f"country {loc.country!r} is not an ISO 3166-1 "
                          "two-letter code such as us or pt", episode)


def _check_category(name: str, sub: str | None):
    if name not in APPLE_CATEGORIES:
        yield FeedProblem("itunes:category", f"{name!r} is not an Apple Podcasts category; "
                          f"choose one of: {', '.join(APPLE_CATEGORIES)}")
    elif sub is not None and sub not in APPLE_CATEGORIES[name]:
        allowed = ", ".join(APPLE_CATEGORIES[name]) or "none"
        yield FeedProblem("itunes:category", f"{sub!r} is not a subcategory of {name!r}; "
                          f"choose one of: {allowed}")


def _check_item(c: FeedChannel, i: FeedItem):
    def error(element: str, message: str) -> FeedProblem:
        return FeedProblem(element, message, i.guid, "error")

    def warning(element: str, message: str) -> FeedProblem:
        return FeedProblem(element, message, i.guid, "warning")

    if not i.title.strip():
        yield error("title", "the episode needs a title")
    elif _NUMBERED.search(i.title):
        yield warning("title", f"{i.title!r} carries an episode number: Apple shows "
                      "itunes:episode itself; set the number instead")
    elif c.title.strip() and c.title.strip().lower() in i.title.lower():
        yield warning("title", f"{i.title!r} repeats the show name; Apple shows it already")
    if not i.guid.strip():
        yield error("guid", "the episode needs a GUID")
    if i.pub_date.utcoffset() is None:
        yield error("pubDate", "the date has no timezone")
    if not isinstance(i.enclosure.length, int) or i.enclosure.length <= 0:
        yield error("enclosure", f"length {i.enclosure.length!r} must be the file's byte size")
    if i.enclosure.type not in APPLE_MEDIA_TYPES:
        yield error("enclosure", f"type {i.enclosure.type!r} does not play in Apple Podcasts; "
                    "publish MP3 or M4A as the main enclosure")
    if not isinstance(i.duration, int) or i.duration <= 0:
        yield error("itunes:duration", f"{i.duration!r} must be whole seconds above zero")
    description = i.description_html or i.content_html or ""
    if not description.strip():
        yield warning("description", "the episode has no notes")
    elif len(description.encode("utf-8")) > DESCRIPTION_MAX_BYTES:
        yield warning("description", f"longer than {DESCRIPTION_MAX_BYTES} bytes: Apple cuts "
                      "it; the full notes stay in content:encoded")
    if c.type == "serial" and i.episode is None:
        yield error("itunes:episode", "a serial show needs an episode number on every episode")
    if i.episode is not None and i.episode <= 0:
        yield error("itunes:episode", f"{i.episode} must be a positive number")
    if i.season is not None and i.season <= 0:
        yield error("itunes:season", f"{i.season} must be a positive number")
    if i.episode_type not in ("full", "trailer", "bonus"):
        yield error("itunes:episodeType", f"{i.episode_type!r} must be full, trailer or bonus")
    if not i.link:
        yield warning("link", "link the episode's page")
    for t in i.transcripts:
        if t.type not in TRANSCRIPT_TYPES:
            yield error("podcast:transcript", f"type {t.type!r} is not a transcript format")
    for alt in i.alternates:
        if not isinstance(alt.length, int) or alt.length <= 0:
            yield error("podcast:alternateEnclosure",
                        f"length {alt.length!r} must be the file's byte size")
    for loc in i.locations:
        yield from _check_location(loc, i.guid)
    if i.value_time_splits and not c.value_recipients:
        yield error("podcast:valueTimeSplit", "value time splits need the show's value "
                    "recipients ([[show.value]]) to split from")
    for split in i.value_time_splits:
        if split.duration <= 0 or (split.remote is None) == (not split.recipients):
            yield error("podcast:valueTimeSplit", f"the split at {split.start:g} s needs a "
                        "duration and either recipients or one remote item")


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False
