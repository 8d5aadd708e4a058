"""A recording -> the episode's audio files: mastered, or published as it is.

Mastering (``master``) streams the recording through ffmpeg, never holding it
in memory: it is decoded, its leading and trailing silence trimmed, the
intro and outro crossfaded on, speakers levelled (the leveler) and steady
noise taken out (the denoiser) when asked, brought to the podcast loudness
target (-16 LUFS integrated, EBU R128) with a look-ahead limiter holding the
true-peak ceiling (-1 dBTP), and encoded to the main format and its
alternates (MP3, M4A, Opus); the encoded main file is measured and rendered
again only if it misses. ``master: false`` in an episode's notes publishes
the recording as it is (``passthrough``: an imported back catalogue), copied
and described the same way. Either result is a ``MasteredAudio`` for the
tags stage.

The modules, in the order the work runs: ``loudness`` (probe a recording,
measure it per EBU R128; ``gating``, the standards' gating math),
``clips`` (the intro and outro), ``encode`` (the filter graph and the encode
run), ``mastering`` (the recipe: measure, render, correct) and ``as_is``
(passthrough). Audio takes only the ``[audio]`` section, ``AudioSettings``;
ffmpeg is reached through ``tools.ffmpeg``.
"""

from .as_is import passthrough, passthrough_key
from .loudness import SourceInfo, measure, probe
from .mastering import cache_key, effective_audio, master

__all__ = ["SourceInfo", "cache_key", "effective_audio", "master", "measure", "passthrough", "passthrough_key",
           "probe"]
