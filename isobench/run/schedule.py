"""Which attempt may start now, and how attempts are executed: on this machine (a thread per running
agent) or elsewhere (`isobench.executors`), both behind the same small interface."""

from __future__ import annotations

import threading
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Protocol, cast

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

    # A handle is the executor's own (a Future here, a Ray object reference there): `run` only hands it back.
    def submit(self, u: Unit) -> object: ...
    def wait(self, handles: list[object], timeout: float) -> list[object]: ...
    def result(self, handle: object, u: Unit) -> Attempt | Unit | None:
        """The attempt's record (already written in the state), None when it was not run (cancelled), or
        the unit again to resubmit (a worker lost: see RayAttempts). Raises UnitRefused for a refusal."""
        ...

    def interrupt(self) -> None: ...
    def close(self) -> None: ...


class LocalAttempts:
    """Attempts on this machine: one thread per running agent (the agent itself is a sandboxed process).

    The threads are daemons: after Ctrl-C, `run` waits a bounded time for each attempt to record itself
    `interrupted`, and then exits whatever a thread is still doing (its agent's process group is killed and
    dies with isobench; the attempt is redone next time). A pool's threads would hold the exit until the
    last one returned."""

    name = "local"

    def __init__(self, runner: Runner) -> None:
        self.runner = runner  # how many run at once is `run`'s Slots' to decide

    def _job(self, u: Unit, future: Future[Attempt | None]) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(None if self.runner.cancel.is_set() else self.runner.run_unit(u))
        except BaseException as exc:  # noqa: BLE001 - handed to `result`, which raises it in the caller
            future.set_exception(exc)

    def submit(self, u: Unit) -> Future[Attempt | None]:
        future: Future[Attempt | None] = Future()
        threading.Thread(target=self._job, args=(u, future), name=f"attempt {u.key}", daemon=True).start()
        return future

    def wait(self, handles: list[object], timeout: float) -> list[object]:
        futures = cast(list[Future[Attempt | None]], handles)  # the ones `submit` handed out
        done, _ = wait(futures, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle: object, u: Unit) -> Attempt | Unit | None:
        return cast(Future[Attempt | None], handle).result()

    def interrupt(self) -> None:
        self.runner.cancel.set()  # running attempts kill their agent and record `interrupted`

    def close(self) -> None:
        """Nothing to wait for: every attempt `run` still waits for has been waited for."""
