"""Show notes: the format, and every mistake reported with file and line."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.ingest import ingest

NOTES = "show_notes/001-lets-take-this-offline.md"


def write(show: Path, name: str, text: str) -> Path:
    path = show / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems(show: Path) -> list[str]:
    return [str(p) for p in ingest(load_settings(show)).problems]


def test_sample_show_ingests(sample_show: Path) -> None:
    found = ingest(load_settings(sample_show))
    assert found.problems == ()
    first, second = found.episodes
    assert first.slug == "001-lets-take-this-offline"
    assert first.title == "Let's Take This Offline: Why Meeting in Person Matters"
    assert first.date.astimezone(timezone.utc) == datetime(2012, 3, 28, 13, 0, tzinfo=timezone.utc)  # New York, EDT
    assert first.audio_path.name == "001-lets-take-this-offline.flac"
    assert first.image and first.image.name == "001-lets-take-this-offline.jpg"
    assert first.transcript and first.transcript.suffix == ".vtt"
    assert [g.name for g in first.guests] == ["Jonah Lehrer"]
    assert [(c.start, c.title) for c in first.chapters][:2] == [(0.0, "Introduction"), (14.0, "Why proximity breeds ideas")]
    assert "> Email is great for coordination" in first.body
    assert second.type == "bonus" and second.number == 2  # TOML front matter
    assert second.date.utcoffset().total_seconds() == -4 * 3600


def test_bad_yaml_names_its_line(sample_show: Path) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace("season: 1\n", "season: [1\n"))
    (message,) = problems(sample_show)
    assert message.startswith(f"{NOTES}:5: bad YAML in the front matter"), message


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ("number: 1\n", "number: one\n", f"{NOTES}:3: number: 'one' is not a whole number; write `number: 3`"),
        ("date: 2012-03-28T09:00:00\n", "date: last tuesday\n",
         f"{NOTES}:5: date: 'last tuesday' is not a date; write an ISO 8601 date"),
        ("explicit: false\n", "explicit: nope\n", f"{NOTES}:7: explicit: 'nope' is not true or false"),
        ("type: full\n", "typ: full\n", f"{NOTES}:6: typ: is not a known field; did you mean `type`?"),
        ("type: full\n", "type: episode\n", f"{NOTES}:6: type: 'episode' is not allowed; use one of full, trailer, bonus"),
        ('  - start: "0:14"\n', '  - start: "soon"\n', "chapters: chapter 2 start 'soon' is not a time"),
    ],
)
def test_field_errors(sample_show: Path, old: str, new: str, expected: str) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace(old, new, 1))
    (message,) = problems(sample_show)
    assert expected in message, message


def test_notes_without_audio_and_audio_without_notes(sample_show: Path) -> None:
    write(sample_show, "show_notes/003-no-audio.md", "---\ntitle: Lost\ndate: 2012-05-01\n---\nBody\n")
    (sample_show / "episodes" / "004-orphan.mp3").write_bytes(b"x")
    found = problems(sample_show)
    assert "show_notes/003-no-audio.md: has no recording; put the audio at episodes/003-no-audio.wav" in found[0]
    assert "episodes/004-orphan.mp3: is a recording with no show notes" in found[1]


def test_duplicate_episode_number(sample_show: Path) -> None:
    src = sample_show / "episodes" / "002-mailbag-better-offsites.mp3"
    (sample_show / "episodes" / "003-copy.mp3").write_bytes(src.read_bytes())
    write(sample_show, "show_notes/003-copy.md", "---\ntitle: Copy\nnumber: 1\nseason: 1\ndate: 2012-05-01\n---\nB\n")
    (message,) = problems(sample_show)
    assert message.startswith("show_notes/003-copy.md: number: episode number 1 is also used by show_notes/001"), message


@pytest.mark.parametrize("field", ["slug: ../x", "audio: ../../etc/passwd"])
def test_paths_may_not_leave_the_show(sample_show: Path, field: str) -> None:
    path = sample_show / NOTES
    path.write_text(path.read_text().replace("type: full\n", f"type: full\n{field}\n"))
    (message,) = problems(sample_show)
    assert message.startswith(f"{NOTES}:7: {field.split(':')[0]}:"), message
    assert "not allowed" in message or "outside the show folder" in message


def test_notes_not_utf8(sample_show: Path) -> None:
    path = sample_show / NOTES
    path.write_bytes(path.read_text().replace("Offline", "Offline caf\u00e9").encode("latin-1"))
    (message,) = problems(sample_show)
    assert message.startswith(f"{NOTES}:2: is not UTF-8 text; save the file as UTF-8"), message


def test_unsupported_format(sample_show: Path) -> None:
    (sample_show / "episodes" / "005-old.wma").write_bytes(b"x")
    (message,) = problems(sample_show)
    assert message == "episodes/005-old.wma: .wma is not a format castline reads; convert it to WAV, FLAC, MP3, M4A, Ogg or Opus"
