"""`isobench correlate`: agent against human, per instance and per provider."""

from __future__ import annotations

from typing import Annotated

import typer

from isobench.cli.common import JsonOption, WideOption, console, ctx_of, print_json


def register(app: typer.Typer) -> None:
    @app.command("correlate")
    def correlate_cmd(
        ctx: typer.Context,
        json_out: JsonOption = False,
        wide: WideOption = False,
        no_branches: Annotated[
            bool,
            typer.Option("--no-branches", help="Do not commit agent patches to isobench/* branches of the task repos."),
        ] = False,
    ) -> None:
        """Per provider: opt@1/opt@k, speedup and rho with CIs, cost per success, rank correlations."""
        from isobench.correlate import correlate
        from isobench.report.columns import show
        from isobench.report.terminal import correlate_table

        c = ctx_of(ctx)
        state = c.state()
        with state.lock("correlate"):
            res = correlate(c.config(), state, branches=not no_branches)
        if json_out:
            print_json(res.model_dump())
            return
        out = console()
        show(out, correlate_table(res), wide=wide)
        for b in res.between_providers:
            if b["spearman"] is not None:
                out.print(f"  Spearman {b['a']} vs {b['b']}: {b['spearman']:.2f} (n={b['n']})")
        branches = [(e, r) for e in res.instances for rows in e.llm_attempts.values() for r in rows if r.agent_branch]
        if branches:
            out.print("agent patches as branches of the task repositories (human commit, then branch):")
        for e, r in branches:  # one line each, never wrapped: a line to copy
            out.print(f"  git diff {e.human_commit[:12]} {r.agent_branch}", markup=False, soft_wrap=True)
