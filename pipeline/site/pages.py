"""The companion pages listeners read: one article per episode and the
show's front page, rendered with Jinja2.

A page is a magazine's podcast article: headline, byline with host, guests
and date (in the show's time zone), the player, the notes retold in prose
with pull quotes, chapters and transcript whose timestamps seek the player,
the guests, "listen in your app" links, the host box, and the way to the
previous and next episode.

Links between pages, to the audio and to the stylesheet are *relative*, so
the same tree works from the store, from ``castline serve`` on 127.0.0.1 and
from disk; absolute URLs (from ``base_url``) appear only where the web needs
them: canonical, Open Graph, Twitter card, JSON-LD and RSS autodiscovery.

Templates live in ``pipeline/site/templates``; a file of the same name in the
show's ``templates/`` folder replaces the built-in one (and a ``style.css``
or ``player.js`` there replaces the built-in asset). Output is a pure
function of its inputs: the same episodes give the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator, Sequence
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup

from pipeline.errors import ConfigError
from pipeline.ingest import Cue, Markdown
from pipeline.model import Episode, SiteSettings
from pipeline.text import clock

_HERE = Path(__file__).parent
_ASSETS = ("style.css", "player.js")
_DESCRIPTION_CHARS = 160
_SUMMARY_CHARS = 280


@dataclass(frozen=True)
class PageEpisode:
    """What a page needs about one published episode (URLs absolute)."""

    episode: Episode
    url: str  # absolute URL of its page (base_url + "episodes/<slug>.html")
    path: str  # store key of the page, "episodes/<slug>.html"
    audio_url: str  # absolute enclosure URL (no analytics prefix)
    audio_mime: str
    audio_size: int  # bytes
    duration: float  # seconds
    image_url: str | None  # absolute URL of the episode art (else the show's)
    chapters_url: str | None
    transcript_url: str | None
    transcript: tuple[Cue, ...] = ()
    notes_html: str = ""  # already rendered by render_markdown
    social_image_url: str | None = None  # the 1200x630 card (art.art_set) for og:image


def render_site(
    settings: SiteSettings, episodes: Sequence[PageEpisode], *, feed_url: str, show_image_url: str
) -> dict[str, bytes]:
    """Every page of the site at once (see ``iter_site``)."""
    return dict(iter_site(settings, episodes, feed_url=feed_url, show_image_url=show_image_url, markdown=Markdown()))


def iter_site(
    settings: SiteSettings, episodes: Sequence[PageEpisode], *, feed_url: str, show_image_url: str,
    show_social_url: str | None = None, markdown: Markdown,
) -> Iterator[tuple[str, bytes]]:
    """Render every page of the site, one at a time; keys are store keys.

    ``episodes`` come newest first. Returns ``index.html``, ``page/<n>.html``
    for further front pages (``show.page_size`` episodes each), one
    ``episodes/<slug>.html`` per episode, ``style.css`` and ``player.js``.
    ``markdown`` renders the bios and descriptions (the run's memo).
    """
    env = _environment(settings.root)
    show = settings.show
    site = {"show": show, "feed_url": feed_url, "show_image_url": show_image_url, "show_social_url": show_social_url,
            "host_bio_html": Markup(markdown.html(show.host_bio or "", allow_html=show.allow_html))}
    for i, pe in enumerate(episodes):
        newer = episodes[i - 1] if i > 0 else None
        older = episodes[i + 1] if i + 1 < len(episodes) else None
        page = _page(site, pe.path, pe.url, markdown)
        page.update(_episode_context(settings, pe, page["root"], feed_url, markdown, around=(newer, older)))
        yield pe.path, _render(env, "episode.html", page)
    size = max(1, show.page_size)
    pages = max(1, math.ceil(len(episodes) / size))
    for number in range(1, pages + 1):
        path = "index.html" if number == 1 else f"page/{number}.html"
        url = show.base_url if number == 1 else show.base_url + path
        page = _page(site, path, url, markdown)
        chunk = episodes[(number - 1) * size : number * size]
        page.update(
            number=number, pages=pages,
            episodes=[_summary(settings, pe, page["root"], markdown) for pe in chunk],
            newer_href=None if number == 1 else page["root"] + ("index.html" if number == 2 else f"page/{number - 1}.html"),
            older_href=None if number == pages else f"{page['root']}page/{number + 1}.html",
            jsonld=_series_jsonld(show, feed_url, show_image_url, markdown),
        )
        yield path, _render(env, "index.html", page)
    for name in _ASSETS:
        override = settings.root / "templates" / name
        yield name, (override if override.is_file() else _HERE / "static" / name).read_bytes()


def _environment(root: Path) -> jinja2.Environment:
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(str(root / "templates")),
        jinja2.FileSystemLoader(str(_HERE / "templates")),
    ])
    env = jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             auto_reload=False)  # one run: no stat of the templates per page
    env.filters.update(clock=clock, seconds=seconds, minutes=minutes, iso_duration=iso_duration, filesize=filesize)
    return env


def _render(env: jinja2.Environment, name: str, context: dict) -> bytes:
    try:
        return env.get_template(name).render(context).encode("utf-8")
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"template error: {exc.message}", path=exc.filename or exc.name, line=exc.lineno,
                          fix="fix the template in templates/ or delete it to use the built-in one") from exc
    except jinja2.TemplateError as exc:
        raise ConfigError(f"template {name} failed: {exc}",
                          fix="fix the template in templates/ or delete it to use the built-in one") from exc


def _page(site: dict, path: str, url: str, markdown: Markdown) -> dict:
    """The context every page shares; ``root`` is the relative way back to
    the top of the site from this page (``""`` or ``"../"``)."""
    root = "../" * path.count("/")
    show = site["show"]
    hosts = [dict(person=p, img=_relative(p.img, show.base_url, root)) for p in show.hosts]
    return dict(site, root=root, canonical=url, path=path, hosts=hosts,
                feed_href=_relative(site["feed_url"], show.base_url, root),
                show_image_src=_relative(site["show_image_url"], show.base_url, root),
                description=markdown.text(show.description, _DESCRIPTION_CHARS))


def _relative(url: str | None, base_url: str, root: str) -> str | None:
    """A URL inside the site made relative to the page; others unchanged."""
    if url and url.startswith(base_url):
        return root + url[len(base_url):]
    return url


def _episode_context(settings: SiteSettings, pe: PageEpisode, root: str, feed_url: str, markdown: Markdown, *,
                     around: tuple[PageEpisode | None, PageEpisode | None]) -> dict:
    """Everything episode.html shows about one episode; ``around``: the
    newer and the older episode (or None)."""
    show, ep = settings.show, pe.episode
    newer, older = around
    summary = _summary(settings, pe, root, markdown)
    chapters = [dict(start=c.start, title=c.title, url=c.url) for c in ep.chapters]
    return dict(
        ep=ep, pe=pe, item=summary, chapters=chapters,
        description=markdown.text(ep.summary or ep.body, _DESCRIPTION_CHARS) or summary["summary"],
        notes_html=Markup(pe.notes_html),
        audio_src=_relative(pe.audio_url, show.base_url, root),
        audio_format=Path(pe.audio_url.split("?")[0]).suffix.lstrip(".").upper() or "audio",
        image_src=_relative(pe.image_url, show.base_url, root),
        image_alt=ep.image_alt or (f"Artwork for {ep.title}" if ep.image else f"{show.title} cover art"),
        image_abs=pe.social_image_url or pe.image_url or settings.show.base_url,
        transcript_src=_relative(pe.transcript_url, show.base_url, root),
        transcript=transcript_paragraphs(pe.transcript),
        guests=[dict(person=g, img=_relative(g.img, show.base_url, root), bio_html=Markup(markdown.html(g.bio or "", allow_html=show.allow_html)))
                for g in ep.guests],
        newer=_neighbour(newer, show.base_url, root), older=_neighbour(older, show.base_url, root),
        jsonld=_episode_jsonld(settings, pe, feed_url, markdown),
    )


def _neighbour(pe: PageEpisode | None, base_url: str, root: str) -> dict | None:
    return None if pe is None else dict(href=root + pe.path, title=pe.episode.title)


def _summary(settings: SiteSettings, pe: PageEpisode, root: str, markdown: Markdown) -> dict:
    """One episode as the front page lists it (and the article heads it)."""
    ep, show = pe.episode, settings.show
    local = ep.date.astimezone(ZoneInfo(show.timezone))
    return dict(
        title=ep.title, href=root + pe.path, label=episode_label(ep),
        image_src=_relative(pe.image_url, show.base_url, root),
        date_iso=local.isoformat(), date_label=date_label(local),
        duration=pe.duration, summary=ep.summary or markdown.text(ep.body, _SUMMARY_CHARS),
        hosts=[p.name for p in show.hosts] or [show.author],
    )


def page_sources(root: Path) -> list[Path]:
    """Every file the pages are rendered from besides the episodes: the
    built-in templates, the static files, then the show's own
    ``templates/``, each folder in sorted order (a publish fingerprints them:
    a template edit re-renders the pages, and only them)."""
    files: list[Path] = []
    for folder in (_HERE / "templates", _HERE / "static", root / "templates"):
        if folder.is_dir():
            files += [path for path in sorted(folder.rglob("*")) if path.is_file()]
    return files


def episode_label(ep: Episode) -> str:
    """"Season 2 · Episode 5", "Episode 5", "Bonus", "Trailer" or ""."""
    parts = [f"Season {ep.season}"] if ep.season is not None else []
    if ep.type != "full":
        parts.append(ep.type.capitalize() + (f" {ep.number}" if ep.number is not None else ""))
    elif ep.number is not None:
        parts.append(f"Episode {ep.number}")
    return " · ".join(parts)


def date_label(when: datetime) -> str:
    """"March 28, 2012": written out, so no reader misreads 03/04."""
    return f"{when:%B} {when.day}, {when.year}"


def minutes(value: float) -> str:
    """A duration as an article states it: "42 min", "1 h 5 min"."""
    total = max(1, round(value / 60))
    hours, mins = divmod(total, 60)
    return f"{hours} h {mins} min" if hours and mins else f"{hours} h" if hours else f"{mins} min"


def seconds(value: float) -> str:
    """Seconds for a ``data-seek`` or ``#t=`` value: "90", "4.5"."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration ("PT1H2M3S") for <time datetime> and schema.org."""
    hours, rest = divmod(int(round(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + f"{secs}S"


def filesize(size: int) -> str:
    """Bytes as a reader thinks of a download: "5.2 MB", "830 kB" (rich's
    decimal units, the CLI's too; whole kB below a megabyte)."""
    from rich.filesize import decimal

    return decimal(size, precision=1 if size >= 1_000_000 else 0)


def transcript_paragraphs(cues: Sequence[Cue], *, max_seconds: float = 60.0) -> list[dict]:
    """Cues joined into paragraphs a reader can follow: a new paragraph when
    the speaker changes, after a pause of 2 s or more, or after a minute."""
    paragraphs: list[dict] = []
    for cue in cues:
        last = paragraphs[-1] if paragraphs else None
        if (last is None or cue.speaker != last["speaker"] or cue.start - last["end"] >= 2.0
                or cue.start - last["start"] >= max_seconds):
            paragraphs.append(dict(start=cue.start, end=cue.end, speaker=cue.speaker, text=cue.text))
        else:
            last["text"] += " " + cue.text
            last["end"] = cue.end
    return paragraphs


def _series_jsonld(show, feed_url: str, image_url: str, markdown: Markdown) -> dict:
    data = {"@context": "https://schema.org", "@type": "PodcastSeries", "name": show.title,
            "description": markdown.text(show.description), "url": show.base_url, "webFeed": feed_url,
            "image": image_url, "inLanguage": show.language,
            "author": {"@type": "Person", "name": show.author}}
    return data


def _episode_jsonld(settings: SiteSettings, pe: PageEpisode, feed_url: str, markdown: Markdown) -> dict:
    show, ep = settings.show, pe.episode
    data = {
        "@context": "https://schema.org", "@type": "PodcastEpisode", "name": ep.title, "url": pe.url,
        "datePublished": ep.date.isoformat(), "description": markdown.text(ep.summary or ep.body, 300),
        "timeRequired": iso_duration(pe.duration), "inLanguage": show.language,
        "associatedMedia": {"@type": "MediaObject", "contentUrl": pe.audio_url, "encodingFormat": pe.audio_mime,
                            "contentSize": str(pe.audio_size), "duration": iso_duration(pe.duration)},
        "partOfSeries": {"@type": "PodcastSeries", "name": show.title, "url": show.base_url,
                         "webFeed": feed_url},
        "author": [{"@type": "Person", "name": p.name} for p in show.hosts] or [{"@type": "Person", "name": show.author}],
    }
    if ep.number is not None:
        data["episodeNumber"] = ep.number
    if ep.season is not None:
        data["partOfSeason"] = {"@type": "PodcastSeason", "seasonNumber": ep.season}
    if pe.image_url:
        data["image"] = pe.image_url
    if ep.guests:
        data["actor"] = [{"@type": "Person", "name": g.name, **({"url": g.href} if g.href else {})} for g in ep.guests]
    if pe.transcript_url:
        data["transcript"] = pe.transcript_url
    return data
