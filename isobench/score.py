"""`score`: correctness and speed of base, human and every agent patch, measured side by side.

Per instance: every variant gets its own copy of the base (history-free, from the snapshot), its own
venv, the human's test patch, and its own patch (none for base; the human's code patch; the agent's
code patch, its test edits discarded). Everything that runs candidate code (setup, install, tests,
workload) runs in the sandbox with no network. Then all variants are timed together with the
interleaved, adaptive protocol of `isobench.measure`, and every speedup gets a 95% CI.

Resumable per variant (`variants/<name>.json`: build and test results) and per instance
(`score.json`, written last; redone when the set of variants or the protocol changes).
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from isobench import __version__
from isobench.config import BenchConfig
from isobench.envs import BuildSettings, VenvError, create_venv, variant_env
from isobench.errors import UserError
from isobench.gitutil import clone_worktree, patch_bytes, patch_text, run_git
from isobench.prepare import ensure_snapshot
from isobench.procs import set_pdeathsig
from isobench.progress import ScoreReporter
from isobench.sandbox import Sandbox, SandboxSpec, python_install_paths
from isobench.state import State, fingerprint, read_record, remove_tree, write_record

if TYPE_CHECKING:
    from isobench.measure.protocol import Script

BASE, HUMAN, AA = "base", "human", "base_aa"


@dataclass
class VariantSpec:
    name: str  # base | human | base_aa | <provider>#<attempt>
    kind: str  # base | human | aa | agent
    patch: str  # code patch applied on the base ("" for base)
    provider: str | None = None
    attempt: int | None = None
    outside_targets: list[str] = field(default_factory=list)  # files an agent changed outside its targets

    @property
    def dirname(self) -> str:
        return self.name.replace("#", "_")


def agent_patch(state: State, iid: str, provider: str, attempt: int) -> str:
    """An attempt's code patch (as `patch_text`: its exact bytes, CRLF included), "" when it has none."""
    path = state.attempt_dir(iid, provider, attempt) / "model_patch.diff"
    return patch_text(path.read_bytes()) if path.is_file() else ""


def recorded_providers(state: State, iid: str) -> list[str]:
    """Providers with attempt folders for an instance, by name."""
    runs = state.root / "runs" / iid
    return sorted(p.name for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []


def variant_specs(state: State, inst: dict[str, Any], providers: list[str] | None) -> list[VariantSpec]:
    """base, human, the A/A twin (a second copy of base, built separately, exactly as an agent's variant is),
    and one variant per recorded agent attempt (of `providers`, or of every provider)."""
    specs = [VariantSpec(BASE, "base", ""), VariantSpec(HUMAN, "human", inst["patch"]), VariantSpec(AA, "aa", "")]
    for prov in recorded_providers(state, inst["instance_id"]):
        if providers and prov not in providers:
            continue
        for rec in state.attempts(inst["instance_id"], prov):
            patch = agent_patch(state, inst["instance_id"], prov, rec["attempt"])
            outside = list(rec.get("files_outside_targets") or []) if inst.get("strict_targets") else []
            specs.append(VariantSpec(f"{prov}#{rec['attempt']}", "agent", patch, prov, rec["attempt"], outside))
    return specs


# A command a shell would treat specially is never run in-process.
_SHELL_CHARS = set("|&;<>()$`*?~{}[]")
_PYTHON = re.compile(r"(.*/)?python(3(\.\d+)?)?")


def script_workload(commands: list[str]) -> Script | None:
    """The workload as a script or module when it is exactly one `python SCRIPT ARGS` or `python -m MODULE
    ARGS` command (no shell syntax, no options before the script): what can be timed in-process."""
    from isobench.measure.protocol import Script

    if len(commands) != 1 or _SHELL_CHARS & set(commands[0]):
        return None
    try:
        argv = shlex.split(commands[0])
    except ValueError:
        return None
    if len(argv) < 2 or not _PYTHON.fullmatch(argv[0]):
        return None
    if argv[1] == "-m" and len(argv) >= 3:
        return Script("module", argv[2], tuple(argv[3:]))
    if not argv[1].startswith("-"):
        return Script("script", argv[1], tuple(argv[2:]))
    return None


def timing_mode(inst: dict[str, Any]) -> str:
    """What is timed for an instance: its workload callable in-process; else its workload script's body
    in-process (`workload_timing: whole_process` opts out); else the whole process of its commands."""
    from isobench.measure.protocol import IN_PROCESS, IN_PROCESS_SCRIPT, WHOLE_PROCESS

    if inst.get("workload_callable"):
        return IN_PROCESS
    if inst.get("workload_timing", "auto") != "whole_process" and script_workload(inst["efficiency_test"]):
        return IN_PROCESS_SCRIPT
    return WHOLE_PROCESS


def timed_description(inst: dict[str, Any], mode: str) -> str:
    from isobench.measure.protocol import IN_PROCESS, IN_PROCESS_SCRIPT

    if mode == IN_PROCESS:
        return "workload_callable " + inst["workload_callable"]
    if mode == IN_PROCESS_SCRIPT:
        return "the body of " + inst["efficiency_test"][0] + ", run again in one process"
    return "whole process of: " + "; ".join(inst["efficiency_test"])


def noisy_flag(aa: dict[str, Any] | None, aa_error: str | None, min_gain: float) -> dict[str, Any]:
    """An instance whose A/A twin (identical code) does not come out "no difference" is flagged noisy."""
    if aa is None:
        return {"noisy": True, "noisy_reason": f"the A/A twin could not be timed: {aa_error}"}
    lo, hi = aa["speedup_ci"]
    if aa["classification"] in ("faster", "slower"):
        why = f"the A/A twin (identical code) came out {aa['classification']}: {aa['speedup']:.3f} [{lo:.3f}, {hi:.3f}]"
    elif aa["classification"] != "no_difference":
        why = (
            f"the A/A twin's CI [{lo:.3f}, {hi:.3f}] reaches beyond +-{min_gain:.0%}: differences smaller than "
            "its far end are not resolved (the decision margin is raised to it)"
        )
    else:
        return {"noisy": False, "noisy_reason": None}
    return {"noisy": True, "noisy_reason": why}


def check_attempts_current(state: State, instances: list[dict[str, Any]], providers: list[str] | None) -> None:
    """Refuse (one line, nothing scored) attempts made from an earlier preparation of their unit: their
    results answer an old prompt or old settings."""
    stale = []
    for inst in instances:
        iid = inst["instance_id"]
        for prov in recorded_providers(state, iid):
            if providers and prov not in providers:
                continue
            prepared = state.prepared(iid, prov) or {}
            for rec in state.attempts(iid, prov):
                fp = rec.get("prepared_fingerprint")
                if fp is not None and prepared and fp != prepared.get("fingerprint"):
                    stale.append((iid, prov, rec["attempt"]))
    if stale:
        iid, prov, a = stale[0]
        provs = ",".join(sorted({s[1] for s in stale}))
        raise UserError(
            f"{state.root}: {len(stale)} attempt(s) were made before their unit was prepared again (e.g. {iid} x "
            f"{prov} #{a}); redo them with `isobench run --force -p {provs}` before scoring"
        )


def environment_fingerprint(sandbox: str) -> dict[str, Any]:
    """Where the numbers were measured: they are only comparable on the same kind of machine."""
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        oh = version("openhands-sdk")
    except Exception:
        oh = None
    return {
        "host": platform.node(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "isobench_version": __version__,
        "openhands_version": oh,
        "sandbox": sandbox,
    }


class Scorer:
    """Builds, tests and times the variants of one instance."""

    def __init__(self, cfg: BenchConfig, state: State, sandbox: Sandbox, reporter: ScoreReporter) -> None:
        self.cfg = cfg
        self.state = state
        self.sandbox = sandbox
        self.reporter = reporter

    # --- environments -----------------------------------------------------------------------------
    def settings(self, inst: dict[str, Any]) -> BuildSettings:
        """How this instance's variants are built: its interpreter, the shared cache, the index."""
        sc = self.cfg.score
        python = inst.get("python") or (str(self.cfg.resolve(sc.python)) if sc.python else sys.executable)
        return BuildSettings(
            python=python,
            cache_dir=self.state.root / "cache" / "uv",
            network=sc.build_network,
            index_url=sc.index_url,
            find_links=tuple(self.cfg.resolve(p) for p in sc.find_links),
            system_site_packages=sc.system_site_packages,
            timeout_s=sc.build_timeout_s,
        )

    def _spec(self, inst: dict[str, Any], vdir: Path, env: dict[str, str], *, build: bool = False) -> SandboxSpec:
        """What candidate code sees: its own copy; the interpreter, the workload files (and, while building,
        uv's cache and the network); never the task repositories, the state or the project."""
        settings = self.settings(inst)
        hidden = [self.state.root, Path(self.cfg.root)]
        hidden += sorted({Path(i["repo_path"]) for i in self.state.instances()})
        readable = [*python_install_paths(settings.python), *map(Path, inst.get("workload_files") or [])]
        writable = [vdir]
        if build:
            settings.cache_dir.mkdir(parents=True, exist_ok=True)
            readable += settings.readable()
            writable.append(settings.cache_dir)
        return SandboxSpec(
            writable=writable,
            readable=readable,
            hidden=hidden,
            network=build and settings.network,
            env=env,
            cwd=vdir / "repo",
        )

    def _sh(
        self, inst: dict[str, Any], vdir: Path, command: str, timeout: float, *, build: bool = False
    ) -> tuple[int, str]:
        """A shell command of the task, in the variant's copy, inside the sandbox (offline unless building)."""
        venv = vdir / "venv"
        env = self.settings(inst).build_env(venv) if build else variant_env(venv)
        cmd = self.sandbox.wrap(["/bin/sh", "-c", command], self._spec(inst, vdir, env, build=build))
        try:
            proc = cmd.run(capture_output=True, timeout=timeout, start_new_session=True, preexec_fn=set_pdeathsig)
        except subprocess.TimeoutExpired:
            return 124, f"timed out after {timeout:.0f} s"
        out = (proc.stdout + proc.stderr).decode(errors="replace")
        return proc.returncode, out[-3000:]

    def build(self, inst: dict[str, Any], v: VariantSpec, vdir: Path) -> dict[str, Any]:
        """Copy of the base + patches + venv + setup/install; the record says what failed, if anything."""
        iid = inst["instance_id"]
        t0 = time.monotonic()
        remove_tree(vdir)
        vdir.mkdir(parents=True)
        self.reporter.variant_step(iid, v.name, "copy and patch")
        clone_worktree(self.state.snapshot_dir(iid), vdir / "repo")
        for what, patch in (("patch", v.patch), ("test_patch", inst["test_patch"])):
            if not patch.strip():
                continue
            try:
                run_git(["apply", "--whitespace=nowarn", "--binary", "-"], cwd=vdir / "repo", input=patch_bytes(patch))
            except Exception as exc:
                status = "base_failed" if v.kind == "base" else "patch_failed"
                return {"build": status, "error": f"{what} does not apply: {exc}"}
        settings = self.settings(inst)
        self.reporter.variant_step(iid, v.name, f"venv ({Path(settings.python).name})")
        try:
            create_venv(vdir / "venv", settings)
        except VenvError as exc:
            return {"build": "install_failed", "error": f"venv: {exc}"}
        steps = []
        for kind, commands in (("setup", inst["setup_commands"]), ("install", inst["install_commands"])):
            for cmd in commands:
                self.reporter.variant_step(iid, v.name, f"{kind}: {cmd}")
                t = time.monotonic()
                code, out = self._sh(inst, vdir, cmd, settings.timeout_s, build=True)
                steps.append({"command": cmd, "exit_code": code, "seconds": round(time.monotonic() - t, 3)})
                if code != 0:
                    status = "base_failed" if v.kind == "base" else f"{kind}_failed"
                    return {
                        "build": status,
                        "error": f"`{cmd}` exited {code}: {out[-800:]}",
                        "build_steps": steps,
                        "build_s": round(time.monotonic() - t0, 3),
                    }
        return {"build": "ok", "error": None, "build_steps": steps, "build_s": round(time.monotonic() - t0, 3)}

    def test(self, inst: dict[str, Any], v: VariantSpec, vdir: Path) -> list[dict[str, Any]]:
        out = []
        for cmd in inst["tests"]:
            self.reporter.variant_step(inst["instance_id"], v.name, f"test: {cmd}")
            t0 = time.monotonic()
            code, text = self._sh(inst, vdir, cmd, self.cfg.score.test_timeout_s)
            out.append(
                {
                    "command": cmd,
                    "passed": code == 0,
                    "exit_code": code,
                    "seconds": round(time.monotonic() - t0, 3),
                    "output_tail": text[-1500:],
                }
            )
        return out

    def variant_fingerprint(self, inst: dict[str, Any], v: VariantSpec) -> str:
        """Everything a variant's build and tests depend on: same fingerprint, same results."""
        settings = self.settings(inst)
        return fingerprint(
            inst["fingerprint"],
            hashlib.sha256(patch_bytes(v.patch)).hexdigest(),
            v.outside_targets,
            inst["tests"],
            inst["setup_commands"],
            inst["install_commands"],
            settings.python,
            settings.system_site_packages,
            settings.index_url,
            self.sandbox.name,
        )

    def prepare_variant(self, inst: dict[str, Any], v: VariantSpec, force: bool) -> dict[str, Any]:
        """Build and test one variant, or reuse its record when its inputs are unchanged."""
        sdir = self.state.score_dir(inst["instance_id"])
        vdir = sdir / "envs" / v.dirname
        rec_path = sdir / "variants" / f"{v.dirname}.json"
        fp = self.variant_fingerprint(inst, v)
        old = read_record(rec_path)
        if old and old.get("fingerprint") == fp and not force and (vdir / "repo").exists():
            self.reporter.variant_done(inst["instance_id"], v.name, old["build"], reused=True)
            return old
        rec: dict[str, Any] = {
            "status": "built",
            "variant": v.name,
            "kind": v.kind,
            "provider": v.provider,
            "attempt": v.attempt,
            "fingerprint": fp,
            "patch_empty": not v.patch.strip(),
        }
        if v.outside_targets:  # optimization_contract.strict_targets: such a patch is not scored
            outside = ", ".join(v.outside_targets)
            rec.update(build="outside_targets", error=f"changes files outside the target files: {outside}")
        else:
            rec.update(self.build(inst, v, vdir))
        if rec["build"] == "ok":
            rec["tests"] = self.test(inst, v, vdir)
        else:
            rec["status"] = "build_failed"
            rec["tests"] = []
        write_record(rec_path, rec)
        self.reporter.variant_done(inst["instance_id"], v.name, rec["build"], reused=False)
        return rec

    # --- timing -----------------------------------------------------------------------------------
    def protocol_variant(self, inst: dict[str, Any], name: str, vdir: Path, mode: str) -> Any:
        """What the timing protocol runs for one variant, in `mode` (see `timing_mode`)."""
        from isobench.measure.protocol import DEFAULT_CHILD_ENV, IN_PROCESS, IN_PROCESS_SCRIPT, Variant

        venv = vdir / "venv"
        python = str(venv / "bin" / "python")
        env = {**variant_env(venv), **DEFAULT_CHILD_ENV, "ISOBENCH_PYTHON": python}
        spec = self._spec(inst, vdir, env)

        def wrap(argv: list[str]) -> list[str]:
            # The protocol starts the command with `env` (the same dict), so only its argv is needed here.
            return self.sandbox.wrap(argv, spec).argv

        what: dict[str, Any] = {}
        if mode == IN_PROCESS:
            what["callable"] = inst["workload_callable"]
        elif mode == IN_PROCESS_SCRIPT:
            what["script"] = script_workload(inst["efficiency_test"])
        else:
            what["command"] = " && ".join(f"( {c} )" for c in inst["efficiency_test"])
        return Variant(name=name, cwd=vdir / "repo", python=python, env=env, wrap=wrap, **what)

    def _measure(self, inst: dict[str, Any], names: list[str], mode: str, budget: float) -> Any:
        from isobench.measure.protocol import ProtocolConfig, measure

        iid = inst["instance_id"]
        sdir = self.state.score_dir(iid)
        sc = self.cfg.score
        pv = [self.protocol_variant(inst, n, sdir / "envs" / n.replace("#", "_"), mode) for n in names]
        self.reporter.timing_started(iid, names, budget)
        return measure(
            pv,
            ProtocolConfig(
                min_rounds=sc.min_rounds,
                max_rounds=sc.max_rounds,
                target_halfwidth=sc.target_halfwidth,
                time_budget_s=budget,
                warmup=sc.warmup,
                values=sc.values,
                sample_stat=sc.sample_stat,
                interleave=sc.interleave,
                reference=BASE,
            ),
            samples_path=sdir / "samples.jsonl",
            on_round=lambda r, info: self.reporter.timing_round(iid, r + 1, info),
        )

    def score_instance(self, inst: dict[str, Any], providers: list[str] | None, force: bool) -> dict[str, Any]:
        from isobench.measure.protocol import IN_PROCESS_SCRIPT, NOT_REPEATABLE, WHOLE_PROCESS
        from isobench.measure.stats import classify_speedup, match_labels, noise_floor

        iid = inst["instance_id"]
        sdir = self.state.score_dir(iid)
        every = variant_specs(self.state, inst, None)
        specs = [v for v in every if v.kind != "agent" or not providers or v.provider in providers]
        sc = self.cfg.score
        self.reporter.instance_started(iid, [v.name for v in specs])
        ensure_snapshot(self.state, inst)  # scoring base and human needs no `prepare`
        records = {v.name: self.prepare_variant(inst, v, force) for v in specs}
        old = self.state.score_record(iid)
        # Scoring some providers (-p) keeps the other providers' rows of the last score, as long as each
        # still describes its attempt; every row names the measurement (run_id) it comes from.
        carried: dict[str, dict[str, Any]] = {}
        for v in every:
            row = ((old or {}).get("variants") or {}).get(v.name)
            if v.name not in records and row and row.get("fingerprint") == self.variant_fingerprint(inst, v):
                carried[v.name] = row
        rows_fp = sorted(
            [(n, r["fingerprint"]) for n, r in records.items()] + [(n, r["fingerprint"]) for n, r in carried.items()]
        )
        fp = fingerprint(rows_fp, sc.model_dump())
        if old and old.get("fingerprint") == fp and not force:
            self.reporter.instance_done(iid, old)
            return old

        # Correctness: a test command counts only if it passes on the human commit; with none passing
        # there, nothing can be judged correct and the instance is invalid.
        human_tests = {t["command"]: t["passed"] for t in records[HUMAN].get("tests", [])}
        excluded = [c for c, ok in human_tests.items() if not ok]
        no_gate = records[HUMAN]["build"] == "ok" and not any(human_tests.values())
        for rec in records.values():
            counted = [t for t in rec.get("tests", []) if t["command"] not in excluded]
            rec["correct"] = rec["build"] == "ok" and all(t["passed"] for t in counted) and not no_gate

        result: dict[str, Any] = {
            "instance_id": iid,
            "fingerprint": fp,
            "excluded_tests": excluded,
            "environment": environment_fingerprint(self.sandbox.name),
            "scored_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        shown = {n: r for n, r in records.items() if n != AA}  # the A/A twin is reported on its own
        broken = next((n for n in (BASE, HUMAN, AA) if records[n]["build"] != "ok"), None)
        if broken is not None:
            result.update(
                status="human_failed" if broken == HUMAN else "base_failed",
                valid=False,
                invalid_reason=f"{broken} does not build: {records[broken].get('error')}",
                variants={**carried, **self._variant_out(shown, None, inst)},
            )
            return self._done(iid, write_record(sdir / "score.json", result))
        if no_gate:
            result.update(
                status="human_tests_failed",
                valid=False,
                invalid_reason="no correctness test passes on the human commit (failing: "
                + "; ".join(f"`{c}`" for c in excluded)
                + "): nothing can be judged correct; fix the task's `tests` or its install_commands",
                variants={**carried, **self._variant_out(shown, None, inst)},
            )
            return self._done(iid, write_record(sdir / "score.json", result))

        names = [v.name for v in specs if records[v.name]["build"] == "ok"]
        budget = sc.time_budget_s * max(1, len(names) - 1)  # the budget is per (base, other variant) pair
        mode = timing_mode(inst)
        m = self._measure(inst, names, mode, budget)
        if mode == IN_PROCESS_SCRIPT and NOT_REPEATABLE in m.failed.get(BASE, ""):
            # The base's own script cannot run twice in one process: time every variant as a whole process.
            result["timing_fallback"] = m.failed[BASE][-400:]
            mode = WHOLE_PROCESS
            m = self._measure(inst, names, mode, budget)
        result["measurement"] = m.summary()
        result["timing_mode"] = m.timing_mode
        result["timed"] = timed_description(inst, m.timing_mode)
        result["samples_file"] = "samples.jsonl"

        # The A/A twin (a second, separately built copy of base) measures the noise floor: no variant
        # is called faster or slower by less than identical code appeared to differ.
        aa = m.speedup(AA) if AA not in m.failed else None
        floor = noise_floor(aa) if aa is not None else 0.0
        result["noise_floor"] = floor
        result["decision_margin"] = max(sc.min_gain, floor)
        est: dict[str, dict[str, Any]] = {}
        for name in m.variants:
            if name == BASE or name in m.failed:
                continue
            s = m.speedup(name)
            est[name] = {
                "speedup": s.value,
                "speedup_ci": [s.ci_low, s.ci_high],
                "p_faster": s.p_faster,
                "classification": classify_speedup(s, min_gain=sc.min_gain, floor=0.0 if name == AA else floor),
                "halfwidth_log": s.halfwidth_log,
            }
            if name not in (HUMAN, AA) and HUMAN not in m.failed:
                r = m.rho(name)
                est[name].update(
                    {
                        "rho": r.value,
                        "rho_ci": [r.ci_low, r.ci_high],
                        **match_labels(r, sc.match_threshold, sc.min_gain, floor),
                    }
                )
        result.update(noisy_flag(est.get(AA), m.failed.get(AA), sc.min_gain))
        human = est.get(HUMAN)
        valid = bool(
            human and human["classification"] == "faster" and human["speedup_ci"][0] >= sc.admission_min_speedup
        )
        reason = None
        if not valid and human:
            reason = (
                f"the human speedup is not established over {m.rounds} rounds: {human['speedup']:.3f}, 95% CI "
                f"[{human['speedup_ci'][0]:.3f}, {human['speedup_ci'][1]:.3f}]; admission needs the whole CI "
                f"above {1 + result['decision_margin']:.3f} (the larger of min_gain and the A/A noise floor) "
                f"and above admission_min_speedup {sc.admission_min_speedup}"
            )
        elif not valid:
            reason = f"the human variant failed to run its workload: {m.failed.get(HUMAN, 'no samples')}"
        result.update(
            status="scored",
            valid=valid,
            invalid_reason=reason,
            aa=est.get(AA),
            variants={
                **carried,
                **{
                    n: {**row, "run_id": m.run_id}
                    for n, row in self._variant_out(shown, {**est, "__failed__": m.failed}, inst).items()
                },
            },
        )
        return self._done(iid, write_record(sdir / "score.json", result))

    def _done(self, iid: str, record: dict[str, Any]) -> dict[str, Any]:
        self.reporter.instance_done(iid, record)
        return record

    def _variant_out(
        self, records: dict[str, dict[str, Any]], est: dict[str, Any] | None, inst: dict[str, Any]
    ) -> dict[str, Any]:
        failed = (est or {}).get("__failed__", {})
        out = {}
        for name, rec in records.items():
            row = {
                k: rec.get(k)
                for k in (
                    "kind",
                    "provider",
                    "attempt",
                    "build",
                    "error",
                    "correct",
                    "tests",
                    "patch_empty",
                    "fingerprint",
                )
            }
            row["tests"] = [{k: t[k] for k in ("command", "passed", "exit_code")} for t in rec.get("tests", [])]
            if est and name in est:
                row.update(est[name])
            if name in failed:
                row["workload_error"] = failed[name]
            # For the aggregates an incorrect agent patch counts as no change (speedup 1.0), and an
            # empty one is no change: it is not "correct" (there is nothing to credit), as in correlate.
            if rec["kind"] == "agent":
                if row.get("patch_empty"):
                    row["correct"] = False
                ok = row.get("correct") and "speedup" in row
                row["effective_speedup"] = row["speedup"] if ok else 1.0
                row["effective_rho"] = (
                    row.get("rho") if ok else (1.0 / est[HUMAN]["speedup"] if est and HUMAN in est else None)
                )
                if not ok:
                    row["matches_human_strict"] = row["matches_human_gso"] = row["beats_human"] = False
                    row["match_label"] = (
                        "empty_patch"
                        if row.get("patch_empty")
                        else "outside_targets"
                        if row.get("build") == "outside_targets"
                        else "incorrect"
                        if not row.get("correct")
                        else "not_timed"
                    )
            out[name] = row
        return out


def score(
    cfg: BenchConfig,
    state: State,
    instances: list[dict[str, Any]],
    *,
    sandbox: Sandbox,
    reporter: ScoreReporter,
    providers: list[str] | None = None,
    force: bool = False,
) -> list[dict[str, Any]]:
    """Score every instance (one at a time: timing must not compete with itself)."""
    check_attempts_current(state, instances, providers)
    sandbox.check()
    scorer = Scorer(cfg, state, sandbox, reporter)
    out = []
    reporter.start([i["instance_id"] for i in instances])
    try:
        for inst in instances:
            out.append(scorer.score_instance(inst, providers, force))
    finally:
        reporter.stop()
    return out
