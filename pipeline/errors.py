"""The kinds of user mistake castline knows, each one line when printed.

Every error carries where it happened (a file, and the line or field inside
it) and what to do about it. ``cli.py`` is the only place that turns them
into output and an exit code; nothing in the pipeline prints or exits.
"""

from __future__ import annotations

from pathlib import Path


class CastlineError(Exception):
    """Base of every error castline reports to the host as one line.

    ``str(err)`` is ``<where>: <what>; <fix>`` where ``<where>`` is
    ``path[:line][: field]``.
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field
        self.fix = fix
        super().__init__(self.__str__())

    def where(self) -> str:
        parts = []
        if self.path:
            parts.append(self.path + (f":{self.line}" if self.line else ""))
        if self.field:
            parts.append(self.field)
        return ": ".join(parts)

    def relative_to(self, root: Path) -> "CastlineError":
        """The same error naming its file relative to the show folder, the
        way the host sees it (``episodes/003-x.wav``, not an absolute path)."""
        if not self.path or not Path(self.path).is_absolute():
            return self
        try:
            rel = str(Path(self.path).resolve().relative_to(root.resolve()))
        except ValueError:
            return self
        return type(self)(self.message, path=rel, line=self.line, field=self.field, fix=self.fix)

    def __str__(self) -> str:
        text = self.message
        if self.fix:
            text = f"{text}; {self.fix}"
        where = self.where()
        line = f"{where}: {text}" if where else text
        return " ".join(line.split())  # always one line


class ConfigError(CastlineError):
    """config.toml is missing, unreadable, or has a bad key or value."""


class NotesError(CastlineError):
    """A show-notes file has bad front matter, a bad field, or no audio."""


class AudioError(CastlineError):
    """A recording cannot be decoded, is silent, or mastering failed."""


class ArtError(CastlineError):
    """Cover art breaks Apple's rules (size, shape, colour model, type)."""


class FeedError(CastlineError):
    """The feed would break an Apple or Podcasting 2.0 rule."""


class StoreError(CastlineError):
    """The store cannot be reached, written, or verified."""


class StateError(CastlineError):
    """The published state forbids this: a GUID would change, or another
    publish holds the lock."""


class ServeError(CastlineError):
    """The preview server cannot start: the port is taken, the address is
    not this machine's, or the store is not a local folder."""


class ToolError(CastlineError):
    """An external tool (ffmpeg, the browser) is missing or failed."""


class ImportSourceError(CastlineError):
    """The show being imported cannot be read: the host or file is
    unreachable, it is not an RSS feed, it is locked, or a file it points at
    cannot be downloaded."""


class Problems(CastlineError):
    """Several problems found together (ingest and check report all at once)."""

    def __init__(self, problems: list[CastlineError]) -> None:
        self.problems = list(problems)
        super().__init__(f"{len(self.problems)} problem(s) found")

    def relative_to(self, root: Path) -> "Problems":
        return Problems([p.relative_to(root) for p in self.problems])

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
