"""What every subcommand shares: the loaded configuration, the state directory, output helpers."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from isobench.config import BenchConfig, load_bench
from isobench.state import State

if TYPE_CHECKING:
    from isobench.executors import Executor
    from isobench.sandbox import Sandbox


@dataclass
class Context:
    """Set by the top-level callback from --config / --state-dir; read by every command."""

    config_path: Path = Path("bench.yaml")
    config_given: bool = False
    state_dir: Path | None = None
    _cfg: BenchConfig | None = field(default=None, repr=False)

    def config(self) -> BenchConfig:
        """bench.yaml, loaded once. Without --config and without ./bench.yaml, the built-in defaults."""
        if self._cfg is None:
            if not self.config_given and not self.config_path.exists():
                self._cfg = BenchConfig()
                self._cfg.root = Path.cwd()
            else:
                self._cfg = load_bench(self.config_path)
        return self._cfg

    def state(self) -> State:
        """--state-dir, else ISOBENCH_STATE_DIR, else bench.yaml paths.state_root, else ./state."""
        if self.state_dir is not None:
            return State(self.state_dir)
        env = os.environ.get("ISOBENCH_STATE_DIR")
        if env:
            return State(Path(env))
        cfg = self.config()
        return State(cfg.resolve(cfg.paths.state_root))


# The options several commands share, defined once (each command's help says what "done" means for it).
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the command's result as JSON on stdout, nothing else (logs go to stderr).")
]
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="Show every column of the table, however wide the terminal (else the columns that do not fit are "
        "named in a note under it).",
    ),
]
ForceOption = Annotated[bool, typer.Option("--force", help="Redo what is already done (see the command's help).")]
InstancesOption = Annotated[
    list[str] | None,
    typer.Option("--instances", "-i", help="Instance ids or unique prefixes (comma-separated) (default: all)"),
]
ProvidersOption = Annotated[
    list[str] | None,
    typer.Option(
        "--providers",
        "-p",
        help="Providers (comma-separated) (default: bench.yaml's; score: every provider with recorded attempts)",
    ),
]
NoSandboxOption = Annotated[
    bool, typer.Option("--no-sandbox", help="Run agents and candidate code directly on this machine (no isolation).")
]
KeepWorkOption = Annotated[
    bool,
    typer.Option("--keep-work", help="Keep each attempt's workspace / each variant's copy and venv, for debugging."),
]
ExecutorOption = Annotated[
    str | None, typer.Option("--executor", help="local or ray (default: bench.yaml executor.kind, else local)")
]
RayAddressOption = Annotated[
    str | None, typer.Option("--ray-address", help="The Ray cluster to use (default: executor.address)")
]


def executor_for(cfg: BenchConfig, state: State, kind: str | None, address: str | None) -> Executor:
    """--executor (else bench.yaml's executor.kind) and --ray-address as the executor `run` and `score` are
    handed: refused with one line if unknown, or if Ray is asked for and not installed. Only here is Ray
    imported, when it is asked for."""
    import importlib.util

    from isobench.errors import UserError
    from isobench.executors import KINDS

    kind = kind or cfg.executor.kind
    if kind not in KINDS:
        raise UserError(f"--executor: {kind!r} is not one of {', '.join(KINDS)}")
    if kind == "local":
        from isobench.executors.local import LocalExecutor

        return LocalExecutor(state)
    if importlib.util.find_spec("ray") is None:
        raise UserError("--executor ray needs Ray: pip install 'isobench[ray]' (./scripts/setup installs it)")
    from isobench.executors.ray import RayExecutor

    return RayExecutor(cfg, state, address)


def sandbox_for(cfg: BenchConfig, no_sandbox: bool) -> Sandbox:
    """bench.yaml's sandbox, or none with --no-sandbox."""
    from isobench.sandbox import get_sandbox

    return get_sandbox("none" if no_sandbox else cfg.sandbox_kind, image=cfg.container.image)


def ctx_of(ctx: typer.Context) -> Context:
    obj = ctx.find_root().obj
    assert isinstance(obj, Context)
    return obj


def console(stderr: bool = False) -> Console:
    """A rich console; plain text (no colour, no markup codes) when not a terminal or NO_COLOR is set."""
    stream = sys.stderr if stderr else sys.stdout
    # Off a terminal (logs, pipes, CI) nothing should be cut to 80 columns.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 220
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def print_json(data: object) -> None:
    """Machine-readable output: the only thing written to stdout under --json."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def split_csv(values: list[str] | None) -> list[str] | None:
    """`--providers a,b --providers c` -> [a, b, c]."""
    if not values:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None
