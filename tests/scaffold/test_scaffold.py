"""castline init and castline new: the files they write load, ingest and say
everything the host may set."""

from __future__ import annotations

import re
import tomllib
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

import pipeline.scaffold.make as scaffold
from pipeline.tools.images import check_art
from pipeline.config.settings import load_settings
from pipeline.errors import ConfigError, NotesError
from pipeline.ingest.frontmatter import read_notes
from pipeline.ingest.folder import FIELDS, ingest
from pipeline.model import AudioSettings, NotifySettings, Show, StorageSettings
from pipeline.scaffold.make import init, new_episode, next_number, next_steps, slugify
from tests._showfiles import picture, tone, uncomment

DAY = date(2024, 5, 1)
# Show fields that config.toml spells differently (or derives).
_CONFIG_NAME_OF = {"host_bio": "host_box", "host_links": "host_box", "value_recipients": "value"}


@pytest.fixture
def show(tmp_path: Path) -> Path:
    target = tmp_path / "side-project_cast"
    init(target, today=DAY)
    return target


def test_init_makes_a_show_that_loads_and_names_the_missing_recording(tmp_path: Path) -> None:
    target = tmp_path / "new" / "side-project_cast"  # parents are made too
    created = init(target, today=DAY)
    names = {p.relative_to(target).as_posix() for p in created if p != target}
    assert names == {"config.toml", ".gitignore", "episodes", "show_notes", "templates", "templates/README.txt", "art",
                     "art/cover.jpg", "show_notes/001-welcome.md"}
    assert all(p.exists() for p in created)
    settings = load_settings(target)
    assert settings.show.title == "Side Project Cast"
    assert settings.show.image == (target / "art/cover.jpg").resolve()
    art = check_art(settings.show.image)
    assert (art.width, art.height, art.format, art.mode, art.fixes) == (1400, 1400, "JPEG", "RGB", ())
    (problem,) = ingest(settings.ingest).problems
    assert str(problem).startswith("show_notes/001-welcome.md: has no recording; put the audio at episodes/001-welcome.wav")
    assert (target / ".gitignore").read_text().split() == ["#", "Generated", "by", "castline:", "the", "published",
                                                          "tree", "and", "the", "build", "cache.", "public/", ".castline/"]
    assert "overrides the built-in one" in (target / "templates/README.txt").read_text()
    assert list((target / "episodes").iterdir()) == []


def test_init_welcome_episode_ingests_once_its_recording_is_there(show: Path) -> None:
    tone(show / "episodes/001-welcome.wav")
    found = ingest(load_settings(show).ingest)
    assert found.problems == ()
    (ep,) = found.episodes
    assert (ep.title, ep.number, ep.date.date()) == ("Welcome to the show", 1, DAY)
    assert "## What you will hear" in ep.body and "episodes/001-welcome.wav" in ep.body


def test_init_refuses_a_folder_with_a_show(show: Path) -> None:
    before = (show / "config.toml").read_bytes()
    with pytest.raises(ConfigError) as caught:
        init(show)
    assert str(caught.value) == (f"{show / 'config.toml'}: there is already a show here; "
                                 "choose a new folder for `castline init`, or edit this config.toml")
    assert (show / "config.toml").read_bytes() == before


def test_init_keeps_files_that_are_already_there(tmp_path: Path) -> None:
    (tmp_path / "art").mkdir()
    Image.new("RGB", (2000, 2000), (1, 2, 3)).save(tmp_path / "art/cover.jpg")
    created = init(tmp_path)
    assert tmp_path / "art/cover.jpg" not in created
    assert check_art(tmp_path / "art/cover.jpg").width == 2000


def test_config_template_shows_every_key_and_each_example_is_valid(show: Path) -> None:
    text = (show / "config.toml").read_text()
    live = tomllib.loads(uncomment(text, "toml"))
    known = {
        "show": {_CONFIG_NAME_OF.get(f.name, f.name) for f in fields(Show)},
        "audio": {f.name for f in fields(AudioSettings)},
        "storage": {f.name for f in fields(StorageSettings)},
        "notify": {f.name for f in fields(NotifySettings)},
    }
    assert {section: set(table) for section, table in live.items()} == known
    # every commented line has a sentence above it
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^#? ?[a-z0-9_]+ = ", line):
            assert lines[i - 1].startswith("# ") and not re.match(r"^# [a-z0-9_]+ = ", lines[i - 1]), line
    # and uncommented, the examples load (intro/outro must exist)
    tone(show / "audio/intro.wav")
    tone(show / "audio/outro.wav")
    (show / "config.toml").write_text(uncomment(text, "toml"))
    settings = load_settings(show)
    assert settings.show.email == "you@example.com"
    assert settings.show.host_links[0].url == "https://example.com/"
    assert settings.audio.alternates == ("opus",) and settings.audio.intro == (show / "audio/intro.wav").resolve()
    assert settings.storage.region == "us-east-1"


def test_notes_template_shows_every_field_and_each_example_is_valid(show: Path) -> None:
    path = show / "show_notes/001-welcome.md"
    path.write_text(uncomment(path.read_text(), "yaml"))
    notes = read_notes(path, Path(path.name))
    assert set(notes.fields) == set(FIELDS)
    tone(show / "episodes/001-welcome.wav")
    picture(show / "episodes/001-welcome.jpg")
    (show / "episodes/001-welcome.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n")
    found = ingest(load_settings(show).ingest)
    assert found.problems == ()
    (ep,) = found.episodes
    assert ep.draft and ep.guests[0].name == "Jane Doe" and [c.title for c in ep.chapters][-1] == "The main topic"


@pytest.mark.parametrize("title,slug", [
    ("Our First Guest", "002-our-first-guest"),
    ('Ep: "Quotes", colons & it\'s #3', "002-ep-quotes-colons-its-3"),
    ("yes", "002-yes"),
    ("- starts with a dash", "002-starts-with-a-dash"),
    ("Café Ünïcode: naïve façade — Ærø", "002-cafe-unicode-naive-facade-r"),
    ("日本語のタイトル", "002-episode"),
])
def test_new_episode_ingests_with_its_title_number_and_date(show: Path, title: str, slug: str) -> None:
    settings = load_settings(show)
    made = new_episode(settings.root, settings.show, title, today=DAY)
    assert (made.number, made.slug) == (2, slug)
    assert made.notes_path == show / f"show_notes/{slug}.md"
    assert made.audio_hint == show / f"episodes/{slug}.wav"
    tone(show / "episodes/001-welcome.wav")
    tone(made.audio_hint)
    found = ingest(settings.ingest)
    assert found.problems == ()
    ep = next(e for e in found.episodes if e.slug == slug)
    assert (ep.title, ep.number, ep.date.date(), ep.audio_path) == (title, 2, DAY, made.audio_hint)
    assert ep.date.tzinfo is not None


def test_new_episode_dates_today_in_the_show_time_zone(show: Path) -> None:
    config = show / "config.toml"
    config.write_text(config.read_text().replace('# timezone = "UTC"', 'timezone = "Pacific/Kiritimati"'))
    made = new_episode(show, load_settings(show).show, "Today")
    kiritimati_today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()  # UTC+14: often "tomorrow" in UTC
    assert read_notes(made.notes_path, Path("x")).fields["date"] == kiritimati_today


def test_new_episode_hints_the_recording_already_there(show: Path) -> None:
    tone(show / "episodes/002-recorded-first.flac")
    made = new_episode(show, load_settings(show).show, "Recorded first", today=DAY)
    assert made.audio_hint == show / "episodes/002-recorded-first.flac"


def test_next_number_counts_files_ingest_rejects(show: Path) -> None:
    notes = show / "show_notes"
    (notes / "bonus-interview.md").write_text("---\ntitle: Bonus\nnumber: 7\ndate: last tuesday\n---\nbody\n")
    assert next_number(notes) == 8
    (notes / "010-broken.md").write_text("---\ntitle: [unclosed\nnumber: 3\n---\n")  # YAML fails: its name counts
    assert next_number(notes) == 11
    (notes / "zz.md").write_text('+++\ntitle = "T"\nnumber = "12"\n+++\n')
    assert next_number(notes) == 13
    assert next_number(show / "nowhere") == 1


def test_new_episode_refuses_to_overwrite_notes(show: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scaffold, "next_number", lambda notes_dir: 1)
    path = show / "show_notes/001-welcome.md"
    before = path.read_bytes()
    with pytest.raises(NotesError) as caught:
        new_episode(show, load_settings(show).show, "Welcome", today=DAY)
    assert str(caught.value) == "show_notes/001-welcome.md: already exists; edit that file, or choose another title"
    assert path.read_bytes() == before


def test_new_episode_refuses_an_empty_title(show: Path) -> None:
    with pytest.raises(NotesError, match="the title is empty"):
        new_episode(show, load_settings(show).show, "   ")
    assert next_number(show / "show_notes") == 2


@pytest.mark.parametrize("title,expected", [
    ("Hello, World!", "hello-world"),
    ("Crème brûlée & Straße", "creme-brulee-strae"),
    ("It's 10:30 — let's go", "its-10-30-lets-go"),
    ("word " * 30, "-".join(["word"] * 10)),
    ("x" * 80, "x" * 50),
    ("!!!", "episode"),
])
def test_slugify(title: str, expected: str) -> None:
    slug = slugify(title)
    assert slug == expected
    assert len(slug) <= 50 and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)


def test_next_steps_name_the_files_init_wrote(show: Path) -> None:
    steps = next_steps(show)
    for name in ("config.toml", "art/cover.jpg", "episodes/001-welcome.wav", "show_notes/001-welcome.md"):
        assert any(name in step for step in steps), name
        assert (show / name).exists() or name.startswith("episodes/")
    assert steps[-1] == f"cd {show} && castline check, then castline publish"


def test_init_writes_the_placeholders_that_check_names(show: Path) -> None:
    """One definition: what init writes is what placeholder_problems looks for."""
    settings = load_settings(show)
    found = scaffold.placeholder_problems(settings.root, settings.show)
    assert [p.field for p in found] == ["show.description", "show.author", "show.base_url", None]
    assert settings.show.base_url == scaffold.PLACEHOLDER_BASE_URL and settings.show.author == "Your Name"
    assert scaffold.is_placeholder_art(show / "art/cover.jpg")
    picture(show / "art/cover.jpg")
    assert not scaffold.is_placeholder_art(show / "art/cover.jpg")
    assert not scaffold.is_placeholder_art(show / "config.toml")


def test_new_episode_title_is_cleaned(show: Path) -> None:
    made = new_episode(show, load_settings(show).show, "  Hello\x1b[2J\x07 \n world  ", today=DAY)
    assert read_notes(made.notes_path, Path("x")).fields["title"] == "Hello[2J world"
