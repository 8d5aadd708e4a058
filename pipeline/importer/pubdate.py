"""Publication dates as feeds write them, which is often not RFC 822.

RSS says ``pubDate`` is an RFC 822 date (``Tue, 05 Jan 2021 10:00:00
+0000``); ``email.utils`` reads those. Feeds in the wild also carry full or
wrong day names, full month names, ``+01:00`` and ``GMT+2`` zones, US and
European zone abbreviations, no zone at all, no seconds, two-digit years and
ISO 8601 dates. Apps read them all, so import reads them too; a date that is
none of these is None, and the caller reports it.
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timezone

_ZONES = {"UT": "+0000", "UTC": "+0000", "GMT": "+0000", "Z": "+0000", "WET": "+0000", "BST": "+0100",
          "CET": "+0100", "MET": "+0100", "WEST": "+0100", "CEST": "+0200", "MEST": "+0200", "EET": "+0200",
          "EEST": "+0300", "MSK": "+0300", "IST": "+0530", "SGT": "+0800", "HKT": "+0800", "JST": "+0900",
          "KST": "+0900", "AEST": "+1000", "AEDT": "+1100", "ACST": "+0930", "AWST": "+0800", "NZST": "+1200",
          "NZDT": "+1300", "EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500", "MST": "-0700",
          "MDT": "-0600", "PST": "-0800", "PDT": "-0700", "AKST": "-0900", "AKDT": "-0800", "HST": "-1000",
          "AST": "-0400", "ADT": "-0300", "NST": "-0330", "NDT": "-0230"}
_MONTHS = {m.lower(): m[:3] for m in ("January", "February", "March", "April", "May", "June", "July", "August",
                                      "September", "October", "November", "December")}
_MONTHS.update({"sept": "Sep", "juni": "Jun", "juli": "Jul", "mai": "May", "okt": "Oct", "dez": "Dec",
                "mär": "Mar", "mrz": "Mar"})
_WEEKDAY = re.compile(r"^\s*(?:mon|tue|wed|thu|fri|sat|sun|mo|di|mi|do|fr|sa|so)[a-z]*\.?,?\s*(?=[\dA-Za-z])", re.I)


def parse_date(value: str) -> datetime | None:
    """A ``pubDate`` as an aware datetime, or None if it is not a date.

    RFC 822/2822 as ``email.utils`` reads it, plus the broken forms feeds
    carry: a full or wrong day name, full month names, ``+01:00`` or
    ``GMT+2`` zones, US and European zone abbreviations, no zone (taken as
    UTC), a missing seconds field, ISO 8601 dates, a trailing period."""
    text = " ".join(value.replace(",", ", ").split()).strip().rstrip(".")
    if not text:
        return None
    iso = _iso(text)
    if iso is not None:
        return iso
    text = _WEEKDAY.sub("", text)  # the day name: often wrong, sometimes localised; never needed
    text = re.sub(r"\b([A-Za-zä]{3,9})\.?\b", lambda m: _MONTHS.get(m.group(1).lower(), m.group(1)), text)
    text = re.sub(r"\b(\d{1,2})(st|nd|rd|th)\b", r"\1", text)
    text = re.sub(r"\b(?:GMT|UTC|UT)\s*([+-])(\d{1,2})(?::?(\d{2}))?$",
                  lambda m: f"{m.group(1)}{int(m.group(2)):02d}{m.group(3) or '00'}", text)
    text = re.sub(r"([+-])(\d{2}):(\d{2})$", r"\1\2\3", text)
    text = re.sub(r"\b([A-Za-z]{1,5})$", lambda m: _ZONES.get(m.group(1).upper(), m.group(1)), text)
    text = re.sub(r"(?<![:\d])(\d{1,2}):(\d{2})(?![:\d])", r"\1:\2:00", text)  # 10:30 -> 10:30:00
    text = re.sub(r"\b(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4})\s*$", r"\1 \2 \3 00:00:00", text)
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        parsed = None
    if parsed is None:
        m = re.match(r"^([A-Z][a-z]{2})\s+(\d{1,2}),?\s+(\d{4}),?\s+(.*)$", text)  # "Jan 5 2021 10:00:00 +0000"
        if m:
            return parse_date(f"{m.group(2)} {m.group(1)} {m.group(3)} {m.group(4)}")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def _iso(text: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1) if "T" not in text
                                        else text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
