"""`isobench score`: correctness and speed of base, human and each agent patch, with 95% CIs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from isobench.cli.common import ExecutorOption, RayAddressOption, console, ctx_of, print_json, split_csv


def _ci(value: float | None, ci: list[float] | None) -> str:
    if value is None or ci is None:
        return "-"
    return f"{value:.2f}x [{ci[0]:.2f}, {ci[1]:.2f}]"


def register(app: typer.Typer) -> None:
    @app.command("score")
    def score_cmd(
        ctx: typer.Context,
        instances: Annotated[
            list[str] | None,
            typer.Option("--instances", "-i", help="Instance ids or unique prefixes (comma-separated) (default: all)"),
        ] = None,
        providers: Annotated[
            list[str] | None,
            typer.Option(
                "--providers", "-p", help="Only these providers' attempts (comma-separated) (default: all recorded)"
            ),
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Rebuild, retest and re-time everything.")] = False,
        no_sandbox: Annotated[
            bool, typer.Option("--no-sandbox", help="Run candidate code directly on this machine (no isolation).")
        ] = False,
        json_out: Annotated[
            bool, typer.Option("--json", help="Print the score records as JSON, nothing else.")
        ] = False,
        keep_work: Annotated[
            bool, typer.Option("--keep-work", help="Keep each variant's copy and venv after scoring, for debugging.")
        ] = False,
        executor: ExecutorOption = None,
        ray_address: RayAddressOption = None,
    ) -> None:
        """Build, test and time base, human and every agent patch, side by side."""
        from isobench.cli.run import executor_kind, sandbox_for
        from isobench.cli.summary import echo as echo_summary
        from isobench.cli.summary import score_line
        from isobench.errors import UserError
        from isobench.progress import make_score_reporter
        from isobench.score import score

        c = ctx_of(ctx)
        cfg = c.config()
        kind = executor_kind(cfg, executor)
        state = c.state()
        insts = state.select_instances(split_csv(instances))
        if not insts:
            raise UserError(f"{state.root}: no planned instances; run `isobench plan` first")
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
                executor_kind=kind,
                ray_address=ray_address,
            )
        line = score_line(c, state.root / "score", [r.valid for r in results])
        if json_out:
            print_json([r.model_dump() for r in results])
            echo_summary(line, json_out=True)
            raise typer.Exit(1 if any(r.status != "scored" for r in results) else 0)
        out = console()
        for r in results:
            table = Table(title=f"{r.instance_id} ({r.status}, {'valid' if r.valid else 'INVALID'})")
            for col in ("variant", "build", "correct", "speedup vs base [95% CI]", "", "rho [95% CI]", "match"):
                table.add_column(col)
            for name, v in r.variants.items():
                correct = "empty" if v.kind == "agent" and v.patch_empty else ("yes" if v.correct else "NO")
                table.add_row(
                    name,
                    v.build,
                    correct,
                    _ci(v.speedup, v.speedup_ci),
                    v.classification or (v.workload_error or "-")[:40],
                    _ci(v.rho, v.rho_ci),
                    v.match_label or "-",
                )
            if r.aa:
                table.add_row(
                    "A/A (base vs a copy)", "", "", _ci(r.aa.speedup, r.aa.speedup_ci), r.aa.classification, "", ""
                )
            out.print(table)
            notes = [f"invalid: {r.invalid_reason}"] if not r.valid else []
            notes += [f"noisy: {r.noisy_reason}"] if r.noisy else []
            if r.decision_margin is not None:
                notes.append(
                    f"decision margin +-{r.decision_margin:.1%} (min_gain, or the A/A noise floor "
                    f"{r.noise_floor or 0:.1%} if larger)"
                )
            notes += [f"timed as whole processes: {r.timing_fallback[-200:]}"] if r.timing_fallback else []
            notes += [f"fails on the human commit too (not counted): {c}" for c in r.excluded_tests]
            if r.measurement:
                m = r.measurement
                notes.append(
                    f"timed: {r.timed} ({m.timing_mode}); {m.rounds} rounds, stopped: {m.stop_reason}, "
                    f"efficiency {m.efficiency:.2f}"
                )
            for note in notes:
                out.print(f"  {note}", markup=False, soft_wrap=True)
        echo_summary(line, json_out=False)
        if any(r.status != "scored" for r in results):
            raise typer.Exit(1)
