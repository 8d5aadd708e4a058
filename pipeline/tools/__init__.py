"""One wrapper per outside program or library: the leaves every stage may use.

``ffmpeg`` (find, start, run and stop ffmpeg; every child dies with
castline), ``images`` (cover art checked and prepared, Pillow), ``http``
(reading feeds and downloading files, requests), ``digest`` (sha256 and
sha384 of files), ``tempfiles`` (temp files named for the process that made
them) and ``processes`` (is a process still running). They import nothing
of the stages.

Each is imported by its own name (``from pipeline.tools import ffmpeg``)
and nothing is re-exported here, so that a stage loading one tool does not
load the others (a no-op publish stays quick).
"""
