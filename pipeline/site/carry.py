"""Carry published feed items over, unchanged, into a new feed.

With ``--skip-broken`` a publish goes on while some published episode's
notes are missing or broken. That episode must not vanish from the feed
(apps would delete it from listeners' libraries), and castline cannot
render it without its notes, so its ``<item>`` is copied byte for byte from
the feed the store holds now, in date order.
"""

from __future__ import annotations

import copy
from email.utils import parsedate_to_datetime

from lxml import etree


def carry_items(new_feed: bytes, old_feed: bytes | None, guids: set[str]) -> tuple[bytes, set[str]]:
    """``new_feed`` with the old feed's items for ``guids`` added; and the
    GUIDs that the old feed did not have (nothing to carry)."""
    if not guids:
        return new_feed, set()
    if not old_feed:
        return new_feed, set(guids)
    parser = etree.XMLParser(remove_blank_text=False, resolve_entities=False, no_network=True)
    new = etree.fromstring(new_feed, parser)
    old = etree.fromstring(old_feed, parser)
    channel = new.find("channel")
    found = set()
    for item in old.iter("item"):
        guid = (item.findtext("guid") or "").strip()
        if guid in guids and guid not in found:
            found.add(guid)
            channel.append(copy.deepcopy(item))
    items = channel.findall("item")
    for item in items:
        channel.remove(item)
    items.sort(key=_date, reverse=True)
    for item in items:
        channel.append(item)
    return etree.tostring(new, xml_declaration=True, encoding="UTF-8"), set(guids) - found


def _date(item) -> float:
    try:
        return parsedate_to_datetime(item.findtext("pubDate") or "").timestamp()
    except (TypeError, ValueError):
        return 0.0
