"""Progress of a long run: a bar on a terminal, periodic log lines otherwise."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

#: Seconds between two log lines when stderr is not a terminal.
LOG_EVERY_S = 10.0


class BatchProgress:
    """Counts projects as chunks complete.

    Parameters
    ----------
    total
        Projects in the whole batch.
    done
        Projects already done (a resumed run).
    mode
        ``"bar"`` (rich progress bar with rate and ETA), ``"log"`` (a line every
        :data:`LOG_EVERY_S` seconds and at the end), ``"none"``, or ``"auto"``
        (bar on a terminal, else log).
    """

    def __init__(self, total: int, done: int = 0, mode: str = "auto") -> None:
        if mode == "auto":
            mode = "bar" if sys.stderr.isatty() else "log"
        self.mode = mode
        self.total, self.done, self.failed = total, done, 0
        self.started = time.monotonic()
        self.first = done
        self.last_log = self.started
        self._bar: Progress | None = None
        if mode == "bar":
            self._bar = Progress(
                TextColumn("screening"), BarColumn(), MofNCompleteColumn(),
                TaskProgressColumn(), TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=False)
            self._task = self._bar.add_task("batch", total=total, completed=done, rate="")
            self._bar.start()

    def advance(self, projects: int, failed: int = 0) -> None:
        """Record a completed chunk."""
        self.done += projects
        self.failed += failed
        now = time.monotonic()
        rate = (self.done - self.first) / max(now - self.started, 1e-9)
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done, rate=f"{rate:,.0f}/s")
        elif self.mode == "log" and (now - self.last_log >= LOG_EVERY_S or self.done >= self.total):
            self.last_log = now
            self._log(rate)

    def _log(self, rate: float) -> None:
        remaining = (self.total - self.done) / rate if rate > 0 else float("nan")
        share = self.done / self.total * 100 if self.total else 100.0
        print(f"redline batch: {self.done:,}/{self.total:,} projects ({share:.1f}%) · "
              f"{rate:,.0f}/s · ETA {remaining:,.0f} s · {self.failed:,} failed",
              file=sys.stderr, flush=True)

    def close(self) -> None:
        """Stop the bar."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
