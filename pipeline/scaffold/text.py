"""The text of the files ``castline init`` and ``castline new`` write.

Kept apart from ``scaffold.py`` so the logic stays short. Every key castline
reads from config.toml is here: the required ones set, the optional ones
commented out at their default (or with an example), one sentence each, so a
host learns the whole format from the file itself. A commented-out setting is
always a single line ``# key = value``: uncomment it and it is valid TOML.
"""

from __future__ import annotations

from string import Template

CONFIG = Template('''\
# castline show configuration. Paths are relative to this file.
# Required keys are set; optional ones are commented out at their default or
# with an example: remove the "# " to use one. Check with `castline check`.

[show]
# The show's name, as podcast apps list it.
title = $title
# One or two paragraphs about the show (plain text; Apple allows 4000 bytes).
description = """
$description
"""
# Who makes the show (itunes:author).
author = $author
# ISO 639 language code, optionally with a region: "en", "en-us", "pt-BR".
language = "en"
# The public URL where the published tree (public/, or the S3 bucket behind
# your CDN) is served. Feed, page and media URLs all start here.
base_url = $base_url
# The show art: a square JPEG or PNG, 1400 to 3000 px, RGB. The one here is a
# placeholder: replace art/cover.jpg with your own.
image = "art/cover.jpg"
# One to three Apple Podcasts categories, "Category" or "Category > Subcategory".
categories = ["Technology"]
# The owner's email: Apple uses it to confirm that the show is yours.
# email = "you@example.com"
# The owner's name in itunes:owner (default: author).
# owner_name = "Your Name"
# Whether the show contains explicit content.
# explicit = false
# episodic (newest first) or serial (oldest first, numbered episodes).
# type = "episodic"
# The copyright notice.
# copyright = "© 2024 Your Name"
# The show's website (default: base_url).
# link = "https://example.com/"
# The IANA time zone of dates without one in the notes.
# timezone = "UTC"
# The hosts (podcast:person); default: the author as the only host.
# hosts = [{ name = "Your Name", role = "host", href = "https://example.com/you", img = "https://example.com/you.jpg" }]
# The host box on the pages: a Markdown bio and links.
# host_box = { bio = "**Your Name** makes this show.", links = [{ name = "Website", url = "https://example.com/" }] }
# "Listen in your app" links on the pages.
# subscribe = [{ name = "Apple Podcasts", url = "https://podcasts.apple.com/podcast/id000000000" }]
# Where listeners can support the show (podcast:funding).
# funding = [{ name = "Support the show", url = "https://example.com/support" }]
# Keywords for search in apps.
# keywords = ["one", "two"]
# Pin the show's podcast:guid (a UUID); default: computed once from the feed URL.
# podcast_guid = "917393e3-1b1e-5cef-ace4-edaa54e1f810"
# Tell other platforms not to import this feed (podcast:locked).
# locked = false
# Where the feed moved to (itunes:new-feed-url); set only when moving.
# new_feed_url = "https://new.example.com/feed.xml"
# Hide the whole show from Apple Podcasts.
# block = false
# The show has ended; no new episodes will come.
# complete = false
# Apple's ownership verification code (podcast:txt).
# apple_verify = "your-verification-code"
# The licence of the show, an SPDX identifier or a name.
# license = "CC-BY-4.0"
# A URL for the licence text.
# license_url = "https://creativecommons.org/licenses/by/4.0/"
# Where the show is about or made (podcast:location).
# location = "Austin, TX"
# podcast, music, video, film, audiobook, newsletter or blog.
# medium = "podcast"
# How often episodes come out, as an RRULE (podcast:updateFrequency).
# update_frequency = "FREQ=WEEKLY"
# Shows you recommend (podcast:podroll): their names and feed URLs.
# podroll = [{ name = "Another Show", url = "https://another.example.com/feed.xml" }]
# A stats prefix put in front of every media URL, e.g. OP3.
# analytics_prefix = "https://op3.dev/e/"
# Keep raw HTML in the notes instead of showing it as text.
# allow_html = false
# Episodes per page on the site.
# page_size = 20
# Lightning payment splits (podcast:value).
# value = [{ name = "Your Name", address = "02d5c1bf8b940dc9cadca86d1b0a3c37fbe39cee4c7e839e33bef9174531d27f52", split = 100 }]
# Keep only the newest N episodes in feed.xml; older ones go to archive pages (RFC 5005). 0: all.
# feed_limit = 300
# Alt text of the show art, for screen readers (podcast:image).
# image_alt = "The show's name in white on a blue field"
# Whether the location is what the show is about (subject) or where it is made (creator).
# location_rel = "creator"
# The location's country, a two-letter code.
# location_country = "us"
# How AI was used in making the show (podcast:txt purpose="ai-content").
# ai_content = "none"
# Platforms that must not list the show (podcast:block), by their service slug.
# block_platforms = ["google"]
# Platforms that may list it even so.
# allow_platforms = ["apple"]
# The show's chat room (podcast:chat).
# chat = { server = "irc.libera.chat", protocol = "irc", space = "#your-show" }
# Other feeds this show points to (podcast:remoteItem).
# remote_items = [{ feed_url = "https://another.example.com/feed.xml", title = "Another Show" }]
# The publisher feed this show belongs to (podcast:publisher).
# publisher = { feed_url = "https://example.com/publisher.xml" }

[audio]
# Integrated loudness target in LUFS (-16 stereo; -19 is common for mono).
# loudness = -16.0
# True-peak ceiling in dBTP.
# true_peak = -1.0
# mono, stereo, or auto (a mono recording stays mono).
# channels = "auto"
# MP3 bitrate in kbit/s: 48 to 320.
# bitrate = 128
# 44100 or 48000 Hz.
# sample_rate = 44100
# The main enclosure: mp3, m4a or opus (Apple plays mp3 and m4a).
# format = "mp3"
# Extra encodings, as podcast:alternateEnclosure.
# alternates = ["opus"]
# ID3 tag version of MP3 files: 4, or 3 for old players.
# id3_version = 4
# Cut silence at the start and the end of the recording.
# trim_silence = true
# What counts as silence, in dBFS.
# silence_threshold = -50.0
# How long a silence must last to be cut, in ms.
# min_silence_ms = 500
# A recording played before every episode.
# intro = "audio/intro.wav"
# A recording played after every episode.
# outro = "audio/outro.wav"
# Overlap of intro/outro and the episode, in ms.
# crossfade_ms = 0
# Fade in at the start, in ms.
# fade_in_ms = 0
# Fade out at the end, in ms.
# fade_out_ms = 0
# Even out speakers and passages: a quiet guest is brought up to the host.
leveler = true
# Take out steady background noise (hiss, hum, fan).
denoise = true
# An ffmpeg binary to use instead of the bundled one.
# ffmpeg = "/usr/bin/ffmpeg"

[storage]
# Where the published tree goes: a folder, or s3://bucket/prefix.
url = "public"
# The endpoint of an S3-compatible store (R2, B2, MinIO...); none for AWS.
# endpoint_url = "https://s3.example.com"
# The S3 region.
# region = "us-east-1"
# Files above this size (MB) are uploaded in parts.
# multipart_threshold_mb = 16
# How many uploads run at once.
# max_concurrency = 4

[notify]
# WebSub hubs told at once when the feed changes (atom:link rel="hub").
# websub_hubs = ["https://pubsubhubbub.appspot.com/"]
# Send a podping when the feed changes (token: CASTLINE_PODPING_TOKEN in the environment).
# podping = true
# Where podpings go.
# podping_endpoint = "https://podping.cloud/"
# Podcast Index's no-key notify call, used for podping without a token.
# pubnotify_endpoint = "https://api.podcastindex.org/api/1.0/hub/pubnotify"
# Seconds to wait for each of those calls.
# timeout = 10.0
''')

# Front matter of a notes file: title and date are required, the rest is
# commented out with an example. ``$audio_dir`` etc. keep the example paths
# true for the episode.
NOTES = Template('''\
---
title: $title
number: $number
date: $date
# season: 1
# type: full            # full, trailer or bonus
# explicit: false       # default: the show's setting
# summary: One or two sentences for podcast apps.
# audio: episodes/$slug.wav            # default: episodes/$slug.* (same name)
# image: episodes/$slug.jpg            # default: episodes/$slug.jpg or .png
# image_alt: What the episode art shows
# image_credit: "Photo: Jane Doe"
# transcript: episodes/$slug.vtt       # default: episodes/$slug.vtt or .srt
# guests:
#   - name: Jane Doe
#     role: guest
#     href: https://example.com/jane
#     img: https://example.com/jane.jpg
#     bio: Jane writes about things.
# chapters:
#   - start: "0:00"
#     title: Introduction
#   - start: "5:30"
#     title: The main topic
#     url: https://example.com/topic
# soundbites:
#   - start: "1:20"
#     duration: 30
#     title: The best bit
# keywords: [one, two]
# draft: true           # not published until you remove this
# guid: pin-an-id-from-another-host   # only when moving an existing show
# slug: $slug
# discussion: https://example.com/comments
# location: Austin, TX
# license: CC-BY-4.0
# location_rel: subject     # or creator: where it was recorded
# location_country: us
# ai_content: none
# chat: {server: irc.libera.chat, protocol: irc, space: "#your-show"}
# content_links:
#   - name: Watch this episode on video
#     url: https://example.com/video
# value_splits:
#   - start: "5:30"
#     duration: 120
#     recipients:
#       - {name: Jane Doe, type: lnaddress, address: jane@example.com, split: 50}
# live: {start: 2030-05-01T18:00:00, end: 2030-05-01T19:00:00, url: https://example.com/live.mp3}
# master: false        # publish the recording as it is, only re-tagged (imported episodes)
# leveler: false       # this episode only: even out speakers or not (default: [audio] leveler)
# denoise: false       # this episode only: take out steady background noise or not (default: [audio] denoise)
---

$body''')

NEW_BODY = """\
Write the show notes here, in Markdown: what the episode is about, who is
on it, and links to what you mention.
"""

WELCOME_BODY = """\
Welcome to the show! This is an example episode: its notes are this file,
and its recording goes in `episodes/$slug.wav` (or `.flac`, `.mp3`, `.m4a`,
`.ogg`). Put a square `.jpg` beside it for episode art, and a `.vtt` or `.srt`
for a transcript.

## What you will hear

- Who we are, and why we make this show.
- What is coming in the next episodes.

Write **Markdown** here: links like [castline](https://example.com/), lists,
and quotes:

> A good episode starts with a good question.
"""

TEMPLATES_README = """\
Page templates of this show.

castline renders the episode pages and the front page with its built-in
Jinja2 templates (base.html, episode.html, index.html, _host.html,
_subscribe.html). To change one, copy it from castline's pipeline/site/templates/
folder into this folder and edit the copy: a file here with the same name
overrides the built-in one; the others stay as they are. A style.css or
player.js here replaces the built-in stylesheet or player script. An empty
folder (only this README) means the built-in look.
"""

GITIGNORE = """\
# Generated by castline: the published tree and the build cache.
public/
.castline/
"""
