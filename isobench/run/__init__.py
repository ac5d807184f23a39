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

import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from isobench.config import BenchConfig, ProviderConfig
from isobench.errors import UserError
from isobench.progress import Reporter
from isobench.records import Attempt, Instance
from isobench.run.attempt import Runner, reap_stale
from isobench.run.launch import Launcher
from isobench.run.scripted import scenario_resolver
from isobench.run.units import RunSummary, Unit, missing_keys, plan_units
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
) -> RunSummary:
    """Run every pending attempt; Ctrl-C stops scheduling, kills running agents and marks them interrupted."""
    errors = missing_keys(providers)
    if errors:
        raise UserError(errors[0])
    attempts = attempts or cfg.llm_benchmarking.attempts
    max_parallel = max_parallel or cfg.llm_benchmarking.max_parallel_runs
    todo, done = plan_units(cfg, state, instances, providers, attempts, force)
    sandbox.check()
    summary = RunSummary(skipped_done=done)
    reap_stale(state)

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

    launcher = Launcher(cfg, state, sandbox)
    launcher.install_tools()
    if any(p.provider == "scripted" for p in providers):
        from isobench.agents.scripted_server import ScriptedLLMServer

        launcher.server = ScriptedLLMServer(scenario_resolver(cfg, state, launcher.scripted_keys)).start()
    runner = Runner(state, launcher, reporter, keep_work=keep_work)
    lock = threading.Lock()

    def job(u: Unit) -> Attempt | None:
        cap = u.provider.total_budget_usd
        with lock:
            if runner.cancel.is_set():
                return None
            if cap is not None and spent[u.provider.name] >= cap:
                summary.skipped_budget.append(u.key)
                return None
        res = runner.run_unit(u)
        with lock:
            spent[u.provider.name] += res.cost_usd
        return res

    reporter.start(totals, already)
    pool = ThreadPoolExecutor(max_workers=max_parallel)
    futures: set[Future[Attempt | None]] = set()
    try:
        futures = {pool.submit(job, u) for u in todo}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for f in finished:
                res = f.result()
                if res is not None:
                    summary.results.append(res)
    except KeyboardInterrupt:
        summary.interrupted = True
        runner.cancel.set()  # queued jobs return at once, running ones kill their agent
        reporter.note("interrupted: stopping running agents (they will be re-run next time)")
        for f in futures:
            f.cancel()
        pool.shutdown(wait=True)
        for f in futures:
            if f.done() and not f.cancelled() and f.exception() is None:
                res = f.result()
                if res is not None and res not in summary.results:
                    summary.results.append(res)
    finally:
        pool.shutdown(wait=True)
        if launcher.server is not None:
            launcher.server.stop()
        reporter.stop()
    if summary.skipped_budget:
        reporter.note(f"{len(summary.skipped_budget)} attempt(s) not started: the provider's total budget is spent")
    return summary
