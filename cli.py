"""castline's command line: parse, call one pipeline function, print.

No pipeline logic lives here. Every CastlineError becomes one line on stderr
and exit code 1 in ``main()``, the only place that turns errors into output.
Usage errors (an unknown command or option, a bad option value) are typer's:
its usage line, a hint and one ``Error:`` line on stderr, exit code 2;
``castline`` alone prints the help on stderr, also with exit code 2 (no
command is a usage error). Text that comes from the host (titles, names,
paths) is printed without rich markup or emoji codes, and without control
characters, so a title can neither break the output nor drive the terminal.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Callable, Iterator, List, Optional
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.text import Text

from pipeline.errors import CastlineError, Problems
from pipeline.text import clean_line

app = typer.Typer(
    name="castline",
    help="Publish a podcast: master the audio, tag it, upload it, write the feed and the episode pages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

WORKSPACE = typer.Option(Path("."), "--workspace", "-w", help="The show folder (where config.toml is).",
                         file_okay=False, resolve_path=True)


def _settings(workspace: Path):
    from pipeline.config import load_settings

    return load_settings(workspace)


class _RichProgress:
    """Progress bars on a terminal; silent when output is piped or --json.
    Uploads show bytes and rate; mastering shows the share done."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            ProgressColumn,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Transfer(ProgressColumn):
            def render(self, task) -> Text:
                if not task.fields.get("bytes"):
                    return Text("")
                rate = f"{_size(int(task.speed))}/s" if task.speed else ""
                return Text(f"{_size(int(task.completed))}/{_size(int(task.total or 0))} {rate}")

        self.progress = Progress(TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(), Transfer(),
                                 TimeRemainingColumn(), console=console, transient=True)

    def step(self, label: str, total: float) -> Callable[[float], None]:
        task = self.progress.add_task(label, total=total or 1, bytes=label.startswith(("Uploading", "Downloading")))
        return lambda amount: self.progress.advance(task, amount)


class _LineProgress:
    """When stderr is not a terminal (a CI log, cron mail): one plain line
    every few seconds with the stage and how far it got, so a long publish
    is not silent; a run shorter than that prints nothing."""

    EVERY_S = 5.0

    def __init__(self, console: Console) -> None:
        import time

        self.console, self.clock = console, time.monotonic
        self.last = self.clock()

    def step(self, label: str, total: float) -> Callable[[float], None]:
        done = [0.0]

        def advance(amount: float) -> None:
            done[0] += amount
            now = self.clock()
            if now - self.last >= self.EVERY_S:
                self.last = now
                self.console.print(f"{label}: {min(100.0, 100 * done[0] / (total or 1)):.0f}%", markup=False)
        return advance


@contextmanager
def _progress(enabled: bool) -> Iterator[object | None]:
    if not enabled or not err.is_terminal:
        yield _LineProgress(err) if enabled else None
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
        _error_line(f"error: {p}")


def _error_line(line: str) -> None:
    _line(err, line)


def _line(console: Console, line: str) -> None:
    """One line of text, exactly as written: no markup, no emoji codes, no
    control characters (host text may hold any of them)."""
    console.print(clean_line(line), markup=False)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            out.print(f"castline {version('castline')}", markup=False)
        except PackageNotFoundError:  # run from a source tree that was never installed
            out.print("castline (not installed: run `python3 -m pip install -e .`)", markup=False)
        raise typer.Exit()


@app.callback()
def _main_options(
    version: bool = typer.Option(False, "--version", help="Print castline's version and exit.", is_eager=True,
                                 callback=_version),
) -> None:
    """The options of `castline` itself; each command's own come after its name."""


@app.command()
def init(
    directory: Path = typer.Argument(..., help="Folder for the new show (created if missing).", resolve_path=True,
                                     metavar="DIR"),
) -> None:
    """Make a new show: a commented config.toml, the folders and an example episode.

    Example: castline init ~/shows/my-show
    """
    from pipeline.scaffold import init as run_init
    from pipeline.scaffold import next_steps

    created = run_init(directory)
    _line(out, f"Created a new show in {directory}:")
    for path in created:
        _line(out, f"  {path.relative_to(directory)}")
    _line(out, "Next:")
    for i, line in enumerate(next_steps(directory), 1):
        _line(out, f"  {i}. {line}")


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

    made = new_episode(settings.root, settings.show, title)
    _line(out, f"Wrote {made.notes_path.relative_to(settings.root)} (episode {made.number})")
    hint = made.audio_hint.relative_to(settings.root)
    if made.audio_hint.exists():
        _line(out, f"Recording: {hint} (already there)")
    else:
        _line(out, f"Put the recording at {hint} (or .flac, .mp3, .m4a, .ogg)")


@app.command()
def check(
    workspace: Path = WORKSPACE,
    no_store: bool = typer.Option(False, "--no-store", help="Do not check that the store is reachable."),
) -> None:
    """Validate everything (config, notes, recordings, art, feed rules, store) without publishing.

    Example: castline check
    """
    settings = _settings(workspace)
    from pipeline.publish import check as run_check

    report = run_check(settings, check_store=not no_store)
    for w in report.warnings:
        _line(err, f"warning: {w}")
    if report.problems:
        _problems(report.problems)
        _line(err, f"{len(report.problems)} problem(s) found in {report.episodes_checked} episode(s)")
        raise typer.Exit(1)
    extra = f", {len(report.warnings)} warning(s)" if report.warnings else ""
    _line(out, f"OK: {report.episodes_checked} episodes checked, no problems{extra}")


@app.command()
def publish(
    slugs: Optional[List[str]] = typer.Argument(None, help="Only these episodes (by slug); others stay as published."),
    workspace: Path = WORKSPACE,
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan; change nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
    prune: bool = typer.Option(False, "--prune", help="Delete objects that no episode and no page uses any more."),
    remove: Optional[List[str]] = typer.Option(None, "--remove", metavar="SLUG",
                                               help="Take this published episode out of the feed and pages (repeat for more)."),
    skip_broken: bool = typer.Option(False, "--skip-broken",
                                     help="Publish the episodes that are ready; keep broken ones as published."),
    retag_all: bool = typer.Option(False, "--retag-all", help="Apply show-wide tag changes to every published file."),
    remaster_all: bool = typer.Option(False, "--remaster-all", help="Apply [audio] changes to every published file."),
    no_notify: bool = typer.Option(False, "--no-notify", help="Do not announce the changed feed (WebSub, podping)."),
) -> None:
    """Master, tag and upload new or changed episodes, then the pages and the feed.

    Example: castline publish --dry-run
    """
    settings = _settings(workspace)
    from pipeline.publish import PublishOptions
    from pipeline.publish import publish as run_publish

    options = PublishOptions(only=tuple(slugs or ()), remove=tuple(remove or ()), dry_run=dry_run, prune=prune,
                             skip_broken=skip_broken, retag_all=retag_all, remaster_all=remaster_all,
                             notify=not no_notify)
    with _progress(not as_json) as bars:
        report = run_publish(settings, options=options, progress=bars)
    if as_json:
        from pipeline.publish import to_json

        _print_json(to_json(report))
    else:
        _print_publish(report)
    if report.problems:
        _problems(report.problems)
        raise typer.Exit(1)


def _print_publish(report) -> None:
    counts: dict[str, int] = {}
    for ep in report.episodes:
        counts[str(ep.state)] = counts.get(str(ep.state), 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "no episodes"
    size = _size(report.upload_bytes)
    if report.dry_run:
        out.print(f"Plan for {report.store} (dry run, nothing changed):", markup=False)
        for key, n in report.uploads:
            size_note = f"~{_size(n)}, estimated: not mastered yet" if key in report.estimated else _size(n)
            again = ", the store lost it" if key in report.repaired else ""
            out.print(f"  upload  {key}  ({size_note}{again})", markup=False)
        for ep in report.episodes:
            if str(ep.state) in ("removed", "kept"):
                verb = "remove" if str(ep.state) == "removed" else "keep  "
                out.print(f"  {verb}  {ep.slug}  (guid {ep.guid})", markup=False)
        for key in report.deletes:
            out.print(f"  delete  {key}", markup=False)
        for line in report.announcements:
            out.print(f"  announce  {line}", markup=False)
        out.print(f"  {len(report.uploads)} to upload ({size}), {report.unchanged} unchanged, "
                  f"{len(report.deletes)} to delete; episodes: {summary}", markup=False)
    else:
        out.print(f"Published to {report.store}: episodes {summary}; uploaded {len(report.uploads)} objects ({size}), "
                  f"{report.unchanged} unchanged" + (f", deleted {len(report.deletes)}" if report.deletes else "")
                  + (f", {len(report.repaired)} the store had lost" if report.repaired else ""), markup=False)
    for w in report.warnings:
        _line(err, f"warning: {w}")
    _print_stale(report)
    if report.local_dir is not None:
        root = Path(report.local_dir)
        out.print(f"  feed:  {root / 'feed.xml'}", markup=False)
        out.print(f"  pages: {root / 'index.html'} and {root / 'episodes'}/", markup=False)
        out.print("  preview: castline serve   (then open http://127.0.0.1:8000/)")
    out.print(f"  public feed URL: {report.feed_url}", markup=False)


def _print_stale(report) -> None:
    """Published media keeps its tags and master until asked: say so."""
    if report.stale_tags:
        out.print(f"  {report.stale_tags} published episode(s) carry tags from before a show-wide change; "
                  "castline publish --retag-all updates them", markup=False)
    if report.stale_masters:
        out.print(f"  {report.stale_masters} published episode(s) were mastered with older [audio] settings; "
                  "castline publish --remaster-all updates them", markup=False)


@app.command()
def unlock(workspace: Path = WORKSPACE) -> None:
    """Remove the publish lease by hand (a crashed publish's lease is taken over by itself).

    Example: castline unlock
    """
    settings = _settings(workspace)
    from pipeline.store import open_store
    from pipeline.store import unlock as run_unlock

    removed = run_unlock(open_store(settings.storage, settings.root))
    if removed is False:
        out.print("No publish lease is held.", markup=False)
    else:
        who = removed.owner if removed else "an unreadable owner"
        out.print(f"Removed the publish lease held by {clean_line(who)}.", markup=False)


def _size(n: int) -> str:
    """Bytes in decimal units ("24.0 kB"), the one size format of the CLI
    (the upload progress uses the same function)."""
    from rich.filesize import decimal

    return decimal(int(n))


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

    report = run_status(settings)
    rows = report.episodes
    if as_json:
        from pipeline.publish import row_json

        _print_json([row_json(r) for r in rows])
        return
    from rich.table import Table

    from feeds.chapters import timestamp

    table = Table(title=_plain(f"{settings.show.title}: {len(rows)} episodes"))
    for name in ("#", "date", "state", "duration", "title", "url"):
        table.add_column(name, overflow="fold")
    zone = ZoneInfo(settings.show.timezone)
    for r in rows:
        number = f"S{r.season}E{r.number}" if r.season and r.number else str(r.number or "")
        duration = timestamp(int(r.duration)) if r.duration is not None else ""
        table.add_row(*(_plain(cell) for cell in (number, r.date.astimezone(zone).strftime("%Y-%m-%d %H:%M"), r.state,
                                                  duration, r.title, r.url or "")))
    out.print(table)
    _print_stale(report)
    for problem in report.problems:
        err.print(f"error: {clean_line(problem)}", markup=False)


def _plain(value: str) -> Text:
    """Host text for a table cell: shown as written (a Text is never read as
    markup), without control characters."""
    return Text(clean_line(value))


@app.command()
def serve(
    workspace: Path = WORKSPACE,
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    folder: Optional[Path] = typer.Option(None, "--dir", help="Serve this folder instead of the show's local store."),
) -> None:
    """Preview the published show over HTTP, with byte ranges like a real server.

    Example: castline serve --port 8000
    """
    from pipeline.store import make_server, preview_root

    if folder:
        root = folder.resolve()
    else:
        settings = _settings(workspace)
        root = preview_root(settings.storage, settings.root)
    server = make_server(root, host=host, port=port)
    actual = server.server_address[1]
    _line(out, f"Serving {root} at http://{host}:{actual}/  (feed: http://{host}:{actual}/feed.xml; Ctrl-C stops)")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command("import")
def import_show(
    source: str = typer.Argument(..., help="The show's feed URL (http/https) or a saved feed file."),
    workspace: Path = WORKSPACE,
    base_url: Optional[str] = typer.Option(None, "--base-url", help="Where the show will be served ([show] base_url)."),
    owner_email: Optional[str] = typer.Option(None, "--owner-email", help="The owner email of a locked feed."),
) -> None:
    """Bring a show over from another host, keeping every GUID, date and recording.

    Example: castline import https://feeds.example.com/my-show.xml --workspace ~/shows/my-show
    """
    from pipeline.importer import import_show as run_import

    with _progress(True) as bars:
        report = run_import(source, workspace, base_url=base_url, owner_email=owner_email, progress=bars)
    for w in report.warnings:
        _line(err, f"warning: {w}")
    _line(out, f"Imported {len(report.imported)} episode(s) into {report.root}" + (
        f"; {report.known} already there" if report.known else "") + (
        f"; {len(report.updated)} updated from the old feed" if report.updated else "") + (
        f"; {len(report.kept)} notes edited since import left as they are" if report.kept else ""))
    _line(out, "Next:")
    for i, step in enumerate(report.next_steps, 1):
        _line(out, f"  {i}. {step}")
    if report.problems:
        _problems(report.problems)
        _error_line(f"{len(report.problems)} episode(s) not imported; run the same command again to retry them")
        raise typer.Exit(1)


def _interrupted() -> None:
    """Ctrl-C: one line, exit 130. Publishing replaces the feed only after
    everything it points at is stored, and the state last, so the show as
    published is whole, and the next run picks up the work."""
    err.print("interrupted: the published show is as it was; run the command again to finish", markup=False)
    sys.exit(130)


class _LogLine(logging.Formatter):
    """``warning: <message>`` (``debug:``, ``info:`` ...): one clean line."""

    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {clean_line(record.getMessage())}"


def _logging() -> None:
    """castline's own loggers (``castline.*``) print warnings as one line;
    with CASTLINE_DEBUG=1 they print everything. Other libraries' loggers
    (markdown-it, boto3, PIL) stay at the root's default: warnings only."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogLine())
    own = logging.getLogger("castline")
    own.handlers[:] = [handler]
    own.propagate = False
    own.setLevel(logging.DEBUG if os.environ.get("CASTLINE_DEBUG") else logging.WARNING)


def main() -> None:
    """Entry point: run the app; turn every castline error into one line.

    typer runs in its standalone mode, so a usage error is typer's own
    message (usage line, hint, ``Error: ...``) with exit code 2. A castline
    error is one line and exit 1; Ctrl-C one line and exit 130; anything
    else is a bug: "internal error", exit 2."""
    _logging()
    for n, arg in enumerate(sys.argv[1:], 1):  # typer would echo it back raw in a usage error
        if any(ord(c) < 32 or 127 <= ord(c) < 160 or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
               for c in arg):
            _error_line(f"error: argument {n} ({clean_line(arg)!r}) holds a control character or a line break; "
                        "type it again without one")
            sys.exit(2)
    try:
        app(prog_name="castline")
    except CastlineError as exc:
        if isinstance(exc, Problems):
            _problems(exc.problems)
        else:
            _error_line(f"error: {exc}")
        sys.exit(1)
    except KeyboardInterrupt:
        _interrupted()
    except SystemExit as exc:
        if exc.code == 130:  # typer turns Ctrl-C into exit 130 (no command exits 130 itself)
            _interrupted()
        raise
    except Exception as exc:  # a bug
        if os.environ.get("CASTLINE_DEBUG"):
            raise
        _error_line(f"internal error: {type(exc).__name__}: {exc} (set CASTLINE_DEBUG=1 for the traceback, "
                    "and please report it)")
        sys.exit(2)


if __name__ == "__main__":
    main()
