"""`isobench plan`: task files (or a published set's rows, `--from FILE`) -> instances."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from isobench.cli.common import JsonOption, WideOption, console, ctx_of, print_json

if TYPE_CHECKING:
    from isobench.plan import Planned


TasksArgument = Annotated[
    list[Path] | None, typer.Argument(help="Task files to plan (default: the `tasks` listed in bench.yaml)")
]
PlanForce = Annotated[bool, typer.Option("--force", help="Rewrite records even when unchanged.")]
FromOption = Annotated[
    Path | None,
    typer.Option(
        "--from",
        help="Rows of a published set (GSO, SWE-fficiency, SWE-Perf, FormulaCode) as .parquet or .jsonl: "
        "each row becomes an instance",
    ),
]
SetOption = Annotated[
    str | None,
    typer.Option(
        "--set",
        help="The set of --from's rows: gso, swefficiency, sweperf or formulacode "
        "(default: recognised from its columns)",
    ),
]
RepoRootOption = Annotated[
    Path | None,
    typer.Option(
        "--repo-root",
        help="With --from: take each row's repository owner/name from DIR/owner+name or DIR/name instead of "
        "cloning it from GitHub",
    ),
]
LimitOption = Annotated[int | None, typer.Option("--limit", min=1, help="With --from: plan the first N rows only.")]
SuiteOption = Annotated[
    str | None,
    typer.Option(
        "--suite",
        help="Plan a suite isobench ships (python: the isobench-py suite), from the network, or with "
        "--repo-root DIR from local clones",
    ),
]


def register(app: typer.Typer) -> None:
    @app.command("plan")
    def plan_cmd(
        ctx: typer.Context,
        tasks: TasksArgument = None,
        json_out: JsonOption = False,
        wide: WideOption = False,
        force: PlanForce = False,
        from_file: FromOption = None,
        set_name: SetOption = None,
        repo_root: RepoRootOption = None,
        limit: LimitOption = None,
        suite: SuiteOption = None,
    ) -> None:
        """Resolve the human optimization commits of each task (or each row of --from) into instances."""
        from isobench.errors import UserError

        c = ctx_of(ctx)
        cfg = c.config()
        if from_file is None and (set_name or (repo_root and not suite) or limit):
            raise UserError("--set, --repo-root and --limit go with --from FILE (--repo-root also with --suite)")
        if sum(bool(x) for x in (from_file, tasks, suite)) > 1:
            raise UserError("give task files, --from FILE or --suite NAME, not more than one")
        state = c.state()
        failed: list[str] = []
        with state.lock("plan"):
            if from_file is not None:
                from isobench.importers.planner import plan_from_file

                imported = plan_from_file(
                    cfg, state, from_file, set_name=set_name, repo_root=repo_root, limit=limit, force=force
                )
                planned, failed = imported.planned, imported.failed
            else:
                from isobench.plan import plan
                from isobench.suites import plan_suite

                if suite:  # the admitted instances; the others, with why, as notes
                    planned, left = plan_suite(cfg, state, suite, repo_root, force=force)
                    for line in left:
                        print(f"isobench: note: {line}", file=sys.stderr)
                else:
                    paths = list(tasks) if tasks else [cfg.resolve(t) for t in cfg.tasks]
                    planned = plan(cfg, state, paths, force=force)
        for line in failed:
            print(f"isobench: not planned: {line}", file=sys.stderr)
        if failed:
            print(f"isobench: {len(failed)} of {len(failed) + len(planned)} row(s) not planned", file=sys.stderr)
        _show(planned, state.root, json_out, wide)
        if failed:
            raise typer.Exit(1)


def _show(planned: list[Planned], root: Path, json_out: bool, wide: bool) -> None:
    """The planned instances as JSON, or as a table."""
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
            "notes",
        )
        print_json([{"action": p.action, **p.record.model_dump(include=set(keep))} for p in planned])
        return
    from isobench.report.columns import show
    from isobench.report.terminal import plan_table

    show(console(), plan_table(planned, root), wide=wide)
