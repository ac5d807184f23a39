"""The real OpenHands agent, driven by the scripted LLM server, in a real git repository.

Fast tests cover the server and the scripts in-process; ``slow`` ones run
``python -m isobench.agents.openhands_runner`` end to end (~10 s each, 7 runs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from isobench.agents.openhands_runner import STATUS_EXIT_CODES
from isobench.agents.scripted_server import ScriptedLLMServer
from isobench.agents.scripts import SCRIPTS, History, Scenario

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-test-SECRET123"
PROVIDER = "scripted"

SLOW_PY = """\
def total(n):
    \"\"\"Sum of 0..n-1.\"\"\"
    s = 0
    for i in range(n):
        s += i
    return s


def squares(n):
    return [i * i for i in range(n)]
"""
FAST_PY = """\
from helpers.fast import tri


def total(n):
    \"\"\"Sum of 0..n-1.\"\"\"
    return tri(n)


def squares(n):
    return [i * i for i in range(n)]
"""
# No trailing newline on purpose: the oracle's diff must keep that exactly.
HELPER_PY = "def tri(n):\n    return n * (n - 1) // 2"
LEGACY_PY = "CACHE = {}\n"


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "GIT_CONFIG_GLOBAL": "/dev/null",  # e.g. a user's core.autocrlf would change the diffs
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str | None], str]:
    """A git repo at the base commit; returns (workspace, files_after, expected human diff)."""
    ws = tmp_path / "ws"
    ws.mkdir()
    _git(ws, "init", "-q", "-b", "main")
    (ws / "slow.py").write_text(SLOW_PY)
    (ws / "legacy.py").write_text(LEGACY_PY)
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "base")
    base = _git(ws, "rev-parse", "HEAD").strip()
    files_after: dict[str, str | None] = {"slow.py": FAST_PY, "helpers/fast.py": HELPER_PY, "legacy.py": None}
    # The "human commit", made on a side branch so the workspace stays at the base.
    _git(ws, "checkout", "-qb", "human")
    for rel, content in files_after.items():
        path = ws / rel
        if content is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    _git(ws, "add", "-A")
    _git(ws, "commit", "-qm", "optimize")
    expected = _git(ws, "diff", "--binary", base, "HEAD")
    _git(ws, "checkout", "-q", "main")
    _git(ws, "branch", "-qD", "human")
    return ws, files_after, expected


@pytest.fixture(scope="module")
def server() -> Any:
    scenarios: dict[str, Scenario] = {}
    with ScriptedLLMServer(scenarios.get) as srv:
        srv.scenarios = scenarios  # type: ignore[attr-defined]
        yield srv


def _run_agent(
    server: ScriptedLLMServer, tmp_path: Path, ws: Path, scenario: Scenario, iid: str, **spec: Any
) -> tuple[dict[str, Any], int, Path]:
    """Run the runner as the harness does; returns (runner_result, exit code, out_dir)."""
    server.scenarios[iid] = scenario  # type: ignore[attr-defined]
    out = tmp_path / "out"
    prompt = tmp_path / "prompt.md"
    prompt.write_text("Make `total` in slow.py faster without changing its results.\n")
    llm = {
        "model": f"openai/{PROVIDER}",
        "base_url": server.base_url(iid),
        "api_key_env": "OPENAI_API_KEY",
        "input_cost_per_token": None,
        "output_cost_per_token": None,
        "num_retries": 1,
        "temperature": None,
        "reasoning_effort": None,
        "extra": {},
    }
    llm.update(spec.pop("llm", {}))
    full = {
        "workspace": str(ws),
        "prompt_file": str(prompt),
        "out_dir": str(out),
        "max_iterations": 30,
        "max_budget_usd": None,
        "llm": llm,
        **spec,
    }
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(full))
    proc = subprocess.run(
        [sys.executable, "-m", "isobench.agents.openhands_runner", str(spec_file)],
        cwd=REPO_ROOT,
        env={**os.environ, "OPENAI_API_KEY": SECRET},
        capture_output=True,
        text=True,
        timeout=300,
    )
    result = json.loads((out / "runner_result.json").read_text())
    assert proc.returncode == STATUS_EXIT_CODES[result["status"]], proc.stderr[-2000:]
    _assert_no_secret(out, ws)
    assert SECRET not in proc.stdout + proc.stderr
    return result, proc.returncode, out


def _assert_no_secret(*dirs: Path) -> None:
    for d in dirs:
        for f in d.rglob("*"):
            if f.is_file():
                assert SECRET.encode() not in f.read_bytes(), f"API key leaked into {f}"


def _events(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]


def _worktree_diff(ws: Path) -> str:
    _git(ws, "add", "-A")
    return _git(ws, "diff", "--cached", "--binary", "HEAD")


# ---------------------------------------------------------------- fast: server and scripts


def _post(url: str, body: dict[str, Any], auth: bool = True) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json", **({"Authorization": "Bearer x"} if auth else {})}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "terminal",
            "parameters": {
                "type": "object",
                "required": ["command", "security_risk"],
                "properties": {
                    "command": {"type": "string"},
                    "security_risk": {"type": "string", "enum": ["UNKNOWN", "LOW", "HIGH"]},
                    "summary": {"type": "string"},
                },
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "finish",
            "parameters": {
                "type": "object",
                "required": ["message"],
                "properties": {"message": {"type": "string"}},
            },
        },
    },
]


def test_server_endpoints_and_tool_call_shape() -> None:
    scenario = Scenario(script="looper", params={"usage_tokens": 1234})
    with ScriptedLLMServer(lambda key: scenario if key == "k3y-1" else None) as srv:
        base = srv.base_url("k3y-1")
        assert base == f"http://127.0.0.1:{srv.port}/k3y-1/v1"
        with urllib.request.urlopen(base + "/models", timeout=10) as resp:
            assert json.load(resp)["data"][0]["id"]
        status, _ = _post(srv.base_url("nope") + "/chat/completions", {"messages": []})
        assert status == 404

        body = {"model": "scripted", "messages": [{"role": "user", "content": "go"}], "tools": TOOLS}
        status, raw = _post(base + "/chat/completions", body)
        assert status == 200
        reply = json.loads(raw)
        choice = reply["choices"][0]
        assert choice["finish_reason"] == "tool_calls"
        (call,) = choice["message"]["tool_calls"]
        args = json.loads(call["function"]["arguments"])
        assert call["function"]["name"] == "terminal"
        assert args == {"command": "echo step 1", "security_risk": "LOW"}  # filled from the schema
        assert reply["usage"]["prompt_tokens"] == 1234 and reply["usage"]["total_tokens"] > 1234

        status, raw = _post(
            base + "/chat/completions",
            {**body, "stream": True, "stream_options": {"include_usage": True}},
            auth=False,
        )
        events = [line[6:] for line in raw.decode().splitlines() if line.startswith("data: ")]
        assert status == 200 and events[-1] == "[DONE]"
        chunks = [json.loads(e) for e in events[:-1]]
        assert chunks[0]["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "terminal"
        assert chunks[-1]["usage"]["prompt_tokens"] == 1234
        assert srv.requests == [("nope", 0, True), ("k3y-1", 1, True), ("k3y-1", 1, False)]


def test_refuser_answers_http_error() -> None:
    scenario = Scenario(script="refuser", params={"status": 401})
    with ScriptedLLMServer(lambda key: scenario) as srv:
        status, raw = _post(srv.base_url("k") + "/chat/completions", {"messages": []})
    assert status == 401 and "error" in json.loads(raw)


def test_history_steps_and_workspace_root() -> None:
    messages = [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "task"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "terminal", "arguments": '{"command": "pwd"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "c1",
            "content": [{"type": "text", "text": "\x1b[?2004l/w/repo\n[Current working directory: /w/repo]"}],
        },
    ]
    h = History(messages)
    assert h.step == 1 and h.workspace_root() == "/w/repo"
    call = SCRIPTS["shell"](Scenario(script="shell", commands=["a", "b"]), h)
    assert call.arguments["command"] == "b"
    assert SCRIPTS["shell"](Scenario(script="shell", commands=["a"]), h).name == "finish"
    assert set(SCRIPTS) == {"oracle", "noop", "saboteur", "sleeper", "looper", "stuck", "spender", "refuser", "shell"}


def test_runner_import_is_cheap_and_bad_spec_is_runtime_error(tmp_path: Path) -> None:
    code = "import sys, isobench.agents.openhands_runner\nprint(any(m.startswith('openhands') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    spec = {
        "workspace": str(tmp_path),
        "prompt_file": str(tmp_path / "missing.md"),
        "out_dir": str(tmp_path / "o"),
        "max_iterations": 3,
        "max_budget_usd": None,
        "llm": {"model": "openai/x", "api_key_env": None},
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    proc = subprocess.run(
        [sys.executable, "-m", "isobench.agents.openhands_runner", str(tmp_path / "spec.json")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    result = json.loads((tmp_path / "o" / "runner_result.json").read_text())
    assert proc.returncode == 2 and result["status"] == "runtime_error" and "missing.md" in result["error"]


# ---------------------------------------------------------------- slow: real OpenHands runs


@pytest.mark.slow
def test_oracle_reproduces_the_human_diff(server: Any, tmp_path: Path, repo: Any) -> None:
    ws, files_after, expected = repo
    scenario = Scenario(script="oracle", files_after=files_after, target_files=["slow.py"])
    result, rc, out = _run_agent(server, tmp_path, ws, scenario, "oracle-1")
    assert (result["status"], rc) == ("success", 0)
    assert _worktree_diff(ws) == expected
    events = _events(out)
    assert any(e["kind"] == "ActionEvent" and e["tool_name"] == "file_editor" for e in events)
    assert result["prompt_tokens"] > 0 and result["completion_tokens"] > 0
    assert result["finish_message"] and result["openhands_version"] == "1.58.2"
    progress = json.loads((out / "progress.json").read_text())
    assert progress["iterations"] == result["iterations"] == sum(r[0] == "oracle-1" for r in server.requests)
    assert all(r[2] for r in server.requests if r[0] == "oracle-1")  # the key reached the server


@pytest.mark.slow
def test_noop_changes_nothing(server: Any, tmp_path: Path, repo: Any) -> None:
    ws, files_after, _ = repo
    result, rc, _ = _run_agent(server, tmp_path, ws, Scenario("noop", files_after, ["slow.py"]), "noop-1")
    assert (result["status"], rc) == ("success", 0)
    assert _git(ws, "status", "--porcelain") == ""


@pytest.mark.slow
def test_saboteur_leaves_importable_but_wrong_code(server: Any, tmp_path: Path, repo: Any) -> None:
    ws, files_after, _ = repo
    result, _, _ = _run_agent(server, tmp_path, ws, Scenario("saboteur", files_after, ["slow.py"]), "sab-1")
    assert result["status"] == "success"
    out = subprocess.run(
        [sys.executable, "-c", "import slow; print(slow.total(10), slow.squares(3))"],
        cwd=ws,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["None", "None"]  # right answers: 45 [0, 1, 4]


@pytest.mark.slow
def test_looper_hits_the_iteration_cap(server: Any, tmp_path: Path, repo: Any) -> None:
    ws, _, _ = repo
    result, rc, _ = _run_agent(server, tmp_path, ws, Scenario("looper"), "loop-1", max_iterations=3)
    assert (result["status"], rc) == ("iterations_exhausted", 1)
    assert result["iterations"] == 3
    assert sum(r[0] == "loop-1" for r in server.requests) == 3


@pytest.mark.slow
def test_spender_exceeds_the_budget(server: Any, tmp_path: Path, repo: Any) -> None:
    ws, files_after, _ = repo
    scenario = Scenario("spender", files_after, ["slow.py"], params={"usage_tokens": 1_000_000})
    llm = {"input_cost_per_token": 1e-8, "output_cost_per_token": 1e-8}  # $0.01 per scripted call
    result, rc, _ = _run_agent(server, tmp_path, ws, scenario, "spend-1", max_budget_usd=0.01, llm=llm)
    assert (result["status"], rc) == ("budget_exceeded", 1)
    assert result["cost_usd"] > 0.01 and result["iterations"] == 1


@pytest.mark.slow
def test_refuser_is_an_api_error(server: Any, tmp_path: Path, repo: Any) -> None:
    ws, _, _ = repo
    scenario = Scenario("refuser", params={"status": 500})
    llm = {"num_retries": 2, "extra": {"retry_min_wait": 0, "retry_max_wait": 0}}
    result, rc, _ = _run_agent(server, tmp_path, ws, scenario, "refuse-1", llm=llm)
    assert (result["status"], rc) == ("api_error", 3)
    assert result["iterations"] == 0 and SECRET not in result["error"]
    assert sum(r[0] == "refuse-1" for r in server.requests) == 2  # SDK num_retries = attempts in all


@pytest.mark.slow
def test_shell_runs_commands_and_the_key_stays_out_of_the_agent_shell(server: Any, tmp_path: Path, repo: Any) -> None:
    ws, _, _ = repo
    scenario = Scenario("shell", commands=["env | sort", "echo ran > marker.txt"])
    result, _, out = _run_agent(server, tmp_path, ws, scenario, "shell-1")
    assert result["status"] == "success" and result["iterations"] == 3
    assert (ws / "marker.txt").read_text() == "ran\n"
    assert "OPENAI_API_KEY=" not in (out / "events.jsonl").read_text()  # and SECRET is nowhere (checked)
