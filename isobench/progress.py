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
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TextIO

if TYPE_CHECKING:
    from rich.console import Group
    from rich.table import Column

    from isobench.measure.protocol import RoundDone
    from isobench.records import InstanceScore


class Reporter(Protocol):
    def start(self, totals: dict[str, int], already_done: dict[str, int]) -> None: ...
    def attempt_started(self, key: str, provider: str, label: str) -> None: ...
    def attempt_progress(self, key: str, iterations: int, cost_usd: float) -> None: ...
    def attempt_phase(self, key: str, phase: str) -> None:
        """What a running attempt is doing: `building environment`, then `agent`."""
        ...

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


def _label(max_width: int | None, ratio: int | None = None) -> Column:
    """A progress column of names or free text: on one line, cut at its end (`…`) when the row would not fit
    the terminal; numbers go in columns of their own, measured whole (`Column(no_wrap=True)`)."""
    from rich.table import Column

    return Column(no_wrap=True, overflow="ellipsis", max_width=max_width, ratio=ratio)


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

    def attempt_phase(self, key: str, phase: str) -> None:
        if phase != "agent":
            self._line(f"{phase}: {key}")

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

    def _render(self) -> Group:
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
        from rich.table import Column

        # One line per row at any width: numbers in columns measured whole, names and free text cut at their
        # end if they must be (`_label`), the bar taking what is left.
        width = self.console.width
        self.providers = Progress(
            TextColumn("[bold]{task.description:<12}", table_column=_label(max(12, width // 4))),
            BarColumn(bar_width=None, table_column=Column(ratio=1)),
            MofNCompleteColumn(table_column=Column(no_wrap=True)),
            TextColumn(
                "running {task.fields[running]}  failed {task.fields[failed]}  ${task.fields[cost]:.2f}",
                table_column=Column(no_wrap=True),
            ),
            TextColumn("ETA", table_column=Column(no_wrap=True)),
            TimeRemainingColumn(table_column=Column(no_wrap=True)),
            console=self.console,
            expand=True,
        )
        self.attempts = Progress(
            SpinnerColumn(),
            TimeElapsedColumn(table_column=Column(no_wrap=True)),
            TextColumn("iter {task.fields[iterations]:<3} ${task.fields[cost]:.3f}", table_column=Column(no_wrap=True)),
            TextColumn("{task.description} {task.fields[phase]}", table_column=_label(None, ratio=1)),
            console=self.console,
            expand=True,
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
            self.attempt_rows[key] = self.attempts.add_task(
                f"{provider}: {label}", total=None, iterations=0, cost=0.0, phase=""
            )

    def attempt_phase(self, key: str, phase: str) -> None:
        with self.lock:
            if key in self.attempt_rows:
                self.attempts.update(self.attempt_rows[key], phase="" if phase == "agent" else f"({phase})")

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


# --------------------------------------------------------------------------------------------------
# score: building environments can take minutes on a real project, timing minutes more per instance.


class ScoreReporter(Protocol):
    def start(self, instance_ids: list[str]) -> None: ...
    def instance_started(self, iid: str, variants: list[str]) -> None: ...
    def variant_step(self, iid: str, variant: str, step: str) -> None: ...
    def variant_done(self, iid: str, variant: str, build: str, *, reused: bool) -> None: ...
    def timing_started(self, iid: str, variants: list[str], budget_s: float) -> None: ...
    def timing_round(self, iid: str, rounds: int, info: RoundDone) -> None: ...
    def instance_done(self, iid: str, record: InstanceScore) -> None: ...
    def stop(self) -> None: ...


def make_score_reporter(
    stream: TextIO | None = None, *, quiet: bool = False, pair_budget_s: float | None = None
) -> ScoreReporter:
    """Rich on a terminal (unless NO_COLOR or TERM=dumb), plain lines otherwise; nothing with quiet.
    `pair_budget_s` (score.time_budget_s) lets the ETA count the timing of instances not yet reached."""
    stream = stream or sys.stderr
    if quiet:
        return PlainScoreReporter(stream, quiet=True)
    tty = stream.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    if tty:
        return RichScoreReporter(stream, pair_budget_s=pair_budget_s)
    return PlainScoreReporter(stream, pair_budget_s=pair_budget_s)


def format_duration(seconds: float) -> str:
    """`45s`, `3m 20s`, `1h 05m`: an ETA needs no more precision than that."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {s % 3600 // 60:02d}m"


class ScoreEta:
    """How long `score` has left, across instances, from what it has seen so far.

    An instance is built, then timed. Its timing is bounded before it starts: score.time_budget_s per
    (base, other variant) pair, so V x the pair budget for V other variants (the protocol stops earlier once
    every CI is narrow enough; the fraction of the budget the finished instances used scales the rest).
    Builds are not known in advance: the mean build time seen so far stands for the instances still to
    build. Instances scored side by side (a Ray cluster, one per node) divide the remainder.
    """

    def __init__(
        self, instance_ids: list[str], pair_budget_s: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ids = list(instance_ids)
        self.pair_budget_s = pair_budget_s
        self.clock = clock
        self.t0 = clock()
        self.started: dict[str, float] = {}
        self.variants: dict[str, int] = {}
        self.timing: dict[str, tuple[float, float]] = {}  # iid -> (when its timing started, its budget)
        self.done: set[str] = set()
        self.build_s: list[float] = []  # instance_started -> timing_started, per instance
        self.whole_s: list[float] = []  # instance_started -> done, for instances never seen timing (a cluster)
        self.budget_used: list[float] = []  # fraction of the timing budget each timed instance took
        self.parallel = 1

    def instance_started(self, iid: str, variants: int) -> None:
        self.started[iid] = self.clock()
        self.variants[iid] = variants
        self.parallel = max(self.parallel, len(self.started.keys() - self.done))

    def timing_started(self, iid: str, budget_s: float) -> None:
        now = self.clock()
        if iid not in self.timing and iid in self.started:
            self.build_s.append(now - self.started[iid])
        self.timing[iid] = (now, budget_s)

    def instance_done(self, iid: str) -> None:
        now = self.clock()
        if iid in self.timing:
            t, budget = self.timing[iid]
            self.budget_used.append(min(1.0, (now - t) / budget) if budget > 0 else 1.0)
        elif iid in self.started:
            self.whole_s.append(now - self.started[iid])
        self.done.add(iid)

    def _budget(self, iid: str) -> float | None:
        """The timing budget of an instance not timed yet: its variants (or the last instance's) x the pair budget."""
        n = self.variants.get(iid) or (list(self.variants.values())[-1] if self.variants else None)
        if self.pair_budget_s is not None and n is not None:
            return self.pair_budget_s * max(1, n - 1)
        if self.timing:
            return list(self.timing.values())[-1][1]
        return None

    def _used(self) -> float:
        """The fraction of its timing budget an instance takes (1 until one has finished)."""
        return sum(self.budget_used) / len(self.budget_used) if self.budget_used else 1.0

    def _build(self, now: float) -> float | None:
        """A build's expected seconds: the mean seen so far; before any ended, the longest one running (a lower
        bound), so that the first instance's build is not counted as free for all the others."""
        if self.build_s:
            return sum(self.build_s) / len(self.build_s)
        building = [now - t for i, t in self.started.items() if i not in self.timing and i not in self.done]
        return max(building) if building else None

    def _expected(self, iid: str, now: float) -> float | None:
        """Seconds an instance takes from its start, as far as can be told."""
        build, budget = self._build(now), self._budget(iid)
        if not self.build_s and self.whole_s:
            return sum(self.whole_s) / len(self.whole_s)
        if budget is None:
            return build
        return (build or 0.0) + self._used() * budget

    def remaining_s(self) -> float | None:
        """Seconds left for the instances not done; None while nothing tells."""
        now, total = self.clock(), 0.0
        for iid in self.ids:
            if iid in self.done:
                continue
            if iid in self.timing:
                t, budget = self.timing[iid]
                total += max(0.0, self._used() * budget - (now - t))
                continue
            expected = self._expected(iid, now)
            if expected is None:
                return None
            total += max(0.0, expected - (now - self.started[iid])) if iid in self.started else expected
        return total / self.parallel

    def line(self) -> str:
        """`2/4 instances, ETA 3m 20s`; once all are done, how long it took."""
        k, n = len(self.done & set(self.ids)), len(self.ids)
        if k >= n:
            return f"{k}/{n} instances in {format_duration(self.clock() - self.t0)}"
        left = self.remaining_s()
        return f"{k}/{n} instances, ETA {format_duration(left) if left is not None else 'unknown'}"


def _instance_summary(record: InstanceScore) -> str:
    human = record.variants.get("human")
    if not record.valid:
        return f"{record.status}, invalid: {record.invalid_reason}"
    return f"valid, human {(human.speedup if human else None) or 0:.2f}x"


class PlainScoreReporter:
    """One line per step (for logs and scripts): `score: build <instance> <variant>: <step>`."""

    def __init__(
        self,
        stream: TextIO,
        quiet: bool = False,
        pair_budget_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.quiet = quiet
        self.last_round: dict[str, float] = {}
        self.pair_budget_s = pair_budget_s
        self.clock = clock
        self.eta = ScoreEta([], pair_budget_s, clock)

    def _line(self, text: str) -> None:
        if not self.quiet:
            self.stream.write(f"score: {text}\n")
            self.stream.flush()

    def start(self, instance_ids: list[str]) -> None:
        self.eta = ScoreEta(instance_ids, self.pair_budget_s, self.clock)
        self._line(f"{len(instance_ids)} instance(s) to score")

    def instance_started(self, iid: str, variants: list[str]) -> None:
        self.eta.instance_started(iid, len(variants))
        self._line(f"{iid}: {len(variants)} variants ({', '.join(variants)})")

    def variant_step(self, iid: str, variant: str, step: str) -> None:
        self._line(f"build  {iid} {variant}: {step}")

    def variant_done(self, iid: str, variant: str, build: str, *, reused: bool) -> None:
        if not reused or build != "ok":
            self._line(f"built  {iid} {variant}: {build}{' (reused)' if reused else ''}")

    def timing_started(self, iid: str, variants: list[str], budget_s: float) -> None:
        self.eta.timing_started(iid, budget_s)
        self._line(f"time   {iid}: {len(variants)} variants, up to {budget_s:.0f} s")

    def timing_round(self, iid: str, rounds: int, info: RoundDone) -> None:
        # A line every ~10 s is enough for a log.
        if info.elapsed_s - self.last_round.get(iid, -1e9) >= 10:
            self.last_round[iid] = info.elapsed_s
            hw = info.halfwidths
            worst = f", widest CI +-{max(hw.values()):.1%}" if hw else ""
            self._line(f"time   {iid}: round {rounds}, {info.elapsed_s:.0f} s{worst}")

    def instance_done(self, iid: str, record: InstanceScore) -> None:
        self.eta.instance_done(iid)
        self._line(f"done   {iid}: {_instance_summary(record)}")
        self._line(self.eta.line())

    def stop(self) -> None:
        pass


class RichScoreReporter:
    """rich.Live: an overall row (instances done of all, ETA), then one row per instance, with its current
    step (build, test, timing round) and CI width."""

    def __init__(
        self, stream: TextIO, pair_budget_s: float | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        from rich.console import Console

        self.console = Console(file=stream)
        self.lock = threading.RLock()  # the ETA column takes it while rendering
        self.rows: dict[str, Any] = {}
        self.progress: Any = None
        self.overall: Any = None
        self.pair_budget_s = pair_budget_s
        self.clock = clock
        self.eta = ScoreEta([], pair_budget_s, clock)

    def start(self, instance_ids: list[str]) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.table import Column
        from rich.text import Text

        self.eta = ScoreEta(instance_ids, self.pair_budget_s, self.clock)
        eta, lock = self.eta, self.lock

        class PhaseColumn(ProgressColumn):
            """An instance's phase; on the overall row, the ETA, computed at each refresh (a long build sends
            no event for minutes, and the estimate should still move). Measured whole: it holds numbers."""

            def render(self, task: Task) -> Text:
                if task.fields.get("overall"):
                    with lock:
                        return Text(eta.line())
                return Text(str(task.fields.get("phase", "")))

        # One line per row at any width: the instance id and the step (free text) are cut at their end if
        # they must be (`_label`); the phase, the ETA and the elapsed time never are.
        width = self.console.width
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}", table_column=_label(max(12, width // 4))),
            BarColumn(bar_width=10 if width < 120 else 20, table_column=Column(no_wrap=True)),
            PhaseColumn(table_column=Column(no_wrap=True)),
            TimeElapsedColumn(table_column=Column(no_wrap=True)),
            TextColumn("{task.fields[step]}", table_column=_label(None, ratio=1)),
            console=self.console,
            refresh_per_second=4,
            expand=True,
        )
        self.overall = self.progress.add_task(
            "all instances", total=max(1, len(instance_ids)), phase="", step="", overall=True
        )
        for iid in instance_ids:
            self.rows[iid] = self.progress.add_task(iid, total=None, phase="pending", step="", start=False)
        self.progress.start()

    def _update(self, iid: str, **kw: Any) -> None:
        with self.lock:
            if self.progress is not None and iid in self.rows:
                self.progress.update(self.rows[iid], **kw)

    def instance_started(self, iid: str, variants: list[str]) -> None:
        with self.lock:
            self.eta.instance_started(iid, len(variants))
            if self.progress is not None and iid in self.rows:
                self.progress.start_task(self.rows[iid])
                self.progress.update(self.rows[iid], total=len(variants), completed=0, phase="build")

    def variant_step(self, iid: str, variant: str, step: str) -> None:
        self._update(iid, step=f"{variant}: {step}"[:90])

    def variant_done(self, iid: str, variant: str, build: str, *, reused: bool) -> None:
        self._update(iid, advance=1, step=f"{variant}: {build}{' (reused)' if reused else ''}")

    def timing_started(self, iid: str, variants: list[str], budget_s: float) -> None:
        with self.lock:
            self.eta.timing_started(iid, budget_s)
        self._update(iid, total=budget_s, completed=0, phase=f"timing {len(variants)} variants", step="warm-up")

    def timing_round(self, iid: str, rounds: int, info: RoundDone) -> None:
        hw = info.halfwidths
        width = f", CI +-{max(hw.values()):.1%}" if hw else ""  # the widest: in the phase, never cut
        self._update(iid, completed=info.elapsed_s, phase=f"round {rounds}{width}", step="timing")

    def instance_done(self, iid: str, record: InstanceScore) -> None:
        with self.lock:
            self.eta.instance_done(iid)
            if self.progress is not None and iid in self.rows:
                task = self.rows[iid]
                total = self.progress.tasks[task].total or 1
                self.progress.update(task, total=total, completed=total, phase="done", step=_instance_summary(record))
                self.progress.stop_task(task)
                self.progress.update(self.overall, completed=len(self.eta.done))

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
