"""`isobench plan`: task files -> instances."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from isobench.cli.common import console, ctx_of, print_json


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan_cmd(
        ctx: typer.Context,
        tasks: Annotated[
            list[Path] | None, typer.Argument(help="Task files to plan (default: the `tasks` listed in bench.yaml)")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print the instances as JSON, nothing else.")] = False,
        force: Annotated[bool, typer.Option("--force", help="Rewrite records even when unchanged.")] = False,
    ) -> None:
        """Resolve the human optimization commits of each task into instances."""
        from isobench.plan import plan

        c = ctx_of(ctx)
        cfg = c.config()
        paths = list(tasks) if tasks else [cfg.resolve(t) for t in cfg.tasks]
        state = c.state()
        with state.lock("plan"):
            planned = plan(cfg, state, paths, force=force)
        if json_out:
            keep = (
                "instance_id",
                "repo",
                "task",
                "base_commit",
                "head_commit",
                "created_at",
                "target_files",
                "test_files",
                "efficiency_test",
                "workload_callable",
                "tests",
                "setting",
                "lines_changed",
            )
            print_json([{"action": p.action, **p.record.model_dump(include=set(keep))} for p in planned])
            return
        out = console()
        table = Table(title=f"{len(planned)} instance(s) planned in {state.root}")
        for col in ("instance", "base", "head", "target files", "tests", "workload", ""):
            table.add_column(col)
        for p in planned:
            r = p.record
            table.add_row(
                r.instance_id,
                r.base_commit[:10],
                r.head_commit[:10],
                "\n".join(r.target_files),
                str(len(r.tests)),
                r.workload_callable or r.efficiency_test[0],
                p.action,
            )
        out.print(table)
