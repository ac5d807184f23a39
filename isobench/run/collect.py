"""Collecting an agent's work: its changes against the base, as bytes, split into code and test edits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from isobench.gitutil import matches_any
from isobench.run.launch import Launcher
from isobench.run.units import Unit
from isobench.sandbox import minimal_env
from isobench.testconfig import changes_test_config

JUNK = (":(exclude,glob)**/__pycache__/**", ":(exclude,glob)**/*.pyc", ":(exclude,glob).pytest_cache/**")


@dataclass(frozen=True)
class CollectedPatch:
    """The attempt record's fields about the agent's changes (the empty one: nothing was collected)."""

    model_patch: str | None = None
    test_edits: str | None = None
    changed_files: list[str] = field(default_factory=list)
    test_files_edited: list[str] = field(default_factory=list)
    test_config_discarded: list[str] = field(default_factory=list)
    patch_empty: bool = True
    touched_outside_targets: bool = False
    files_outside_targets: list[str] = field(default_factory=list)


def collect_patch(launcher: Launcher, u: Unit, work: Path, d: Path) -> CollectedPatch:
    """The agent's changes against the base, split into code and test edits.

    git runs inside the sandbox too: the agent controlled `.git/config` and `.gitattributes`
    (hooks, filters, fsmonitor), so git on that repository is untrusted code. Its environment holds
    no key. Raises RuntimeError when git fails.
    """
    env = minimal_env({"HOME": str(work / "home"), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"})
    spec = launcher.sandbox_spec(u, work, env, network=False)

    def git_bytes(*args: str) -> bytes:
        argv = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", *args]
        proc = launcher.sandbox.wrap(argv, spec).run(capture_output=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr.decode(errors="replace").strip()[-300:])
        return bytes(proc.stdout)

    git_bytes("add", "-A", "--", ".", *JUNK)
    listing = git_bytes("diff", "--cached", "--name-only", "-z", "--no-renames", "HEAD").decode(errors="replace")
    names = [n for n in listing.split("\0") if n]
    tests = [n for n in names if matches_any(n, u.inst.test_patterns)]

    def staged(rev: str, path: str) -> bytes | None:
        try:
            return git_bytes("show", f"{rev}:{path}")
        except RuntimeError:  # absent on that side
            return None

    # Edits that change how the tests run are the harness's, not the agent's (see isobench/testconfig.py).
    config = [n for n in names if n not in tests and changes_test_config(n, staged("HEAD", n), staged("", n))]
    tests += config
    code = [n for n in names if n not in tests]

    def diff(paths: list[str]) -> bytes:
        if not paths:
            return b""
        return git_bytes(
            "diff",
            "--cached",
            "--binary",
            "--no-renames",
            "--no-ext-diff",
            "--no-color",
            "HEAD",
            "--",
            *[f":(literal){p}" for p in paths],
        )

    # Bytes, not text: a CRLF or non-UTF-8 file must reach `score` exactly as the agent left it.
    (d / "model_patch.diff").write_bytes(diff(code))
    (d / "test_edits.diff").write_bytes(diff(tests))
    targets = u.inst.target_files
    outside = [n for n in code if not (n in targets or matches_any(n, targets))]
    return CollectedPatch(
        model_patch="model_patch.diff",
        test_edits="test_edits.diff",
        changed_files=code,
        test_files_edited=tests,
        test_config_discarded=config,
        patch_empty=not code,
        touched_outside_targets=bool(outside),
        files_outside_targets=outside,
    )
