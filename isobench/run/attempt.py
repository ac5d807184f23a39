"""One attempt, start to finish: a neutral work folder, the task's environment built for the agent's checkout,
the agent started and watched (wall-time limit, Ctrl-C), its patch collected, its logs moved into the
attempt's folder, its record written last."""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from isobench import __version__
from isobench.envs import EnvResult
from isobench.gitutil import clone_snapshot
from isobench.jsontypes import JSONObject, number
from isobench.procs import kill_group, kill_recorded_group
from isobench.progress import Reporter
from isobench.records import ATTEMPT_STATUSES, Attempt
from isobench.resources import Group, memory_killed_message
from isobench.run.collect import CollectedPatch, collect_patch
from isobench.run.environment import AttemptEnv
from isobench.run.launch import Launcher
from isobench.run.units import Unit
from isobench.state import State, remove_tree, write_model

# What the runner leaves in its output folder that is kept with the attempt.
KEPT_OUTPUTS = ("events.jsonl", "progress.json", "runner_result.json", "conversation", "spec.json", "prompt.md")


def reap_stale(state: State) -> int:
    """After an isobench that was killed outright: kill the agents it left (recorded in `work.json`), and
    remove every agent work folder (only one isobench uses a state directory, so none is live now)."""
    killed = 0
    for marker in (state.root / "runs").glob("*/*/*/work.json"):
        with contextlib.suppress(Exception):
            rec = json.loads(marker.read_text())
            if rec.get("pgid") is not None:  # None: it was still building the agent's environment
                killed += kill_recorded_group(int(rec["pgid"]), str(state.root / rec["work"]))
    remove_tree(state.root / "work")
    return killed


def read_json(path: Path) -> JSONObject | None:
    """A JSON object the agent's side wrote (the runner's result or progress), or None when there is none."""
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class RunnerReport:
    """What the agent's runner reported (runner_result.json, else its last progress.json): read defensively,
    since the file is written on the agent's side."""

    status: str | None = None
    error: str | None = None
    iterations: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    openhands_version: str | None = None
    finish_message: str | None = None

    @classmethod
    def of(cls, data: JSONObject | None) -> RunnerReport:
        """The report in `data` (an empty one for None: no file)."""
        if data is None:
            return cls()

        def opt(key: str) -> str | None:
            v = data.get(key)
            return v if isinstance(v, str) else None

        def count(key: str) -> int:
            return int(number(data.get(key)) or 0)

        return cls(
            status=opt("status"),
            error=opt("error"),
            iterations=count("iterations"),
            prompt_tokens=count("prompt_tokens"),
            completion_tokens=count("completion_tokens"),
            cost_usd=number(data.get("cost_usd")) or 0.0,
            openhands_version=opt("openhands_version"),
            finish_message=opt("finish_message"),
        )


@dataclass
class Ending:
    """How the agent's part of an attempt ended (before its patch is collected)."""

    status: str
    exit_code: int | None
    wall_s: float
    runner: RunnerReport | None
    """None: the runner left no result (a `command` agent writes none)."""
    error: str | None
    denied: list[str] = field(default_factory=list)


def make_work(state: State, u: Unit) -> Path:
    """A fresh, neutral work folder for one attempt (`state/work/<random>`): the agent's home, its output
    folder holding its prompt, and its checkout of the instance's snapshot."""
    iid, pname = u.inst.instance_id, u.provider.name
    work = state.root / "work" / secrets.token_hex(8)
    for sub in ("home", "out"):
        (work / sub).mkdir(parents=True)
    clone_snapshot(state.snapshot_dir(iid), work / "workspace")
    shutil.copy(state.prepared_dir(iid, pname) / "prompt.md", work / "out" / "prompt.md")
    return work


def agent_status(u: Unit, runner: RunnerReport | None, code: int | None) -> str:
    """How the agent ended, when isobench did not stop it: the runner's own result; for a `command` agent
    without one (a wrapped CLI agent writes none), its exit code: 0 success, else agent_error."""
    if runner is not None and runner.status in ATTEMPT_STATUSES:
        return str(runner.status)
    if u.provider.provider == "command" and (runner is None or runner.status is None):
        return "success" if code == 0 else "agent_error"
    return "runtime_error"


def ending(
    u: Unit, runner: RunnerReport | None, code: int | None, stopped: str | None, timeout_s: float
) -> tuple[str, str | None]:
    """The agent's status (`stopped` when isobench stopped it, else `agent_status`) and its error: the
    runner's own, or one that says what happened and where to look."""
    status = stopped or agent_status(u, runner, code)
    error = runner.error if runner is not None else None
    if status == "runtime_error" and not error:
        error = f"the agent process exited with code {code} and left no result; see agent.log"
    if status == "agent_error" and not error and u.provider.provider == "command":
        error = f"the agent command exited with code {code}; see agent.log"
    if status == "timeout":
        error = f"wall-time limit of {timeout_s:.0f} s reached"
    return status, error


def keep_outputs(work: Path, d: Path, workspace: bool) -> None:
    """Move the runner's outputs that are kept (`KEPT_OUTPUTS`) into the attempt's folder `d`, and the agent's
    workspace too when `workspace` (`--keep-work`)."""
    for name in KEPT_OUTPUTS:
        if (work / "out" / name).exists():
            remove_tree(d / name)
            shutil.move(str(work / "out" / name), str(d / name))
    if workspace:
        shutil.move(str(work / "workspace"), str(d / "workspace"))


def attempt_record(
    u: Unit, launcher: Launcher, o: Ending, patch: CollectedPatch, env: EnvResult, oom: int, started: str
) -> Attempt:
    """The attempt's record: how it ended, what the agent's runner reported (iterations, tokens, cost), its
    patch, its environment's build, and the network, resources, sandbox and limits it ran under."""
    runner = o.runner or RunnerReport()
    limits = launcher.resources.limits
    return Attempt(
        status=o.status,
        **u.identity(),
        exit_code=o.exit_code,
        wall_s=round(o.wall_s, 3),
        iterations=runner.iterations,
        prompt_tokens=runner.prompt_tokens,
        completion_tokens=runner.completion_tokens,
        cost_usd=runner.cost_usd,
        openhands_version=runner.openhands_version,
        isobench_version=__version__,
        error=o.error,
        finish_message=runner.finish_message,
        **asdict(patch),
        env_build_s=env.seconds,
        env_steps=env.steps,
        network=launcher.network,
        network_denied=o.denied,
        resources={"cpus": limits.cpus, "memory_bytes": limits.memory, "oom_kills": oom} if limits else None,
        sandbox=launcher.sandbox.name,
        limits=dict(
            zip(("max_iterations", "time_limit_s", "max_budget_usd"), launcher.limits(u.provider), strict=True)
        ),
        started_at=started,
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


class Runner:
    """Runs attempts; safe to call from several worker threads."""

    def __init__(self, state: State, launcher: Launcher, reporter: Reporter, *, keep_work: bool = False) -> None:
        self.state = state
        self.launcher = launcher
        self.reporter = reporter
        self.keep_work = keep_work
        self.cancel = threading.Event()
        self.env_builder = AttemptEnv(launcher)

    def run_unit(self, u: Unit) -> Attempt:
        """One attempt, start to finish; always returns (and, unless cancelled first, writes) a result."""
        d = self.state.attempt_dir(u.inst.instance_id, u.provider.name, u.attempt)
        remove_tree(d)  # a partial attempt is redone from scratch
        d.mkdir(parents=True)
        work = make_work(self.state, u)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        (d / "work.json").write_text(json.dumps({"pgid": None, "work": str(work.relative_to(self.state.root))}))
        with self.launcher.resources.tree() as group:
            self.reporter.attempt_phase(u.key, "building environment")
            env = self.env_builder.build(u, work)
            if not env.ok:
                outcome = Ending(
                    "env_failed", None, 0.0, None, f"the task's environment could not be built: {env.error}"
                )
            elif self.cancel.is_set():
                outcome = Ending("interrupted", None, 0.0, None, None)
            else:
                self.reporter.attempt_phase(u.key, "agent")
                outcome = self._agent(u, work, d, group)
            oom = group.oom_kills() if group is not None else 0
        return self._record(u, work, d, started, env, outcome, oom)

    def _agent(self, u: Unit, work: Path, d: Path, group: Group | None) -> Ending:
        """Start the agent and watch it until it ends, the wall-time limit or Ctrl-C."""
        _, timeout_s, _ = self.launcher.limits(u.provider)
        base_url = self.launcher.base_url(u)
        gate = self.launcher.gate(u, base_url)
        t0 = time.monotonic()
        try:
            with open(d / "agent.log", "wb") as log:
                proc = self.launcher.start(u, work, log, gate, base_url, group)
                (d / "work.json").write_text(
                    json.dumps({"pgid": proc.pid, "work": str(work.relative_to(self.state.root))})
                )
                stopped = self._watch(u, proc, work, t0, timeout_s)
        finally:
            if gate is not None:
                gate.close()
        wall = time.monotonic() - t0
        found = read_json(work / "out" / "runner_result.json") or read_json(work / "out" / "progress.json")
        runner = RunnerReport.of(found) if found else None
        status, error = ending(u, runner, proc.returncode, stopped, timeout_s)
        denied = list(dict.fromkeys(gate.denied)) if gate is not None else []
        return Ending(status, proc.returncode, wall, runner, error, denied)

    def _watch(self, u: Unit, proc: subprocess.Popen[bytes], work: Path, t0: float, timeout_s: float) -> str | None:
        """Wait for the agent to end, showing its progress; kill it on Ctrl-C or at the wall-time limit and say
        which (`interrupted`, `timeout`; None: it ended by itself)."""
        last_progress = 0.0
        while proc.poll() is None:
            status = None
            if self.cancel.is_set():
                status = "interrupted"
            elif time.monotonic() - t0 > timeout_s:
                status = "timeout"
            if status:
                kill_group(proc)
                return status
            time.sleep(0.2)
            if time.monotonic() - last_progress > 1.0:
                last_progress = time.monotonic()
                prog = read_json(work / "out" / "progress.json")
                if prog:
                    now = RunnerReport.of(prog)
                    self.reporter.attempt_progress(u.key, now.iterations, now.cost_usd)
        return None

    def _record(self, u: Unit, work: Path, d: Path, started: str, env: EnvResult, o: Ending, oom: int) -> Attempt:
        """Collect the patch, keep the logs, write the attempt's record (last), remove the work folder."""
        patch, o = self._collect(u, work, d, o, oom)
        keep_outputs(work, d, self.keep_work)
        result = attempt_record(u, self.launcher, o, patch, env, oom, started)
        # An interrupted attempt is kept for the user (interrupted.json) but its unit stays pending.
        write_model(d / ("interrupted.json" if o.status == "interrupted" else "result.json"), result)
        (d / "work.json").unlink(missing_ok=True)
        remove_tree(work)
        return result

    def _collect(self, u: Unit, work: Path, d: Path, o: Ending, oom: int) -> tuple[CollectedPatch, Ending]:
        """The agent's patch, and the outcome with what collecting it adds: isobench's own failure to collect
        it (a runtime error), and the memory limit's kills as the cause of a runtime error."""
        status, error = o.status, o.error
        try:
            patch = collect_patch(self.launcher, u, work, d)
        except Exception as exc:  # isobench's failure, not the agent's result: the harness got no answer
            patch = CollectedPatch()  # nothing was collected
            if status not in ("interrupted", "env_failed"):
                status = "runtime_error"
                error = f"isobench could not collect the agent's patch: {exc}"
        if oom and status == "runtime_error":
            error = f"{memory_killed_message(self.launcher.resources.limits)}; {error}"
        return patch, replace(o, status=status, error=error)
