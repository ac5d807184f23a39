"""`run` and `score` end with one line: where their results went and the command to run next; under --json
that line goes to stderr and stdout stays the JSON alone. Score's progress lines count instances and give
an ETA across them.

Real parts, kept fast: a task repository in tmp_path, the bubblewrap sandbox, and an agent plugged in as a
command template (a shell line that edits the target file: `run` starts it like any agent), then a real
`score` of its patch with a short timing budget.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.processes import processes_mentioning
from tests.test_run import Bench, wait_for

# A "different agent": reads its prompt, edits the target file (a comment: as fast as base) and reports.
AGENT = (
    "test -s {prompt_file} && cd {workspace} && "
    "sed -i 's/out = \\[\\]/out = []  # tuned by {model}/' lib/core.py && "
    'printf \'{{"status": "success", "iterations": 2, "cost_usd": 0.0}}\' > {out_dir}/runner_result.json'
)


def project(tmp_path: Path) -> Bench:
    b = Bench(tmp_path, [{"name": "mine", "provider": "command", "model": "my-agent-1", "command": AGENT}])
    cfg = yaml.safe_load((b.dir / "bench.yaml").read_text())
    # The display is under test, not the speedups: the fewest rounds and calls the protocol allows.
    cfg["score"] = {"min_rounds": 5, "max_rounds": 5, "time_budget_s": 2, "values": 1, "warmup": 0}
    (b.dir / "bench.yaml").write_text(yaml.safe_dump(cfg))
    return b


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_run_and_score_end_with_where_the_results_went_and_the_next_command(tmp_path: Path) -> None:
    b = project(tmp_path)
    r = b.cli("run")
    assert r.returncode == 0, r.stdout + r.stderr
    assert last_line(r.stdout) == "results: state/runs (1 attempt: 1 success); next: isobench score"

    r = b.cli("run", "--json")  # nothing left to run: stdout is the JSON alone, the line on stderr
    assert r.returncode == 0 and json.loads(r.stdout) == []
    assert last_line(r.stderr) == "results: state/runs (0 attempts; 1 recorded before); next: isobench score"

    r = b.cli("score", "--json")
    assert r.returncode == 0, r.stderr
    scores = json.loads(r.stdout)
    verdict = "1 valid" if scores[0]["valid"] else "1 invalid"
    assert last_line(r.stderr) == f"scores: state/score (1 instance: {verdict}); next: isobench correlate"
    assert "instances in" not in r.stderr  # --json: no progress lines either

    # Again, on a terminal-less stdout: the tables, then the line; the progress lines on stderr end with
    # instances done of all.
    r = b.cli("--config", "bench.yaml", "score")
    assert r.returncode == 0, r.stderr
    assert b.iid in r.stdout
    assert (
        last_line(r.stdout)
        == f"scores: state/score (1 instance: {verdict}); next: isobench --config bench.yaml correlate"
    )
    assert re.search(r"^score: 1/1 instances in \d+s$", r.stderr, re.M), r.stderr


def test_the_next_command_keeps_the_state_directory_it_was_given(tmp_path: Path) -> None:
    b = project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    for stage in ("plan", "prepare"):
        assert b.cli("--state-dir", str(elsewhere), stage).returncode == 0
    r = b.cli("--state-dir", str(elsewhere), "run", "--json")
    assert r.returncode == 0, r.stderr
    assert [a["status"] for a in json.loads(r.stdout)] == ["success"]
    assert (
        last_line(r.stderr)
        == "results: elsewhere/runs (1 attempt: 1 success); next: isobench --state-dir elsewhere score"
    )


def test_an_interrupted_run_says_that_running_it_again_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONFAULTHANDLER", "1")  # a hang is reported with every thread's stack (SIGABRT)
    mark = f"slowpoke-{os.getpid()}-{tmp_path.name}"  # this test's agent, not another test's running beside it
    agent = f"true {mark} && sleep 3600 && echo never > {{out_dir}}/runner_result.json"
    b = Bench(tmp_path, [{"name": "slowpoke", "provider": "command", "model": "m", "command": agent}])
    proc = b.popen("run")
    try:
        wait_for(lambda: processes_mentioning(mark) != [], 60, "the agent to start")
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            raise AssertionError("run did not stop on Ctrl-C:\n" + proc.communicate(timeout=30)[0][-8000:]) from None
    finally:
        proc.kill()
    assert proc.returncode == 130, out
    assert last_line(out) == (
        "results: state/runs (1 attempt: 1 interrupted); next: isobench run (resumes: finished attempts are kept)"
    )
    assert processes_mentioning(mark) == []
