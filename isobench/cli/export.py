"""`isobench export`."""

from __future__ import annotations

import typer

from isobench.errors import UserError


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(ctx: typer.Context) -> None:
        """Not implemented yet."""
        raise UserError("`isobench export` is not implemented yet")
