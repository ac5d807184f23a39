"""Building and testing one variant: a copy of the base, its patch and the human's test patch, its own
venv with the task's setup and install commands, then the task's tests; all candidate code in the sandbox.

Resumable per variant: `variants/<name>.json` is written last and reused while the variant's inputs (its
fingerprint) are unchanged and its copy still exists.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

from isobench.config import BenchConfig
from isobench.envs import BuildSettings, VenvError, create_venv, variant_env
from isobench.gitutil import clone_worktree, patch_bytes, run_git
from isobench.procs import set_pdeathsig
from isobench.progress import ScoreReporter
from isobench.records import Build, BuildStep, Instance, TestRun, VariantBuild
from isobench.sandbox import Sandbox, SandboxSpec, python_install_paths
from isobench.score.variants import VariantSpec
from isobench.state import State, fingerprint, remove_tree, write_model


class Builder:
    """Builds and tests the variants of instances, and says what candidate code may see."""

    def __init__(self, cfg: BenchConfig, state: State, sandbox: Sandbox, reporter: ScoreReporter) -> None:
        self.cfg = cfg
        self.state = state
        self.sandbox = sandbox
        self.reporter = reporter
        self.cache_dir = state.root / "cache" / "uv"
        """uv's download cache (a worker node keeps its own across instances: `isobench.executors.worker`)."""

    def settings(self, inst: Instance) -> BuildSettings:
        """How this instance's variants are built: its interpreter, the shared cache, the index."""
        sc = self.cfg.score
        python = inst.python or (str(self.cfg.resolve(sc.python)) if sc.python else sys.executable)
        return BuildSettings(
            python=python,
            cache_dir=self.cache_dir,
            network=sc.build_network,
            index_url=sc.index_url,
            find_links=tuple(self.cfg.resolve(p) for p in sc.find_links),
            system_site_packages=sc.system_site_packages,
            timeout_s=sc.build_timeout_s,
        )

    def spec(self, inst: Instance, vdir: Path, env: dict[str, str], *, build: bool = False) -> SandboxSpec:
        """What candidate code sees: its own copy; the interpreter and the workload files (and, while
        building, uv's cache and the network); never the state, the project or the task repositories."""
        settings = self.settings(inst)
        readable = [*python_install_paths(settings.python), *map(Path, inst.workload_files)]
        writable = [vdir]
        if build:
            settings.cache_dir.mkdir(parents=True, exist_ok=True)
            readable += settings.readable()
            writable.append(settings.cache_dir)
        return SandboxSpec(
            writable=writable,
            readable=readable,
            hidden=self.state.private_paths(self.cfg.root),
            network=build and settings.network,
            env=env,
            cwd=vdir / "repo",
        )

    def sh(self, inst: Instance, vdir: Path, command: str, timeout: float, *, build: bool = False) -> tuple[int, str]:
        """A shell command of the task, in the variant's copy, inside the sandbox (offline unless building)."""
        venv = vdir / "venv"
        env = self.settings(inst).build_env(venv) if build else variant_env(venv)
        cmd = self.sandbox.wrap(["/bin/sh", "-c", command], self.spec(inst, vdir, env, build=build))
        try:
            proc = cmd.run(capture_output=True, timeout=timeout, start_new_session=True, preexec_fn=set_pdeathsig)
        except subprocess.TimeoutExpired:
            return 124, f"timed out after {timeout:.0f} s"
        out = (proc.stdout + proc.stderr).decode(errors="replace")
        return proc.returncode, out[-3000:]

    def _build(self, inst: Instance, v: VariantSpec, vdir: Path, rec: VariantBuild) -> None:
        """Copy of the base + patches + venv + setup/install, into `rec` (build status, error, steps)."""
        iid = inst.instance_id
        t0 = time.monotonic()
        remove_tree(vdir)
        vdir.mkdir(parents=True)
        self.reporter.variant_step(iid, v.name, "copy and patch")
        clone_worktree(self.state.snapshot_dir(iid), vdir / "repo")
        failed: Build | None = "base_failed" if v.kind in ("base", "aa") else None
        for what, patch in (("patch", v.patch), ("test_patch", inst.test_patch)):
            if not patch.strip():
                continue
            try:
                run_git(["apply", "--whitespace=nowarn", "--binary", "-"], cwd=vdir / "repo", input=patch_bytes(patch))
            except Exception as exc:
                rec.build, rec.error = failed or "patch_failed", f"{what} does not apply: {exc}"
                return
        settings = self.settings(inst)
        self.reporter.variant_step(iid, v.name, f"venv ({Path(settings.python).name})")
        try:
            create_venv(vdir / "venv", settings)
        except VenvError as exc:
            rec.build, rec.error = failed or "install_failed", f"venv: {exc}"
            return
        for kind, commands in (("setup", inst.setup_commands), ("install", inst.install_commands)):
            for cmd in commands:
                self.reporter.variant_step(iid, v.name, f"{kind}: {cmd}")
                t = time.monotonic()
                code, out = self.sh(inst, vdir, cmd, settings.timeout_s, build=True)
                rec.build_steps.append(BuildStep(command=cmd, exit_code=code, seconds=round(time.monotonic() - t, 3)))
                rec.build_s = round(time.monotonic() - t0, 3)
                if code != 0:
                    status: Build = failed or ("setup_failed" if kind == "setup" else "install_failed")
                    rec.build, rec.error = status, f"`{cmd}` exited {code}: {out[-800:]}"
                    return
        rec.build, rec.build_s = "ok", round(time.monotonic() - t0, 3)

    def test(self, inst: Instance, v: VariantSpec, vdir: Path) -> list[TestRun]:
        out = []
        for cmd in inst.tests:
            self.reporter.variant_step(inst.instance_id, v.name, f"test: {cmd}")
            t0 = time.monotonic()
            code, text = self.sh(inst, vdir, cmd, self.cfg.score.test_timeout_s)
            out.append(
                TestRun(
                    command=cmd,
                    passed=code == 0,
                    exit_code=code,
                    seconds=round(time.monotonic() - t0, 3),
                    output_tail=text[-1500:],
                )
            )
        return out

    def fingerprint(self, inst: Instance, v: VariantSpec) -> str:
        """Everything a variant's build and tests depend on: same fingerprint, same results."""
        settings = self.settings(inst)
        return fingerprint(
            inst.fingerprint,
            hashlib.sha256(patch_bytes(v.patch)).hexdigest(),
            v.outside_targets,
            inst.tests,
            inst.setup_commands,
            inst.install_commands,
            settings.python,
            settings.system_site_packages,
            settings.index_url,
            self.sandbox.name,
        )

    def variant(self, inst: Instance, v: VariantSpec, force: bool) -> VariantBuild:
        """Build and test one variant, or reuse its record when its inputs are unchanged."""
        iid = inst.instance_id
        vdir = self.state.score_dir(iid) / "envs" / v.dirname
        fp = self.fingerprint(inst, v)
        old = self.state.variant_build(iid, v.dirname)
        if old and old.fingerprint == fp and not force and (vdir / "repo").exists():
            self.reporter.variant_done(iid, v.name, old.build, reused=True)
            return old
        rec = VariantBuild(
            status="built",
            variant=v.name,
            kind=v.kind,
            provider=v.provider,
            attempt=v.attempt,
            fingerprint=fp,
            patch_empty=not v.patch.strip(),
            build="ok",
        )
        if v.outside_targets:  # optimization_contract.strict_targets: such a patch is not scored
            rec.build, rec.error = (
                "outside_targets",
                f"changes files outside the target files: {', '.join(v.outside_targets)}",
            )
        else:
            self._build(inst, v, vdir, rec)
        if rec.build == "ok":
            rec.tests = self.test(inst, v, vdir)
        else:
            rec.status = "build_failed"
        write_model(self.state.score_dir(iid) / "variants" / f"{v.dirname}.json", rec)
        self.reporter.variant_done(iid, v.name, rec.build, reused=False)
        return rec
