"""The command line as a user and a script see it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from isobench.cli import app

COMMANDS = ["plan", "prepare", "run", "score", "correlate", "export", "status"]


def test_help_lists_every_stage_and_is_fast(tmp_path: Path) -> None:
    t0 = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-m", "isobench.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"},
    )
    elapsed = time.perf_counter() - t0
    assert r.returncode == 0
    for c in COMMANDS:
        assert f" {c} " in r.stdout
    assert "--state-dir" in r.stdout and "--config" in r.stdout
    assert elapsed < 5, "--help must not import the heavy libraries"
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, isobench.cli; "
            "print(sorted(m for m in ('datasets','scipy','openhands','litellm') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
    )
    assert heavy.stdout.strip() == "[]"


def test_version_and_the_console_script(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("isobench")
    r = subprocess.run([str(exe), "--version"], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.startswith("isobench ")


def test_an_explicit_missing_config_is_an_error_naming_it(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["--config", str(tmp_path / "nope.yaml"), "status"])
    assert r.exit_code == 2 and r.stderr.strip() == f"isobench: error: {tmp_path / 'nope.yaml'}: file not found"


def test_the_state_dir_comes_from_the_environment_or_bench_yaml(tmp_path: Path) -> None:
    (tmp_path / "bench.yaml").write_text("paths:\n  state_root: ./elsewhere\n")
    runner = CliRunner()
    r = runner.invoke(app, ["--config", str(tmp_path / "bench.yaml"), "status", "--json"])
    assert f'"state_dir": "{tmp_path / "elsewhere"}"' in r.stdout
    r = runner.invoke(
        app,
        ["--config", str(tmp_path / "bench.yaml"), "status", "--json"],
        env={"ISOBENCH_STATE_DIR": str(tmp_path / "env")},
    )
    assert f'"state_dir": "{tmp_path / "env"}"' in r.stdout
