"""`isobench score`: correctness and speed of base, human and each agent patch, with 95% CIs."""

from __future__ import annotations

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
    WideOption,
    console,
    ctx_of,
    executor_for,
    print_json,
    sandbox_for,
    split_csv,
)


def register(app: typer.Typer) -> None:
    @app.command("score")
    def score_cmd(
        ctx: typer.Context,
        instances: InstancesOption = None,
        providers: ProvidersOption = None,
        force: ForceOption = False,
        no_sandbox: NoSandboxOption = False,
        json_out: JsonOption = False,
        keep_work: KeepWorkOption = False,
        executor: ExecutorOption = None,
        ray_address: RayAddressOption = None,
        wide: WideOption = False,
    ) -> None:
        """Build, test and time base, human and every agent patch, side by side."""
        from rich.padding import Padding
        from rich.text import Text

        from isobench.cli.summary import echo as echo_summary
        from isobench.cli.summary import score_line
        from isobench.progress import make_score_reporter
        from isobench.report.columns import show
        from isobench.report.terminal import score_table
        from isobench.score import score

        c = ctx_of(ctx)
        cfg = c.config()
        state = c.state()
        on = executor_for(cfg, state, executor, ray_address)
        insts = state.select_instances(split_csv(instances))
        sandbox = sandbox_for(cfg, no_sandbox)
        with state.lock("score"):
            results = score(
                cfg,
                state,
                insts,
                sandbox=sandbox,
                reporter=make_score_reporter(quiet=json_out, pair_budget_s=cfg.score.time_budget_s),
                providers=split_csv(providers),
                force=force,
                keep_work=keep_work,
                executor=on,
            )
        line = score_line(c, state.root / "score", [r.valid for r in results])
        if json_out:
            print_json([r.model_dump() for r in results])
            echo_summary(line, json_out=True)
            raise typer.Exit(1 if any(r.status != "scored" for r in results) else 0)
        out = console()
        for r in results:
            table, notes = score_table(r)
            show(out, table, wide=wide)
            for note in notes:  # on a terminal, wrapped between words and indented; else one line each
                if out.is_terminal:
                    out.print(Padding(Text(note), (0, 0, 0, 2)))
                else:
                    out.print(f"  {note}", markup=False, soft_wrap=True)
        echo_summary(line, json_out=False)
        if any(r.status != "scored" for r in results):
            raise typer.Exit(1)
