"""`isobench gc`: remove checkouts, environments and caches no result needs."""

from __future__ import annotations

from typing import Annotated

import typer

from isobench.cli.common import JsonOption, ctx_of, print_json


def register(app: typer.Typer) -> None:
    @app.command("gc")
    def gc_cmd(
        ctx: typer.Context,
        cache: Annotated[bool, typer.Option("--cache", help="Also remove uv's download cache.")] = False,
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
        json_out: JsonOption = False,
    ) -> None:
        """Remove work folders, kept workspaces and variant environments (and, with --cache, uv's cache)."""
        from isobench.gc import gc, inconsistent, size

        state = ctx_of(ctx).state()
        with state.lock("gc"):
            before = size(state.root) if state.root.exists() else 0
            freed = gc(state, cache=cache, dry_run=dry_run)
            bad = inconsistent(state)
        if json_out:
            print_json({"freed": freed, "bytes_before": before, "dry_run": dry_run, "inconsistent": bad})
            return
        for path, why in bad.items():
            typer.echo(f"inconsistent: {path}: {why} (kept; a plain `isobench score` redoes it)")
        verb = "would free" if dry_run else "freed"
        for path, n in freed.items():
            typer.echo(f"{verb} {n / 1e6:8.1f} MB  {path}")
        total = sum(freed.values())
        typer.echo(f"{verb} {total / 1e6:.1f} MB of {before / 1e6:.1f} MB in {state.root}")
