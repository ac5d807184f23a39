"""One reporter interface for long stages: a rich live display on a terminal, plain lines otherwise.

Modelled on mini-swe-agent's batch progress: one row per provider (done/total, running, failed,
dollars, ETA), one transient row per running attempt, and a status-count table; a single lock
around updates because attempts report from worker threads.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from typing import Any, Protocol, TextIO


class Reporter(Protocol):
    def start(self, totals: dict[str, int], already_done: dict[str, int]) -> None: ...
    def attempt_started(self, key: str, provider: str, label: str) -> None: ...
    def attempt_progress(self, key: str, iterations: int, cost_usd: float) -> None: ...
    def attempt_finished(
        self, key: str, provider: str, label: str, status: str, cost_usd: float, wall_s: float
    ) -> None: ...
    def note(self, message: str) -> None: ...
    def stop(self) -> None: ...


def make_reporter(stream: TextIO | None = None, *, quiet: bool = False) -> Reporter:
    """Rich on a terminal (unless NO_COLOR or TERM=dumb), plain lines for logs and scripts."""
    stream = stream or sys.stdout
    if quiet:
        return PlainReporter(stream, quiet=True)
    tty = stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    return RichReporter(stream) if tty else PlainReporter(stream)


class PlainReporter:
    """One line per event: readable in a log file and easy to grep from a script."""

    def __init__(self, stream: TextIO, quiet: bool = False) -> None:
        self.stream = stream
        self.quiet = quiet
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def _line(self, text: str) -> None:
        if self.quiet:
            return
        with self.lock:
            self.stream.write(f"{time.strftime('%H:%M:%S')} {text}\n")
            self.stream.flush()

    def start(self, totals: dict[str, int], already_done: dict[str, int]) -> None:
        todo = ", ".join(f"{p} {n - already_done.get(p, 0)}/{n}" for p, n in totals.items())
        self._line(f"run: attempts to do per provider: {todo}")

    def attempt_started(self, key: str, provider: str, label: str) -> None:
        self._line(f"start  {provider:<12} {label}")

    def attempt_progress(self, key: str, iterations: int, cost_usd: float) -> None:
        pass  # too chatty for a log: the finish line carries the totals

    def attempt_finished(
        self, key: str, provider: str, label: str, status: str, cost_usd: float, wall_s: float
    ) -> None:
        self.counts[status] += 1
        self._line(f"done   {provider:<12} {label} {status} ${cost_usd:.4f} {wall_s:.1f}s")

    def note(self, message: str) -> None:
        self._line(message)

    def stop(self) -> None:
        if self.counts:
            self._line("run: " + ", ".join(f"{s} {n}" for s, n in sorted(self.counts.items())))


class RichReporter:
    """rich.Live: provider rows, transient spinner rows per running attempt, a status-count table."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console

        self.console = Console(file=stream)
        self.lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.cost: dict[str, float] = {}
        self.failed: Counter[str] = Counter()
        self.running: Counter[str] = Counter()
        self.rows: dict[str, Any] = {}
        self.attempt_rows: dict[str, Any] = {}
        self.attempt_t0: dict[str, float] = {}
        self.live: Any = None

    def _render(self) -> Any:
        from rich.console import Group
        from rich.table import Table

        table = Table(title="attempts by status", expand=False)
        table.add_column("status")
        table.add_column("count", justify="right")
        for s, n in sorted(self.counts.items()):
            table.add_row(s, str(n))
        return Group(self.providers, self.attempts, table)

    def start(self, totals: dict[str, int], already_done: dict[str, int]) -> None:
        from rich.live import Live
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.providers = Progress(
            TextColumn("[bold]{task.description:<12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("running {task.fields[running]}  failed {task.fields[failed]}  ${task.fields[cost]:.2f}"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self.attempts = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("iter {task.fields[iterations]}  ${task.fields[cost]:.3f}"),
            TimeElapsedColumn(),
            console=self.console,
        )
        for p, n in totals.items():
            self.rows[p] = self.providers.add_task(
                p, total=n, completed=already_done.get(p, 0), running=0, failed=0, cost=0.0
            )
        self.live = Live(self._render(), console=self.console, refresh_per_second=4, transient=False)
        self.live.start()

    def attempt_started(self, key: str, provider: str, label: str) -> None:
        with self.lock:
            self.running[provider] += 1
            self.providers.update(self.rows[provider], running=self.running[provider])
            self.attempt_rows[key] = self.attempts.add_task(f"{provider}: {label}", total=None, iterations=0, cost=0.0)

    def attempt_progress(self, key: str, iterations: int, cost_usd: float) -> None:
        with self.lock:
            if key in self.attempt_rows:
                self.attempts.update(self.attempt_rows[key], iterations=iterations, cost=cost_usd)

    def attempt_finished(
        self, key: str, provider: str, label: str, status: str, cost_usd: float, wall_s: float
    ) -> None:
        with self.lock:
            self.counts[status] += 1
            self.running[provider] -= 1
            self.cost[provider] = self.cost.get(provider, 0.0) + cost_usd
            if status not in ("success", "interrupted"):
                self.failed[provider] += 1
            row = self.attempt_rows.pop(key, None)
            if row is not None:
                self.attempts.remove_task(row)  # transient: a finished attempt leaves the display
            self.providers.update(
                self.rows[provider],
                advance=0 if status == "interrupted" else 1,
                running=self.running[provider],
                failed=self.failed[provider],
                cost=self.cost[provider],
            )
            if self.live is not None:
                self.live.update(self._render())

    def note(self, message: str) -> None:
        self.console.print(message)

    def stop(self) -> None:
        if self.live is not None:
            self.live.update(self._render())
            self.live.stop()
