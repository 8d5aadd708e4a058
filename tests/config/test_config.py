"""config.toml errors: each one line naming the file, line, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.config.settings import load_settings
from pipeline.errors import CastlineError, ConfigError, Problems
from tests._showfiles import edit


def line_of(show: Path, text: str, nth: int = 1) -> int:
    """The line of config.toml holding ``text`` (its ``nth`` occurrence), so
    a test does not break when the sample config grows."""
    hits = [n for n, raw in enumerate((show / "config.toml").read_text().splitlines(), 1) if text in raw]
    return hits[nth - 1]


def problems_of(show: Path) -> list[str]:
    """Every line load_settings reports for the show's config.toml."""
    with pytest.raises(CastlineError) as info:
        load_settings(show)
    error = info.value
    return [str(p) for p in error.problems] if isinstance(error, Problems) else [str(error)]


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
        ('language = "en"', 'langauge = "en"', "config.toml:12: show.language: is missing; `langauge` on this line "
                                               "looks like a misspelling of it: rename it to `language`"),
        ("loudness = -16.0", "loudnes = -16.0", "config.toml:{line}: audio.loudnes: is not a known key; did you mean `loudness`?"),
        ('"Business > Marketing"', '"Business > Marketting"', "show.categories: 'Marketting' is not a subcategory of 'Business'; did you mean Business > Marketing?"),
        ('base_url = "https://podcast.example.com/"', 'base_url = "podcast.example.com"', "show.base_url: 'podcast.example.com' is not an absolute http(s) URL"),
        ("bitrate = 96", "bitrate = 100", "config.toml:{line}: audio.bitrate: 100 is not allowed; use one of 48, 64"),
        ('url = "public"', 'url = "ftp://x"', "storage.url: 'ftp://x' is not a folder or an s3:// URL"),
        ('timezone = "America/New_York"', 'timezone = "Mars/Olympus"', "show.timezone: 'Mars/Olympus' is not a time zone"),
    ],
)
def test_config_errors_name_key_and_fix(sample_show: Path, old: str, new: str, expected: str) -> None:
    edit(sample_show / "config.toml", old, new)
    expected = expected.replace("{line}", str(line_of(sample_show, new)))
    found = problems_of(sample_show)
    assert all("\n" not in line for line in found)
    assert any(expected in line for line in found), found


def test_bad_toml_syntax_names_line(sample_show: Path) -> None:
    edit(sample_show / "config.toml", 'author = "Matthew T. Grant"', 'author = "Matthew T. Grant')
    with pytest.raises(ConfigError, match=r"config.toml:\d+: is not valid TOML"):
        load_settings(sample_show)


def test_no_config_says_how_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="castline init"):
        load_settings(tmp_path)


def test_config_error_through_cli_is_one_line_exit_1(sample_show: Path, run_cli) -> None:
    edit(sample_show / "config.toml", 'type = "episodic"', "type = 3")
    result = run_cli("publish", "--workspace", str(sample_show))
    assert result.code == 1
    assert result.stderr.strip().splitlines() == [
        "error: config.toml:19: show.type: 3 is a whole number, not a string; write type as a string"]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (sample_show / "public").exists()


def test_every_config_mistake_is_reported_at_once(sample_show: Path) -> None:
    edit(sample_show / "config.toml", 'author = "Matthew T. Grant"', 'auther = "Matthew T. Grant"')
    edit(sample_show / "config.toml", 'type = "episodic"', 'type = "weekly"')
    edit(sample_show / "config.toml", 'url = "https://open.spotify.com/show/0000000000000000000000"', 'url = "javascript:alert(1)"')
    edit(sample_show / "config.toml", '{ name = "Mastodon", url = "https://mastodon.example/@mtgrant" }',
         '{ name = "Mastodon", url = "JavaScript:alert(document.cookie)" }')
    edit(sample_show / "config.toml", "bitrate = 96", "bitrate = 100")
    edit(sample_show / "config.toml", 'url = "public"', 'url = "s3://Bad_Bucket/x"')
    show = sample_show
    assert problems_of(sample_show) == [
        "config.toml:10: show.auther: is not a known key; did you mean `author`?",
        "config.toml:10: show.author: is missing; `auther` on this line looks like a misspelling of it: rename it to "
        "`author`",
        "config.toml:19: show.type: 'weekly' is not allowed; use one of episodic, serial",
        f"config.toml:{line_of(show, 'links = [')}: show.host_box.links: entry 2 url: 'JavaScript:alert(document.cookie)' "
        "is not an absolute http(s) or mailto URL; write it like https://example.com/page (only http, https and mailto "
        "links are published)",
        f"config.toml:{line_of(show, '[[show.subscribe]]', 2)}: show.subscribe: entry 2 url: 'javascript:alert(1)' is not "
        "an absolute http(s) or mailto URL; write it like https://example.com/page (only http, https and mailto links "
        "are published)",
        f"config.toml:{line_of(show, 'bitrate = 100')}: audio.bitrate: 100 is not allowed; use one of 48, 64, 80, 96, "
        "112, 128, 160, 192, 256, 320",
        f"config.toml:{line_of(show, 's3://Bad_Bucket')}: storage.url: 's3://Bad_Bucket/x' does not name a valid bucket; write it as "
        "s3://bucket-name/optional/prefix: a bucket of 3-63 lowercase letters, digits, '.' or '-', a prefix of ASCII "
        "letters, digits, '-', '.', '_' and '/'",
    ]


@pytest.mark.parametrize("key, line, value, web", [
    ("link", None, "javascript:alert(1)", True),
    ("new_feed_url", None, "data:text/html,hi", True),
    ("license_url", None, "javascript:alert(1)", False),
    ("analytics_prefix", None, "//op3.dev/e/", True),
])
def test_every_url_key_follows_the_one_url_rule(sample_show: Path, key: str, line, value: str, web: bool) -> None:
    edit(sample_show / "config.toml", 'license = "CC-BY-4.0"\n', f'license = "CC-BY-4.0"\n{key} = "{value}"\n')
    (found,) = problems_of(sample_show)
    at = line_of(sample_show, f"{key} = ")
    if web:
        assert found == (f"config.toml:{at}: show.{key}: {value!r} is not an absolute http(s) URL; write it like "
                         "https://example.com/")
    else:
        assert found == (f"config.toml:{at}: show.{key}: {value!r} is not an absolute http(s) or mailto URL; write it "
                         "like https://example.com/page (only http, https and mailto links are published)")


def test_host_urls_follow_the_url_rule_too(sample_show: Path) -> None:
    edit(sample_show / "config.toml", 'href = "https://example.com/matthew-t-grant"', 'href = "javascript:void(0)"')
    edit(sample_show / "config.toml", 'url = "https://example.com/support"', 'url = "/support"')
    assert problems_of(sample_show) == [
        f"config.toml:{line_of(sample_show, '[[show.hosts]]')}: show.hosts: entry 1 href: 'javascript:void(0)' is not an absolute http(s) or mailto URL; "
        "write it like https://example.com/page (only http, https and mailto links are published)",
        f"config.toml:{line_of(sample_show, '[[show.funding]]')}: show.funding: entry 1 url: '/support' is not an absolute http(s) or mailto URL; write it "
        "like https://example.com/page (only http, https and mailto links are published)",
    ]


def test_host_text_is_cleaned_once_at_load(sample_show: Path) -> None:
    edit(sample_show / "config.toml", 'title = "Marketing Smarts"', 'title = "  Marketing\\u001b[2J \\u0007Smarts\\u0000  "')
    edit(sample_show / "config.toml", 'name = "Matthew T. Grant"', 'name = "Matthew\\u000bT.\\tGrant"')
    edit(sample_show / "config.toml", '{ name = "Website",', '{ name = "Web\\u0085site",')
    s = load_settings(sample_show)
    assert s.show.title == "Marketing[2J Smarts"
    assert s.show.hosts[0].name == "MatthewT. Grant"
    assert s.show.host_links[0].name == "Website"
    assert s.show.description.startswith("Conversations") and s.show.description.endswith("a story well.")


@pytest.mark.parametrize("text, expected", [
    ("[show]\nx = " + "[" * 5000 + "]" * 5000 + "\n",
     "config.toml:2: lists and tables nest more than 32 levels deep; write the lists and tables flatter"),
    ("[show]\nx = {a = " * 1 + "{a = " * 40 + "1" + "}" * 41 + "\n",
     "config.toml:2: lists and tables nest more than 32 levels deep; write the lists and tables flatter"),
    ("[show]\npage_size = " + "9" * 5000 + "\n",
     "config.toml:2: a number has too many digits; write a shorter number, or quote it to keep it as text"),
])
def test_hostile_toml_is_one_line(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "config.toml").write_text(text)
    assert problems_of(tmp_path) == [expected]


def test_shared_rules_have_one_definition() -> None:
    """The language pattern and the mediums come from feeds, the encodings
    from the encoder: config validates with them, nothing keeps its own copy."""
    import feeds.apple
    import pipeline.config.settings as config
    import pipeline.config.show as show
    from pipeline.audio.encode import FORMATS

    assert show.LANGUAGE is feeds.apple.LANGUAGE and show.MEDIUMS is feeds.apple.MEDIUMS
    assert set(config.ENCODINGS) == set(FORMATS) - {"wav"}
    for module in Path(config.__file__).parent.glob("*.py"):
        source = module.read_text()
        assert "[a-z]{2,3}" not in source and '"audiobook"' not in source, module
        assert '("mp3", "m4a", "opus")' not in source, module


def test_category_mistake_points_to_the_list_in_readme(sample_show: Path) -> None:
    from feeds.apple import APPLE_CATEGORIES
    from tests.conftest import REPO

    edit(sample_show / "config.toml", '"Arts > Books"', '"Cooking"')
    assert problems_of(sample_show) == ["config.toml:17: show.categories: 'Cooking' is not an Apple Podcasts "
                                        "category; use one from README, Apple Podcasts categories"]
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Apple Podcasts categories", 1)[1].split("\n#", 1)[0]
    for main, subs in APPLE_CATEGORIES.items():
        line = next((row for row in section.splitlines() if row.startswith(f"| {main} |")), None)
        assert line is not None, main
        assert all(sub in line for sub in subs), main


def test_an_empty_store_url_is_a_mistake_not_the_default(sample_show: Path) -> None:
    edit(sample_show / "config.toml", 'url = "public"', 'url = "  "')
    assert problems_of(sample_show) == [f"config.toml:{line_of(sample_show, 'url = ' + chr(34) + '  ')}: storage.url: "
                                        'is empty; use a folder like "public" or "s3://bucket/prefix"']
