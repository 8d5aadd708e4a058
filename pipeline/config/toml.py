"""TOML read within bounds, for config.toml and TOML front matter alike.

``tomllib`` recurses, so a document nested thousands of levels deep would
exhaust the stack, and a number of thousands of digits would take seconds
to convert: both are refused first, with the line, as one error.
"""

from __future__ import annotations

import re
import tomllib
from typing import Any

MAX_DEPTH = 32  # levels of lists and tables; real front matter uses three or four
DEPTH_FIX = "write the lists and tables flatter"
DIGITS_FIX = "write a shorter number, or quote it to keep it as text"


class TomlBoundsError(ValueError):
    """TOML that ``load_toml`` refuses before (or instead of) ``tomllib``:
    nested too deep, or a number too long to convert. Carries the line."""

    def __init__(self, message: str, line: int | None, fix: str) -> None:
        super().__init__(message)
        self.message, self.line, self.fix = message, line, fix


def toml_depth(source: str, limit: int = MAX_DEPTH) -> int | None:
    """The line (1-based) where arrays and inline tables in TOML ``source``
    first nest deeper than ``limit``, or None. A scan of the characters
    (strings and comments skipped), so ``tomllib``, which recurses, never
    sees a document that would exhaust the stack."""
    depth, line, i, n = 0, 1, 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\n":
            line += 1
        elif ch == "#":
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        elif ch in "\"'":
            quote = source[i:i + 3] if source[i:i + 3] in ('"""', "'''") else ch
            j = i + len(quote)
            while j < n and not source.startswith(quote, j):
                if source[j] == "\\" and ch == '"':
                    j += 1
                elif source[j] == "\n" and len(quote) == 1:
                    break  # an unclosed string: tomllib words that error
                j += 1
            line += source.count("\n", i, j)
            i = j + len(quote) if source.startswith(quote, j) else j
            continue
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return line
        elif ch in "]}":
            depth = max(0, depth - 1)
        i += 1
    return None


def load_toml(source: str) -> dict[str, Any]:
    """``tomllib.loads`` within bounds, for config.toml and front matter
    alike: raises ``tomllib.TOMLDecodeError`` for bad syntax, and
    ``TomlBoundsError`` (with the line) for nesting deeper than ``MAX_DEPTH``
    or a number of thousands of digits."""
    deep = toml_depth(source)
    if deep is not None:
        raise TomlBoundsError(f"lists and tables nest more than {MAX_DEPTH} levels deep", deep, DEPTH_FIX)
    try:
        return tomllib.loads(source)
    except RecursionError:
        raise TomlBoundsError(f"lists and tables nest more than {MAX_DEPTH} levels deep", None, DEPTH_FIX) from None
    except ValueError as exc:
        if isinstance(exc, tomllib.TOMLDecodeError):
            raise
        long = re.search(r"\d{1000,}", source)
        raise TomlBoundsError("a number has too many digits", source.count("\n", 0, long.start()) + 1 if long else None,
                              DIGITS_FIX) from None
