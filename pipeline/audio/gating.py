"""Integrated loudness and loudness range from a meter's block readings.

ffmpeg's ebur128 writes, every 100 ms, the loudness of the last 400 ms
(momentary) and of the last 3 s (short-term). From those blocks the
programme's figures follow by the standards' gating, computed here as
ebur128 computes them, so that two meters over the two halves of a
recording (``loudness._analyse_halves``) add up to one over the whole.
"""

from __future__ import annotations

import math

SILENT_LUFS = -70.0  # the absolute gate; ebur128 reports it when nothing passes it


def integrated(blocks: list[float]) -> float:
    """Integrated loudness from the 400 ms blocks' loudness, as BS.1770-4
    gates them: blocks under -70 LUFS are left out, then those more than
    10 LU under the mean of the rest."""
    kept = [10 ** (b / 10) for b in blocks if b >= SILENT_LUFS]
    if not kept:
        return SILENT_LUFS
    gate = 10 * math.log10(sum(kept) / len(kept)) - 10
    heard = [e for e in kept if 10 * math.log10(e) >= gate]
    return 10 * math.log10(sum(heard) / len(heard))


def loudness_range(windows: list[float]) -> float:
    """Loudness range (EBU Tech 3342) from the 3 s windows' loudness: the
    spread from the 10th to the 95th percentile of those over -70 LUFS and
    within 20 LU of their mean."""
    kept = [w for w in windows if w >= SILENT_LUFS]
    if not kept:
        return 0.0
    gate = 10 * math.log10(sum(10 ** (w / 10) for w in kept) / len(kept)) - 20
    heard = sorted(w for w in kept if w >= gate)
    low = heard[min(len(heard) - 1, max(0, round(0.10 * len(heard)) - 1))]
    high = heard[min(len(heard) - 1, max(0, round(0.95 * len(heard)) - 1))]
    return high - low
