"""Split a show-notes file into its front matter and Markdown body.

YAML between ``---`` lines (the common form), or TOML between ``+++``
lines. Besides the values, it returns the line each top-level key stands on,
so a bad field can be reported as ``show_notes/001-x.md:7: date: ...``.

Front matter is read as untrusted text, with bounds: YAML anchors and
aliases (``&a`` / ``*a``) are refused before anything is built, because a
few hundred bytes of nested aliases expand to gigabytes the moment a value
is printed (the "billion laughs"); lists and tables nest at most
``MAX_DEPTH`` levels in either syntax; and a value YAML recognises but
cannot build (``date: 2026-02-30``, a number of 5000 digits) is an error on
its line, like every other mistake.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import DEPTH_FIX, DIGITS_FIX, MAX_DEPTH, TomlBoundsError, load_toml
from pipeline.errors import NotesError

if TYPE_CHECKING:
    import yaml

_DEPTH = f"the front matter: lists and tables nest more than {MAX_DEPTH} levels deep"
_DATE_FIX = "write an ISO 8601 date like 2024-05-01 or 2024-05-01T09:00:00-04:00"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


@dataclass(frozen=True)
class Notes:
    """A notes file, read: its fields, the line of each field, its body."""

    path: Path
    fields: dict[str, Any]
    lines: dict[str, int]
    body: str
    body_line: int  # line of the file where the body starts


def read_notes(path: Path, display: Path) -> Notes:
    """Read one notes file. ``display`` is the path shown in messages."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise NotesError(f"cannot read the file ({exc.strerror})", path=display, fix="check the file's permissions") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NotesError("is not UTF-8 text", path=display, line=line,
                         fix="save the file as UTF-8 (most editors: Save with Encoding > UTF-8)") from None
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    fence = lines[0].strip() if lines else ""
    if fence not in ("---", "+++"):
        raise NotesError("has no front matter", path=display, line=1,
                         fix="start the file with a line '---', the fields (title, date, ...), and another '---'")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == fence)
    except StopIteration:
        raise NotesError("the front matter is never closed", path=display, line=1,
                         fix=f"add a line '{fence}' after the last field") from None
    source = "\n".join(lines[1:end])
    if fence == "---":
        fields, key_lines = _yaml(source, display)
    else:
        fields, key_lines = _toml(source, display)
    body = "\n".join(lines[end + 1:]).strip("\n") + "\n"
    return Notes(path=path, fields=fields, lines=key_lines, body=body, body_line=end + 2)


def _loader(source: str):
    """libyaml's parser when PyYAML was built with it (several times faster
    on a show of a thousand episodes); the same safe constructor either
    way. PyYAML loads here, on the first YAML notes file: a config or a
    publish with nothing to do never needs it."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)(source)


def _yaml(source: str, display: Path) -> tuple[dict[str, Any], dict[str, int]]:
    import yaml

    _yaml_bounds(source, display)
    loader = _loader(source)
    try:  # parsed once: the node tree gives the lines, the same tree the values
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except (ValueError, TypeError, OverflowError):  # a timestamp or number YAML matched but cannot build
        raise _unbuildable(node, display) from None
    except RecursionError:
        raise NotesError(_DEPTH, path=display,
                         fix=DEPTH_FIX) from None
    except yaml.reader.ReaderError as exc:  # a control character pasted in: find its line from its position
        line = source[:max(0, exc.position)].count("\n") + 2
        raise NotesError(f"an invisible control character (#x{exc.character:04x}) is in the front matter",
                         path=display, line=line, fix="delete it (retyping the line removes it)") from None
    except yaml.YAMLError as exc:
        exc = _pure_python_error(source) or exc  # its wording is more precise ("but got ':'")
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        opened = _open_quote(source, mark.line if mark else source.count("\n") + 1)
        if opened is not None:  # PyYAML noticed it where the next quote happened to be, or at the end
            noticed = f" (the YAML reader stopped on line {mark.line + 2})" if mark and mark.line != opened else ""
            raise NotesError(f"bad YAML in the front matter: a quote opened on this line is not closed on it{noticed}",
                             path=display, line=opened + 2,
                             fix="close the quote at the end of the value, or drop it") from None
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise NotesError(f"bad YAML in the front matter: {problem}", path=display,
                         line=mark.line + 2 if mark else None,
                         fix="fix the YAML on that line (quote text that contains ': ' or starts with a special character)") from None
    finally:
        loader.dispose()
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise NotesError("the front matter is not a set of fields", path=display, line=2,
                         fix="write one `field: value` per line")
    key_lines = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            key_lines[str(key_node.value)] = key_node.start_mark.line + 2
    return {str(k): v for k, v in data.items()}, key_lines


def _yaml_bounds(source: str, display: Path) -> None:
    """Refuse anchors, aliases and deep nesting from the event stream, which
    is flat: nothing is built and nothing recurses. A syntax error is left
    to the real parse, which words it."""
    import yaml

    loader = _loader(source)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise NotesError("YAML anchors and aliases (& and *) are not allowed in front matter", path=display,
                                 line=event.start_mark.line + 2,
                                 fix="write each value out in full (quote text that starts with & or *)")
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise NotesError(_DEPTH, path=display,
                                     line=event.start_mark.line + 2, fix=DEPTH_FIX)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if "nesting depth" in str(exc):  # libyaml 0.2.6 stops at 1000 levels itself, before our count
            raise NotesError(_DEPTH, path=display, line=mark.line + 2 if mark else None, fix=DEPTH_FIX) from None
    finally:
        loader.dispose()


_QUOTED_VALUE = re.compile(r"""^\s*(?:-\s+)?(?:[^\s:#'"][^:#]*:\s+)?(["'])(.*)$""")


def _open_quote(source: str, until: int) -> int | None:
    """The first line (0-based, of ``source``) up to ``until`` whose value
    opens a quote and does not close it. YAML lets a quoted value run over
    several lines, so a quote left open is read on until the next one and
    the error comes later; this is the line a host has to fix."""
    for n, line in enumerate(source.split("\n")[:until + 1]):
        m = _QUOTED_VALUE.match(line)
        if m is None:
            continue
        quote, rest = m.groups()
        if quote == '"':
            closed = re.search(r'(?<!\\)(?:\\\\)*"', rest) is not None
        else:
            closed = re.search(r"'(?!')", rest.replace("''", "")) is not None
        if not closed:
            return n
    return None


def _unbuildable(root: yaml.Node | None, display: Path) -> NotesError:
    """The first scalar of ``root`` that YAML typed but cannot build (an
    impossible date, a number too long to convert), as an error on its line."""
    import yaml

    constructor = _loader("")
    try:
        stack: list[tuple[yaml.Node, str | None]] = [(root, None)] if root is not None else []
        while stack:
            node, field = stack.pop()
            if isinstance(node, yaml.MappingNode):
                for key, value in reversed(node.value):
                    name = str(key.value) if field is None and isinstance(key, yaml.ScalarNode) else field
                    stack.extend([(value, name), (key, field)])
            elif isinstance(node, yaml.SequenceNode):
                stack.extend((item, field) for item in reversed(node.value))
            else:
                try:
                    constructor.construct_object(node, deep=True)
                except (ValueError, TypeError, OverflowError) as exc:
                    text = node.value if len(node.value) <= 40 else node.value[:40] + "..."
                    if node.tag == _TIMESTAMP:
                        message, fix = f"{text!r} is not a real date or time ({exc})", _DATE_FIX
                    elif node.tag.endswith(("int", "float")):
                        message, fix = f"{text!r} is a number with too many digits", DIGITS_FIX
                    else:
                        message, fix = f"{text!r} cannot be read ({exc})", "quote it to keep it as text, or correct it"
                    return NotesError(message, path=display, line=node.start_mark.line + 2, field=field, fix=fix)
    finally:
        constructor.dispose()
    return NotesError("a value in the front matter cannot be read", path=display, fix="check the values")


def _pure_python_error(source: str) -> yaml.YAMLError | None:
    import yaml

    try:
        yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return exc
    except RecursionError:  # the pure-Python parser recurses per level: libyaml's wording stands
        return None
    return None


def _toml(source: str, display: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        data = load_toml(source)
    except TomlBoundsError as exc:
        raise NotesError(f"the front matter: {exc.message}", path=display, line=exc.line + 1 if exc.line else None,
                         fix=exc.fix) from None
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+)", str(exc))
        raise NotesError(f"bad TOML in the front matter: {str(exc).split(' (at')[0]}", path=display,
                         line=int(m.group(1)) + 1 if m else None, fix="fix the TOML on that line") from None
    key_lines = {}
    for number, raw in enumerate(source.split("\n"), 2):
        key = raw.split("=", 1)[0].strip()
        if "=" in raw and key in data and key not in key_lines:
            key_lines[key] = number
    return data, key_lines
