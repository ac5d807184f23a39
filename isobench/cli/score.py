"""`isobench score`."""

from __future__ import annotations

import typer

from isobench.errors import UserError


def register(app: typer.Typer) -> None:
    @app.command("score")
    def score_cmd(ctx: typer.Context) -> None:
        """Not implemented yet."""
        raise UserError("`isobench score` is not implemented yet")
