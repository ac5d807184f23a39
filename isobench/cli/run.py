"""`isobench run`."""

from __future__ import annotations

import typer

from isobench.errors import UserError


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_cmd(ctx: typer.Context) -> None:
        """Not implemented yet."""
        raise UserError("`isobench run` is not implemented yet")
