"""Small XML helpers shared by the feed writers.

lxml refuses text XML 1.0 cannot hold (most C0 control characters, lone
surrogates) and a CDATA section that contains ``]]>``; these helpers clean
text once, at the edge, and fall back to escaped text where CDATA cannot be
used, so any title or notes still give a well-formed feed.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from email.utils import format_datetime
from typing import Any, TypeVar

from lxml import etree

T = TypeVar("T")

# C0 controls except TAB, LF, CR; DEL and the C1 controls; lone surrogates;
# the two non-characters XML forbids.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """``text`` without the characters an XML 1.0 document cannot carry, and
    with line ends as LF: a parser turns a CR inside CDATA into LF anyway, so
    normalizing first means every field reads back exactly as written."""
    return _ILLEGAL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def cleaned(value: T) -> T:
    """A copy of a frozen dataclass (or tuple of them) with every string in
    it cleaned by ``clean_text``; other values are returned unchanged."""
    return _clean_any(value)


def _clean_any(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, tuple):
        return tuple(_clean_any(v) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _clean_any(getattr(value, f.name)) for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value


def set_html(element: etree._Element, html: str) -> None:
    """Put HTML in ``element`` as CDATA, as Apple asks; as escaped text when
    the HTML itself contains ``]]>`` (which would end the CDATA section).
    Parsers read both back to the same string."""
    element.text = etree.CDATA(html) if html and "]]>" not in html else html


def sub(
    parent: etree._Element, tag: str, text: str | None = None, /, **attrs: Any
) -> etree._Element:
    """Append ``<tag>`` with ``text`` (positional, so an attribute may be
    called ``text``); attributes whose value is None are left out, booleans
    are written true/false and numbers via ``number``."""
    element = etree.SubElement(parent, tag)
    for name, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, (int, float)):
            value = number(value)
        element.set(name, value)
    if text is not None:
        element.text = text
    return element


def number(value: float) -> str:
    """A number as feeds write it: ``73``, ``12.5``, at most 3 decimals."""
    if isinstance(value, int):
        return str(value)
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def rfc2822(moment: datetime) -> str:
    """RFC 2822 date (``Tue, 02 Jan 2024 09:30:00 +0000``), locale-free."""
    return format_datetime(moment)
