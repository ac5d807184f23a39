"""`run`: one agent subprocess per (instance, provider, attempt), many in parallel, each one recorded.

The unit of work is `runs/<instance>/<provider>/<attempt>/`; its `result.json` is written last and is
the "done" marker. A unit without one (never started, or cut short by Ctrl-C, a crash or kill -9) is
redone from scratch on the next run: its partial files are removed first. Agents run in their own
process group inside the sandbox, are killed by group on timeout or Ctrl-C, and die with isobench.

Nothing an agent can see names its instance: it works in `work/<random token>/` (workspace, home, and
the runner's output), not under `runs/<instance_id>/`, whose name carries the human commit's sha. When
the attempt ends, its logs and patch are moved into the attempt folder and the work folder goes.

The API key never travels on a command line or in an environment the agent can read: the runner gets
it (and the provider's `env_passthrough` variables) through an inherited pipe, keeps it in memory,
marks itself non-dumpable so its memory and environment cannot be read from /proc, and starts the
agent's shell through a wrapper that drops the passed-through variables.
"""

from __future__ import annotations

from isobench.config import BenchConfig, ProviderConfig
from isobench.errors import UserError
from isobench.executors import Executor
from isobench.executors.local import LocalExecutor
from isobench.progress import Reporter
from isobench.records import Attempt, Instance
from isobench.run.attempt import Runner, reap_stale
from isobench.run.launch import Launcher
from isobench.run.schedule import AttemptExecutor, Slots
from isobench.run.scripted import scenario, start_scripted_server
from isobench.run.units import RunSummary, Unit, UnitRefused, missing_keys, plan_units
from isobench.sandbox import Sandbox
from isobench.state import State

__all__ = ["RunSummary", "missing_keys", "plan_units", "run"]


def run(
    cfg: BenchConfig,
    state: State,
    instances: list[Instance],
    providers: list[ProviderConfig],
    reporter: Reporter,
    *,
    sandbox: Sandbox,
    attempts: int | None = None,
    max_parallel: int | None = None,
    force: bool = False,
    keep_work: bool = False,
    executor: Executor | None = None,
) -> RunSummary:
    """Run every pending attempt where `executor` says (default: here); Ctrl-C stops scheduling, kills running
    agents and marks them interrupted."""
    executor = executor or LocalExecutor(state)
    # Locally the key must be here; on a cluster each worker takes it from its own environment.
    errors = missing_keys(providers) if executor.keys_here else []
    if errors:
        raise UserError(errors[0])
    attempts = attempts or cfg.llm_benchmarking.attempts
    max_parallel = max_parallel or cfg.llm_benchmarking.max_parallel_runs
    todo, done = plan_units(cfg, state, instances, providers, attempts, force)
    sandbox.check()
    launcher = Launcher(cfg, state, sandbox)
    launcher.check(providers)  # the network gate and the resource limits can work here, before anything starts
    executor.connect()  # before anything is shown or written
    summary = RunSummary(skipped_done=done)
    reap_stale(state)

    totals, already, spent = _progress_so_far(state, instances, providers, attempts, force)

    launcher.install_tools()
    runner = Runner(state, launcher, reporter, keep_work=keep_work)
    attempts_on: AttemptExecutor = executor.attempts(runner, max_parallel)
    if executor.kind == "local" and any(p.provider == "scripted" for p in providers):
        start_scripted_server(launcher, lambda prov, iid: scenario(cfg, state.instance(iid), prov))

    reporter.start(totals, already)
    slots = Slots(todo, max_parallel)
    in_flight: dict[object, Unit] = {}
    try:
        while slots or in_flight:
            while (u := slots.take()) is not None:
                cap = u.provider.total_budget_usd
                if cap is not None and spent[u.provider.name] >= cap:
                    summary.skipped_budget.append(u.key)
                    slots.release(u)
                    continue
                reporter.attempt_started(u.key, u.provider.name, u.label)
                in_flight[attempts_on.submit(u)] = u
            for handle in attempts_on.wait(list(in_flight), 0.5):
                u = in_flight.pop(handle)
                slots.release(u)
                again = _finished(attempts_on, handle, u, summary, reporter, spent)
                if again is not None:  # a worker was lost: started again elsewhere
                    in_flight[attempts_on.submit(again)] = again
                    slots.running[again.provider.name] += 1
    except KeyboardInterrupt:
        summary.interrupted = True
        attempts_on.interrupt()  # running agents are stopped, queued units never start
        reporter.note("interrupted: stopping running agents (they will be re-run next time)")
        for handle, u in list(in_flight.items()):
            res = attempts_on.result(handle, u) if handle in attempts_on.wait([handle], 30) else None
            if isinstance(res, Attempt):
                summary.results.append(res)
    finally:
        attempts_on.close()
        if launcher.server is not None:
            launcher.server.stop()
        reporter.stop()
    if summary.skipped_budget:
        reporter.note(f"{len(summary.skipped_budget)} attempt(s) not started: the provider's total budget is spent")
    return summary


def _progress_so_far(
    state: State, instances: list[Instance], providers: list[ProviderConfig], attempts: int, force: bool
) -> tuple[dict[str, int], dict[str, int], dict[str, float]]:
    """Per provider: the attempts asked for, those already recorded (none with --force), the dollars spent."""
    totals = {p.name: attempts * len(instances) for p in providers}
    already = {
        p.name: sum(
            1
            for i in instances
            for a in range(1, attempts + 1)
            if state.attempt_result(i.instance_id, p.name, a) and not force
        )
        for p in providers
    }
    spent = {
        p.name: sum(r.cost_usd for i in instances for r in state.attempts(i.instance_id, p.name)) for p in providers
    }
    return totals, already, spent


def _finished(
    attempts_on: AttemptExecutor,
    handle: object,
    u: Unit,
    summary: RunSummary,
    reporter: Reporter,
    spent: dict[str, float],
) -> Unit | None:
    """Record one finished attempt; the unit to start again when its worker was lost, else None."""
    try:
        res = attempts_on.result(handle, u)
    except UnitRefused as exc:
        summary.errors.append(str(exc))
        reporter.note(str(exc))
        reporter.attempt_finished(u.key, u.provider.name, u.label, "not run", 0.0, 0.0)
        return None
    if isinstance(res, Unit):
        return res
    if res is not None:
        spent[u.provider.name] += res.cost_usd
        summary.results.append(res)
        reporter.attempt_finished(u.key, u.provider.name, u.label, res.status, res.cost_usd, res.wall_s)
    return None
