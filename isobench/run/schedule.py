"""Which attempt may start now, and how attempts are executed: on this machine (a thread per running
agent) or elsewhere (`isobench.executors`), both behind the same small interface."""

from __future__ import annotations

from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, Protocol

from isobench.records import Attempt
from isobench.run.attempt import Runner
from isobench.run.units import Unit


class Slots:
    """Queued units, handed out while fewer than `overall` run, and fewer than a provider's own
    `max_parallel_runs` of that provider (a provider's rate limit holds across the whole run)."""

    def __init__(self, units: list[Unit], overall: int) -> None:
        self.queue = deque(units)
        self.overall = overall
        self.running: Counter[str] = Counter()

    def _fits(self, u: Unit) -> bool:
        cap = u.provider.max_parallel_runs
        return cap is None or self.running[u.provider.name] < cap

    def take(self) -> Unit | None:
        """The next unit that may start now, or None."""
        if sum(self.running.values()) >= self.overall:
            return None
        for i, u in enumerate(self.queue):
            if self._fits(u):
                del self.queue[i]
                self.running[u.provider.name] += 1
                return u
        return None

    def release(self, u: Unit) -> None:
        self.running[u.provider.name] -= 1

    def __bool__(self) -> bool:
        return bool(self.queue)


class AttemptExecutor(Protocol):
    """Runs attempts somewhere; `run` schedules and records them the same way whatever it is."""

    name: str

    def submit(self, u: Unit) -> Any: ...
    def wait(self, handles: list[Any], timeout: float) -> list[Any]: ...
    def result(self, handle: Any, u: Unit) -> Attempt | Unit | None:
        """The attempt's record (already written in the state), None when it was not run (cancelled), or
        the unit again to resubmit (a worker lost: see RayAttempts). Raises UnitRefused for a refusal."""
        ...

    def interrupt(self) -> None: ...
    def close(self) -> None: ...


class LocalAttempts:
    """Attempts on this machine: one thread per running agent (the agent itself is a sandboxed process)."""

    name = "local"

    def __init__(self, runner: Runner, workers: int) -> None:
        self.runner = runner
        self.pool = ThreadPoolExecutor(max_workers=workers)

    def _job(self, u: Unit) -> Attempt | None:
        if self.runner.cancel.is_set():
            return None
        return self.runner.run_unit(u)

    def submit(self, u: Unit) -> Future[Attempt | None]:
        return self.pool.submit(self._job, u)

    def wait(self, handles: list[Any], timeout: float) -> list[Any]:
        done, _ = wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle: Any, u: Unit) -> Attempt | Unit | None:
        res: Attempt | None = handle.result()
        return res

    def interrupt(self) -> None:
        self.runner.cancel.set()  # running attempts kill their agent and record `interrupted`

    def close(self) -> None:
        self.pool.shutdown(wait=True)
