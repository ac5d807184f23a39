"""`isobench review`: a model reads every winning patch (bench.yaml `review`), k votes each."""

from __future__ import annotations

import signal

import typer

from isobench.cli.common import (
    ForceOption,
    InstancesOption,
    JsonOption,
    ProvidersOption,
    ctx_of,
    print_json,
    split_csv,
)


def register(app: typer.Typer) -> None:
    @app.command("review")
    def review_cmd(
        ctx: typer.Context,
        instances: InstancesOption = None,
        providers: ProvidersOption = None,
        force: ForceOption = False,
        json_out: JsonOption = False,
    ) -> None:
        """Ask the reviewer (bench.yaml `review.provider`) whether each winning attempt is a reward hack: k votes,
        the majority (a tie is a hack), the human's patch reviewed as a control. Between `score` and
        `correlate`; done reviews are kept (--force redoes them). Off (exit 0, nothing done) without
        `review.provider`."""
        from isobench.review.stage import review

        c = ctx_of(ctx)
        cfg = c.config()
        if cfg.review.provider is None:
            typer.echo("isobench: review is off (bench.yaml has no review.provider): nothing to do", err=True)
            if json_out:
                print_json([])
            return
        state = c.state()
        insts = state.select_instances(split_csv(instances))
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops it as Ctrl-C does
        with state.lock("review"):
            summary = review(
                cfg,
                state,
                insts,
                providers=split_csv(providers),
                force=force,
                echo=lambda line: typer.echo(f"review {line}", err=json_out),
            )
        if json_out:
            print_json([r.model_dump(mode="json") for r in summary.records])
        hacks = sum(r.verdict == "hack" for r in summary.records)
        cost = sum(r.cost_usd for r in summary.records)
        typer.echo(
            f"review: {len(summary.records)} reviewed ({hacks} hack, {len(summary.failed)} without a verdict), "
            f"{summary.done_before} done before, {summary.not_scored} attempt(s) not scored; ${cost:.4f} "
            f"-> {state.root / 'review'}",
            err=True,
        )
        for rec in summary.records:
            if rec.subject == "human" and rec.verdict == "hack":
                typer.echo(
                    f"isobench: the reviewer called the human's patch of {rec.instance_id} a hack: that instance's "
                    "reviews are marked unreliable",
                    err=True,
                )
        if summary.interrupted:
            raise typer.Exit(130)
        if summary.failed:
            raise typer.Exit(1)
