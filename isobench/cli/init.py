"""`isobench init [DIR]`: a starter bench.yaml, a task file and an example repository."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("init")
    def init_cmd(
        folder: Annotated[Path, typer.Argument(help="Where to write the starter files (default: here)")] = Path("."),
        force: Annotated[bool, typer.Option("--force", help="Replace files that already exist.")] = False,
    ) -> None:
        """Write a commented bench.yaml, tasks/example.yaml and the example repository they run on."""
        from isobench.init import init

        written = init(folder, force=force)
        for path in written:
            typer.echo(f"wrote {path}")
        where = "" if folder.absolute() == Path.cwd() else f"cd {folder} && "
        typer.echo(
            f"next: {where}isobench plan && isobench prepare && isobench run && isobench score && "
            "isobench correlate && isobench export"
        )
