"""Hardening: no key on any command line or in any file, no path from an attempt to the human commit,
results that cannot go stale or vanish, and bad input refused before anything changes.

The agents are the real OpenHands agent; a keyed `openai_compatible` provider points at a scripted server
started here, which plays the `shell` script: the commands an attacker-minded agent would run.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from isobench.agents.scripted_server import ScriptedLLMServer
from isobench.agents.scripts import Scenario
from isobench.cli import app
from isobench.config import load_bench
from tests.test_isolation import observations
from tests.test_run import Bench

KEY = "sk-test-HARDENING-0123456789abcdef"
PASSTHRU = "aws-secret-PASSTHRU-987654321"
QUICK_SCORE = {"min_rounds": 5, "max_rounds": 5, "time_budget_s": 10}


def keyed(name: str, url: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "provider": "openai_compatible",
        "model": "scripted",
        "base_url": url,
        "api_key_env": "ISOBENCH_TEST_KEY",
        **extra,
    }


class CmdlineWatch:
    """Reads every process's command line on the host, every 20 ms, while a run goes on."""

    def __init__(self, needles: list[str]) -> None:
        self.needles = [n.encode() for n in needles]
        self.hits: list[str] = []
        self.scans = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self.stop.is_set():
            for proc in Path("/proc").iterdir():
                if proc.name.isdigit():
                    try:
                        cmd = (proc / "cmdline").read_bytes()
                    except OSError:
                        continue
                    if any(n in cmd for n in self.needles):
                        self.hits.append(cmd.decode(errors="replace")[:200])
            self.scans += 1
            self.stop.wait(0.02)

    def __enter__(self) -> CmdlineWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


def files_containing(root: Path, needles: list[str]) -> list[str]:
    out = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            data = (Path(dirpath) / f).read_bytes()
            if any(n.encode() in data for n in needles):
                out.append(str(Path(dirpath) / f))
    return out


@pytest.mark.slow
def test_inside_an_attempt_no_key_is_readable_and_nothing_names_the_human_commit(tmp_path: Path) -> None:
    probes = [
        "ps -eo args",
        "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done",
        "for f in /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f 2>&1; echo; done",
        "env",
        "pwd; ls -la ..; ls -la ../out",
        "cat ../out/spec.json ../out/prompt.md",
        "git config -l; git remote -v; git log --all --format='%H %s %b'; git show --stat HEAD",
        "cat /proc/self/mountinfo",
    ]
    with ScriptedLLMServer(lambda key: Scenario(script="shell", commands=probes)) as server:
        b = Bench(tmp_path, [keyed("prober", server.base_url("t"), env_passthrough=["ISOBENCH_TEST_PASSTHRU"])])
        with CmdlineWatch([KEY, PASSTHRU]) as watch:
            r = b.cli("run", env={"ISOBENCH_TEST_KEY": KEY, "ISOBENCH_TEST_PASSTHRU": PASSTHRU})
        assert r.returncode == 0, r.stdout + r.stderr
        assert server.requests and all(auth for *_, auth in server.requests)  # the key did reach the endpoint
    rec = b.result("prober")
    assert rec and rec["status"] == "success" and rec["sandbox"] == "bwrap"
    seen = observations(b.attempt_file("prober", "events.jsonl"))
    # The probes ran: ps, env (the wrapper's own variable is gone), git and the mount table answered.
    assert "COMMAND" in seen and "LITELLM_LOCAL_MODEL_COST_MAP" in seen and "ISOBENCH_STRIP_ENV" not in seen
    assert "isobench-agent" in seen and " /usr /usr ro," in seen
    # No key and no passthrough value: not in any observation, file of the state, or host command line.
    assert KEY not in seen and PASSTHRU not in seen
    assert files_containing(b.state, [KEY, PASSTHRU]) == []
    assert watch.scans > 10 and watch.hits == []
    assert KEY not in r.stdout + r.stderr
    # No path to the answer: nothing the agent saw names the human commit, its base or its message.
    head, base = b.repo.head, b.repo.base
    for leak in (head, head[:10], head[:7], base, base[:10], "Speed up dedupe", "SECRET-HUMAN-MESSAGE", b.iid):
        assert leak not in seen, leak


@pytest.mark.slow
def test_only_the_scripted_agent_holding_its_key_reaches_the_scripted_server(tmp_path: Path) -> None:
    """A real (non-scripted) agent in the same batch as the scripted oracle scans 127.0.0.1 for the scripted
    server and asks it for the oracle's scenario by every URL it can think of: it gets nothing."""
    commands: list[str] = []
    with ScriptedLLMServer(lambda key: Scenario(script="shell", commands=commands)) as own:
        b = Bench(tmp_path, [{"name": "oracle", "provider": "scripted"}, keyed("intruder", own.base_url("t"))])
        commands.append(
            "python3 - <<'EOF'\n"
            "import json, urllib.request\n"
            "ports = set()\n"
            "for line in open('/proc/net/tcp').read().splitlines()[1:]:\n"
            "    f = line.split()\n"
            "    if f[3] == '0A' and f[1].startswith('0100007F'):\n"
            "        ports.add(int(f[1].split(':')[1], 16))\n"
            "print('SCANNED', len(ports), 'PORTS')\n"
            "body = json.dumps({'messages': [{'role': 'user', 'content': 'go'}]}).encode()\n"
            f"paths = ['/v1', '/oracle/v1', '/oracle/{b.iid}/v1', '/oracle-1/v1', '/scripted/v1']\n"
            "for port in sorted(ports):\n"
            "    for p in paths:\n"
            "        for tail, data in (('/models', None), ('/chat/completions', body)):\n"
            "            url = f'http://127.0.0.1:{port}{p}{tail}'\n"
            "            try:\n"
            "                with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=3) as r:\n"
            "                    print('ANS' + 'WERED', url, r.status, r.read()[:2000])\n"
            "            except Exception as e:\n"
            "                print('REFUSED', url, getattr(e, 'code', type(e).__name__))\n"
            "EOF"
        )
        r = b.cli("run", "-j", "2", env={"ISOBENCH_TEST_KEY": KEY})
        assert r.returncode == 0, r.stdout + r.stderr
        own_port = own.port
    assert b.result("oracle")["status"] == "success"  # type: ignore[index]
    seen = observations(b.attempt_file("intruder", "events.jsonl"))
    assert "PORTS" in seen and "REFUSED http://127.0.0.1:" in seen  # it scanned, and found isobench's server
    # Nothing answered it: its commands have no network but the relay, which serves only the agent's own
    # LLM client (at most its own LLM server, this test's, which answers anyone, could ever answer it).
    answered = [ln for ln in seen.replace("\\n", "\n").splitlines() if "ANSWERED" in ln]
    assert all(f"127.0.0.1:{own_port}/" in ln for ln in answered), answered
    assert "seen = set()" not in seen  # the human's code never reached it


@pytest.mark.slow
def test_strict_targets_scores_a_patch_outside_the_targets_as_invalid(tmp_path: Path) -> None:
    edit = "echo 'X = 1' > lib/extra.py && sed -i 's/out = \\[\\]/out = []  # tuned/' lib/core.py"
    b = Bench(tmp_path, [{"name": "sprawl", "provider": "scripted", "script": "shell", "script_commands": [edit]}])
    task = yaml.safe_load((b.dir / "task.yaml").read_text())
    task["optimization_contract"] = {"strict_targets": True}
    (b.dir / "task.yaml").write_text(yaml.safe_dump(task))
    cfg = yaml.safe_load((b.dir / "bench.yaml").read_text())
    cfg["score"] = QUICK_SCORE
    (b.dir / "bench.yaml").write_text(yaml.safe_dump(cfg))
    assert b.cli("plan").returncode == 0 and b.cli("prepare").returncode == 0
    assert b.cli("run").returncode == 0
    assert b.result("sprawl")["files_outside_targets"] == ["lib/extra.py"]  # type: ignore[index]
    r = b.cli("score", "--json", timeout=900)
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)[0]["variants"]["sprawl#1"]
    o = v["outcome"]
    assert v["build"] == "outside_targets" and o["correct"] is False and o["match_label"] == "outside_targets"
    assert "lib/extra.py" in v["error"] and o["effective_speedup"] == 1.0


@pytest.mark.slow
def test_scoring_one_provider_keeps_the_others_and_stale_attempts_are_refused(tmp_path: Path) -> None:
    b = Bench(tmp_path, [{"name": "oracle", "provider": "scripted"}, {"name": "noop", "provider": "scripted"}])
    cfg = yaml.safe_load((b.dir / "bench.yaml").read_text())
    cfg["score"] = QUICK_SCORE
    (b.dir / "bench.yaml").write_text(yaml.safe_dump(cfg))
    assert b.cli("run").returncode == 0
    first = json.loads(b.cli("score", "--json", timeout=900).stdout)[0]
    assert {"oracle#1", "noop#1"} <= set(first["variants"])
    # Re-measure noop alone: oracle's row stays, from the measurement it came from.
    again = json.loads(b.cli("score", "-p", "noop", "--force", "--json", timeout=900).stdout)[0]
    assert again["variants"]["oracle#1"] == first["variants"]["oracle#1"]
    assert again["variants"]["noop#1"]["run_id"] != first["variants"]["noop#1"]["run_id"]
    corr = json.loads(b.cli("correlate", "--json", "--no-branches").stdout)
    assert corr["providers"]["oracle"]["correct"] == 1
    assert "not_scored" not in corr["providers"]["oracle"]["failure_reasons"]
    # A plain score now has nothing to do: every row still describes its attempt.
    plain = json.loads(b.cli("score", "--json").stdout)[0]
    assert plain["fingerprint"] == again["fingerprint"]

    # The provider's settings change: run refuses until prepared again, then refuses the old attempts.
    cfg = yaml.safe_load((b.dir / "bench.yaml").read_text())
    cfg["agents"]["openhands"]["llm_configs"][1]["max_iterations"] = 7
    (b.dir / "bench.yaml").write_text(yaml.safe_dump(cfg))
    r = b.cli("run")
    assert r.returncode == 2 and "prepared with other settings" in r.stderr and "isobench prepare" in r.stderr
    assert b.cli("prepare").returncode == 0
    r = b.cli("run")
    assert r.returncode == 2 and "made before their unit was prepared again" in r.stderr
    assert "isobench run --force -p noop" in r.stderr
    r = b.cli("score")
    assert r.returncode == 2 and "isobench run --force -p noop" in r.stderr
    before = b.result("noop")
    assert b.cli("run", "--force", "-p", "noop").returncode == 0
    assert b.result("noop")["prepared_fingerprint"] != before["prepared_fingerprint"]  # type: ignore[index]
    assert b.result("oracle") is not None


@pytest.mark.slow
def test_a_patch_isobench_cannot_collect_is_a_runtime_error_not_the_agents_result(tmp_path: Path) -> None:
    b = Bench(
        tmp_path, [{"name": "wrecker", "provider": "scripted", "script": "shell", "script_commands": ["rm -rf .git"]}]
    )
    r = b.cli("run")
    assert r.returncode == 1, r.stdout + r.stderr
    rec = b.result("wrecker")
    assert rec and rec["status"] == "runtime_error" and "could not collect the agent's patch" in rec["error"]


@pytest.mark.slow
def test_a_moved_state_directory_goes_through_every_stage(tmp_path: Path) -> None:
    b = Bench(tmp_path / "a", [{"name": "oracle", "provider": "scripted"}])
    cfg = yaml.safe_load((b.dir / "bench.yaml").read_text())
    cfg["score"] = QUICK_SCORE
    (b.dir / "bench.yaml").write_text(yaml.safe_dump(cfg))
    assert b.cli("run").returncode == 0
    old_state = str(b.state)
    moved = tmp_path / "elsewhere" / "bench"
    shutil.move(str(tmp_path / "a"), moved)
    b.dir, b.state = moved, moved / "state"
    # No record names the old place of the state (logs of what the agent saw may).
    records = [p for p in b.state.rglob("*.json") if p.name != "spec.json" and "conversation" not in p.parts]
    assert records and [str(p) for p in records if old_state.encode() in p.read_bytes()] == []
    assert b.cli("run", "--json").returncode == 0  # nothing to redo
    for stage in ("score", "correlate", "export"):
        r = b.cli(stage, "--json", timeout=900)
        assert r.returncode == 0, (stage, r.stderr[-2000:])
    st = json.loads(b.cli("status", "--json").stdout)
    assert st["run"]["oracle"]["done"] == 1 and st["score"]["all"]["done"] == 1
    export = json.loads(b.cli("export", "--json").stdout)
    assert export["llm_rows"] == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("agents:\n  openhands:\n    max_iterations: -3\n", "agents.openhands.max_iterations: Input should be greater"),
        ("score:\n  min_rounds: 3\n", "score.min_rounds: Input should be greater than or equal to 5"),
        ("score:\n  time_budget_s: 0\n", "score.time_budget_s: Input should be greater than 0"),
        ("llm_benchmarking:\n  attempts: 0\n", "llm_benchmarking.attempts: Input should be greater"),
        (
            "agents:\n  openhands:\n    llm_configs:\n      - {name: g, provider: litellm, model: gemini/x}\n",
            "provider: litellm needs `api_key_env`",
        ),
        (
            "agents:\n  openhands:\n    llm_configs:\n      - {name: g, provider: openai, max_budget_per_task: -1}\n",
            "max_budget_per_task: Input should be greater than or equal to 0",
        ),
    ],
)
def test_limits_and_counts_out_of_bounds_are_one_line_exit_2(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "bench.yaml").write_text(text)
    r = CliRunner().invoke(app, ["--config", str(tmp_path / "bench.yaml"), "--state-dir", str(tmp_path / "s"), "run"])
    assert r.exit_code == 2
    assert len(r.stderr.strip().splitlines()) == 1 and expected in r.stderr and "bench.yaml" in r.stderr
    assert not (tmp_path / "s").exists()


def test_a_litellm_provider_that_needs_no_key_says_so(tmp_path: Path) -> None:
    (tmp_path / "bench.yaml").write_text(
        "agents:\n  openhands:\n    llm_configs:\n"
        "      - {name: l, provider: litellm, model: ollama/x, api_key_env: none}\n"
    )

    assert load_bench(tmp_path / "bench.yaml").provider("l").api_key_env is None


def test_run_on_a_state_with_nothing_planned_names_isobench_plan(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["--state-dir", str(tmp_path / "empty"), "run"])
    assert r.exit_code == 2 and "no planned instances; run `isobench plan` first" in r.stderr
