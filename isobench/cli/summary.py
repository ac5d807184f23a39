"""The last line of `run` and `score`: where the results went and the command to run next.

On stdout, or on stderr under --json (stdout then holds the JSON alone), so that a newcomer who has just
waited minutes for a stage knows what it produced and what comes after it.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import typer

from isobench.cli.common import Context


def shown_path(path: Path) -> str:
    """`state/runs` under the current directory, the absolute path elsewhere."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def command(ctx: Context, *args: str) -> str:
    """`isobench [--config F] [--state-dir D] <args>`: the global options this invocation was given, so that
    the next command reads the same configuration and state."""
    words = ["isobench"]
    if ctx.config_given:
        words += ["--config", shown_path(ctx.config_path)]
    if ctx.state_dir is not None and os.environ.get("ISOBENCH_STATE_DIR") != str(ctx.state_dir):
        words += ["--state-dir", shown_path(ctx.state_dir)]
    return " ".join([*words, *args])


def counts(values: Iterable[str]) -> str:
    """`10 success, 2 timeout`: most frequent first."""
    return ", ".join(f"{n} {v}" for v, n in Counter(values).most_common())


def run_line(
    ctx: Context,
    runs: Path,
    statuses: Sequence[str],
    *,
    done_before: int,
    interrupted: bool,
    not_run: int,
) -> str:
    """`results: state/runs (12 attempts: 10 success, 2 timeout); next: isobench score`."""
    what = f"{len(statuses)} attempt{'s' if len(statuses) != 1 else ''}"
    if statuses:
        what += f": {counts(statuses)}"
    if done_before:
        what += f"; {done_before} recorded before"
    if interrupted:
        nxt = f"{command(ctx, 'run')} (resumes: finished attempts are kept)"
    elif not_run:
        what += f"; {not_run} not run"
        nxt = f"{command(ctx, 'run')} once the reasons above are fixed"
    elif not statuses and not done_before:
        nxt = command(ctx, "prepare")
    else:
        nxt = command(ctx, "score")
    return f"results: {shown_path(runs)} ({what}); next: {nxt}"


def score_line(ctx: Context, score_dir: Path, valid: list[bool]) -> str:
    """`scores: state/score (4 instances: 4 valid); next: isobench correlate`."""
    what = f"{len(valid)} instance{'s' if len(valid) != 1 else ''}"
    if valid:
        what += ": " + counts("valid" if v else "invalid" for v in valid)
    return f"scores: {shown_path(score_dir)} ({what}); next: {command(ctx, 'correlate')}"


def echo(line: str, *, json_out: bool) -> None:
    """The summary line: on stderr under --json, where stdout must stay pure JSON."""
    typer.echo(line, err=json_out)
