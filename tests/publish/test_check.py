"""castline check: every mistake in the show, found at once, nothing published."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path

from pipeline.publish import CheckReport, check
from pipeline.config.settings import load_settings
from pipeline.errors import ArtError, AudioError, FeedError, NotesError, StoreError
from pipeline.scaffold.make import init, new_episode
from tests._showfiles import picture, tone

EP1 = "001-lets-take-this-offline"
EP2 = "002-mailbag-better-offsites"
NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """The show folder as the host sees it; castline's local cache (probe
    results, safe to delete, never published) is not part of the show."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
            if not str(p.relative_to(root)).startswith(".castline")}


def lines(report: CheckReport) -> list[str]:
    return [str(p) for p in report.problems]


def test_sample_show_checks_clean_and_writes_nothing(sample_show: Path) -> None:
    before = tree(sample_show)
    report = check(load_settings(sample_show), now=NOW, check_store=False)
    assert lines(report) == [] and report.warnings == ()
    assert report.episodes_checked == 2 and report.ok
    assert tree(sample_show) == before


def test_a_second_check_probes_nothing(sample_show: Path, monkeypatch) -> None:
    """Probe results are cached by path, size and mtime: an unchanged show
    is checked without starting ffmpeg; a changed recording is probed again."""
    import pipeline.publish.checks as checks

    settings = load_settings(sample_show)
    assert check(settings, now=NOW, check_store=False).ok
    calls = []
    real = checks.probe
    monkeypatch.setattr(checks, "probe", lambda path, ffmpeg: calls.append(path.name) or real(path, ffmpeg))
    assert check(settings, now=NOW, check_store=False).ok
    assert calls == []
    mp3 = sample_show / "episodes" / "002-mailbag-better-offsites.mp3"
    mp3.write_bytes(mp3.read_bytes() + b"\0")
    check(settings, now=NOW, check_store=False)
    assert calls == [mp3.name]


PLACEHOLDERS_LEFT = [
    "config.toml:9: show.description: is still the placeholder `castline init` wrote; describe the show in a sentence "
    "or two: who it is for and what they hear",
    "config.toml:14: show.author: 'Your Name' is the placeholder `castline init` wrote; write the name of the show's "
    "maker (the byline apps show)",
    "config.toml:19: show.base_url: 'https://your-show.example.com/' is the placeholder `castline init` wrote; set it "
    "to the public URL where the published show is served (your site or CDN), like https://podcast.yoursite.com/",
    "art/cover.jpg: is the placeholder art `castline init` made; replace it with your show art: a square JPEG or PNG, "
    "1400 to 3000 px",
]


def make_it_mine(show: Path) -> None:
    """What the host does after init: a description, a name, the URL, real art."""
    from pipeline.scaffold.make import PLACEHOLDER_BASE_URL, PLACEHOLDER_DESCRIPTION

    config = show / "config.toml"
    config.write_text(config.read_text().replace(PLACEHOLDER_DESCRIPTION, "A show about side projects.")
                      .replace('"Your Name"', '"Ada Lovelace"', 1)
                      .replace(PLACEHOLDER_BASE_URL, "https://side.example.net/"))
    picture(show / "art/cover.jpg", 1400, 1400)


def test_new_show_from_init_checks_clean_once_recorded_and_made_its_own(tmp_path: Path) -> None:
    show = tmp_path / "side-project"
    init(show, today=date(2024, 5, 1))
    settings = load_settings(show)
    report = check(settings, now=NOW)
    assert lines(report) == [*PLACEHOLDERS_LEFT, "show_notes/001-welcome.md: has no recording; put the audio at "
                             "episodes/001-welcome.wav (or .flac, .mp3, .m4a, .ogg), or name it in `audio:`"]
    tone(show / "episodes/001-welcome.wav")
    assert lines(check(settings, now=NOW)) == PLACEHOLDERS_LEFT  # the placeholders stay errors until edited
    make_it_mine(show)
    settings = load_settings(show)
    report = check(settings, now=NOW)
    assert report.problems == ()
    assert report.warnings == ("config.toml: show.email: feed <itunes:owner> give an owner email: "
                               "Apple uses it to confirm ownership",)  # commented out in the new config
    assert (show / "public").is_dir()  # the local store was checked: made and writable


def test_many_mistakes_are_reported_together(sample_show: Path) -> None:
    show = sample_show
    (show / f"episodes/{EP2}.mp3").write_bytes(b"ID3 this is not really an mp3" * 50)  # corrupt recording
    picture(show / f"episodes/{EP1}.jpg", 1400, 1000)  # non-square episode art
    vtt = show / f"episodes/{EP1}.vtt"
    vtt.write_text(vtt.read_text().replace("00:00:15.840 --> 00:00:24.400", "00:00:15.840 -> 00:00:24.400"))
    notes = show / f"show_notes/{EP1}.md"
    notes.write_text(notes.read_text() + "\n" + "A paragraph that goes on about offices and hallways. " * 80 + "\n")
    config = show / "config.toml"
    long_text = "A show about marketing. " * 200
    config.write_text(config.read_text().replace("Conversations with the people", long_text + "\n\nConversations"))
    (show / "audio").mkdir()
    (show / "audio/intro.wav").write_bytes(b"RIFF....WAVEjunk")  # an intro that does not decode
    config.write_text(config.read_text().replace("[audio]\n", '[audio]\nintro = "audio/intro.wav"\n'))
    settings = load_settings(show)
    made = new_episode(settings.root, settings.show, "Episode 3: Numbers in titles", today=date(2024, 5, 1))
    tone(made.audio_hint)
    (show / "show_notes/004-broken.md").write_text("---\ntitle: Broken\ndate: someday\n---\nBody\n")
    tone(show / "episodes/004-broken.wav")

    report = check(settings, now=NOW)
    found = lines(report)
    expected = [
        (ArtError, rf"^episodes/{EP1}\.jpg: is 1400x1000 px; Apple requires a square image"),
        (NotesError, rf"^episodes/{EP1}\.vtt:6: expected a cue timing line with '-->'"),
        (AudioError, rf"^episodes/{EP2}\.mp3: is not audio ffmpeg can read"),
        (AudioError, r"^audio/intro\.wav: is not audio ffmpeg can read"),
        (FeedError, r"^config\.toml: show\.description: feed <description> is (\d+) bytes in the feed, (\d+) over "
                    r"Apple's limit of 4000: shorten it$"),
        (NotesError, r"^show_notes/004-broken\.md:3: date: 'someday' is not a date"),
    ]
    for kind, pattern in expected:
        hits = [p for p in report.problems if re.search(pattern, str(p))]
        assert len(hits) == 1 and isinstance(hits[0], kind), (pattern, found)
    assert len(found) == len(expected), found
    size, over = map(int, re.search(r"is (\d+) bytes in the feed, (\d+) over", "\n".join(found)).groups())
    assert size - over == 4000 and size > len(long_text.encode())
    assert all("\n" not in line for line in found + list(report.warnings))

    warnings = "\n".join(report.warnings)
    m = re.search(rf"^show_notes/{EP1}\.md: feed <description> is (\d+) bytes in the feed, (\d+) over Apple's limit "
                  r"of 4000; Apple cuts it \(the full notes stay in content:encoded\): shorten the notes$", warnings, re.M)
    assert m and int(m.group(1)) - int(m.group(2)) == 4000, warnings
    assert re.search(rf"^show_notes/{made.slug}\.md: feed <title> 'Episode 3: Numbers in titles' carries an episode "
                     "number", warnings, re.M), warnings
    assert len(report.warnings) == 2, warnings
    assert report.episodes_checked == 4


def test_drafts_and_future_episodes_are_warnings(sample_show: Path) -> None:
    notes = sample_show / f"show_notes/{EP1}.md"
    notes.write_text(notes.read_text().replace("type: full\n", "type: full\ndraft: true\n"))
    report = check(load_settings(sample_show), now=datetime(2012, 4, 1, tzinfo=timezone.utc), check_store=False)
    assert report.problems == ()
    assert report.warnings == (
        f"show_notes/{EP1}.md: is a draft: publish leaves it out until you remove `draft: true`",
        f"show_notes/{EP2}.md: is dated 2012-04-04T09:00-04:00: publish leaves it out until then",
    )


def test_an_unreachable_store_is_a_problem_unless_skipped(sample_show: Path) -> None:
    (sample_show / "public").write_text("a file where the store folder should be")
    settings = load_settings(sample_show)
    (problem,) = check(settings, now=NOW).problems
    assert isinstance(problem, StoreError)
    assert check(settings, now=NOW, check_store=False).problems == ()


def test_a_channel_rule_names_the_config_key(sample_show: Path) -> None:
    config = sample_show / "config.toml"
    config.write_text(config.read_text().replace('email = "podcast@example.com"\n', ""))
    report = check(load_settings(sample_show), now=NOW, check_store=False)
    assert report.problems == ()
    assert report.warnings == ("config.toml: show.email: feed <itunes:owner> give an owner email: "
                               "Apple uses it to confirm ownership",)


def test_a_main_format_apple_cannot_play_is_named_on_each_episode(sample_show: Path) -> None:
    config = sample_show / "config.toml"
    config.write_text(config.read_text().replace("[audio]\n", '[audio]\nformat = "opus"\n'))
    found = lines(check(load_settings(sample_show), now=NOW, check_store=False))
    assert found == [f"show_notes/{ep}.md: feed <enclosure> type 'audio/ogg' does not play in Apple Podcasts; "
                     "publish MP3 or M4A as the main enclosure" for ep in (EP1, EP2)]


def test_placeholder_title_is_named_too(tmp_path: Path) -> None:
    show = tmp_path / "___"  # no words to make a title of
    init(show, today=date(2024, 5, 1))
    tone(show / "episodes/001-welcome.wav")
    assert lines(check(load_settings(show), now=NOW, check_store=False))[0] == (
        "config.toml:7: show.title: 'My Show' is the placeholder `castline init` wrote; give the show its name")


def test_check_of_an_untouched_init_show_fails_through_the_cli(tmp_path: Path, run_cli) -> None:
    show = tmp_path / "fresh"
    init(show, today=date(2024, 5, 1))
    tone(show / "episodes/001-welcome.wav")
    result = run_cli("check", "--no-store", "--workspace", str(show))
    assert result.code == 1
    assert result.stderr.splitlines() == [
        "warning: config.toml: show.email: feed <itunes:owner> give an owner email: Apple uses it to confirm ownership",
        *(f"error: {line}" for line in PLACEHOLDERS_LEFT), "4 problem(s) found in 1 episode(s)"]
