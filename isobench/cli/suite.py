"""`isobench suite card|export`: a shipped suite's card and table, and the suite as a Hugging Face dataset."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from isobench.cli.common import JsonOption, console, ctx_of, print_json

SuiteOption = Annotated[str, typer.Option("--suite", help="The suite (python: isobench-py)")]
START, END = "<!-- suite-table:start -->", "<!-- suite-table:end -->"
"""The markers of the generated block in a README (`isobench suite card --readme`)."""


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="A suite isobench ships: its card, its table, the suite as a dataset.")
    app.add_typer(group, name="suite")

    @group.command("card")
    def card_cmd(
        suite: SuiteOption = "python",
        readme: Annotated[
            Path | None,
            typer.Option("--readme", help=f"Also replace the block between {START} and {END} in this file"),
        ] = None,
    ) -> None:
        """Write the suite's CARD.md from its validation records (and its table into --readme)."""
        from isobench.errors import UserError
        from isobench.state import atomic_write_text
        from isobench.suites import suite_dir
        from isobench.suites.dataset import card, costs, not_validated, records, suite_table

        recs = records(suite)
        atomic_write_text(suite_dir(suite) / "CARD.md", card(suite, recs))
        if readme is not None:
            text = readme.read_text(encoding="utf-8") if readme.is_file() else ""
            if START not in text or END not in text:
                raise UserError(f"{readme}: no {START} ... {END} block to replace")
            block = f"{START}\n{suite_table(recs, not_validated(suite, recs))}\n\n{costs(recs)}\n{END}"
            new = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, count=1, flags=re.S)
            atomic_write_text(readme, new)
        console().print(f"{suite_dir(suite) / 'CARD.md'}: {len(recs)} record(s)", markup=False)

    @group.command("export")
    def export_cmd(
        ctx: typer.Context,
        out: Annotated[Path, typer.Option("--out", help="Where to write the dataset, data.jsonl and README.md")],
        suite: SuiteOption = "python",
        repo_root: Annotated[
            Path | None, typer.Option("--repo-root", help="Take the repositories from local clones in DIR")
        ] = None,
        json_out: JsonOption = False,
    ) -> None:
        """Plan the suite (on a private state: state/suite/<name>) and write it as a Hugging Face dataset."""
        from isobench.plan import plan
        from isobench.state import State
        from isobench.suites import seed_clones, suite_tasks
        from isobench.suites.dataset import write_dataset

        c = ctx_of(ctx)
        cfg = c.config()
        work = State(c.state().root / "suite" / suite)
        paths = suite_tasks(suite)
        with work.lock("suite export"):
            if repo_root is not None:
                seed_clones(work, paths, repo_root)
            insts = [p.record for p in plan(cfg, work, paths)]
        done = write_dataset(suite, insts, out)
        if json_out:
            print_json(done)
            return
        console().print(
            f"{done['rows']} instance(s) ({done['admitted']} admitted) written to {out}: dataset/, data.jsonl, "
            "README.md (the card)",
            markup=False,
        )
