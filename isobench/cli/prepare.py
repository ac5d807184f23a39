"""`isobench prepare`: a history-free snapshot of each base commit, and a prompt and agent config for every
instance x provider."""

from __future__ import annotations

from collections import Counter

import typer

from isobench.cli.common import (
    ForceOption,
    InstancesOption,
    JsonOption,
    ProvidersOption,
    console,
    ctx_of,
    print_json,
    split_csv,
)


def register(app: typer.Typer) -> None:
    @app.command("prepare")
    def prepare_cmd(
        ctx: typer.Context,
        providers: ProvidersOption = None,
        instances: InstancesOption = None,
        force: ForceOption = False,
        json_out: JsonOption = False,
    ) -> None:
        """Make a history-free snapshot of each base commit, and the prompt and agent config per unit."""
        from isobench.prepare import prepare

        c = ctx_of(ctx)
        cfg = c.config()
        state = c.state()
        provs = cfg.select_providers(split_csv(providers))
        insts = state.select_instances(split_csv(instances))
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
