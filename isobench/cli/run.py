"""`isobench run`: the agents, in parallel, with a live display."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from isobench.cli.common import (
    ExecutorOption,
    ForceOption,
    InstancesOption,
    JsonOption,
    KeepWorkOption,
    NoSandboxOption,
    ProvidersOption,
    RayAddressOption,
    ctx_of,
    executor_for,
    print_json,
    sandbox_for,
    split_csv,
)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        ctx: typer.Context,
        providers: ProvidersOption = None,
        instances: InstancesOption = None,
        attempts: Annotated[
            int | None,
            typer.Option(
                "--attempts",
                "-k",
                min=1,
                help="Attempts per instance and provider (default: llm_benchmarking.attempts)",
            ),
        ] = None,
        max_parallel: Annotated[
            int | None,
            typer.Option(
                "--max-parallel", "-j", min=1, help="Agents at once (default: llm_benchmarking.max_parallel_runs)"
            ),
        ] = None,
        force: ForceOption = False,
        no_sandbox: NoSandboxOption = False,
        json_out: JsonOption = False,
        keep_work: KeepWorkOption = False,
        executor: ExecutorOption = None,
        ray_address: RayAddressOption = None,
    ) -> None:
        """Run the agent on every prepared unit that has no finished attempt yet."""
        from isobench.cli.summary import echo as echo_summary
        from isobench.cli.summary import run_line
        from isobench.progress import make_reporter
        from isobench.records import HARNESS_FAILURES
        from isobench.run import run

        c = ctx_of(ctx)
        cfg = c.config()
        state = c.state()
        on = executor_for(cfg, state, executor, ray_address)
        provs = cfg.select_providers(split_csv(providers))
        insts = state.select_instances(split_csv(instances))
        sandbox = sandbox_for(cfg, no_sandbox)
        # `kill` (SIGTERM) stops a run the way Ctrl-C does: agents killed, units left to redo.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        with state.lock("run"):
            summary = run(
                cfg,
                state,
                insts,
                provs,
                make_reporter(quiet=json_out),
                sandbox=sandbox,
                attempts=attempts,
                max_parallel=max_parallel,
                force=force,
                keep_work=keep_work,
                executor=on,
            )
        if json_out:
            print_json([r.model_dump() for r in summary.results])
        for line in dict.fromkeys(summary.errors):  # units left pending, each reason once
            typer.echo(f"isobench: not run: {line}", err=True)
        where = run_line(
            c,
            state.root / "runs",
            [r.status for r in summary.results],
            done_before=summary.skipped_done,
            interrupted=summary.interrupted,
            not_run=len(summary.errors),
        )
        echo_summary(where, json_out=json_out)
        if summary.interrupted:
            raise typer.Exit(130)
        # Exit 1 when the harness could not get an answer for some attempt (the endpoint or isobench failed);
        # an agent that ran out of time, iterations or budget is a result: `run && score` goes on.
        if summary.errors or any(r.status in HARNESS_FAILURES for r in summary.results):
            raise typer.Exit(1)
