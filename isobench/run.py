"""`run`: one agent subprocess per (instance, provider, attempt), many in parallel, each one recorded.

The unit of work is `runs/<instance>/<provider>/<attempt>/`; its `result.json` is written last and is
the "done" marker. A unit without one (never started, or cut short by Ctrl-C, a crash or kill -9) is
redone from scratch on the next run: its partial files are removed first. Agents run in their own
process group inside the sandbox, are killed by group on timeout or Ctrl-C, and die with isobench.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from isobench import __version__
from isobench.config import BenchConfig, ProviderConfig
from isobench.errors import UserError
from isobench.gitutil import clone_worktree, matches_any
from isobench.progress import Reporter
from isobench.sandbox import Sandbox, SandboxSpec, minimal_env
from isobench.state import State, remove_tree, write_record

STATUSES = (
    "success",
    "agent_error",
    "timeout",
    "budget_exceeded",
    "iterations_exhausted",
    "api_error",
    "runtime_error",
    "interrupted",
)
RUNNER = Path(__file__).parent / "agents" / "openhands_runner.py"
# Files an agent's commands leave behind that are never part of its patch.
JUNK = (":(exclude,glob)**/__pycache__/**", ":(exclude,glob)**/*.pyc", ":(exclude,glob).pytest_cache/**")


@dataclass
class Unit:
    inst: dict[str, Any]
    provider: ProviderConfig
    attempt: int

    @property
    def key(self) -> str:
        return f"{self.inst['instance_id']}/{self.provider.name}/{self.attempt}"

    @property
    def label(self) -> str:
        return f"{self.inst['instance_id']} #{self.attempt}"


@dataclass
class RunSummary:
    results: list[dict[str, Any]] = field(default_factory=list)
    skipped_done: int = 0
    skipped_budget: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r["status"] not in ("success", "interrupted")]


def missing_keys(providers: list[ProviderConfig]) -> list[str]:
    """One line per provider whose API key variable is not set (scripted providers need none)."""
    out = []
    for p in providers:
        if p.provider in ("scripted", "command") or not p.api_key_env:
            continue
        if not os.environ.get(p.api_key_env):
            out.append(
                f"provider {p.name!r} needs its API key in the environment variable {p.api_key_env}, which is not set"
            )
    return out


def _set_pdeathsig() -> None:
    """In the child: die when isobench dies (even by kill -9), so no agent is left orphaned."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.wait(timeout=10)


def reap_stale(state: State) -> int:
    """Kill process groups left by an isobench that was killed outright (recorded in `pid.json`)."""
    killed = 0
    for pid_file in (state.root / "runs").glob("*/*/*/pid.json"):
        if (pid_file.parent / "result.json").exists():
            continue
        with contextlib.suppress(Exception):
            pgid = int(json.loads(pid_file.read_text())["pgid"])
            cmdline = Path(f"/proc/{pgid}/cmdline").read_bytes()
            if str(pid_file.parent).encode() in cmdline:  # the same process, not a reused pid
                os.killpg(pgid, signal.SIGKILL)
                killed += 1
    return killed


class Runner:
    """Runs the units of one `isobench run`; safe to call from several worker threads."""

    def __init__(
        self, cfg: BenchConfig, state: State, sandbox: Sandbox, reporter: Reporter, server: Any = None
    ) -> None:
        self.cfg = cfg
        self.state = state
        self.sandbox = sandbox
        self.reporter = reporter
        self.server = server  # the scripted LLM server, when a scripted provider runs
        self.cancel = threading.Event()
        self.tools = state.root / "tools"

    # --- the pieces of one attempt ----------------------------------------------------------------
    def limits(self, p: ProviderConfig) -> tuple[int, float, float | None]:
        oh = self.cfg.agents.openhands
        budget = p.max_budget_per_task if p.max_budget_per_task is not None else oh.max_budget_per_task
        return (p.max_iterations or oh.max_iterations, 60.0 * (p.time_budget_minutes or oh.time_budget_minutes), budget)

    def _spec(self, u: Unit, d: Path, prompt_file: Path) -> dict[str, Any]:
        iters, _, budget = self.limits(u.provider)
        p = u.provider
        base_url = p.base_url
        if p.provider == "scripted":
            base_url = self.server.base_url(p.name, u.inst["instance_id"])
        prices = (p.input_cost_per_token, p.output_cost_per_token)
        if any(x is not None for x in prices):  # LiteLLM applies custom prices only when both are set
            prices = tuple(x or 0.0 for x in prices)  # type: ignore[assignment]
        return {
            "workspace": str(d / "workspace"),
            "prompt_file": str(prompt_file),
            "out_dir": str(d),
            "max_iterations": iters,
            "max_budget_usd": budget,
            "llm": {
                "model": p.litellm_model,
                "base_url": base_url,
                "api_key_env": None if p.provider == "scripted" else p.api_key_env,
                "input_cost_per_token": prices[0],
                "output_cost_per_token": prices[1],
                "num_retries": p.num_retries,
                "temperature": p.temperature,
                "reasoning_effort": p.reasoning_effort,
                "extra": {},
            },
        }

    def _env(self, p: ProviderConfig, d: Path) -> dict[str, str]:
        """Only what the agent needs: a clean base, its own HOME, and the one key its provider names."""
        extra = {
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "OPENHANDS_SUPPRESS_BANNER": "1",
            "HOME": str(d / "home"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if p.provider not in ("scripted",) and p.api_key_env and os.environ.get(p.api_key_env):
            extra[p.api_key_env] = os.environ[p.api_key_env]
        return minimal_env(extra)

    def _argv(self, u: Unit, d: Path, spec_path: Path, prompt_file: Path) -> list[str]:
        if u.provider.provider == "command":
            iters, _, _ = self.limits(u.provider)
            cmd = (u.provider.command or "").format(
                prompt_file=shlex.quote(str(prompt_file)),
                workspace=shlex.quote(str(d / "workspace")),
                out_dir=shlex.quote(str(d)),
                model=shlex.quote(u.provider.model),
                max_iterations=iters,
            )
            return ["/bin/sh", "-c", cmd]
        # A copy of the runner outside the package: isobench's own files are hidden from agents.
        return [sys.executable, str(self.tools / RUNNER.name), str(spec_path)]

    def _sandbox_spec(self, u: Unit, d: Path, env: dict[str, str], network: bool) -> SandboxSpec:
        hidden = [self.state.root, Path(self.cfg.root)]
        hidden += sorted({Path(i["repo_path"]) for i in self.state.instances()})
        return SandboxSpec(
            writable=[d],
            readable=[Path(sys.prefix), self.tools, *map(Path, u.inst.get("workload_files") or [])],
            hidden=hidden,
            network=network,
            env=env,
            cwd=d / "workspace",
        )

    def collect_patch(self, u: Unit, d: Path, env: dict[str, str]) -> dict[str, Any]:
        """The agent's changes against the base, split into code and test edits.

        git runs inside the sandbox too: the agent controlled `.git/config` and `.gitattributes`
        (hooks, filters, fsmonitor), so git on that repository is untrusted code.
        """
        spec = self._sandbox_spec(u, d, env, network=False)

        def git_bytes(*args: str) -> bytes:
            argv = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", *args]
            proc = self.sandbox.wrap(argv, spec).run(capture_output=True, timeout=300)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr.decode(errors="replace").strip()[-300:])
            return bytes(proc.stdout)

        def git(*args: str) -> str:
            return git_bytes(*args).decode(errors="replace")

        git("add", "-A", "--", ".", *JUNK)
        names = [n for n in git("diff", "--cached", "--name-only", "-z", "--no-renames", "HEAD").split("\0") if n]
        tests = [n for n in names if matches_any(n, u.inst["test_patterns"])]
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
        targets = u.inst["target_files"]
        outside = [n for n in code if not (n in targets or matches_any(n, targets))]
        return {
            "model_patch": str(d / "model_patch.diff"),
            "test_edits": str(d / "test_edits.diff"),
            "changed_files": code,
            "test_files_edited": tests,
            "patch_empty": not code,
            "touched_outside_targets": bool(outside),
            "files_outside_targets": outside,
        }

    def run_unit(self, u: Unit) -> dict[str, Any]:
        """One attempt, start to finish; always returns (and, unless cancelled first, writes) a result."""
        iid, pname = u.inst["instance_id"], u.provider.name
        d = self.state.attempt_dir(iid, pname, u.attempt)
        prepared = self.state.prepared(iid, pname)
        assert prepared is not None
        remove_tree(d)  # a partial attempt is redone from scratch
        d.mkdir(parents=True)
        (d / "home").mkdir()
        clone_worktree(self.state.snapshot_dir(iid), d / "workspace")
        prompt_file = Path(prepared["prompt_file"])
        shutil.copy(prompt_file, d / "prompt.md")
        spec = self._spec(u, d, d / "prompt.md")
        (d / "spec.json").write_text(json.dumps(spec, indent=2))
        env = self._env(u.provider, d)
        _, timeout_s, _ = self.limits(u.provider)
        cmd = self.sandbox.wrap(
            self._argv(u, d, d / "spec.json", d / "prompt.md"), self._sandbox_spec(u, d, env, network=True)
        )
        self.reporter.attempt_started(u.key, pname, u.label)
        t0 = time.monotonic()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        status = None
        with open(d / "agent.log", "wb") as log:
            proc = cmd.popen(
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_set_pdeathsig,
            )
            (d / "pid.json").write_text(json.dumps({"pgid": proc.pid}))
            last_progress = 0.0
            while proc.poll() is None:
                if self.cancel.is_set():
                    status = "interrupted"
                elif time.monotonic() - t0 > timeout_s:
                    status = "timeout"
                if status:
                    _kill_group(proc)
                    break
                time.sleep(0.2)
                if time.monotonic() - last_progress > 1.0:
                    last_progress = time.monotonic()
                    prog = read_json(d / "progress.json")
                    if prog:
                        self.reporter.attempt_progress(
                            u.key, int(prog.get("iterations", 0)), float(prog.get("cost_usd", 0.0))
                        )
        wall = time.monotonic() - t0
        runner = read_json(d / "runner_result.json") or read_json(d / "progress.json") or {}
        if status is None:
            status = runner.get("status") if runner.get("status") in STATUSES else "runtime_error"
        error = runner.get("error")
        if status == "runtime_error" and not error:
            error = f"the agent process exited with code {proc.returncode} and left no result; see agent.log"
        if status == "timeout":
            error = f"wall-time limit of {timeout_s:.0f} s reached"
        try:
            patch = self.collect_patch(u, d, env)
        except Exception as exc:  # the attempt is still recorded, with the reason its patch is missing
            patch = {"model_patch": None, "test_edits": None, "patch_empty": True, "patch_error": str(exc)}
        result = {
            "status": status,
            "instance_id": iid,
            "provider": pname,
            "attempt": u.attempt,
            "model": u.provider.litellm_model,
            "agent": "command" if u.provider.provider == "command" else "openhands",
            "exit_code": proc.returncode,
            "wall_s": round(wall, 3),
            "iterations": int(runner.get("iterations", 0)),
            "prompt_tokens": int(runner.get("prompt_tokens", 0)),
            "completion_tokens": int(runner.get("completion_tokens", 0)),
            "cost_usd": float(runner.get("cost_usd", 0.0)),
            "openhands_version": runner.get("openhands_version"),
            "isobench_version": __version__,
            "error": error,
            "finish_message": runner.get("finish_message"),
            **patch,
            "events_log": str(d / "events.jsonl"),
            "agent_log": str(d / "agent.log"),
            "sandbox": self.sandbox.name,
            "setting": u.inst["setting"],
            "limits": dict(
                zip(("max_iterations", "time_limit_s", "max_budget_usd"), self.limits(u.provider), strict=True)
            ),
            "started_at": started,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if status != "interrupted":
            write_record(d / "result.json", result)
        else:
            write_record(d / "interrupted.json", result)  # kept for the user; the unit stays pending
        with contextlib.suppress(FileNotFoundError):
            (d / "pid.json").unlink()
        self.reporter.attempt_finished(u.key, pname, u.label, str(status), result["cost_usd"], wall)
        return result


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _scenario_resolver(cfg: BenchConfig, state: State):  # type: ignore[no-untyped-def]
    """What the scripted server plays for (provider, instance): the human's files come from git here,
    in isobench's process; the agent only ever sees tool calls."""
    from isobench.agents.scripts import Scenario
    from isobench.gitutil import run_git

    cache: dict[tuple[str, str], Scenario] = {}
    lock = threading.Lock()

    def resolve(provider: str, iid: str) -> Scenario | None:
        with lock:
            if (provider, iid) in cache:
                return cache[(provider, iid)]
            try:
                p = cfg.provider(provider)
                inst = state.instance(iid)
            except UserError:
                return None
            files: dict[str, str | None] = {}
            for path in inst["changed_files"]:
                if path in inst["test_files"]:
                    continue
                try:
                    files[path] = run_git(["show", f"{inst['head_commit']}:{path}"], cwd=Path(inst["repo_path"]))
                except Exception:
                    files[path] = None  # deleted by the human
            sc = Scenario(
                script=p.script or p.name,
                files_after=files,
                target_files=inst["target_files"],
                commands=list(p.script_commands),
                params=dict(p.script_params),
            )
            cache[(provider, iid)] = sc
            return sc

    return resolve


def plan_units(
    cfg: BenchConfig,
    state: State,
    instances: list[dict[str, Any]],
    providers: list[ProviderConfig],
    attempts: int,
    force: bool,
) -> tuple[list[Unit], int]:
    """The units still to do (or all, with force), and how many are already done."""
    todo, done = [], 0
    missing = [
        (i["instance_id"], p.name)
        for i in instances
        for p in providers
        if (state.prepared(i["instance_id"], p.name) or {}).get("status") != "prepared"
    ]
    if missing:
        iid, pname = missing[0]
        raise UserError(
            f"{state.root}: {len(missing)} unit(s) not prepared (e.g. {iid} x {pname}); run `isobench prepare` first"
        )
    for a in range(1, attempts + 1):  # attempt 1 of everything before attempt 2 of anything
        for inst in instances:
            for p in providers:
                rec = state.attempt_result(inst["instance_id"], p.name, a)
                if rec is not None and not force:
                    done += 1
                    continue
                todo.append(Unit(inst, p, a))
    return todo, done


def run(
    cfg: BenchConfig,
    state: State,
    instances: list[dict[str, Any]],
    providers: list[ProviderConfig],
    reporter: Reporter,
    *,
    sandbox: Sandbox,
    attempts: int | None = None,
    max_parallel: int | None = None,
    force: bool = False,
) -> RunSummary:
    """Run every pending attempt; Ctrl-C stops scheduling, kills running agents and marks them interrupted."""
    errors = missing_keys(providers)
    if errors:
        raise UserError(errors[0])
    attempts = attempts or cfg.llm_benchmarking.attempts
    max_parallel = max_parallel or cfg.llm_benchmarking.max_parallel_runs
    todo, done = plan_units(cfg, state, instances, providers, attempts, force)
    sandbox.check()
    summary = RunSummary(skipped_done=done)
    reap_stale(state)
    runner_copy = state.root / "tools" / RUNNER.name
    runner_copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(RUNNER, runner_copy)

    totals = {p.name: attempts * len(instances) for p in providers}
    already = {
        p.name: sum(
            1
            for i in instances
            for a in range(1, attempts + 1)
            if state.attempt_result(i["instance_id"], p.name, a) and not force
        )
        for p in providers
    }
    spent = {
        p.name: sum(r.get("cost_usd", 0.0) for i in instances for r in state.attempts(i["instance_id"], p.name))
        for p in providers
    }

    server = None
    if any(p.provider == "scripted" for p in providers):
        from isobench.agents.scripted_server import ScriptedLLMServer

        server = ScriptedLLMServer(_scenario_resolver(cfg, state)).start()
    runner = Runner(cfg, state, sandbox, reporter, server)
    lock = threading.Lock()

    def job(u: Unit) -> dict[str, Any] | None:
        cap = u.provider.total_budget_usd
        with lock:
            if runner.cancel.is_set():
                return None
            if cap is not None and spent[u.provider.name] >= cap:
                summary.skipped_budget.append(u.key)
                return None
        res = runner.run_unit(u)
        with lock:
            spent[u.provider.name] += res["cost_usd"]
        return res

    reporter.start(totals, already)
    pool = ThreadPoolExecutor(max_workers=max_parallel)
    futures: set[Future[dict[str, Any] | None]] = set()
    try:
        futures = {pool.submit(job, u) for u in todo}
        pending = set(futures)
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for f in finished:
                res = f.result()
                if res is not None:
                    summary.results.append(res)
    except KeyboardInterrupt:
        summary.interrupted = True
        runner.cancel.set()  # queued jobs return at once, running ones kill their agent
        reporter.note("interrupted: stopping running agents (they will be re-run next time)")
        for f in futures:
            f.cancel()
        pool.shutdown(wait=True)
        for f in futures:
            if f.done() and not f.cancelled() and f.exception() is None:
                res = f.result()
                if res is not None and res not in summary.results:
                    summary.results.append(res)
    finally:
        pool.shutdown(wait=True)
        if server is not None:
            server.stop()
        reporter.stop()
    if summary.skipped_budget:
        reporter.note(f"{len(summary.skipped_budget)} attempt(s) not started: the provider's total budget is spent")
    return summary
