"""`isobench doctor`: check what a run needs on this machine, one line per check, with the fix."""

from __future__ import annotations

import sys
from dataclasses import asdict
from typing import Annotated

import typer

from isobench.cli.common import (
    ExecutorOption,
    JsonOption,
    RayAddressOption,
    WideOption,
    console,
    ctx_of,
    print_json,
    split_csv,
)


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor_cmd(
        ctx: typer.Context,
        providers: Annotated[
            list[str] | None,
            typer.Option("--providers", "-p", help="Providers whose keys to check (default: bench.yaml's)"),
        ] = None,
        executor: ExecutorOption = None,
        ray_address: RayAddressOption = None,
        json_out: JsonOption = False,
        wide: WideOption = False,
    ) -> None:
        """Check the sandbox, uv, interpreters, package index, Ray, provider keys, git and disk space.

        Exit code 0 when no check fails (warnings allowed), 1 when one does."""
        from isobench.doctor import Doctor, run_checks
        from isobench.report.columns import show
        from isobench.report.terminal import doctor_table

        c = ctx_of(ctx)
        cfg = c.config()
        doctor = Doctor(
            cfg=cfg,
            state_root=c.state().root,
            executor=executor,
            ray_address=ray_address,
            providers=cfg.select_providers(split_csv(providers)) if providers else None,
        )
        results = run_checks(doctor)
        failed = any(r.status == "fail" for r in results)
        if json_out:
            print_json({"ok": not failed, "checks": [asdict(r) for r in results]})
        elif sys.stdout.isatty():
            show(console(), doctor_table(cfg.source, results), wide=wide)
        else:
            for r in results:
                fix = f"; fix: {r.fix}" if r.fix and r.status != "ok" else ""
                print(f"{r.status.upper() if r.status != 'ok' else 'ok':<4}  {r.name}: {r.detail}{fix}")
        if failed:
            raise typer.Exit(1)
