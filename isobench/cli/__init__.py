"""The `isobench` command line: one small module per subcommand, each a thin shell over the library.

Heavy imports (datasets, scipy, openhands) happen inside the commands that need them, so `--help`
and `status` stay instant.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from isobench import __version__
from isobench.cli import (
    correlate,
    doctor,
    export,
    gc,
    init,
    plan,
    prepare,
    review,
    run,
    score,
    status,
    suite,
    validate,
)
from isobench.cli.common import Context
from isobench.errors import UserError

app = typer.Typer(
    name="isobench",
    help="Benchmark LLM coding agents (OpenHands) at optimizing real repositories, against the humans who did.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"isobench {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    config: Annotated[Path | None, typer.Option("--config", help="bench.yaml to use (default: ./bench.yaml)")] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir",
            help="State directory (default: bench.yaml paths.state_root, else ./state)",
            envvar="ISOBENCH_STATE_DIR",
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Exit codes: 0 all done; 1 finished but some items failed; 2 bad usage, configuration or input;
    130 interrupted."""
    ctx.obj = Context(config_path=config or Path("bench.yaml"), config_given=config is not None, state_dir=state_dir)


for module in (init, plan, prepare, run, score, review, correlate, export, status, gc, doctor, validate, suite):
    module.register(app)


def _guard[**P, R](fn: Callable[P, R]) -> Callable[P, R]:
    """A user's mistake ends in one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            print(f"isobench: error: {exc.format_message()}", file=sys.stderr)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


_groups = [g.typer_instance for g in app.registered_groups if g.typer_instance is not None]  # `isobench suite ...`
for _info in [*app.registered_commands, *(c for g in _groups for c in g.registered_commands)]:
    _info.callback = _guard(_info.callback)  # type: ignore[arg-type]


def main() -> None:
    """Console-script entry point."""
    app()
