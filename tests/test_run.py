"""`isobench run`: the real OpenHands agent, driven by the scripted LLM server, in real worktrees.

Every status an attempt can end in is produced here by a real cause, and the run survives Ctrl-C and
kill -9 without losing or repeating an attempt, and without leaving a process behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import TaskRepo
from tests.processes import processes_mentioning

# The slow tier, by measurement (--durations, 2 cores): the tests that run several real agents or wait
# on them (14-35 s each on a quiet machine). One real-agent run, the command template and the refusal
# stay in the fast tier (16 s, 3 s, 2 s).

ROOT = Path(__file__).parents[1]
ISOBENCH = [sys.executable, "-m", "isobench.cli"]


class Bench:
    """A project folder: bench.yaml, the prompt template, a task repo, planned and prepared."""

    def __init__(self, tmp: Path, providers: list[dict], **openhands: object) -> None:
        self.dir = tmp
        self.repo = TaskRepo(tmp / "repo")
        self.repo.task_yaml(tmp / "task.yaml")
        bench = {
            "tasks": ["task.yaml"],
            "sandbox": "bwrap",
            "agents": {
                "openhands": {"time_budget_minutes": 5, "max_iterations": 30, **openhands, "llm_configs": providers}
            },
            "llm_benchmarking": {"max_parallel_runs": 2},
        }
        (tmp / "bench.yaml").write_text(yaml.safe_dump(bench))
        self.state = tmp / "state"
        assert self.cli("plan").returncode == 0
        assert self.cli("prepare").returncode == 0
        self.iid = json.loads(self.cli("plan", "--json").stdout)[0]["instance_id"]

    def cli(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*ISOBENCH, *args],
            cwd=self.dir,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*ISOBENCH, *args], cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    def attempt_file(self, provider: str, name: str, attempt: int = 1) -> Path:
        """A file of an attempt (records name them relative to the attempt's folder)."""
        return self.state / "runs" / self.iid / provider / str(attempt) / name

    def result(self, provider: str, attempt: int = 1) -> dict | None:
        p = self.state / "runs" / self.iid / provider / str(attempt) / "result.json"
        return json.loads(p.read_text()) if p.exists() else None


def wait_for(cond, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_two_providers_run_in_parallel_and_a_rerun_does_nothing_new(tmp_path: Path) -> None:
    b = Bench(tmp_path, [{"name": "oracle", "provider": "scripted"}, {"name": "noop", "provider": "scripted"}])
    t0 = time.monotonic()
    r = b.cli("run", "-j", "2")
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    # Plain one-line-per-event output off a terminal; both agents started before either finished.
    starts = [i for i, ln in enumerate(lines) if " start " in ln]
    dones = [i for i, ln in enumerate(lines) if " done " in ln]
    assert len(starts) == 2 and len(dones) == 2 and max(starts) < min(dones), r.stdout
    oracle, noop = b.result("oracle"), b.result("noop")
    assert oracle and noop
    assert oracle["status"] == "success" and noop["status"] == "success"
    inst = json.loads((b.state / "plan" / b.iid / "instance.json").read_text())
    # the human's patch, through the agent's tools
    assert b.attempt_file("oracle", oracle["model_patch"]).read_text() == inst["patch"]
    assert noop["patch_empty"] and b.attempt_file("noop", noop["model_patch"]).read_text() == ""
    for rec in (oracle, noop):
        assert rec["iterations"] > 0 and rec["prompt_tokens"] > 0 and rec["openhands_version"]
        assert rec["sandbox"] == "bwrap" and b.attempt_file(rec["provider"], rec["events_log"]).stat().st_size > 0
        assert not rec["touched_outside_targets"]
    assert time.monotonic() - t0 < oracle["wall_s"] + noop["wall_s"] + 10
    # The same run again: nothing to do, nothing rewritten.
    mtime = (b.state / "runs" / b.iid / "oracle" / "1" / "result.json").stat().st_mtime_ns
    again = b.cli("run", "--json")
    assert again.returncode == 0 and json.loads(again.stdout) == []
    assert (b.state / "runs" / b.iid / "oracle" / "1" / "result.json").stat().st_mtime_ns == mtime
    status = json.loads(b.cli("status", "--json").stdout)
    assert status["run"]["oracle"] == {"pending": 0, "done": 1, "failed": 0, "by_status": {"success": 1}}


@pytest.mark.slow
def test_every_failure_status_comes_from_a_real_cause(tmp_path: Path) -> None:
    b = Bench(
        tmp_path,
        [
            {"name": "sleeper", "provider": "scripted", "time_budget_minutes": 0.1},  # 6 s wall limit
            {"name": "looper", "provider": "scripted", "max_iterations": 3},
            {"name": "spender", "provider": "scripted", "input_cost_per_token": 0.001, "max_budget_per_task": 0.01},
            {"name": "refuser", "provider": "scripted", "num_retries": 1},
            {"name": "stuck", "provider": "scripted"},
            {"name": "crasher", "provider": "command", "command": "echo 'agent crashed' >&2; exit 3"},
        ],
    )
    r = b.cli("run", "-j", "3")
    # api_error and runtime_error mean the harness could not get an answer: exit 1.
    assert r.returncode == 1, r.stdout + r.stderr
    got = {p: b.result(p) for p in ("sleeper", "looper", "spender", "refuser", "stuck", "crasher")}
    assert {p: rec and rec["status"] for p, rec in got.items()} == {
        "sleeper": "timeout",
        "looper": "iterations_exhausted",
        "spender": "budget_exceeded",
        "refuser": "api_error",
        "stuck": "agent_error",
        "crasher": "agent_error",  # a command agent's own non-zero exit is its result
    }
    assert 6 <= got["sleeper"]["wall_s"] < 40 and "wall-time limit" in got["sleeper"]["error"]  # type: ignore[index]
    assert got["looper"]["iterations"] == 3  # type: ignore[index]
    assert got["spender"]["cost_usd"] > 0.01  # type: ignore[index]
    assert got["crasher"]["exit_code"] == 3  # type: ignore[index]
    assert "agent crashed" in b.attempt_file("crasher", "agent.log").read_text()
    assert processes_mentioning(str(b.state)) == []
    status = json.loads(b.cli("status", "--json").stdout)
    assert status["run"]["looper"]["failed"] == 1 and status["run"]["looper"]["pending"] == 0


def test_a_provider_without_its_key_is_refused_before_anything_starts(tmp_path: Path) -> None:
    b = Bench(
        tmp_path,
        [
            {"name": "oracle", "provider": "scripted"},
            {"name": "claude", "provider": "anthropic", "model": "claude-sonnet-4-20250514"},
        ],
    )
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    r = subprocess.run([*ISOBENCH, "run"], cwd=b.dir, capture_output=True, text=True, env=env)
    assert r.returncode == 2
    assert r.stderr.strip() == (
        "isobench: error: provider 'claude' needs its API key in the environment variable "
        "ANTHROPIC_API_KEY, which is not set"
    )
    assert not (b.state / "runs").exists()


@pytest.mark.slow
def test_the_api_key_reaches_the_endpoint_but_never_the_disk(tmp_path: Path) -> None:
    from isobench.agents.scripted_server import ScriptedLLMServer
    from isobench.agents.scripts import Scenario

    secret = "sk-test-SECRET-0123456789"
    with ScriptedLLMServer(lambda key: Scenario(script="noop")) as server:
        url = server.base_url("x")
        b = Bench(
            tmp_path,
            [
                {
                    "name": "local",
                    "provider": "openai_compatible",
                    "model": "scripted",
                    "base_url": url,
                    "api_key_env": "ISOBENCH_TEST_KEY",
                }
            ],
        )
        r = b.cli("run", env={"ISOBENCH_TEST_KEY": secret, "OTHER_SECRET_TOKEN": "tok-should-not-leak-42"})
        assert r.returncode == 0, r.stdout + r.stderr
        assert b.result("local")["status"] == "success"  # type: ignore[index]
        assert server.requests and all(auth for *_, auth in server.requests)
    leaks = []
    for root, _, files in os.walk(b.state):
        for f in files:
            data = (Path(root) / f).read_bytes()
            if secret.encode() in data or b"tok-should-not-leak-42" in data:
                leaks.append(str(Path(root) / f))
    assert leaks == []
    assert secret not in r.stdout + r.stderr


@pytest.mark.slow
def test_kill_9_mid_run_loses_and_repeats_nothing_and_leaves_no_process(tmp_path: Path) -> None:
    b = Bench(
        tmp_path,
        [
            {"name": "oracle", "provider": "scripted"},
            {"name": "noop", "provider": "scripted"},
            {"name": "sleeper", "provider": "scripted"},
        ],
    )
    proc = b.popen("run", "-j", "2")
    # Kill isobench outright once one attempt has finished and another agent is mid-run.
    wait_for(lambda: any(b.result(p) for p in ("oracle", "noop")), 180, "a first finished attempt")
    wait_for(lambda: (b.state / "runs" / b.iid / "sleeper" / "1" / "work.json").exists(), 180, "the sleeper")
    finished = {p: b.result(p) for p in ("oracle", "noop") if b.result(p)}
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    wait_for(
        lambda: processes_mentioning(str(b.state)) == [] and processes_mentioning("sleep 3600") == [],
        15,
        "the agents to die with isobench",
    )
    assert b.result("sleeper") is None  # cut short: no result, so it is still to do
    # The next run completes the rest; the sleeper is now limited so it ends.
    cfg = yaml.safe_load((b.dir / "bench.yaml").read_text())
    cfg["agents"]["openhands"]["llm_configs"][2]["time_budget_minutes"] = 0.1
    (b.dir / "bench.yaml").write_text(yaml.safe_dump(cfg))
    assert b.cli("prepare").returncode == 0  # a changed setting is prepared before it runs
    r = b.cli("run", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    redone = {(x["provider"], x["attempt"]) for x in json.loads(r.stdout)}
    assert ("sleeper", 1) in redone and not any((p, 1) in redone for p in finished)
    for p, rec in finished.items():
        assert b.result(p) == rec  # untouched
    assert {p: b.result(p)["status"] for p in ("oracle", "noop", "sleeper")} == {  # type: ignore[index]
        "oracle": "success",
        "noop": "success",
        "sleeper": "timeout",
    }
    assert sorted(x.name for x in (b.state / "runs" / b.iid / "sleeper").iterdir()) == ["1"]


@pytest.mark.slow
def test_ctrl_c_stops_agents_records_them_interrupted_and_exits_130(tmp_path: Path) -> None:
    b = Bench(tmp_path, [{"name": "sleeper", "provider": "scripted"}])
    proc = b.popen("run")
    attempt = b.state / "runs" / b.iid / "sleeper" / "1"

    def events() -> Path | None:  # while it runs, the agent works (and logs) in its neutral work folder
        try:
            work = json.loads((attempt / "work.json").read_text())["work"]
        except (OSError, ValueError):
            return None
        return b.state / work / "out" / "events.jsonl"

    wait_for(lambda: (e := events()) is not None and e.exists() and e.stat().st_size > 0, 180, "the agent to start")
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=180)  # a loaded machine is slow to tear down
    assert proc.returncode == 130, out
    assert "interrupted" in out
    rec = json.loads((attempt / "interrupted.json").read_text())
    assert rec["status"] == "interrupted" and not (attempt / "result.json").exists()
    wait_for(
        lambda: processes_mentioning(str(b.state)) == [] and processes_mentioning("sleep 3600") == [],
        15,
        "no agent left",
    )
    status = json.loads(b.cli("status", "--json").stdout)
    assert status["run"]["sleeper"]["pending"] == 1


def test_an_agent_other_than_openhands_plugs_in_as_a_command_template(tmp_path: Path) -> None:
    # A "different agent": a shell line that reads its prompt, rewrites the target file and reports.
    agent = (
        "test -s {prompt_file} && cd {workspace} && "
        "sed -i 's/out = \\[\\]/out = []  # tuned by {model}/' lib/core.py && "
        'printf \'{{"status": "success", "iterations": 4, "cost_usd": 0.25, "prompt_tokens": 100, '
        '"completion_tokens": 7}}\' > {out_dir}/runner_result.json'
    )
    b = Bench(tmp_path, [{"name": "mine", "provider": "command", "model": "my-agent-1", "command": agent}])
    r = b.cli("run")
    assert r.returncode == 0, r.stdout + r.stderr
    rec = b.result("mine")
    assert rec is not None
    assert (rec["status"], rec["iterations"], rec["cost_usd"]) == ("success", 4, 0.25)
    assert (rec["prompt_tokens"], rec["completion_tokens"]) == (100, 7)
    patch = b.attempt_file("mine", rec["model_patch"]).read_text()
    assert "+    out = []  # tuned by my-agent-1" in patch and "lib/core.py" in patch
