"""The task's own environment for an agent: built for its checkout before it starts, exactly as `score`
builds a variant (`envs.build_environment`: the task's interpreter, setup and install commands, the shared
uv cache, the package index during the build only), in the attempt's work folder:

    work/workspace/   the agent's checkout (`pip install -e .` points here: edits take effect at once)
    work/env/         its venv: first on the agent's PATH, `VIRTUAL_ENV` (see `Launcher.env`)

What the build leaves in the checkout (an egg-info, compiled extensions) is not the agent's work: untracked
files it made are listed in the checkout's `.git/info/exclude`, so they never reach the agent's patch.
The build's time is recorded apart and is not charged to the agent's wall-time limit.
"""

from __future__ import annotations

from pathlib import Path

from isobench.envs import EnvResult, Place, build_environment, build_settings
from isobench.gitutil import run_git
from isobench.run.launch import Launcher
from isobench.run.units import Unit


class AttemptEnv:
    """Builds the task's environment in an attempt's work folder."""

    def __init__(self, launcher: Launcher) -> None:
        self.launcher = launcher
        self.cache_dir = launcher.state.root / "cache" / "uv"
        """uv's download cache, shared with `score` (a worker node keeps its own)."""

    def build(self, u: Unit, work: Path) -> EnvResult:
        la = self.launcher
        place = Place(
            root=work,
            repo=work / "workspace",
            venv=work / "env",
            readable=tuple([*map(Path, u.inst.workload_files), *la.cfg.mounts()]),
            hidden=tuple(la.state.private_paths(la.cfg.root)),
        )
        settings = build_settings(la.cfg, u.inst, self.cache_dir)
        res = build_environment(
            la.sandbox, la.resources, settings, place, u.inst.setup_commands, u.inst.install_commands
        )
        if res.ok:
            _exclude_build_outputs(place.repo)
        return res


def _exclude_build_outputs(repo: Path) -> None:
    """Keep what the build left in the checkout out of the agent's patch."""
    out = run_git(
        ["-c", "core.hooksPath=/dev/null", "ls-files", "--others", "--exclude-standard", "--directory", "-z"], cwd=repo
    )
    made = [p for p in out.split("\0") if p]
    if made:
        exclude = repo / ".git" / "info" / "exclude"
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as fh:
            fh.write("# built by the task's setup/install commands before the agent started\n")
            fh.writelines(f"/{p}\n" for p in made)
