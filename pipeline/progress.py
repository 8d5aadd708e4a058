"""How long work reports how far it got: the one interface every stage uses.

The CLI passes a ``Progress`` (rich bars on a terminal, a plain line every
few seconds in a log); the pipeline only calls ``step`` and the function it
returns, from any thread. ``Quiet`` is the default: no output at all.
"""

from __future__ import annotations

from typing import Callable, Protocol


class Progress(Protocol):
    """How the CLI shows long work; the pipeline only calls these."""

    def step(self, label: str, total: float) -> Callable[[float], None]: ...


class Quiet:
    """Progress that shows nothing (tests, ``--json``, a library caller)."""

    def step(self, label: str, total: float) -> Callable[[float], None]:
        return lambda amount: None
