"""``castline import``: another host's feed -> a castline show, every GUID kept.

The feed (and its RFC 5005 archive pages) is read the way apps read it,
quirks and all; config.toml and a notes file per episode are written from
it, the recordings, art and transcripts downloaded, and each episode's GUID
seeded into the published state, so apps that move over never see a
duplicate. A file the host has edited since is never overwritten.
"""

from .recipe import ImportReport, import_show, next_steps, read_source

__all__ = ["ImportReport", "import_show", "next_steps", "read_source"]
