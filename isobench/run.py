"""`run`: one agent subprocess per (instance, provider, attempt), many in parallel, each one recorded.

The unit of work is `runs/<instance>/<provider>/<attempt>/`; its `result.json` is written last and is
the "done" marker. A unit without one (never started, or cut short by Ctrl-C, a crash or kill -9) is
redone from scratch on the next run: its partial files are removed first. Agents run in their own
process group inside the sandbox, are killed by group on timeout or Ctrl-C, and die with isobench.

Nothing an agent can see names its instance: it works in `work/<random token>/` (workspace, home, and
the runner's output), not under `runs/<instance_id>/`, whose name carries the human commit's sha. When
the attempt ends, its logs and patch are moved into the attempt folder and the work folder goes.

The API key never travels on a command line or in an environment the agent can read: the runner gets
it (and the provider's `env_passthrough` variables) through an inherited pipe, keeps it in memory,
marks itself non-dumpable so its memory and environment cannot be read from /proc, and starts the
agent's shell through a wrapper that drops the passed-through variables.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import shutil
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
from isobench.prepare import expected_fingerprint
from isobench.procs import kill_group, kill_recorded_group, set_pdeathsig
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
# The agent's terminal shell: drops the variables only the runner may hold (ISOBENCH_STRIP_ENV names them).
AGENT_SHELL = """#!/bin/bash
for _v in $ISOBENCH_STRIP_ENV; do unset "$_v"; done
unset _v ISOBENCH_STRIP_ENV
exec /bin/bash "$@"
"""
# Files an agent's commands leave behind that are never part of its patch.
JUNK = (":(exclude,glob)**/__pycache__/**", ":(exclude,glob)**/*.pyc", ":(exclude,glob).pytest_cache/**")
# What the runner leaves in its output folder that is kept with the attempt.
KEPT_OUTPUTS = ("events.jsonl", "progress.json", "runner_result.json", "conversation", "spec.json", "prompt.md")


@dataclass
class Unit:
    inst: dict[str, Any]
    provider: ProviderConfig
    attempt: int
    prepared: dict[str, Any]

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


def provider_secrets(p: ProviderConfig) -> dict[str, Any]:
    """What only the provider's agent process may hold: its key and its `env_passthrough` variables."""
    out: dict[str, Any] = {"api_key": None, "env": {}}
    if p.provider != "scripted" and p.api_key_env:
        out["api_key"] = os.environ.get(p.api_key_env)
    out["env"] = {k: os.environ[k] for k in p.env_passthrough if k in os.environ}
    return out


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


class Runner:
    """Runs the units of one `isobench run`; safe to call from several worker threads."""

    def __init__(
        self,
        cfg: BenchConfig,
        state: State,
        sandbox: Sandbox,
        reporter: Reporter,
        server: Any = None,
        *,
        keep_work: bool = False,
    ) -> None:
        self.cfg = cfg
        self.state = state
        self.sandbox = sandbox
        self.reporter = reporter
        self.server = server  # the scripted LLM server, when a scripted provider runs
        self.keep_work = keep_work
        self.cancel = threading.Event()
        self.tools = state.root / "tools"
        self.scripted_keys: dict[str, tuple[str, str]] = {}  # server key -> (provider, instance id)

    def install_tools(self) -> None:
        """Copies of the runner and the agent's shell outside the package: agents never see isobench."""
        self.tools.mkdir(parents=True, exist_ok=True)
        shutil.copy(RUNNER, self.tools / RUNNER.name)
        shell = self.tools / "agent-shell"
        shell.write_text(AGENT_SHELL)
        shell.chmod(0o755)

    # --- the pieces of one attempt ----------------------------------------------------------------
    def limits(self, p: ProviderConfig) -> tuple[int, float, float | None]:
        oh = self.cfg.agents.openhands
        budget = p.max_budget_per_task if p.max_budget_per_task is not None else oh.max_budget_per_task
        return (p.max_iterations or oh.max_iterations, 60.0 * (p.time_budget_minutes or oh.time_budget_minutes), budget)

    def _spec(self, u: Unit, work: Path, secrets_fd: int | None) -> dict[str, Any]:
        iters, _, budget = self.limits(u.provider)
        p = u.provider
        base_url = p.base_url
        if p.provider == "scripted":
            key = secrets.token_urlsafe(18)  # this attempt's own, unguessable way to its scenario
            self.scripted_keys[key] = (p.name, u.inst["instance_id"])
            base_url = self.server.base_url(key)
        prices = (p.input_cost_per_token, p.output_cost_per_token)
        if any(x is not None for x in prices):  # LiteLLM applies custom prices only when both are set
            prices = tuple(x or 0.0 for x in prices)  # type: ignore[assignment]
        return {
            "workspace": str(work / "workspace"),
            "prompt_file": str(work / "out" / "prompt.md"),
            "out_dir": str(work / "out"),
            "max_iterations": iters,
            "max_budget_usd": budget,
            "secrets_fd": secrets_fd,
            "agent_shell": str(self.tools / "agent-shell"),
            "strip_env": sorted(p.env_passthrough),
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

    def _env(self, p: ProviderConfig, work: Path, fd_secrets: bool) -> dict[str, str]:
        """A clean base and the agent's own HOME. A non-OpenHands command agent (or a sandbox that cannot
        pass a pipe) gets its key and passthrough variables here; the OpenHands runner never does."""
        extra = {
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "OPENHANDS_SUPPRESS_BANNER": "1",
            "HOME": str(work / "home"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if not fd_secrets:
            sec = provider_secrets(p)
            if sec["api_key"] and p.api_key_env:
                extra[p.api_key_env] = sec["api_key"]
            extra.update(sec["env"])
        return minimal_env(extra)

    def _argv(self, u: Unit, work: Path) -> list[str]:
        if u.provider.provider == "command":
            iters, _, _ = self.limits(u.provider)
            cmd = (u.provider.command or "").format(
                prompt_file=shlex.quote(str(work / "out" / "prompt.md")),
                workspace=shlex.quote(str(work / "workspace")),
                out_dir=shlex.quote(str(work / "out")),
                model=shlex.quote(u.provider.model),
                max_iterations=iters,
            )
            return ["/bin/sh", "-c", cmd]
        return [sys.executable, str(self.tools / RUNNER.name), str(work / "out" / "spec.json")]

    def _sandbox_spec(self, u: Unit, work: Path, env: dict[str, str], network: bool) -> SandboxSpec:
        hidden = [self.state.root, Path(self.cfg.root)]
        hidden += sorted({Path(i["repo_path"]) for i in self.state.instances()})
        return SandboxSpec(
            writable=[work],
            readable=[Path(sys.prefix), self.tools, *map(Path, u.inst.get("workload_files") or [])],
            hidden=hidden,
            network=network,
            env=env,
            cwd=work / "workspace",
        )

    def collect_patch(self, u: Unit, work: Path, d: Path) -> dict[str, Any]:
        """The agent's changes against the base, split into code and test edits.

        git runs inside the sandbox too: the agent controlled `.git/config` and `.gitattributes`
        (hooks, filters, fsmonitor), so git on that repository is untrusted code. Its environment holds
        no key. Raises RuntimeError when git fails.
        """
        env = minimal_env({"HOME": str(work / "home"), "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null"})
        spec = self._sandbox_spec(u, work, env, network=False)

        def git_bytes(*args: str) -> bytes:
            argv = ["git", "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", *args]
            proc = self.sandbox.wrap(argv, spec).run(capture_output=True, timeout=300)
            if proc.returncode != 0:
                raise RuntimeError(proc.stderr.decode(errors="replace").strip()[-300:])
            return bytes(proc.stdout)

        git_bytes("add", "-A", "--", ".", *JUNK)
        listing = git_bytes("diff", "--cached", "--name-only", "-z", "--no-renames", "HEAD").decode(errors="replace")
        names = [n for n in listing.split("\0") if n]
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
            "model_patch": "model_patch.diff",
            "test_edits": "test_edits.diff",
            "changed_files": code,
            "test_files_edited": tests,
            "patch_empty": not code,
            "touched_outside_targets": bool(outside),
            "files_outside_targets": outside,
        }

    def _start(self, u: Unit, work: Path, d: Path, log: Any) -> Any:
        """Start the agent in the sandbox; its secrets go through a pipe it inherits (never argv or env)."""
        fd_secrets = u.provider.provider != "command" and self.sandbox.name in ("bwrap", "none")
        read_fd = None
        if fd_secrets:
            read_fd, write_fd = os.pipe()
            # A few hundred bytes: the pipe buffer holds them until the runner reads.
            os.write(write_fd, json.dumps(provider_secrets(u.provider)).encode())
            os.close(write_fd)
        try:
            spec = self._spec(u, work, read_fd)
            (work / "out" / "spec.json").write_text(json.dumps(spec, indent=2))
            env = self._env(u.provider, work, fd_secrets)
            cmd = self.sandbox.wrap(self._argv(u, work), self._sandbox_spec(u, work, env, network=True))
            return cmd.popen(
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=set_pdeathsig,
                pass_fds=(read_fd,) if read_fd is not None else (),
            )
        finally:
            if read_fd is not None:
                os.close(read_fd)

    def run_unit(self, u: Unit) -> dict[str, Any]:
        """One attempt, start to finish; always returns (and, unless cancelled first, writes) a result."""
        iid, pname = u.inst["instance_id"], u.provider.name
        d = self.state.attempt_dir(iid, pname, u.attempt)
        remove_tree(d)  # a partial attempt is redone from scratch
        d.mkdir(parents=True)
        work = self.state.root / "work" / secrets.token_hex(8)
        for sub in ("home", "out"):
            (work / sub).mkdir(parents=True)
        clone_worktree(self.state.snapshot_dir(iid), work / "workspace")
        shutil.copy(self.state.prepared_dir(iid, pname) / "prompt.md", work / "out" / "prompt.md")
        _, timeout_s, _ = self.limits(u.provider)
        self.reporter.attempt_started(u.key, pname, u.label)
        t0 = time.monotonic()
        started = datetime.now(UTC).isoformat(timespec="seconds")
        status = None
        with open(d / "agent.log", "wb") as log:
            proc = self._start(u, work, d, log)
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
            status = runner.get("status") if runner.get("status") in STATUSES else "runtime_error"
        error = runner.get("error")
        if status == "runtime_error" and not error:
            error = f"the agent process exited with code {proc.returncode} and left no result; see agent.log"
        if status == "timeout":
            error = f"wall-time limit of {timeout_s:.0f} s reached"
        try:
            patch = self.collect_patch(u, work, d)
        except Exception as exc:  # isobench's failure, not the agent's result: the harness got no answer
            patch = {"model_patch": None, "test_edits": None, "patch_empty": True}
            if status != "interrupted":
                status = "runtime_error"
                error = f"isobench could not collect the agent's patch: {exc}"
        for name in KEPT_OUTPUTS:
            if (work / "out" / name).exists():
                remove_tree(d / name)
                shutil.move(str(work / "out" / name), str(d / name))
        if self.keep_work:
            shutil.move(str(work / "workspace"), str(d / "workspace"))
        result = {
            "status": status,
            "instance_id": iid,
            "provider": pname,
            "attempt": u.attempt,
            "prepared_fingerprint": u.prepared.get("fingerprint"),
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
            "events_log": "events.jsonl",
            "agent_log": "agent.log",
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
        (d / "work.json").unlink(missing_ok=True)
        remove_tree(work)
        self.reporter.attempt_finished(u.key, pname, u.label, str(status), result["cost_usd"], wall)
        return result


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def _scenario_resolver(cfg: BenchConfig, state: State, keys: dict[str, tuple[str, str]]):  # type: ignore[no-untyped-def]
    """What the scripted server plays for a key: the human's files come from git here, in isobench's
    process; the agent only ever sees tool calls, and only with its attempt's key."""
    from isobench.agents.scripts import Scenario
    from isobench.gitutil import run_git

    cache: dict[tuple[str, str], Scenario] = {}
    lock = threading.Lock()

    def resolve(key: str) -> Scenario | None:
        with lock:
            if key not in keys:
                return None
            provider, iid = keys[key]
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
    """The units still to do (or all, with force), and how many are already done.

    Refuses (one line, state untouched) when a unit is not prepared, was prepared with other settings
    than bench.yaml has now, or holds attempts made from an earlier preparation (their results would be
    scored as if they answered the current one).
    """
    if not instances:
        raise UserError(f"{state.root}: no planned instances; run `isobench plan` first")
    prepared: dict[tuple[str, str], dict[str, Any]] = {}
    missing, changed, stale = [], [], []
    for inst in instances:
        for p in providers:
            iid = inst["instance_id"]
            rec = state.prepared(iid, p.name)
            if (rec or {}).get("status") != "prepared":
                missing.append((iid, p.name))
                continue
            assert rec is not None
            prepared[(iid, p.name)] = rec
            if rec.get("fingerprint") != expected_fingerprint(cfg, state, inst, p):
                changed.append((iid, p.name))
            for done_rec in state.attempts(iid, p.name):
                fp = done_rec.get("prepared_fingerprint")
                if fp is not None and fp != rec.get("fingerprint") and not force:
                    stale.append((iid, p.name, done_rec["attempt"]))
    if missing:
        iid, pname = missing[0]
        raise UserError(
            f"{state.root}: {len(missing)} unit(s) not prepared (e.g. {iid} x {pname}); run `isobench prepare` first"
        )
    if changed:
        iid, pname = changed[0]
        raise UserError(
            f"{state.root}: {len(changed)} unit(s) were prepared with other settings than bench.yaml and the task "
            f"files have now (e.g. {iid} x {pname}); run `isobench prepare` again"
        )
    if stale:
        iid, pname, n = stale[0]
        provs = ",".join(sorted({s[1] for s in stale}))
        raise UserError(
            f"{state.root}: {len(stale)} attempt(s) were made before their unit was prepared again (e.g. {iid} x "
            f"{pname} #{n}): their results answer the old prompt or settings; redo them with "
            f"`isobench run --force -p {provs}`"
        )
    todo, done = [], 0
    for a in range(1, attempts + 1):  # attempt 1 of everything before attempt 2 of anything
        for inst in instances:
            for p in providers:
                rec = state.attempt_result(inst["instance_id"], p.name, a)
                if rec is not None and not force:
                    done += 1
                    continue
                todo.append(Unit(inst, p, a, prepared[(inst["instance_id"], p.name)]))
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
    keep_work: bool = False,
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

    runner = Runner(cfg, state, sandbox, reporter, keep_work=keep_work)
    runner.install_tools()
    if any(p.provider == "scripted" for p in providers):
        from isobench.agents.scripted_server import ScriptedLLMServer

        runner.server = ScriptedLLMServer(_scenario_resolver(cfg, state, runner.scripted_keys)).start()
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
        if runner.server is not None:
            runner.server.stop()
        reporter.stop()
    if summary.skipped_budget:
        reporter.note(f"{len(summary.skipped_budget)} attempt(s) not started: the provider's total budget is spent")
    return summary
