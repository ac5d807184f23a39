"""`isobench score`: correctness and speed of base, human and each agent patch, with 95% CIs."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from isobench.cli.common import console, ctx_of, print_json, split_csv


def _ci(row: dict[str, Any], key: str) -> str:
    if key not in row or row[key] is None:
        return "-"
    lo, hi = row[f"{key}_ci"]
    return f"{row[key]:.2f}x [{lo:.2f}, {hi:.2f}]"


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
    ) -> None:
        """Build, test and time base, human and every agent patch, side by side."""
        from isobench.cli.run import sandbox_for
        from isobench.errors import UserError
        from isobench.progress import make_score_reporter
        from isobench.score import score

        c = ctx_of(ctx)
        cfg = c.config()
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
                reporter=make_score_reporter(quiet=json_out),
                providers=split_csv(providers),
                force=force,
            )
        if json_out:
            print_json(results)
        else:
            out = console()
            for r in results:
                table = Table(title=f"{r['instance_id']} ({r['status']}, {'valid' if r.get('valid') else 'INVALID'})")
                for col in ("variant", "build", "correct", "speedup vs base [95% CI]", "", "rho [95% CI]", "match"):
                    table.add_column(col)
                for name, v in r["variants"].items():
                    table.add_row(
                        name,
                        v.get("build") or "-",
                        "empty"
                        if v.get("kind") == "agent" and v.get("patch_empty")
                        else {True: "yes", False: "NO"}.get(v.get("correct"), "-"),
                        _ci(v, "speedup"),
                        v.get("classification") or v.get("workload_error", "-")[:40],
                        _ci(v, "rho"),
                        v.get("match_label") or "-",
                    )
                if r.get("aa"):
                    table.add_row(
                        "A/A (base vs base)", "", "", _ci(r["aa"], "speedup"), r["aa"]["classification"], "", ""
                    )
                out.print(table)
                if not r.get("valid"):
                    out.print(f"  invalid: {r.get('invalid_reason')}", markup=False, soft_wrap=True)
                if r.get("noisy"):
                    out.print(f"  noisy: {r.get('noisy_reason')}", markup=False, soft_wrap=True)
                if r.get("decision_margin") is not None:
                    out.print(
                        f"  decision margin +-{r['decision_margin']:.1%} (min_gain, or the A/A noise floor "
                        f"{r.get('noise_floor') or 0:.1%} if larger)",
                        markup=False,
                    )
                if r.get("timing_fallback"):
                    out.print(f"  timed as whole processes: {r['timing_fallback'][-200:]}", markup=False)
                for cmd in r.get("excluded_tests") or []:
                    out.print(f"  fails on the human commit too (not counted): {cmd}", markup=False)
                m = r.get("measurement")
                if m:
                    out.print(
                        f"  timed: {r['timed']} ({m['timing_mode']}); {m['rounds']} rounds, "
                        f"stopped: {m['stop_reason']}, efficiency {m['efficiency']:.2f}"
                    )
        if any(r["status"] != "scored" for r in results):
            raise typer.Exit(1)
