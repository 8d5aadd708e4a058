"""What a publish did or would do, and each episode's state: the values
``castline publish``, ``status`` and ``--json`` print.

Light on purpose (no audio, feed or page code): a publish that finds
nothing changed answers from its receipt (``pipeline/receipt.py``) with
one of these, without loading the rest of castline.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from pipeline.errors import CastlineError
from pipeline.model import EpisodeState, PublishOptions  # noqa: F401  (the report's vocabulary, here too)


@dataclass(frozen=True)
class EpisodeStatus:
    """One row of ``castline status`` and of a publish report."""

    slug: str
    title: str
    number: int | None
    season: int | None
    date: datetime | None
    state: EpisodeState
    guid: str | None = None
    duration: float | None = None
    url: str | None = None
    loudness_in: float | None = None
    loudness_out: float | None = None
    true_peak_out: float | None = None


@dataclass(frozen=True)
class Report:
    """What a publish did, or (dry run) would do."""

    store: str
    feed_url: str
    site_url: str
    episodes: tuple[EpisodeStatus, ...]
    uploads: tuple[tuple[str, int], ...]  # (key, bytes) uploaded or to upload
    unchanged: int
    deletes: tuple[str, ...]
    problems: tuple[CastlineError, ...]
    warnings: tuple[str, ...]
    dry_run: bool
    local_dir: Path | None = None  # the folder of a local store
    estimated: tuple[str, ...] = ()  # dry run: media keys whose size is estimated (not mastered yet)
    repaired: tuple[str, ...] = ()  # objects the store had lost or held wrong, uploaded again
    stale_tags: int = 0  # published episodes with tags older than a show-wide change (--retag-all)
    stale_masters: int = 0  # ... with masters older than an [audio] change (--remaster-all)
    announcements: tuple[str, ...] = ()  # WebSub and podping calls sent (dry run: that would be sent)

    @property
    def upload_bytes(self) -> int:
        return sum(size for _, size in self.uploads)


@dataclass(frozen=True)
class StatusReport:
    episodes: tuple[EpisodeStatus, ...]
    stale_tags: int
    stale_masters: int
    problems: tuple[str, ...]


def to_json(report: Report) -> dict[str, Any]:
    """The report as plain JSON values (what ``--json`` prints)."""
    data = asdict(report)
    data["episodes"] = [row_json(row) for row in report.episodes]
    data["local_dir"] = str(report.local_dir) if report.local_dir is not None else None
    data["problems"] = [str(p) for p in report.problems]
    data["upload_bytes"] = report.upload_bytes
    return data


def row_json(row: EpisodeStatus) -> dict[str, Any]:
    """One episode's row as plain JSON values (``status --json`` prints these)."""
    return {**vars(row), "state": str(row.state), "date": row.date.isoformat() if row.date else None}


def from_json(data: dict[str, Any]) -> Report:
    """A report from ``to_json``'s output (a receipt's)."""
    rows = tuple(EpisodeStatus(**{**row, "state": EpisodeState(row["state"]),
                                  "date": datetime.fromisoformat(row["date"]) if row["date"] else None})
                 for row in data["episodes"])
    fields = {k: v for k, v in data.items() if k not in ("episodes", "upload_bytes", "local_dir", "problems")}
    fields = {k: tuple(tuple(x) if isinstance(x, list) else x for x in v) if isinstance(v, list) else v
              for k, v in fields.items()}
    local = Path(data["local_dir"]) if data.get("local_dir") else None
    return Report(**fields, episodes=rows, local_dir=local, problems=())


def as_settled(report: Report) -> Report:
    """The report the next publish gives if nothing changes after this one:
    what was uploaded is unchanged, what was new or changed is published."""
    moved = {EpisodeState.NEW: EpisodeState.PUBLISHED, EpisodeState.CHANGED: EpisodeState.PUBLISHED}
    rows = tuple(replace(r, state=moved.get(r.state, r.state)) for r in report.episodes)
    return replace(report, episodes=rows, uploads=(), unchanged=report.unchanged + len(report.uploads), deletes=(),
                   estimated=(), repaired=(), announcements=(), dry_run=False)
