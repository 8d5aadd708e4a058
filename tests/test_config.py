"""config.toml errors: each one line naming the file, line, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config import load_settings
from pipeline.errors import ConfigError


def edit(show: Path, old: str, new: str) -> None:
    path = show / "config.toml"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_sample_config_loads(sample_show: Path) -> None:
    s = load_settings(sample_show)
    assert s.show.title == "Marketing Smarts"
    assert s.show.base_url == "https://podcast.example.com/"
    assert s.feed_url == "https://podcast.example.com/feed.xml"
    assert [(c.name, c.sub) for c in s.show.categories] == [("Business", "Marketing"), ("Arts", "Books")]
    assert s.show.hosts[0].name == "Matthew T. Grant" and s.show.hosts[0].role == "host"
    assert s.audio.loudness == -16.0 and s.audio.true_peak == -1.0
    assert s.storage.url == "public"
    assert s.show.image == sample_show / "art" / "cover.jpg"


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ('title = "Marketing Smarts"\n', "", "config.toml: show.title: is missing; add `title = ...` under [show]"),
        ('type = "episodic"', 'type = "weekly"', 'config.toml:19: show.type: \'weekly\' is not allowed; use one of episodic, serial'),
        ("explicit = false", 'explicit = "no"', "config.toml:18: show.explicit: 'no' is a string, not a true/false; write explicit as a true/false"),
        ('language = "en"', 'langauge = "en"', "config.toml: show.language: is missing"),
        ("loudness = -16.0", "loudnes = -16.0", "config.toml:59: audio.loudnes: is not a known key; did you mean `loudness`?"),
        ('"Business > Marketing"', '"Business > Marketting"', "show.categories: 'Marketting' is not a subcategory of 'Business'; did you mean Business > Marketing?"),
        ('base_url = "https://podcast.example.com/"', 'base_url = "podcast.example.com"', "show.base_url: 'podcast.example.com' is not an absolute http(s) URL"),
        ("bitrate = 96", "bitrate = 100", "config.toml:62: audio.bitrate: 100 is not allowed; use one of 48, 64"),
        ('url = "public"', 'url = "ftp://x"', "storage.url: 'ftp://x' is not a folder or an s3:// URL"),
        ('timezone = "America/New_York"', 'timezone = "Mars/Olympus"', "show.timezone: 'Mars/Olympus' is not a time zone"),
    ],
)
def test_config_errors_name_key_and_fix(sample_show: Path, old: str, new: str, expected: str) -> None:
    edit(sample_show, old, new)
    with pytest.raises(ConfigError) as info:
        load_settings(sample_show)
    message = str(info.value)
    assert "\n" not in message
    assert expected in message, message


def test_bad_toml_syntax_names_line(sample_show: Path) -> None:
    edit(sample_show, 'author = "Matthew T. Grant"', 'author = "Matthew T. Grant')
    with pytest.raises(ConfigError, match=r"config.toml:\d+: is not valid TOML"):
        load_settings(sample_show)


def test_no_config_says_how_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="castline init"):
        load_settings(tmp_path)


def test_config_error_through_cli_is_one_line_exit_1(sample_show: Path, run_cli) -> None:
    edit(sample_show, 'type = "episodic"', "type = 3")
    result = run_cli("publish", "--workspace", str(sample_show))
    assert result.code == 1
    assert result.stderr.strip().splitlines() == [
        "error: config.toml:19: show.type: 3 is a whole number, not a string; write type as a string"]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (sample_show / "public").exists()
