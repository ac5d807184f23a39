"""What every subcommand shares: the loaded configuration, the state directory, output helpers."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from isobench.config import BenchConfig, load_bench
from isobench.state import State


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


# Options `run` and `score` share: where their units execute.
ExecutorOption = Annotated[
    str | None, typer.Option("--executor", help="local or ray (default: bench.yaml executor.kind, else local)")
]
RayAddressOption = Annotated[
    str | None, typer.Option("--ray-address", help="The Ray cluster to use (default: executor.address)")
]


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


def print_json(data: Any) -> None:
    """Machine-readable output: the only thing written to stdout under --json."""
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def split_csv(values: list[str] | None) -> list[str] | None:
    """`--providers a,b --providers c` -> [a, b, c]."""
    if not values:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None
