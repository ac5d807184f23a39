"""One attempt, start to finish: a neutral work folder, the agent started and watched (wall-time limit,
Ctrl-C), its patch collected, its logs moved into the attempt's folder, its record written last."""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from isobench import __version__
from isobench.gitutil import clone_worktree
from isobench.procs import kill_group, kill_recorded_group
from isobench.progress import Reporter
from isobench.records import ATTEMPT_STATUSES, Attempt
from isobench.run.collect import collect_patch
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
            killed += kill_recorded_group(int(rec["pgid"]), str(state.root / rec["work"]))
    remove_tree(state.root / "work")
    return killed


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


class Runner:
    """Runs attempts; safe to call from several worker threads."""

    def __init__(self, state: State, launcher: Launcher, reporter: Reporter, *, keep_work: bool = False) -> None:
        self.state = state
        self.launcher = launcher
        self.reporter = reporter
        self.keep_work = keep_work
        self.cancel = threading.Event()

    def run_unit(self, u: Unit) -> Attempt:
        """One attempt, start to finish; always returns (and, unless cancelled first, writes) a result."""
        iid, pname = u.inst.instance_id, u.provider.name
        d = self.state.attempt_dir(iid, pname, u.attempt)
        remove_tree(d)  # a partial attempt is redone from scratch
        d.mkdir(parents=True)
        work = self.state.root / "work" / secrets.token_hex(8)
        for sub in ("home", "out"):
            (work / sub).mkdir(parents=True)
        clone_worktree(self.state.snapshot_dir(iid), work / "workspace")
        shutil.copy(self.state.prepared_dir(iid, pname) / "prompt.md", work / "out" / "prompt.md")
        _, timeout_s, _ = self.launcher.limits(u.provider)
        t0 = time.monotonic()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        status = None
        with open(d / "agent.log", "wb") as log:
            proc = self.launcher.start(u, work, d, log)
            (d / "work.json").write_text(json.dumps({"pgid": proc.pid, "work": str(work.relative_to(self.state.root))}))
            last_progress = 0.0
            while proc.poll() is None:
                if self.cancel.is_set():
                    status = "interrupted"
                elif time.monotonic() - t0 > timeout_s:
                    status = "timeout"
                if status:
                    kill_group(proc)
                    break
                time.sleep(0.2)
                if time.monotonic() - last_progress > 1.0:
                    last_progress = time.monotonic()
                    prog = read_json(work / "out" / "progress.json")
                    if prog:
                        self.reporter.attempt_progress(
                            u.key, int(prog.get("iterations", 0)), float(prog.get("cost_usd", 0.0))
                        )
        wall = time.monotonic() - t0
        runner = read_json(work / "out" / "runner_result.json") or read_json(work / "out" / "progress.json") or {}
        if status is None:
            status = runner.get("status") if runner.get("status") in ATTEMPT_STATUSES else "runtime_error"
        error = runner.get("error")
        if status == "runtime_error" and not error:
            error = f"the agent process exited with code {proc.returncode} and left no result; see agent.log"
        if status == "timeout":
            error = f"wall-time limit of {timeout_s:.0f} s reached"
        try:
            patch = collect_patch(self.launcher, u, work, d)
        except Exception as exc:  # isobench's failure, not the agent's result: the harness got no answer
            patch = {"model_patch": None, "test_edits": None, "patch_empty": True}  # nothing was collected
            if status != "interrupted":
                status = "runtime_error"
                error = f"isobench could not collect the agent's patch: {exc}"
        for name in KEPT_OUTPUTS:
            if (work / "out" / name).exists():
                remove_tree(d / name)
                shutil.move(str(work / "out" / name), str(d / name))
        if self.keep_work:
            shutil.move(str(work / "workspace"), str(d / "workspace"))
        result = Attempt(
            status=status,
            instance_id=iid,
            provider=pname,
            attempt=u.attempt,
            prepared_fingerprint=u.prepared.fingerprint,
            model=u.provider.litellm_model,
            agent="command" if u.provider.provider == "command" else "openhands",
            exit_code=proc.returncode,
            wall_s=round(wall, 3),
            iterations=int(runner.get("iterations", 0)),
            prompt_tokens=int(runner.get("prompt_tokens", 0)),
            completion_tokens=int(runner.get("completion_tokens", 0)),
            cost_usd=float(runner.get("cost_usd", 0.0)),
            openhands_version=runner.get("openhands_version"),
            isobench_version=__version__,
            error=error,
            finish_message=runner.get("finish_message"),
            **patch,
            sandbox=self.launcher.sandbox.name,
            setting=u.inst.setting,
            limits=dict(
                zip(("max_iterations", "time_limit_s", "max_budget_usd"), self.launcher.limits(u.provider), strict=True)
            ),
            started_at=started,
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        # An interrupted attempt is kept for the user (interrupted.json) but its unit stays pending.
        write_model(d / ("interrupted.json" if status == "interrupted" else "result.json"), result)
        (d / "work.json").unlink(missing_ok=True)
        remove_tree(work)
        return result
