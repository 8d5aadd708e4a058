"""castline's command line: parse, call one pipeline function, print.

No pipeline logic lives here. Every CastlineError becomes one line on stderr
and exit code 1 in ``main()``, the only place that turns errors into output.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator, List, Optional
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.table import Table

from pipeline.errors import CastlineError, Problems

app = typer.Typer(
    name="castline",
    help="Publish a podcast: master the audio, tag it, upload it, write the feed and the episode pages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

WORKSPACE = typer.Option(Path("."), "--workspace", "-w", help="The show folder (where config.toml is).",
                         file_okay=False, resolve_path=True)


def _settings(workspace: Path):
    from pipeline.config import load_settings

    return load_settings(workspace)


class _RichProgress:
    """Progress bars on a terminal; silent when output is piped or --json.
    Uploads show bytes and rate; mastering shows the share done."""

    def __init__(self, console: Console) -> None:
        from rich.filesize import decimal
        from rich.progress import BarColumn, Progress, ProgressColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
        from rich.text import Text

        class Transfer(ProgressColumn):
            def render(self, task) -> Text:
                if not task.fields.get("bytes"):
                    return Text("")
                rate = f"{decimal(int(task.speed))}/s" if task.speed else ""
                return Text(f"{decimal(int(task.completed))}/{decimal(int(task.total or 0))} {rate}")

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), Transfer(),
                                 TimeRemainingColumn(), console=console, transient=True)

    def step(self, label: str, total: float) -> Callable[[float], None]:
        task = self.progress.add_task(label, total=total or 1, bytes=label.startswith("Uploading"))
        return lambda amount: self.progress.advance(task, amount)


@contextmanager
def _progress(enabled: bool) -> Iterator[object | None]:
    if not enabled or not err.is_terminal:
        yield None
        return
    bars = _RichProgress(err)
    with bars.progress:
        yield bars


def _json_default(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, CastlineError):
        return str(value)
    raise TypeError(type(value).__name__)


def _print_json(data: object) -> None:
    """Plain JSON for scripts: no colour, no pretty-printer holding it twice."""
    sys.stdout.write(json.dumps(data, default=_json_default, ensure_ascii=False, indent=1) + "\n")


def _problems(problems) -> None:
    for p in problems:
        err.print(f"error: {p}", markup=False)


@app.command()
def init(
    directory: Path = typer.Argument(..., help="Folder for the new show (created if missing).", resolve_path=True),
) -> None:
    """Make a new show: a commented config.toml, the folders and an example episode.

    Example: castline init ~/shows/my-show
    """
    from pipeline.scaffold import init as run_init, next_steps

    created = run_init(directory)
    out.print(f"Created a new show in {directory}:", markup=False)
    for path in created:
        out.print(f"  {path.relative_to(directory)}", markup=False)
    out.print("Next:")
    for i, line in enumerate(next_steps(directory), 1):
        out.print(f"  {i}. {line}", markup=False)


@app.command()
def new(
    title: str = typer.Argument(..., help="The episode's title."),
    workspace: Path = WORKSPACE,
) -> None:
    """Start the next episode: its number, slug and a notes file with every field.

    Example: castline new "Why Meeting in Person Matters"
    """
    settings = _settings(workspace)
    from pipeline.scaffold import new_episode

    made = new_episode(settings, title)
    out.print(f"Wrote {made.notes_path.relative_to(settings.root)} (episode {made.number})", markup=False)
    hint = made.audio_hint.relative_to(settings.root)
    if made.audio_hint.exists():
        out.print(f"Recording: {hint} (already there)", markup=False)
    else:
        out.print(f"Put the recording at {hint} (or .flac, .mp3, .m4a, .ogg)", markup=False)


@app.command()
def check(
    workspace: Path = WORKSPACE,
    no_store: bool = typer.Option(False, "--no-store", help="Do not check that the store is reachable."),
) -> None:
    """Validate everything (config, notes, recordings, art, feed rules, store) without publishing.

    Example: castline check
    """
    settings = _settings(workspace)
    from pipeline.check import check as run_check

    report = run_check(settings, check_store=not no_store)
    for w in report.warnings:
        err.print(f"warning: {w}", markup=False)
    if report.problems:
        _problems(report.problems)
        err.print(f"{len(report.problems)} problem(s) found in {report.episodes_checked} episode(s)", markup=False)
        raise typer.Exit(1)
    extra = f", {len(report.warnings)} warning(s)" if report.warnings else ""
    out.print(f"OK: {report.episodes_checked} episodes checked, no problems{extra}", markup=False)


@app.command()
def publish(
    slugs: Optional[List[str]] = typer.Argument(None, help="Only these episodes (by slug); others stay as published."),
    workspace: Path = WORKSPACE,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
    prune: bool = typer.Option(False, "--prune", help="Delete objects the show no longer uses."),
) -> None:
    """Master, tag and upload new or changed episodes, then the pages and the feed.

    Example: castline publish --dry-run
    """
    settings = _settings(workspace)
    from pipeline.publish import publish as run_publish

    with _progress(not as_json) as bars:
        report = run_publish(settings, only=tuple(slugs or ()), dry_run=dry_run, prune=prune, progress=bars)
    if as_json:
        data = asdict(report)
        data["upload_bytes"] = report.upload_bytes
        data["problems"] = [str(p) for p in report.problems]
        _print_json(data)
    else:
        _print_publish(report)
    if report.problems:
        _problems(report.problems)
        raise typer.Exit(1)


def _print_publish(report) -> None:
    counts: dict[str, int] = {}
    for ep in report.episodes:
        counts[ep.state] = counts.get(ep.state, 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no episodes"
    size = _size(report.upload_bytes)
    if report.dry_run:
        out.print(f"Plan for {report.store} (dry run, nothing changed):")
        for key, n in report.uploads:
            size_note = f"~{_size(n)}, estimated: not mastered yet" if key in report.estimated else _size(n)
            out.print(f"  upload  {key}  ({size_note})", markup=False)
        for key in report.deletes:
            out.print(f"  delete  {key}", markup=False)
        out.print(f"  {len(report.uploads)} to upload ({size}), {report.unchanged} unchanged, "
                  f"{len(report.deletes)} to delete; episodes: {summary}")
    else:
        out.print(f"Published to {report.store}: episodes {summary}; uploaded {len(report.uploads)} objects ({size}), "
                  f"{report.unchanged} unchanged" + (f", deleted {len(report.deletes)}" if report.deletes else ""))
    for w in report.warnings:
        err.print(f"warning: {w}", markup=False)
    if report.local_dir is not None:
        root = Path(report.local_dir)
        out.print(f"  feed:  {root / 'feed.xml'}", markup=False)
        out.print(f"  pages: {root / 'index.html'} and {root / 'episodes'}/", markup=False)
        out.print("  preview: castline serve   (then open http://127.0.0.1:8000/)")
    out.print(f"  public feed URL: {report.feed_url}", markup=False)


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


@app.command()
def status(
    workspace: Path = WORKSPACE,
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON."),
) -> None:
    """List episodes with number, date, state (draft, scheduled, new, changed, published), duration and URL.

    Example: castline status --json
    """
    settings = _settings(workspace)
    from pipeline.publish import status as run_status

    rows = run_status(settings)
    if as_json:
        _print_json([asdict(r) for r in rows])
        return
    table = Table(title=f"{settings.show.title}: {len(rows)} episodes")
    for name in ("#", "date", "state", "duration", "title", "url"):
        table.add_column(name, overflow="fold")
    for r in rows:
        number = f"S{r.season}E{r.number}" if r.season and r.number else str(r.number or "")
        table.add_row(number, r.date.astimezone(ZoneInfo(settings.show.timezone)).strftime("%Y-%m-%d %H:%M"), r.state, _clock(r.duration), r.title,
                      r.url or "")
    out.print(table)


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


@app.command()
def serve(
    workspace: Path = WORKSPACE,
    port: int = typer.Option(8000, "--port", "-p", help="Port on 127.0.0.1 (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    folder: Optional[Path] = typer.Option(None, "--dir", help="Serve this folder instead of the show's local store."),
) -> None:
    """Preview the published show over HTTP, with byte ranges like a real server.

    Example: castline serve --port 8000
    """
    from pipeline.serve import make_server
    root = folder.resolve() if folder else _local_store(_settings(workspace))
    server = make_server(root, host=host, port=port)
    actual = server.server_address[1]
    out.print(f"Serving {root} at http://{host}:{actual}/  (feed: http://{host}:{actual}/feed.xml; Ctrl-C stops)",
              markup=False)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _local_store(settings) -> Path:
    url = settings.storage.url
    if url.startswith("s3://"):
        raise CastlineError(f"the store is {url}, not a local folder", path="config.toml", field="storage.url",
                            fix="pass --dir public (after a local publish) to preview a folder")
    return (settings.root / url).resolve()


def _interrupted() -> None:
    """Ctrl-C: one line, exit 130. Publishing replaces the feed only after
    everything it points at is stored, and the state last, so the show as
    published is whole, and the next run picks up the work."""
    err.print("interrupted: the published show is as it was; run the command again to finish", markup=False)
    sys.exit(130)


def main() -> None:
    """Entry point: run the app; turn every castline error into one line."""
    import logging

    logging.basicConfig(level=logging.DEBUG if os.environ.get("CASTLINE_DEBUG") else logging.WARNING,
                        format="warning: %(message)s", stream=sys.stderr)
    try:
        code = app(standalone_mode=False)
    except CastlineError as exc:
        if isinstance(exc, Problems):
            _problems(exc.problems)
        else:
            err.print(f"error: {exc}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        _interrupted()
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted", markup=False)
        sys.exit(1)
    except Exception as exc:  # a usage error from click, or a bug
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("CASTLINE_DEBUG"):
            raise
        err.print(f"internal error: {type(exc).__name__}: {exc} (set CASTLINE_DEBUG=1 for the traceback, "
                  "and please report it)", markup=False)
        sys.exit(2)
    if code == 130:  # typer turns Ctrl-C into a silent return of 130 (no command exits 130 itself)
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
