"""The host's workflow through the CLI: dry runs, status, Ctrl-C at any
moment, two publishes at once, and help for every command."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import typer

from tests._published import STATE, assert_consistent, feed_items, snapshot
from tests._showfiles import tone
from tests.conftest import REPO

NOTES2 = "show_notes/002-mailbag-better-offsites.md"
INTERRUPTED = "interrupted: the published show is as it was; run the command again to finish"


def add_episode(show: Path, slug: str, number: int, *, seconds: float = 2.0, extra: str = "",
                date: str = "2012-05-01T09:00:00") -> None:
    tone(show / "episodes" / f"{slug}.wav", seconds)
    (show / "show_notes" / f"{slug}.md").write_text(
        f"---\ntitle: Episode {number}\nnumber: {number}\nseason: 1\ndate: {date}\n{extra}---\nNotes for {slug}.\n")


def retitle_002(show: Path) -> None:
    path = show / NOTES2
    path.write_text(path.read_text().replace("Three Rules", "Four Rules"))


# -- dry run and --json ---------------------------------------------------------------------------------------

def test_dry_run_prints_the_plan_and_changes_nothing(show: Path, run_cli) -> None:
    add_episode(show, "003-tone", 3)
    retitle_002(show)
    before = snapshot(show / "public")
    masters = sorted((show / ".castline" / "cache" / "master").iterdir())
    result = run_cli("publish", "--dry-run", "--workspace", str(show))
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Plan for public/ (dry run, nothing changed):"
    # 2.0 s of audio at 96 kbit/s, estimated: the dry run masters nothing
    assert "  upload  media/003-tone-pending.mp3  (~24.0 kB, estimated: not mastered yet)" in lines
    assert any(re.fullmatch(r"  upload  media/002-mailbag-better-offsites-[0-9a-f]{10}\.mp3  \(\d+\.\d kB\)", line)
               for line in lines), lines  # retagged from the cached master: its exact size
    assert "  upload  feed.xml  (" in result.stdout and "  upload  episodes/003-tone.html  (" in result.stdout
    summary = next(line for line in lines if " to upload (" in line)
    assert re.fullmatch(r"  \d+ to upload \(\d+\.\d kB\), \d+ unchanged, 0 to delete; "
                        r"episodes: 1 changed, 1 new, 1 published", summary), summary
    assert snapshot(show / "public") == before  # no object, no state, no lock
    assert sorted((show / ".castline" / "cache" / "master").iterdir()) == masters


def test_publish_json_is_a_machine_readable_summary(show: Path, run_cli) -> None:
    retitle_002(show)
    result = run_cli("publish", "--json", "--workspace", str(show))
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"store", "feed_url", "episodes", "uploads", "upload_bytes", "unchanged", "deletes", "problems",
            "warnings", "dry_run"} <= set(data)
    assert data["dry_run"] is False and data["problems"] == []
    assert {e["slug"]: e["state"] for e in data["episodes"]} == {"001-lets-take-this-offline": "published",
                                                                 "002-mailbag-better-offsites": "changed"}
    assert data["upload_bytes"] == sum(size for _, size in data["uploads"])
    assert "feed.xml" in [key for key, _ in data["uploads"]]
    assert json.loads((show / "public" / STATE).read_text())["episodes"]  # it did publish


# -- status ---------------------------------------------------------------------------------------------------

def test_status_shows_every_state(show: Path, run_cli) -> None:
    retitle_002(show)
    add_episode(show, "003-new", 3, seconds=2.0)
    add_episode(show, "004-draft", 4, seconds=2.5, extra="draft: true\n")
    add_episode(show, "005-later", 5, seconds=3.0, date="2999-01-01T09:00:00")
    before = snapshot(show / "public")
    result = run_cli("status", "--json", "--workspace", str(show))
    assert result.code == 0, result.stderr
    rows = {r["slug"]: r for r in json.loads(result.stdout)}
    assert {slug: r["state"] for slug, r in rows.items()} == {
        "001-lets-take-this-offline": "published", "002-mailbag-better-offsites": "changed", "003-new": "new",
        "004-draft": "draft", "005-later": "scheduled"}
    assert rows["001-lets-take-this-offline"]["url"] == "https://podcast.example.com/episodes/001-lets-take-this-offline.html"
    assert rows["001-lets-take-this-offline"]["guid"] == feed_items(show)[1]["guid"]
    assert 40 < rows["001-lets-take-this-offline"]["duration"] < 50
    table = run_cli("status", "--workspace", str(show))
    assert table.code == 0
    for line, state in (("S1E1", "published"), ("S1E2", "changed"), ("S1E3", "new"), ("S1E4", "draft"),
                        ("S1E5", "scheduled")):
        assert re.search(rf"{line}\s*│[^│]*│\s*{state}\s*│", table.stdout), (state, table.stdout)
    assert snapshot(show / "public") == before


# -- Ctrl-C ---------------------------------------------------------------------------------------------------

def _interrupt_on_call(n: int):
    calls = [0]

    def hook(*args, **kwargs):
        calls[0] += 1
        if calls[0] == n:
            raise KeyboardInterrupt
    return hook


def _wrap(monkeypatch, target: str, n: int) -> None:
    """Make ``target`` (module.Class.method or module.function) raise
    KeyboardInterrupt on its n-th call, and behave normally otherwise."""
    import importlib

    module_name, _, rest = target.partition(":")
    owner = importlib.import_module(module_name)
    *path, name = rest.split(".")
    for part in path:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    hook = _interrupt_on_call(n)

    def wrapped(*args, **kwargs):
        hook()
        return original(*args, **kwargs)
    monkeypatch.setattr(owner, name, wrapped)


@pytest.mark.parametrize("target,n,feed_kept", [
    ("pipeline.build.episode:master_cached", 1, True),  # while mastering (on a worker thread)
    ("pipeline.store.local:LocalStore.put", 1, True),  # before any media is written
    ("pipeline.store.local:LocalStore._atomic_write", 3, True),  # between two media files (the lease is write 1)
    ("pipeline.store.local:LocalStore.put", 2, True),  # media in, pages not yet
    ("pipeline.store.local:LocalStore.put", 3, True),  # pages in, feed not yet
    ("pipeline.store.local:LocalStore.write_state", 3, False),  # feed in, state not yet (the lease, its renewal)
], ids=["master", "before-media", "mid-media", "before-pages", "before-feed", "before-state"])
def test_ctrl_c_leaves_the_show_and_the_next_run_finishes(show: Path, run_cli, monkeypatch, target: str, n: int,
                                                          feed_kept: bool) -> None:
    add_episode(show, "003-tone", 3)
    add_episode(show, "004-tone", 4, seconds=2.5)
    retitle_002(show)
    feed_before = (show / "public" / "feed.xml").read_bytes()
    state_before = (show / "public" / STATE).read_bytes()
    with monkeypatch.context() as patch:
        _wrap(patch, target, n)
        result = run_cli("publish", "--workspace", str(show))
    assert result.code == 130, result.stderr
    assert result.stderr.splitlines() == [INTERRUPTED]
    assert not (show / "public" / ".castline" / "lock").exists()  # the lock went with the run
    assert (show / "public" / STATE).read_bytes() == state_before
    assert ((show / "public" / "feed.xml").read_bytes() == feed_before) is feed_kept
    if feed_kept:
        assert_consistent(show)  # the old feed still points at files that are all there
    guids = {i["title"]: i["guid"] for i in feed_items(show)}
    again = run_cli("publish", "--workspace", str(show))
    assert again.code == 0, again.stderr
    items = feed_items(show)
    assert [i["title"] for i in items] == ["Episode 4", "Episode 3", "Mailbag: Four Rules for a Better Offsite",
                                           "Let's Take This Offline: Why Meeting in Person Matters"]
    assert all(guids.get(i["title"], i["guid"]) == i["guid"] for i in items)  # nothing re-numbered
    assert_consistent(show)
    assert not list((show / "public").rglob(".castline-tmp-*"))
    final = run_cli("publish", "--json", "--workspace", str(show))
    assert json.loads(final.stdout)["uploads"] == []  # and it is finished: a third run has nothing to do


# -- two publishes at once ------------------------------------------------------------------------------------

LOCK_HELD = re.compile(r"error: public/: another publish of this show is running \(lease \.castline/lock held by "
                       r"studio-mac:4242 since 2024-05-01 09:00:00 UTC, renewed until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d "
                       r"UTC\); wait for it to finish; if that machine is gone for good, run castline unlock")


def _hold_lock(show: Path, expires: float) -> None:
    lock = show / "public" / ".castline" / "lock"
    lock.write_text(json.dumps({"owner": "studio-mac:4242", "token": "t", "since": 1714554000.0,
                                "expires": expires}))


def test_lock_already_held_stops_with_a_clear_message(show: Path, run_cli) -> None:
    import time

    retitle_002(show)
    _hold_lock(show, time.time() + 3600)
    before = snapshot(show / "public")
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 1
    (line,) = result.stderr.splitlines()
    assert LOCK_HELD.fullmatch(line), line
    assert snapshot(show / "public") == before


def test_expired_lock_of_a_crashed_publish_is_taken_over(show: Path, run_cli) -> None:
    retitle_002(show)
    _hold_lock(show, 1714557600.0)  # expired an hour after it was taken, long ago
    result = run_cli("publish", "--workspace", str(show))
    assert result.code == 0, result.stderr
    assert not (show / "public" / ".castline" / "lock").exists()
    assert feed_items(show)[0]["title"] == "Mailbag: Four Rules for a Better Offsite"


def test_second_publish_in_another_thread_stops_while_the_first_uploads(show: Path, monkeypatch) -> None:
    """Thread A holds the lock inside its upload; thread B, building the same
    change meanwhile (same cache, same tags), must stop with the lock message
    and touch nothing; then A finishes and the state holds every GUID."""
    from pipeline.store import local as localstore
    from pipeline.config.settings import load_settings
    from pipeline.errors import StateError
    from pipeline.publish.recipe import publish

    retitle_002(show)
    add_episode(show, "003-tone", 3)
    inside, release = threading.Event(), threading.Event()
    original = localstore.LocalStore.put

    def slow_put(self, *args, **kwargs):
        if threading.current_thread().name == "A" and not inside.is_set():
            inside.set()
            assert release.wait(30)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(localstore.LocalStore, "put", slow_put)
    outcome: dict[str, object] = {}

    def run(name: str) -> None:
        try:
            outcome[name] = publish(load_settings(show))
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            outcome[name] = exc

    a = threading.Thread(target=run, args=("A",), name="A")
    a.start()
    assert inside.wait(60)
    run("B")
    release.set()
    a.join(60)
    assert isinstance(outcome["B"], StateError), outcome["B"]
    assert str(outcome["B"]).startswith("public/: another publish of this show is running (lease .castline/lock held by ")
    assert outcome["A"].problems == ()
    assert len(feed_items(show)) == 3
    assert_consistent(show)


def test_two_processes_publishing_at_once_never_corrupt_the_state(show: Path) -> None:
    """Two real `castline publish` processes on one show, started together:
    each either finishes or stops with one of the two clear messages, and
    the published state is valid JSON holding every GUID in the feed."""
    retitle_002(show)
    add_episode(show, "003-tone", 3)
    cmd = [sys.executable, "-m", "cli", "publish", "--workspace", str(show)]
    procs = [subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [(p.wait(120), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    assert any(code == 0 for code, _ in results), results
    for code, stderr in results:
        assert "Traceback" not in stderr
        if code != 0:
            assert code == 1
            (line,) = stderr.splitlines()
            assert (line.startswith("error: public/: another publish of this show is running")
                    or line.startswith("error: public/.castline/state.json: another publish changed the show")), line
    assert len(feed_items(show)) == 3
    assert_consistent(show)
    assert not (show / "public" / ".castline" / "lock").exists()


# -- help -----------------------------------------------------------------------------------------------------

def _commands() -> dict:
    import cli

    group = typer.main.get_command(cli.app)
    return dict(group.commands)


def test_every_command_has_help_with_an_example_and_is_in_the_readme(run_cli) -> None:
    readme = (REPO / "README.md").read_text()
    table = readme.split("## Commands", 1)[1].split("\n## ", 1)[0]
    commands = _commands()
    assert {"init", "new", "check", "status", "publish", "serve"} <= set(commands)
    for name in commands:
        result = run_cli(name, "--help")
        assert result.code == 0, (name, result.stderr)
        example = re.search(r"Example: (castline .+)", result.stdout)
        assert example and example.group(1).split()[1] == name, (name, result.stdout)
        assert f"| `castline {name}" in table, f"castline {name} is missing from README's Commands table"


def test_ctrl_c_is_one_line_and_exit_130(show: Path, run_cli, monkeypatch) -> None:
    import pipeline.ingest.folder as folder

    monkeypatch.setattr(folder, "read_notes", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    result = run_cli("check", "--no-store", "--workspace", str(show))
    assert result.code == 130
    assert result.stderr.splitlines() == [INTERRUPTED]


def test_quickstart_is_two_commands_and_ci_runs_the_second() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("castline publish")
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert ci[-1] == commands[1]


# -- usage errors: typer's message, exit 2, never a traceback, never click -------------------------------------

def castline(*args: str) -> subprocess.CompletedProcess:
    """``castline ARGS`` in a fresh process where ``import click`` fails:
    castline needs typer only (typer 0.29 carries its own click)."""
    code = "import sys; sys.modules['click'] = None; import cli; cli.main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO, timeout=60)


def _usage(command: str, error: str) -> list[str]:
    usage = "castline [OPTIONS] COMMAND [ARGS]..." if not command else f"castline {command} [OPTIONS]"
    return [f"Usage: {usage}", f"Try 'castline {command + ' ' if command else ''}-h' for help.", "", f"Error: {error}"]


@pytest.mark.parametrize("args, expected", [
    (["help"], _usage("", "No such command 'help'.")),
    (["nosuch"], _usage("", "No such command 'nosuch'.")),
    (["--bogus"], _usage("", "No such option: --bogus")),
    (["publish", "--bogus"], [line.replace("[OPTIONS]", "[OPTIONS] [slugs]...") for line in
                              _usage("publish", "No such option: --bogus")]),
    (["serve", "--port", "notaport"], _usage("serve", "Invalid value for '--port' / '-p': Input should be a valid "
                                                      "integer, unable to parse string as an integer")),
    (["serve", "--port", "70000"], _usage("serve", "Invalid value for '--port' / '-p': Input should be less than or "
                                                   "equal to 65535")),
    (["init"], [line.replace("[OPTIONS]", "[OPTIONS] {DIR}") for line in _usage("init", "Missing argument 'DIR'.")]),
], ids=["help", "nosuch", "bogus-option", "publish-bogus", "port-not-a-number", "port-too-big", "init-no-dir"])
def test_usage_errors_are_typers_usage_and_one_error_line_exit_2(args, expected) -> None:
    result = castline(*args)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == expected
    assert result.stdout == ""
    assert "Traceback" not in result.stderr and "click" not in result.stderr


def test_castline_alone_prints_the_help_and_exits_2() -> None:
    """No command is a usage error (typer's rule): the help, on stderr, exit 2."""
    result = castline()
    assert result.returncode == 2
    assert result.stderr.startswith("Usage: castline [OPTIONS] COMMAND [ARGS]...\n")
    for name in ("init", "new", "check", "status", "publish", "serve", "--version", "-h, --help"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr and "click" not in result.stderr


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_flags_print_the_help_and_exit_0(flag: str) -> None:
    result = castline(flag)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: castline [OPTIONS] COMMAND [ARGS]...\n")


def test_version_prints_the_installed_version() -> None:
    from importlib.metadata import version

    result = castline("--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, f"castline {version('castline')}\n", "")


def test_castline_never_imports_click() -> None:
    """typer is the declared dependency; click is not (typer 0.29 no longer installs it)."""
    sources = [REPO / "cli.py", *(REPO / "pipeline").rglob("*.py"), *(REPO / "feeds").rglob("*.py")]
    offenders = [str(p.relative_to(REPO)) for p in sources
                 if re.search(r"^\s*(import click|from click\b)", p.read_text(), re.M)]
    assert offenders == []


def test_a_bug_is_an_internal_error_line_exit_2(run_cli, monkeypatch, tmp_path: Path) -> None:
    import pipeline.scaffold

    monkeypatch.setattr(pipeline.scaffold, "init", lambda directory: 1 / 0)
    result = run_cli("init", str(tmp_path / "x"))
    assert result.code == 2
    assert result.stderr.splitlines() == ["internal error: ZeroDivisionError: division by zero (set CASTLINE_DEBUG=1 "
                                          "for the traceback, and please report it)"]


def test_debug_output_is_castlines_own(sample_show: Path) -> None:
    """CASTLINE_DEBUG=1 shows castline's debug lines, not markdown-it's (or any other library's)."""
    import os

    env = {**os.environ, "CASTLINE_DEBUG": "1"}
    proc = subprocess.run([sys.executable, "-m", "cli", "check", "--no-store", "--workspace", str(sample_show)],
                          capture_output=True, text=True, cwd=REPO, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert all(line.startswith(("debug: ", "info: ", "warning: ")) for line in lines), lines[:5]
    assert not any("markdown_it" in line or "entering" in line for line in lines)


# -- host text on the terminal --------------------------------------------------------------------------------

HOSTILE_TITLE = r'"Bold [/bold] [red]x\e[2J\e]0;pwned\a :smile: end"'


def test_status_prints_titles_literally_without_escapes(sample_show: Path, run_cli) -> None:
    show = sample_show
    path = show / NOTES2
    text = path.read_text()
    hostile = "title = " + HOSTILE_TITLE.replace(r"\e", r"\u001b").replace(r"\a", r"\u0007")  # TOML front matter
    path.write_text(re.sub(r"(?m)^title = .*$", lambda _: hostile, text, count=1))
    config = show / "config.toml"
    config.write_text(config.read_text().replace('title = "Marketing Smarts"', 'title = "Smarts [/b] \\u001b[2J"'))
    result = run_cli("status", "--workspace", str(show))
    assert result.code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "Smarts [/b] [2J: 2 episodes" in result.stdout
    flat = re.sub(r"\s*│\s*", " ", result.stdout)  # titles may fold over two lines of the table
    assert "[/bold]" in result.stdout and "[red]x" in result.stdout and ":smile:" in flat


@pytest.mark.parametrize("arg", ["--bad\x1b[31mred", "slug\nwith-a-line", "\u202eevil", "tab\there"])
def test_a_control_character_on_the_command_line_is_one_line_never_echoed(run_cli, arg: str) -> None:
    result = run_cli("publish", arg)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "argument 2" in result.stderr and "control character" in result.stderr
    assert not any(ord(c) < 32 or 0x202A <= ord(c) <= 0x202E for c in result.stderr.rstrip("\n"))
