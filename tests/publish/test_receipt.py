"""A publish with nothing to do answers from its receipt (pipeline/publish/receipt.py):
the same report as the full path, none of the feed, page or audio code
loaded, and any change at all (a notes edit of the same size, a recording
touched, a template, the config, an object lost from the store, the state
rewritten, a scheduled date reached) takes the full path again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

import pipeline.publish.recipe as publish_module
from pipeline.config.settings import load_settings
from pipeline.tools.tempfiles import CACHE_DIR, temp_prefix
from pipeline.publish.recipe import PublishOptions, publish
from tests.conftest import REPO

EP1, EP2 = "001-lets-take-this-offline", "002-mailbag-better-offsites"
RECEIPT = Path(CACHE_DIR) / "receipt.json"
HEAVY = ("feedgen", "lxml", "jinja2", "markdown_it", "mutagen", "PIL", "numpy", "yaml", "boto3", "webvtt", "srt",
         "requests", "pipeline.site.render", "pipeline.site.pages", "pipeline.build.episode", "pipeline.build.media",
         "pipeline.build.plan", "pipeline.ingest.folder", "pipeline.ingest.notes", "pipeline.audio",
         "pipeline.tags", "pipeline.publish.checks", "pipeline.store.serve")


@pytest.fixture
def full_runs(monkeypatch) -> list[int]:
    """Counts the publishes that took the full path (in this process)."""
    calls: list[int] = []
    real = publish_module._publish

    def counted(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(publish_module, "_publish", counted)
    return calls


def castline_json(show: Path, *args: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "cli", "publish", "--json", *args, "--workspace", str(show)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_the_receipt_gives_the_full_paths_report(published_copy: Path) -> None:
    show = published_copy
    notes = show / "show_notes" / f"{EP2}.md"
    notes.write_text(notes.read_text().replace("number = 2\n", "number = 2\ndraft = true\n", 1))  # -> removed
    (show / "show_notes" / "004-future.md").write_text("---\ntitle: Later\ndate: 2999-01-01\n---\nSoon.\n")
    (show / "episodes" / "004-future.wav").write_bytes(next((show / "episodes").glob(f"{EP2}.*")).read_bytes())
    first = castline_json(show)  # takes EP2 out of the feed, writes the receipt
    assert {r["slug"]: r["state"] for r in first["episodes"]} == {
        EP1: "published", EP2: "removed", "004-future": "scheduled"}
    assert first["uploads"] and (show / RECEIPT).is_file()
    fast = castline_json(show)
    (show / RECEIPT).unlink()
    full = castline_json(show)  # the full path, which writes the receipt again
    assert fast == full
    assert full["uploads"] == [] and full["unchanged"] > 0
    assert castline_json(show) == full
    dry = castline_json(show, "--dry-run")
    assert dry == {**full, "dry_run": True}


def test_a_no_op_loads_no_feed_page_or_audio_code(published_copy: Path) -> None:
    show = published_copy
    castline_json(show)
    code = ("import sys, cli\n"
            f"sys.argv = ['castline', 'publish', '--workspace', {str(show)!r}]\n"
            "try:\n    cli.main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            f"print('LOADED', [m for m in {HEAVY!r} if m in sys.modules])\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "uploaded 0 objects" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "LOADED []"


def _same_size_edit(show: Path) -> None:
    notes = show / "show_notes" / f"{EP1}.md"
    text = notes.read_text()
    notes.write_text(text.replace("Offline", "Offlinf", 1))
    assert len(notes.read_text()) == len(text)


def _touch_recording(show: Path) -> None:
    path = next((show / "episodes").glob(f"{EP1}.*"))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))


def _template(show: Path) -> None:
    (show / "templates").mkdir(exist_ok=True)
    page = (REPO / "pipeline" / "site" / "templates" / "episode.html").read_text()
    (show / "templates" / "episode.html").write_text(page.replace("</article>", "<p>Thanks!</p></article>", 1))


def _config(show: Path) -> None:
    config = show / "config.toml"
    config.write_text(config.read_text().replace('title = "Marketing Smarts"', 'title = "Marketing Smarts Daily"', 1))


def _lose_a_page(show: Path) -> None:
    (show / "public" / "episodes" / f"{EP2}.html").unlink()


def _rewrite_state(show: Path) -> None:
    state = show / "public" / ".castline" / "state.json"
    state.write_text(json.dumps(json.loads(state.read_text()), indent=4))


CHANGES = {  # a change, and whether the full path then has something to upload
    "a notes edit of the same size": (_same_size_edit, True),
    "a recording touched, same bytes": (_touch_recording, False),
    "a template in the show": (_template, True),
    "the config": (_config, True),
    "a page lost from the store": (_lose_a_page, True),
    "the state rewritten (another publish)": (_rewrite_state, False),
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_any_change_takes_the_full_path(published_copy: Path, full_runs: list[int], name: str) -> None:
    show = published_copy
    settings = load_settings(show)
    publish(settings)  # writes the receipt
    assert (show / RECEIPT).is_file()
    full_runs.clear()
    assert publish(settings).uploads == () and full_runs == []  # answered from the receipt
    change, uploads = CHANGES[name]
    change(show)
    report = publish(load_settings(show))
    assert full_runs == [1]
    assert bool(report.uploads) is uploads, report.uploads
    full_runs.clear()
    again = publish(load_settings(show))
    assert again.uploads == () and full_runs == []  # settled: the receipt again


def test_a_scheduled_date_reached_takes_the_full_path(published_copy: Path, full_runs: list[int]) -> None:
    show = published_copy
    (show / "show_notes" / "004-future.md").write_text("---\ntitle: Later\ndate: 2030-01-01\n---\nSoon.\n")
    (show / "episodes" / "004-future.wav").write_bytes(next((show / "episodes").glob(f"{EP2}.*")).read_bytes())
    settings = load_settings(show)
    publish(settings, now=datetime(2029, 1, 1, tzinfo=timezone.utc))
    full_runs.clear()
    before = publish(settings, now=datetime(2029, 12, 31, tzinfo=timezone.utc))
    assert full_runs == [] and {e.slug: str(e.state) for e in before.episodes}["004-future"] == "scheduled"
    due = publish(settings, now=datetime(2030, 1, 2, tzinfo=timezone.utc))
    assert full_runs == [1] and {e.slug: str(e.state) for e in due.episodes}["004-future"] == "new"
    assert "004-future" in (show / "public" / "feed.xml").read_text()


def test_options_that_ask_for_work_never_use_the_receipt(published_copy: Path, full_runs: list[int]) -> None:
    settings = load_settings(published_copy)
    publish(settings)
    full_runs.clear()
    for options in (PublishOptions(prune=True), PublishOptions(retag_all=True), PublishOptions(only=(EP1,)),
                    PublishOptions(skip_broken=True)):
        publish(settings, options=options)
    assert len(full_runs) == 4


def test_a_killed_runs_receipt_temp_file_is_cleaned(published_copy: Path) -> None:
    show = published_copy
    folder = show / CACHE_DIR
    host = temp_prefix().split(".")[0]
    dead = folder / f".{host}.999999999.0-receipt.partial"  # a pid that cannot be running
    dead.write_text("{")
    (show / RECEIPT).write_text("not json")  # a receipt that does not read: the full path
    report = publish(load_settings(show))
    assert not dead.exists()
    assert report.uploads == ()
    assert json.loads((show / RECEIPT).read_text())["version"] == 1


def test_a_template_edit_renders_the_pages_not_the_feed(published_copy: Path, monkeypatch) -> None:
    import pipeline.site
    import pipeline.site.render as render

    show = published_copy
    publish(load_settings(show))
    made: list[str] = []
    real_parts, real_site = pipeline.site.feed_parts, render.pages.iter_site
    monkeypatch.setattr(pipeline.site, "feed_parts", lambda *a, **k: made.append("feed") or real_parts(*a, **k))
    monkeypatch.setattr(render.pages, "iter_site", lambda *a, **k: made.append("site") or real_site(*a, **k))
    feed_before = (show / "public" / "feed.xml").read_bytes()
    _template(show)
    report = publish(load_settings(show))
    assert made == ["site"]
    assert {k for k, _ in report.uploads} == {f"episodes/{EP1}.html", f"episodes/{EP2}.html"}
    assert "<p>Thanks!</p>" in (show / "public" / "episodes" / f"{EP1}.html").read_text()
    assert (show / "public" / "feed.xml").read_bytes() == feed_before
    made.clear()
    _same_size_edit(show)  # an episode's notes: the feed and the pages
    publish(load_settings(show))
    assert made == ["feed", "site"]
    made.clear()
    (show / RECEIPT).unlink()
    assert publish(load_settings(show)).uploads == () and made == []  # the full path, nothing stale: nothing rendered


def test_a_template_edit_reuses_the_rendered_notes(published_copy: Path) -> None:
    """The notes' HTML and text are remembered by content between runs
    (pipeline/ingest/notes.py Memo): re-rendering the pages loads no Markdown
    parser, and the pages are byte for byte what a fresh render gives."""
    show = published_copy
    castline_json(show)
    assert (show / CACHE_DIR / "notes.json").is_file()
    _template(show)
    code = ("import sys, cli\n"
            f"sys.argv = ['castline', 'publish', '--workspace', {str(show)!r}]\n"
            "try:\n    cli.main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print('MARKDOWN', 'markdown_it' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "MARKDOWN False"
    assert "uploaded 2 objects" in proc.stdout
    pages = {p.name: p.read_bytes() for p in (show / "public" / "episodes").glob("*.html")}
    (show / CACHE_DIR / "notes.json").write_text('{"version": "x", "entries": {"a": 1}}')  # another version: unused
    (show / "public" / "episodes" / f"{EP1}.html").unlink()
    (show / RECEIPT).unlink()
    state = show / "public" / ".castline" / "state.json"
    doc = json.loads(state.read_text())
    doc["rendered"] = {}  # forget what was rendered: every page again, from the Markdown
    state.write_text(json.dumps(doc))
    castline_json(show)
    assert {p.name: p.read_bytes() for p in (show / "public" / "episodes").glob("*.html")} == pages


def test_after_a_first_publish_the_receipt_and_the_full_path_agree(sample_show: Path) -> None:
    first = castline_json(sample_show)
    assert first["unchanged"] == 0 and first["uploads"]
    fast = castline_json(sample_show)
    (sample_show / RECEIPT).unlink()
    full = castline_json(sample_show)
    assert fast == full  # the published media counts as unchanged on both paths
    assert full["unchanged"] == len(first["uploads"])
