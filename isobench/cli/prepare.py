"""`isobench prepare`: a history-free snapshot of each base commit, and a prompt and agent config for every
instance x provider."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from isobench.cli.common import console, ctx_of, print_json, split_csv


def register(app: typer.Typer) -> None:
    @app.command("prepare")
    def prepare_cmd(
        ctx: typer.Context,
        providers: Annotated[
            list[str] | None,
            typer.Option("--providers", "-p", help="Providers (comma-separated) (default: bench.yaml's)"),
        ] = None,
        instances: Annotated[
            list[str] | None,
            typer.Option("--instances", "-i", help="Instance ids or unique prefixes (comma-separated) (default: all)"),
        ] = None,
        force: Annotated[bool, typer.Option("--force", help="Redo units that are already prepared.")] = False,
        json_out: Annotated[bool, typer.Option("--json", help="Print the prepared units as JSON.")] = False,
    ) -> None:
        """Make a history-free snapshot of each base commit, and the prompt and agent config per unit."""
        from isobench.errors import UserError
        from isobench.prepare import prepare

        c = ctx_of(ctx)
        cfg = c.config()
        state = c.state()
        provs = cfg.select_providers(split_csv(providers))
        insts = state.select_instances(split_csv(instances))
        if not insts:
            raise UserError(f"{state.root}: no planned instances; run `isobench plan` first")
        with state.lock("prepare"):
            done = prepare(cfg, state, insts, provs, force=force)
        if json_out:
            print_json(
                [
                    {
                        "instance_id": d.instance_id,
                        "provider": d.provider,
                        "action": d.action,
                        "prompt_file": str(state.prepared_dir(d.instance_id, d.provider) / "prompt.md"),
                        "snapshot": str(state.snapshot_dir(d.instance_id)),
                    }
                    for d in done
                ]
            )
            return
        counts = Counter(d.action for d in done)
        summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items()))
        console().print(
            f"prepared {len(done)} unit(s) ({len(insts)} instance(s) x {len(provs)} provider(s)): "
            f"{summary}; snapshots and prompts under {state.root / 'prepare'}"
        )
