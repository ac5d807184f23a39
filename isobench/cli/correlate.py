"""`isobench correlate`."""

from __future__ import annotations

import typer

from isobench.errors import UserError


def register(app: typer.Typer) -> None:
    @app.command("correlate")
    def correlate_cmd(ctx: typer.Context) -> None:
        """Not implemented yet."""
        raise UserError("`isobench correlate` is not implemented yet")
