"""Split a show-notes file into its front matter and Markdown body.

YAML between ``---`` lines (the common form), or TOML between ``+++``
lines. Besides the values, it returns the line each top-level key stands on,
so a bad field can be reported as ``show_notes/001-x.md:7: date: ...``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import NotesError

# libyaml's parser when PyYAML was built with it (several times faster on a
# show of a thousand episodes); the same safe constructor either way.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def _yaml(source: str, display: Path) -> tuple[dict[str, Any], dict[str, int]]:
    loader = _LOADER(source)
    try:  # parsed once: the node tree gives the lines, the same tree the values
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        exc = _pure_python_error(source) or exc  # its wording is more precise ("but got ':'")
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
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


def _pure_python_error(source: str) -> yaml.YAMLError | None:
    try:
        yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        return exc
    return None


def _toml(source: str, display: Path) -> tuple[dict[str, Any], dict[str, int]]:
    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        import re

        m = re.search(r"\(at line (\d+)", str(exc))
        raise NotesError(f"bad TOML in the front matter: {str(exc).split(' (at')[0]}", path=display,
                         line=int(m.group(1)) + 1 if m else None, fix="fix the TOML on that line") from None
    key_lines = {}
    for number, raw in enumerate(source.split("\n"), 2):
        key = raw.split("=", 1)[0].strip()
        if "=" in raw and key in data and key not in key_lines:
            key_lines[key] = number
    return data, key_lines
