"""`isobench run`: the agents, in parallel, with a live display."""

from __future__ import annotations

import signal
from typing import Annotated

import typer

from isobench.cli.common import ExecutorOption, RayAddressOption, ctx_of, print_json, split_csv


def executor_kind(cfg, given: str | None) -> str:  # type: ignore[no-untyped-def]
    """--executor, else bench.yaml's executor.kind; refused with one line if unknown."""
    from isobench.errors import UserError

    kind = given or cfg.executor.kind
    if kind not in ("local", "ray"):
        raise UserError(f"--executor: {kind!r} is not one of local, ray")
    if kind == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise UserError("--executor ray needs Ray: pip install 'isobench[ray]' (./scripts/setup installs it)")
    return str(kind)


def sandbox_for(cfg, no_sandbox: bool):  # type: ignore[no-untyped-def]
    from isobench.sandbox import get_sandbox

    return get_sandbox("none" if no_sandbox else cfg.sandbox_kind, image=cfg.container.image)


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(
        ctx: typer.Context,
        providers: Annotated[
            list[str] | None,
            typer.Option("--providers", "-p", help="Providers (comma-separated) (default: bench.yaml's)"),
        ] = None,
        instances: Annotated[
            list[str] | None,
            typer.Option("--instances", "-i", help="Instance ids or unique prefixes (comma-separated) (default: all)"),
        ] = None,
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
        force: Annotated[bool, typer.Option("--force", help="Re-run attempts that already finished.")] = False,
        no_sandbox: Annotated[
            bool, typer.Option("--no-sandbox", help="Run agents directly on this machine (no isolation).")
        ] = False,
        json_out: Annotated[
            bool, typer.Option("--json", help="Print the attempts' results as JSON at the end.")
        ] = False,
        keep_work: Annotated[
            bool,
            typer.Option("--keep-work", help="Keep each attempt's workspace (in its attempt folder), for debugging."),
        ] = False,
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
        kind = executor_kind(cfg, executor)
        state = c.state()
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
                executor_kind=kind,
                ray_address=ray_address,
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
