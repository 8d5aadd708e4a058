"""The output formats castline encodes to: one definition, read by the
config (which names are allowed), the render and the feed (MIME types).
Nothing here runs ffmpeg, so reading a config does not load the mastering
code."""

from __future__ import annotations

import dataclasses

from pipeline.model import AudioSettings


@dataclasses.dataclass(frozen=True)
class Format:
    """An output format: file extension, MIME type for the feed's enclosure,
    encoder, muxer and sample rate (None: the configured one; Opus is
    always 48 kHz)."""

    name: str
    ext: str
    mime: str
    codec: str
    muxer: str
    rate: int | None = None

    def bitrate(self, settings: AudioSettings) -> int:
        """kbit/s: the configured rate for MP3/AAC; Opus sounds as good at half."""
        if self.name == "opus":
            return max(32, settings.bitrate // 2)
        return 0 if self.name == "wav" else settings.bitrate


FORMATS = {
    "mp3": Format("mp3", "mp3", "audio/mpeg", "libmp3lame", "mp3"),
    "m4a": Format("m4a", "m4a", "audio/x-m4a", "aac", "ipod"),
    "opus": Format("opus", "opus", "audio/ogg", "libopus", "ogg", rate=48000),
    "wav": Format("wav", "wav", "audio/wav", "pcm_f32le", "wav"),
}
