"""A small sample show for the page tests: Marketing Smarts-like episodes
built from pipeline.model values directly, rendered with render_site.

Episode 1 is the interview "Let's Take This Offline: Why Meeting in Person
Matters" (host Matthew T. Grant, guest Jonah Lehrer) with pull quotes, links,
chapters, a photo credit, a transcript and a discussion link. Its notes also
carry a ``<script>`` that must come out as text.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from PIL import Image

from pipeline.model import (AudioSettings, Category, Chapter, Episode, Link, Person, Settings, Show,
                            StorageSettings)
from pipeline.ingest.notes import render_markdown
from pipeline.site.pages import PageEpisode, render_site
from pipeline.ingest.transcript import read_transcript

BASE_URL = "https://podcast.example.com/smarts/"
FEED_URL = BASE_URL + "feed.xml"
SHOW_IMAGE_URL = BASE_URL + "art/show.jpg"

NOTES_OFFLINE = """\
Jonah Lehrer, author of [*Imagine: How Creativity Works*](https://example.com/imagine), \
says the best ideas still come from people in the same room.

## Why the hallway beats the inbox

> "The most creative places are the ones where people bump into each other."

Lehrer points to Pixar's headquarters, built around one central atrium, and to \
Building 20 at MIT. The lessons for marketers:

- put people where they will **meet by chance**;
- value *friction* over politeness;
- read more at [the Marketing Smarts blog](https://example.com/blog).

> "Criticism is the fuel of creativity, not its enemy."

<script>document.title = "pwned"; window.__pwned = true;</script>
"""

NOTES_OTHER = """\
How a small newsletter outgrew its inbox. [Read the full story](https://example.com/story).
"""

TRANSCRIPT_VTT = """\
WEBVTT

00:00.000 --> 00:02.000
<v Matthew T. Grant>Welcome to Marketing Smarts. I'm Matthew Grant.

00:02.000 --> 00:04.000
<v Matthew T. Grant>My guest today is Jonah Lehrer.

00:04.500 --> 00:07.000
<v Jonah Lehrer>Thanks, Matt. Let's take this offline & talk in person.
"""


def make_image(path: Path, size: int, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (size, size), colour).save(path, "JPEG", quality=80)
    return path


def sample_settings(root: Path, *, page_size: int = 2, allow_html: bool = False) -> Settings:
    art = make_image(root / "show.jpg", 300, (160, 40, 30))
    show = Show(
        title="Marketing Smarts", description="Real-world advice on how marketers win, from MarketingProfs.",
        author="MarketingProfs", language="en-us", base_url=BASE_URL, image=art,
        categories=(Category("Business", "Marketing"),), timezone="America/New_York",
        hosts=(Person("Matthew T. Grant", role="host", href="https://example.com/mtg", img=BASE_URL + "art/grant.jpg"),),
        host_bio="**Matthew T. Grant** is director of content at MarketingProfs. <b>bold</b>",
        host_links=(Link("Twitter", "https://twitter.example/matthewtgrant"), Link("Blog", "https://example.com/mtg-blog")),
        subscribe=(Link("Apple Podcasts", "https://podcasts.apple.example/smarts"), Link("Spotify", "https://open.spotify.example/smarts")),
        copyright="© 2012 MarketingProfs", page_size=page_size, allow_html=allow_html,
    )
    return Settings(root, show, AudioSettings(), StorageSettings())


def sample_episodes(root: Path, settings: Settings, *, duration: float = 7.0, audio_size: int = 123_456,
                    count: int = 3) -> list[PageEpisode]:
    """``count`` episodes, newest first; the last (oldest) is the interview."""
    (root / "ep1.vtt").write_text(TRANSCRIPT_VTT, encoding="utf-8")
    make_image(root / "ep1.jpg", 200, (30, 60, 120))
    offline = Episode(
        slug="001-lets-take-this-offline", notes_path=root / "001.md", audio_path=root / "001.wav",
        title="Let's Take This Offline: Why Meeting in Person Matters",
        date=datetime(2012, 3, 29, 1, 30, tzinfo=timezone.utc),  # March 28 in New York
        body=NOTES_OFFLINE, number=1, season=1,
        summary="Jonah Lehrer on why creativity needs people in one room.",
        image=root / "ep1.jpg", image_alt="Jonah Lehrer, smiling, in front of a bookshelf",
        image_credit="Nina Subin", transcript=root / "ep1.vtt",
        guests=(Person("Jonah Lehrer", href="https://example.com/lehrer", img=BASE_URL + "art/lehrer.jpg",
                       bio="Author of *Imagine: How Creativity Works*."),),
        chapters=(Chapter(0.0, "Welcome"), Chapter(2.0, "Meet Jonah Lehrer"),
                  Chapter(4.5, "Why the hallway matters", url="https://example.com/pixar")),
        discussion="https://forum.example.com/t/lets-take-this-offline",
    )
    episodes = [offline]
    for n in range(2, count + 1):
        episodes.append(Episode(
            slug=f"00{n}-newsletter-{n}", notes_path=root / f"00{n}.md", audio_path=root / f"00{n}.wav",
            title=f"The Newsletter That Grew, Part {n - 1}", date=datetime(2012, 4, n * 3, 15, 0, tzinfo=timezone.utc),
            body=NOTES_OTHER, number=n, season=1))
    pages = []
    for ep in reversed(episodes):
        path = f"episodes/{ep.slug}.html"
        pages.append(PageEpisode(
            episode=ep, url=BASE_URL + path, path=path, audio_url=f"{BASE_URL}media/{ep.slug}.mp3",
            audio_mime="audio/mpeg", audio_size=audio_size, duration=duration,
            image_url=BASE_URL + f"art/{ep.slug}.jpg" if ep.image else SHOW_IMAGE_URL,
            chapters_url=BASE_URL + f"chapters/{ep.slug}.json" if ep.chapters else None,
            transcript_url=BASE_URL + f"transcripts/{ep.slug}.vtt" if ep.transcript else None,
            transcript=read_transcript(ep.transcript) if ep.transcript else (),
            notes_html=render_markdown(ep.body, allow_html=settings.show.allow_html)))
    return pages


def build_site(root: Path, out: Path, *, mp3: bytes | None = None, duration: float = 7.0, **kw) -> dict[str, bytes]:
    """Render the sample show into ``out`` (with art, transcript and, when
    given, the MP3 at the paths the pages link to); return render_site's dict."""
    root.mkdir(parents=True, exist_ok=True)
    settings = sample_settings(root, **kw)
    episodes = sample_episodes(root, settings, duration=duration, audio_size=len(mp3) if mp3 else 123_456)
    files = render_site(settings, episodes, feed_url=FEED_URL, show_image_url=SHOW_IMAGE_URL)
    for key, data in files.items():
        target = out / key
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (out / "art").mkdir(exist_ok=True)
    (out / "art/show.jpg").write_bytes((root / "show.jpg").read_bytes())
    (out / "art/001-lets-take-this-offline.jpg").write_bytes((root / "ep1.jpg").read_bytes())
    make_image(out / "art/grant.jpg", 96, (90, 90, 90))
    make_image(out / "art/lehrer.jpg", 96, (120, 100, 80))
    (out / "transcripts").mkdir(exist_ok=True)
    (out / "transcripts/001-lets-take-this-offline.vtt").write_bytes((root / "ep1.vtt").read_bytes())
    (out / "feed.xml").write_text("<rss version='2.0'><channel><title>Marketing Smarts</title></channel></rss>")
    if mp3:
        (out / "media").mkdir(exist_ok=True)
        for pe in episodes:
            (out / "media" / f"{pe.episode.slug}.mp3").write_bytes(mp3)
    return files


__all__ = ["BASE_URL", "FEED_URL", "SHOW_IMAGE_URL", "build_site", "sample_settings", "sample_episodes", "replace"]
