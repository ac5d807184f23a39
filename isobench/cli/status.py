"""`isobench status`: pending / done / failed per stage and provider."""

from __future__ import annotations

import typer
from rich.table import Table

from isobench.cli.common import JsonOption, console, ctx_of, print_json


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status_cmd(
        ctx: typer.Context,
        json_out: JsonOption = False,
    ) -> None:
        """Show how far each stage got, per provider."""
        from isobench.status import summarize

        c = ctx_of(ctx)
        summary = summarize(c.config(), c.state())
        if json_out:
            print_json(summary)
            return
        table = Table(title=f"{summary['instances']} instance(s) in {summary['state_dir']}")
        for col in ("stage", "provider", "pending", "done", "failed", "detail"):
            table.add_column(col, justify="right" if col in ("pending", "done", "failed") else "left")
        table.add_row("plan", "-", "0", str(summary["plan"]["done"]), "0", "")
        for stage in ("prepare", "run", "score", "correlate"):
            for prov, n in summary[stage].items():
                detail = ", ".join(
                    f"{s} {k}" for s, k in n.get("by_status", {}).items() if s not in ("pending", "success")
                )
                table.add_row(stage, prov, str(n["pending"]), str(n["done"]), str(n["failed"]), detail)
        console().print(table)
