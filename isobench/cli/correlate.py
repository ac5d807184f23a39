"""`isobench correlate`: agent against human, per instance and per provider."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from isobench.cli.common import console, ctx_of, print_json


def _pct(x: float | None, ci: list[float] | None = None) -> str:
    if x is None:
        return "-"
    return f"{x:.0%}" + (f" [{ci[0]:.0%}, {ci[1]:.0%}]" if ci else "")


def _x(x: float | None, ci: list[float] | None = None) -> str:
    if x is None:
        return "-"
    return f"{x:.2f}x" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


def register(app: typer.Typer) -> None:
    @app.command("correlate")
    def correlate_cmd(
        ctx: typer.Context,
        json_out: Annotated[bool, typer.Option("--json", help="Print the correlation as JSON, nothing else.")] = False,
        no_branches: Annotated[
            bool,
            typer.Option("--no-branches", help="Do not commit agent patches to isobench/* branches of the task repos."),
        ] = False,
    ) -> None:
        """Per provider: opt@1/opt@k, speedup and rho with CIs, cost per success, rank correlations."""
        from isobench.correlate import correlate

        c = ctx_of(ctx)
        state = c.state()
        with state.lock("correlate"):
            res = correlate(c.config(), state, branches=not no_branches).model_dump()
        if json_out:
            print_json(res)
            return
        out = console()
        t = Table(
            title=f"agents against humans ({sum(e['valid'] for e in res['instances'])} valid instance(s) of "
            f"{len(res['instances'])})"
        )
        for col in (
            "provider",
            "attempts",
            "correct",
            "opt@1 strict [95% CI]",
            "opt@1 GSO",
            "opt@k strict",
            "speedup gmean [CI]",
            "rho gmean [CI]",
            "cost",
            "$/success",
            "Spearman vs human",
            "failures",
        ):
            t.add_column(col)
        for name, p in res["providers"].items():
            sp: dict[str, Any] = p["spearman_vs_human"]
            t.add_row(
                name,
                str(p["attempts"]),
                str(p["correct"]),
                _pct(p["opt1_strict"], p["opt1_strict_ci"]),
                _pct(p["opt1_gso"]),
                _pct(p["optk_strict"]) + f" (k={p['k']})",
                _x(p["speedup_gmean"], p["speedup_gmean_ci"]),
                _x(p["rho_gmean"], p["rho_gmean_ci"]),
                f"${p['total_cost_usd']:.2f}",
                "-" if p["cost_per_success"] is None else f"${p['cost_per_success']:.2f}",
                "-" if sp["rho"] is None else f"{sp['rho']:.2f} (n={sp['n']})",
                ", ".join(f"{k} {v}" for k, v in p["failure_reasons"].items()) or "-",
            )
        out.print(t)
        for b in res["between_providers"]:
            if b["spearman"] is not None:
                out.print(f"  Spearman {b['a']} vs {b['b']}: {b['spearman']:.2f} (n={b['n']})")
        for e in res["instances"]:
            for prov, rows in e["llm_attempts"].items():
                for r in rows:
                    if r["agent_branch"]:
                        out.print(
                            f"  git diff {e['human_commit'][:12]} {r['agent_branch']}   # {prov} on {e['instance_id']}",
                            highlight=False,
                            markup=False,
                        )
