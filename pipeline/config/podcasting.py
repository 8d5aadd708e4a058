"""The config keys and front-matter fields of the newer Podcasting 2.0 tags.

``config.py`` and ``ingest.py`` read everything else; they call in here for
the keys that become ``podcast:block``, ``podcast:chat``,
``podcast:remoteItem``, ``podcast:publisher``, ``podcast:location`` (rel,
country), ``podcast:txt purpose="ai-content"``, lightning ``lnaddress``
recipients, ``podcast:contentLink``, ``podcast:valueTimeSplit`` and
``podcast:liveItem``, plus ``[show] feed_limit`` and the ``[notify]``
section. Each is validated once, here, with the same one URL rule
(``pipeline.text.url_problem``) and the same error style as the rest.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.model import Chat, NotifySettings, RemoteItem, ValueRecipient
from pipeline.text import clean_line, url_problem

STREAM_TYPES = ("audio/mpeg", "audio/aac", "audio/ogg", "audio/opus", "video/mp4", "application/x-mpegURL",
                "application/vnd.apple.mpegurl")

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
_LNADDRESS = re.compile(r"^[a-z0-9._+-]+@[a-z0-9.-]+\.[a-z]{2,}$", re.IGNORECASE)
_COUNTRY = re.compile(r"^[a-z]{2}$", re.IGNORECASE)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


# -- shared rules ------------------------------------------------------------------------


def web_url_problem(value: Any) -> str | None:
    """``url_problem`` for URLs that apps fetch: http(s) only."""
    problem = url_problem(value)
    if problem is None and not str(value).lower().startswith(("http://", "https://")):
        return f"{value!r} is not an http(s) URL"
    return problem


def value_recipient(item: Any) -> tuple[ValueRecipient | None, str | None]:
    """A ``{ name, address, split, type, fee }`` table as a ValueRecipient,
    or (None, why not)."""
    if not (isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("address"), str)
            and isinstance(item.get("split"), int) and not isinstance(item.get("split"), bool)):
        return None, "needs name, address and split"
    unknown = set(item) - {"name", "address", "split", "type", "fee"}
    if unknown:
        return None, f"has an unknown key {sorted(unknown)[0]!r}"
    kind = item.get("type", "node")
    if kind not in ("node", "lnaddress"):
        return None, f"type {kind!r} is not node or lnaddress"
    address = item["address"].strip()
    if kind == "lnaddress" and not _LNADDRESS.match(address):
        return None, f"{address!r} is not a Lightning Address like name@example.com"
    if item["split"] < 0:
        return None, "split must not be negative"
    if not isinstance(item.get("fee", False), bool):
        return None, "fee must be true or false"
    return ValueRecipient(clean_line(item["name"]), address, item["split"], kind, item.get("fee", False)), None


VALUE_FIX = ('write entries like { name = "Host", address = "02abc...", split = 95 } or, for a Lightning '
             'Address, { name = "Host", type = "lnaddress", address = "host@getalby.com", split = 95 }')


def remote_item(item: Any, *, medium: str | None = None) -> tuple[RemoteItem | None, str | None]:
    """A ``{ feed_guid, feed_url, item_guid, medium, title }`` table as a
    RemoteItem, or (None, why not)."""
    if not isinstance(item, dict):
        return None, 'must be a table like { feed_url = "https://..." }'
    unknown = set(item) - {"feed_guid", "feed_url", "item_guid", "medium", "title"}
    if unknown:
        return None, f"has an unknown key {sorted(unknown)[0]!r}"
    if not all(isinstance(item.get(k), (str, type(None))) for k in ("feed_guid", "feed_url", "item_guid", "medium",
                                                                      "title")):
        return None, "feed_guid, feed_url, item_guid, medium and title must be text"
    if not item.get("feed_guid") and not item.get("feed_url"):
        return None, "needs feed_guid (the other show's podcast:guid) or feed_url"
    if item.get("feed_guid") and not _UUID.match(item["feed_guid"]):
        return None, f"feed_guid {item['feed_guid']!r} is not a UUID"
    if item.get("feed_url"):
        problem = web_url_problem(item["feed_url"])
        if problem:
            return None, f"feed_url: {problem}"
    return RemoteItem(feed_guid=(item.get("feed_guid") or "").lower() or None, feed_url=item.get("feed_url"),
                      item_guid=item.get("item_guid"), medium=medium or item.get("medium"),
                      title=clean_line(item["title"]) if item.get("title") else None), None


def chat(item: Any) -> tuple[Chat | None, str | None]:
    """A ``{ server, protocol, account_id, space }`` table as a Chat."""
    if not isinstance(item, dict) or not isinstance(item.get("server"), str) or not isinstance(item.get("protocol"), str):
        return None, 'needs server and protocol, like { server = "irc.libera.chat", protocol = "irc", space = "#show" }'
    unknown = set(item) - {"server", "protocol", "account_id", "space"}
    if unknown:
        return None, f"has an unknown key {sorted(unknown)[0]!r}"
    if not all(isinstance(item.get(k), (str, type(None))) for k in ("account_id", "space")):
        return None, "account_id and space must be text"
    server = item["server"].strip()
    if not server or any(c.isspace() or c == "/" for c in server):
        return None, f"server {server!r} is not a host name like irc.libera.chat"
    return Chat(server, clean_line(item["protocol"]).lower(), item.get("account_id"), item.get("space")), None


CHAT_FIX = 'write it like { server = "irc.libera.chat", protocol = "irc", account_id = "@host", space = "#show" }'


# -- config.toml -------------------------------------------------------------------------


def read_show_tags(r: Any) -> dict[str, Any]:
    """The ``[show]`` keys of the newer tags, as Show fields. ``r`` is
    config.py's reader of ``[show]``: a bad value is recorded with
    ``r.fail`` and its default kept, so every mistake is found at once."""
    out: dict[str, Any] = {
        "feed_limit": r.number("feed_limit", 0, 0, 100_000, int),
        "image_alt": r.line("image_alt"),
        "ai_content": r.line("ai_content"),
    }
    rel = r.line("location_rel")
    if rel not in (None, "subject", "creator"):
        r.fail("location_rel", f"{rel!r} is not allowed", fix="use subject (what the show is about) or creator (where it is made)")
        rel = None
    country = r.line("location_country")
    if country is not None and not _COUNTRY.match(country):
        r.fail("location_country", f"{country!r} is not a two-letter country code", fix='write it like "us" or "pt"')
        country = None
    out.update(location_rel=rel, location_country=country.lower() if country else None)
    for key in ("block_platforms", "allow_platforms"):
        slugs = r.get(key, list, [])
        bad = [s for s in slugs if not isinstance(s, str) or not _SLUG.match(s)]
        if bad:
            r.fail(key, f"{bad[0]!r} is not a service slug", fix='write it like ["google", "amazon"] (see README)')
            slugs = []
        out[key] = tuple(slugs)
    raw_chat = r.get("chat", dict)
    if raw_chat is not None:
        value, problem = chat(raw_chat)
        if problem:
            r.fail("chat", problem, fix=CHAT_FIX)
        out["chat"] = value
    remotes = []
    for i, item in enumerate(r.get("remote_items", list, [])):
        value, problem = remote_item(item)
        if problem:
            r.fail("remote_items", f"entry {i + 1} {problem}", fix='write entries like { feed_url = "https://...", title = "..." }')
        else:
            remotes.append(value)
    out["remote_items"] = tuple(remotes)
    raw_publisher = r.get("publisher", dict)
    if raw_publisher is not None:
        value, problem = remote_item(raw_publisher, medium="publisher")
        if problem:
            r.fail("publisher", problem, fix='write it like { feed_url = "https://example.com/publisher.xml" }')
        out["publisher"] = value
    return out


def read_value(r: Any) -> tuple[ValueRecipient, ...]:
    """``[[show.value]]``: lightning recipients (node or lnaddress)."""
    out = []
    for i, item in enumerate(r.get("value", list, [])):
        value, problem = value_recipient(item)
        if problem:
            r.fail("value", f"entry {i + 1} {problem}", fix=VALUE_FIX)
        else:
            out.append(value)
    return tuple(out)


def read_notify(r: Any) -> NotifySettings:
    """``[notify]``: WebSub hubs and podping. ``r`` is a config.py reader
    of the section; a token written here is refused (it belongs in the
    environment)."""
    d = NotifySettings()
    hubs = []
    for hub in r.get("websub_hubs", list, []):
        problem = web_url_problem(hub) if isinstance(hub, str) else "is not text"
        if problem:
            r.fail("websub_hubs", problem, fix='write it like websub_hubs = ["https://pubsubhubbub.appspot.com/"]')
        else:
            hubs.append(hub)
    for secret in ("token", "podping_token"):
        if secret in r.table:
            r.get(secret, object)
            r.fail(secret, "a secret does not belong in config.toml",
                   fix="remove it and set the environment variable CASTLINE_PODPING_TOKEN instead")
    notify = NotifySettings(
        websub_hubs=tuple(dict.fromkeys(hubs)),
        podping=r.get("podping", bool, d.podping),
        podping_endpoint=r.url("podping_endpoint", web=True) or d.podping_endpoint,
        pubnotify_endpoint=r.url("pubnotify_endpoint", web=True) or d.pubnotify_endpoint,
        timeout=r.number("timeout", d.timeout, 1.0, 120.0),
    )
    r.finish()
    return notify
