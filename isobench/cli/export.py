"""`isobench export`: the dataset (disk, parquet, jsonl), its card, SWE-bench predictions, the HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from isobench.cli.common import JsonOption, ctx_of, print_json, split_csv


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_cmd(
        ctx: typer.Context,
        formats: Annotated[
            list[str] | None,
            typer.Option(
                "--format",
                "-f",
                metavar="FORMAT",
                help="disk (save_to_disk), parquet, jsonl; repeat or comma-separate (default: all)",
            ),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option(
                "--out",
                "-o",
                help="Output folder; the files export owns in it are replaced "
                "(default: bench.yaml paths.reports_root/export)",
            ),
        ] = None,
        push_to_hub: Annotated[
            str | None,
            typer.Option(
                "--push-to-hub",
                metavar="REPO_ID",
                help="Also push to this Hugging Face dataset repo (needs HF_TOKEN in the environment).",
            ),
        ] = None,
        json_out: JsonOption = False,
    ) -> None:
        """Export every instance and attempt as a Hugging Face dataset, predictions and an HTML report."""
        from isobench.export import FORMATS, default_out, export

        c = ctx_of(ctx)
        cfg = c.config()
        # export checks the formats, the hub token and the state before it reads or writes anything
        res = export(cfg, c.state(), out or default_out(cfg), split_csv(formats) or list(FORMATS), push_to_hub)
        if json_out:
            print_json(res.model_dump())
            return
        con = typer  # plain lines: paths may hold characters rich would read as markup
        con.echo(
            f"exported {res.rows} rows ({res.human_rows} human, {res.llm_rows} llm) from "
            f"{res.instances} instance(s), {len(res.providers)} provider(s) to {res.out}"
        )
        files = res.files
        for key in ("dataset", "parquet", "jsonl", "card"):
            if key in files:
                con.echo(f"  {key:<12} {files[key]}")
        for p in files["predictions"]:
            con.echo(f"  {'predictions':<12} {p}")
        con.echo(f"  {'report':<12} {files['report']}")
        if not res.correlation:
            con.echo("  (no correlate output found: per-provider aggregates were computed at export)")
        if res.pushed_to:
            con.echo(f"  pushed to https://huggingface.co/datasets/{res.pushed_to}")
