"""Building and testing one variant: a copy of the base, its patch and the human's test patch, its own
venv with the task's setup and install commands, then the task's tests; all candidate code in the sandbox.

Resumable per variant: `variants/<name>.json` (in the instance's staging folder, `score.unit`) is written
last and reused while the variant's inputs (its fingerprint) are unchanged and its copy still exists.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from isobench.config import BenchConfig
from isobench.envs import BuildSettings, Place, build_environment, build_settings, sandboxed_sh
from isobench.gitutil import clone_snapshot, patch_bytes, run_git
from isobench.progress import ScoreReporter
from isobench.records import Build, Instance, TestRun, VariantBuild
from isobench.resources import Resources
from isobench.sandbox import Sandbox
from isobench.score.unit import staged
from isobench.score.variants import VariantSpec
from isobench.state import State, fingerprint, pause_point, read_model, remove_tree, write_model


def _apply_patches(repo: Path, patches: list[tuple[str, str]]) -> str | None:
    """Apply each (name, patch) to the copy in `repo`, in turn; why the first that does not apply fails, or
    None. An empty patch is skipped."""
    for what, patch in patches:
        if not patch.strip():
            continue
        try:
            run_git(["apply", "--whitespace=nowarn", "--binary", "-"], cwd=repo, input=patch_bytes(patch))
        except Exception as exc:
            return f"{what} does not apply: {exc}"
    return None


def _new_record(v: VariantSpec, fp: str) -> VariantBuild:
    """A variant's record before it is built. A patch that changes files outside the target files
    (optimization_contract.strict_targets) is refused here: it is neither built nor scored."""
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
    if v.outside_targets:
        rec.build, rec.error = (
            "outside_targets",
            f"changes files outside the target files: {', '.join(v.outside_targets)}",
        )
    return rec


class Builder:
    """Builds and tests the variants of instances, and says what candidate code may see."""

    def __init__(self, cfg: BenchConfig, state: State, sandbox: Sandbox, reporter: ScoreReporter) -> None:
        self.cfg = cfg
        self.state = state
        self.sandbox = sandbox
        self.reporter = reporter
        self.resources = Resources(cfg.container.limits())
        self.cache_dir = state.root / "cache" / "uv"
        """uv's download cache (a worker node keeps its own across instances: `isobench.executors.worker`)."""

    def settings(self, inst: Instance, kind: str = "base") -> BuildSettings:
        """How this instance's variants are built: its interpreter, the shared cache, the index. Code an agent
        wrote (and the A/A twin, built exactly as such a variant) builds offline, without index credentials."""
        settings = build_settings(self.cfg, inst, self.cache_dir)
        return settings.for_candidate() if kind in ("agent", "aa") else settings

    def place(self, inst: Instance, vdir: Path) -> Place:
        """What candidate code sees: its own copy and venv; the interpreter, the workload files (the held-out
        workload's too: they are never in an agent's sandbox, which sees `workload_files` only) and bench.yaml's
        `container.mounts`; never the state, the project or the task repositories."""
        files = [*inst.workload_files, *inst.heldout_workload_files]
        return Place(
            root=vdir,
            repo=vdir / "repo",
            venv=vdir / "venv",
            readable=tuple([*map(Path, files), *self.cfg.mounts()]),
            hidden=tuple(self.state.private_paths(self.cfg.root)),
        )

    def sh(self, inst: Instance, vdir: Path, command: str, timeout: float) -> tuple[int, str]:
        """A shell command of the task in the variant's copy, inside the sandbox, offline."""
        return sandboxed_sh(self.sandbox, self.resources, self.settings(inst), self.place(inst, vdir), command, timeout)

    def _build(self, inst: Instance, v: VariantSpec, vdir: Path, rec: VariantBuild) -> None:
        """Copy of the base + patches + venv + setup/install, into `rec` (build status, error, steps)."""
        iid = inst.instance_id
        remove_tree(vdir)
        vdir.mkdir(parents=True)
        self.reporter.variant_step(iid, v.name, "copy and patch")
        clone_snapshot(self.state.snapshot_dir(iid), vdir / "repo")
        pause_point("build")
        failed: Build | None = "base_failed" if v.kind in ("base", "aa") else None
        error = _apply_patches(vdir / "repo", [("patch", v.patch), ("test_patch", inst.test_patch)])
        if error is not None:
            rec.build, rec.error = failed or "patch_failed", error
            return
        res = build_environment(
            self.sandbox,
            self.resources,
            self.settings(inst, v.kind),
            self.place(inst, vdir),
            inst.setup_commands,
            inst.install_commands,
            on_step=lambda step: self.reporter.variant_step(iid, v.name, step),
        )
        rec.build_steps, rec.build_s = res.steps, res.seconds
        if not res.ok:
            status: Build = {"setup": "setup_failed"}.get(res.failed_kind or "", "install_failed")  # type: ignore[assignment]
            rec.build, rec.error = failed or status, res.error
            return
        rec.build = "ok"

    def test(self, inst: Instance, v: VariantSpec, vdir: Path) -> list[TestRun]:
        out = []
        pause_point("tests")
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
            self.resources.limits.describe(),
        )

    def variant(self, inst: Instance, v: VariantSpec, force: bool) -> VariantBuild:
        """Build and test one variant, or reuse its record when its inputs are unchanged."""
        iid = inst.instance_id
        vdir = self.state.score_dir(iid) / "envs" / v.dirname
        record = staged(self.state, iid) / "variants" / f"{v.dirname}.json"
        fp = self.fingerprint(inst, v)
        old = read_model(record, VariantBuild)
        if old and old.fingerprint == fp and not force and (vdir / "repo").exists():
            self.reporter.variant_done(iid, v.name, old.build, reused=True)
            return old
        rec = _new_record(v, fp)
        if rec.build == "ok":  # not refused before its build
            self._build(inst, v, vdir, rec)
        if rec.build == "ok":
            rec.tests = self.test(inst, v, vdir)
        else:
            rec.status = "build_failed"
        write_model(record, rec)
        self.reporter.variant_done(iid, v.name, rec.build, reused=False)
        return rec
