"""A one-line progress bar on a terminal (stdlib only); silent when the stream is not a TTY."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

_WIDTH = 30


class ProgressBar:
    """Redraw `label [#####.....] done/total pct rate/s` at most every `interval` seconds."""

    def __init__(
        self,
        *,
        total: int,
        stream: TextIO,
        label: str = "replay",
        interval: float = 0.1,
        enabled: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self._stream, self._label = total, stream, label
        self._interval, self._clock = interval, clock
        self.enabled = stream.isatty() if enabled is None else enabled
        self._started = self._drawn_at = clock()
        self.done = 0

    def advance(self, count: int = 1) -> None:
        """Count `count` more items done; redraw if the interval has passed."""
        self.done += count
        now = self._clock()
        if self.enabled and (now - self._drawn_at >= self._interval or self.done >= self.total):
            self._drawn_at = now
            self._stream.write("\r" + self.render(now))
            self._stream.flush()

    def render(self, now: float) -> str:
        """Return the bar's text for the current count."""
        fraction = min(1.0, self.done / self.total) if self.total else 1.0
        filled = int(fraction * _WIDTH)
        elapsed = max(now - self._started, 1e-9)
        return (
            f"{self._label} [{'#' * filled}{'.' * (_WIDTH - filled)}] "
            f"{self.done}/{self.total} {fraction:4.0%} {self.done / elapsed:,.0f}/s"
        )

    def close(self) -> None:
        """End the bar's line so that later output starts on a fresh one."""
        if self.enabled:
            self._stream.write("\n")
            self._stream.flush()
