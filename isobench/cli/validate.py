"""`isobench validate`: is each instance of these task files (or a shipped suite) sound enough for a suite?"""

from __future__ import annotations

import shutil
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from isobench.cli.common import (
    ForceOption,
    InstancesOption,
    JsonOption,
    NoSandboxOption,
    console,
    ctx_of,
    print_json,
    split_csv,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from isobench.config import BenchConfig
    from isobench.records import Instance, Validation
    from isobench.state import State


def register(app: typer.Typer) -> None:
    @app.command("validate")
    def validate_cmd(
        ctx: typer.Context,
        tasks: Annotated[
            list[Path] | None, typer.Argument(help="Task files to validate (default: the `tasks` listed in bench.yaml)")
        ] = None,
        suite: Annotated[str | None, typer.Option("--suite", help="Validate a suite isobench ships (python)")] = None,
        repo_root: Annotated[
            Path | None,
            typer.Option("--repo-root", help="With --suite: take the repositories from local clones in DIR"),
        ] = None,
        instances: InstancesOption = None,
        time_budget: Annotated[
            float | None,
            typer.Option(
                "--time-budget",
                min=1,
                help="score.time_budget_s for validation: seconds per (base, variant) pair (default: bench.yaml's)",
            ),
        ] = None,
        records_to: Annotated[
            Path | None,
            typer.Option("--records-to", help="Also copy each instance's validation record to DIR/<iid>.json"),
        ] = None,
        force: ForceOption = False,
        no_sandbox: NoSandboxOption = False,
        json_out: JsonOption = False,
    ) -> None:
        """Build base and human, run the tests, time the human against base, run the oracle; write one
        validation record per instance (state/validate/<iid>/validation.json): admitted or not, and why.
        Exit 0 when every instance is admitted, 1 when some is not (or could not be validated)."""
        from isobench.cli.common import sandbox_for
        from isobench.errors import UserError
        from isobench.validate import validate, validation_config

        c = ctx_of(ctx)
        if repo_root is not None and not suite:
            raise UserError("--repo-root goes with --suite")
        if suite and tasks:
            raise UserError("give task files or --suite NAME, not both")
        cfg = validation_config(c.config(), time_budget)
        state = c.state()
        paths = _task_paths(cfg, tasks, suite)
        plan_fn = _suite_plan(repo_root) if suite and repo_root is not None else None
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        log = (lambda m: print(m, file=sys.stderr)) if json_out else (lambda m: console().print(m, markup=False))
        with state.lock("validate"):
            done = validate(
                cfg,
                state,
                paths,
                sandbox=sandbox_for(cfg, no_sandbox),
                ids=split_csv(instances),
                force=force,
                plan_fn=plan_fn,
                log=log,
            )
        if records_to is not None:
            _copy_records(state.root, done.records, records_to)
        _show(done.records, json_out)
        for line in done.failed:
            print(f"isobench: not validated: {line}", file=sys.stderr)
        if done.interrupted:
            raise typer.Exit(130)
        if done.failed or not all(r.admitted for r in done.records):
            raise typer.Exit(1)


def _task_paths(cfg: BenchConfig, tasks: list[Path] | None, suite: str | None) -> list[Path]:
    if suite:
        from isobench.suites import suite_tasks

        return suite_tasks(suite)
    return list(tasks) if tasks else [cfg.resolve(t) for t in cfg.tasks]


def _suite_plan(repo_root: Path) -> Callable[[BenchConfig, State, list[Path]], list[Instance]]:
    """Plan the suite's tasks on the private state after copying the local clones into it."""
    from isobench.plan import plan
    from isobench.suites import seed_clones

    def plan_fn(cfg: BenchConfig, work: State, paths: list[Path]) -> list[Instance]:
        seed_clones(work, paths, repo_root)
        return [p.record for p in plan(cfg, work, paths)]

    return plan_fn


def _copy_records(root: Path, records: list[Validation], dest: Path) -> None:
    from isobench.state import State
    from isobench.validate import record_path

    dest.mkdir(parents=True, exist_ok=True)
    for r in records:
        shutil.copyfile(record_path(State(root), r.instance_id), dest / f"{r.instance_id}.json")


def _show(records: list[Validation], json_out: bool) -> None:
    if json_out:
        print_json([r.model_dump(mode="json") for r in records])
        return
    out = console()
    for r in records:
        ci = r.human_speedup_ci
        speed = f"{r.human_speedup:.2f}x [{ci[0]:.2f}, {ci[1]:.2f}]" if r.human_speedup and ci else "-"
        verdict = (
            "admitted" if r.admitted else "NOT admitted: " + "; ".join(f"{x.rule}: {x.detail}" for x in r.rejections)
        )
        out.print(
            f"{r.instance_id}  human {speed}  oracle {r.oracle_match_label or '-'}  "
            f"{r.seconds.total_s:.0f} s  {verdict}",
            markup=False,
            soft_wrap=True,
        )
    admitted = sum(r.admitted for r in records)
    out.print(f"{admitted} of {len(records)} instance(s) admitted; records under state/validate/", markup=False)
