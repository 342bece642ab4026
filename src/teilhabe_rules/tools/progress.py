"""A progress bar for long runs over a population (``compare``, ``eval-many``).

Takes: a text stream (the command's standard error), the number of cases if known, and calls of
:meth:`ProgressBar.update` with the cases done. Gives: on a terminal, one line redrawn in place
(``\\r``) at most five times a second — bar, cases done of all, share, cases per second and the
seconds still to go — ended by a last draw and a line end in :meth:`ProgressBar.close`. On any
other stream (a pipe, a file) it writes nothing: no escape or carriage-return characters reach
redirected output (:func:`progress_bar` gives None there).
"""

from __future__ import annotations

import time
from typing import TextIO

__all__ = ["INTERVAL", "ProgressBar", "is_terminal", "progress_bar"]

INTERVAL = 0.2  # seconds between two redraws at least
_WIDTH = 30


def is_terminal(stream: TextIO | None) -> bool:
    """Whether ``stream`` is a terminal (a stream without ``isatty``, or a closed one, is not)."""
    if stream is None:
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def progress_bar(stream: TextIO | None, total: int | None, done: int = 0) -> ProgressBar | None:
    """A bar on ``stream`` if it is a terminal, else None."""
    return ProgressBar(stream, total, done) if stream is not None and is_terminal(stream) else None


class ProgressBar:
    """A one-line progress bar on a terminal stream (see the module docstring). ``done``: cases
    counted as done before this run (a resumed comparison); the rate counts only this run's."""

    def __init__(self, stream: TextIO, total: int | None, done: int = 0):
        self.stream, self.total, self.first = stream, total, done
        self.start = self.last = time.perf_counter()
        self.done = done
        self.closed = False

    def update(self, done: int) -> None:
        """``done`` cases are done; redrawn if the last draw is :data:`INTERVAL` seconds old."""
        self.done = done
        now = time.perf_counter()
        if now - self.last < INTERVAL:
            return
        self.last = now
        self.draw(done, now)

    def show(self, done: int) -> None:
        """``done`` cases are done, drawn at once (a run whose first counts come late — a
        population staged as a whole — shows its bar from its start)."""
        self.done = done
        self.last = time.perf_counter()
        self.draw(done, self.last)

    def draw(self, done: int, now: float) -> None:
        rate = (done - self.first) / max(now - self.start, 1e-9)
        if self.total:
            share = min(done / self.total, 1.0)
            filled = int(share * _WIDTH)
            rest = max(self.total - done, 0) / rate if rate > 0 else 0
            text = (f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {done}/{self.total} Fälle ({share:.0%}) · "
                    f"{rate:,.0f} Fälle/s · noch {rest:,.0f} s")
        else:
            text = f"\r{done} Fälle · {rate:,.0f} Fälle/s"
        self.stream.write(text.replace(",", ".") + "   ")
        self.stream.flush()

    def close(self, done: int | None = None) -> None:
        """The last draw (``done``: default the last count given) and a line end; once (a bar
        handed on is closed by whoever ends last)."""
        if self.closed:
            return
        self.closed = True
        self.draw(self.done if done is None else done, time.perf_counter())
        self.stream.write("\n")
        self.stream.flush()
