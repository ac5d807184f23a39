"""`isobench status`: pending / done / failed per stage and provider."""

from __future__ import annotations

import typer

from isobench.cli.common import JsonOption, WideOption, console, ctx_of, print_json


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status_cmd(
        ctx: typer.Context,
        json_out: JsonOption = False,
        wide: WideOption = False,
    ) -> None:
        """Show how far each stage got, per provider."""
        from isobench.report.columns import show
        from isobench.report.terminal import status_table
        from isobench.status import summarize

        c = ctx_of(ctx)
        summary = summarize(c.config(), c.state())
        if json_out:
            print_json(summary)
            return
        show(console(), status_table(summary), wide=wide)
        for iid, why in summary["score"]["all"].get("inconsistent", {}).items():
            typer.echo(f"inconsistent: score/{iid}: {why} (a plain `isobench score` redoes it)")
