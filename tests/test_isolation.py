"""The agent and the code it writes see only their own worktree (bubblewrap sandbox).

A scripted agent tries, through the real OpenHands terminal tool, to read the human commit from the task
repository, list another unit's worktree, write into the state directory, read a file in the user's home
and read another secret from the environment: every attempt fails. Then the code it wrote tries to
escape while `score` runs its workload, and fails there too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from isobench.score.variants import dirname
from tests.test_run import Bench

pytestmark = pytest.mark.slow
ISOBENCH = [sys.executable, "-m", "isobench.cli"]


def observations(events: Path) -> str:
    """The text of every tool result the agent got back."""
    out = []
    for line in events.read_text().splitlines():
        ev = json.loads(line)
        if ev.get("kind") == "ObservationEvent" or "observation" in ev:
            out.append(json.dumps(ev.get("observation", ev)))
    return "\n".join(out)


def test_an_agent_cannot_reach_the_human_commit_other_units_the_state_home_or_other_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "fakehome"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text("PRIVATE-KEY-MATERIAL")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ISOBENCH_OTHER_TOKEN", "other-token-value-777")
    b = Bench(
        tmp_path,
        [{"name": "probe", "provider": "scripted", "script": "shell"}, {"name": "noop", "provider": "scripted"}],
    )
    other = b.state / "prepare" / b.iid / "noop"
    assert other.is_dir() and (b.repo.path / ".git").is_dir()
    # Each probe prints LEAK-<n> only if it succeeded; the arithmetic keeps the marker out of the command text.
    probes = [
        f"git -C {b.repo.path} show {b.repo.head} && echo LEAK-$((0+1))",
        f"cat {b.repo.path}/lib/core.py && echo LEAK-$((0+2))",
        f"ls {other} && echo LEAK-$((0+3))",
        f"touch {b.state}/pwned && echo LEAK-$((0+4))",
        f"cat {home}/.ssh/id_rsa && echo LEAK-$((0+5))",
        "env | grep -c ISOBENCH_OTHER_TOKEN || echo NO-TOKEN-$((0+6))",
        f"ls {Path(__file__).parents[1] / 'isobench'} && echo LEAK-$((0+7))",
        "echo inside > own-file.txt && echo WROTE-$((0+8))",
        f"ls {b.state}/runs && echo LEAK-$((0+9))",
    ]
    cfg = yaml.safe_load((b.dir / "bench.yaml").read_text())
    cfg["agents"]["openhands"]["llm_configs"][0]["script_commands"] = probes
    (b.dir / "bench.yaml").write_text(yaml.safe_dump(cfg))
    assert b.cli("prepare").returncode == 0
    r = b.cli("run", "-p", "probe", env={"HOME": str(home)})
    assert r.returncode == 0, r.stdout + r.stderr
    rec = b.result("probe")
    assert rec and rec["status"] == "success" and rec["sandbox"] == "bwrap"
    seen = observations(b.attempt_file("probe", rec["events_log"]))
    assert "WROTE-8" in seen and "NO-TOKEN-6" in seen  # the probes really ran
    for n in (1, 2, 3, 5, 7, 9):
        assert f"LEAK-{n}" not in seen, f"probe {n} escaped the sandbox: {probes[n - 1]}"
    # Probe 4 may "succeed" inside: the state's path exists there only as the empty, throwaway scaffold
    # bubblewrap makes for the attempt's own folder (tmpfs); what counts is that nothing reached the host.
    assert "PRIVATE-KEY-MATERIAL" not in seen and "other-token-value-777" not in seen
    assert not (b.state / "pwned").exists()
    # Its own worktree was writable: the file is part of its patch.
    assert "own-file.txt" in b.attempt_file("probe", rec["model_patch"]).read_text()
    assert rec["touched_outside_targets"] and rec["files_outside_targets"] == ["own-file.txt"]


ESCAPE = """
import os, socket
for target in (os.environ.get("ESCAPE_STATE", "") + "/score-escape", os.environ.get("ESCAPE_HOME", "") + "/pwned"):
    try:
        open(target, "w").write("escaped")
    except OSError:
        pass
try:
    socket.create_connection(("127.0.0.1", int(os.environ.get("ESCAPE_PORT", "9"))), timeout=1).close()
    open("net-ok", "w").write("1")
except OSError:
    pass
"""


def test_code_an_agent_wrote_cannot_escape_while_it_is_scored(tmp_path: Path) -> None:
    home = tmp_path / "fakehome"
    home.mkdir()
    state = tmp_path / "state"
    # The workload-time escape is baked into the agent's patch with absolute paths (env vars are cleared).
    payload = ESCAPE.replace('os.environ.get("ESCAPE_STATE", "")', repr(str(state))).replace(
        'os.environ.get("ESCAPE_HOME", "")', repr(str(home))
    )
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    payload = payload.replace('os.environ.get("ESCAPE_PORT", "9")', repr(str(port)))
    cmd = "cat >> lib/core.py <<'EOF'\n" + payload + "\nEOF"
    b = Bench(tmp_path, [{"name": "escaper", "provider": "scripted", "script": "shell", "script_commands": [cmd]}])
    assert b.cli("run").returncode == 0
    assert "score-escape" in b.attempt_file("escaper", "model_patch.diff").read_text()
    cfg = yaml.safe_load((b.dir / "bench.yaml").read_text())
    cfg["score"] = {"min_rounds": 5, "max_rounds": 5, "time_budget_s": 10}
    (b.dir / "bench.yaml").write_text(yaml.safe_dump(cfg))
    r = subprocess.run(
        [*ISOBENCH, "score", "--json", "--keep-work"],  # its copy is kept, to be looked at
        cwd=b.dir,
        capture_output=True,
        text=True,
        env={**os.environ, "HOME": str(home)},
        timeout=600,
    )
    listener.close()
    assert r.returncode == 0, r.stderr
    [res] = json.loads(r.stdout)
    v = res["variants"]["escaper#1"]
    assert v["build"] == "ok" and v["correct"] is True  # it ran: tests and workload imported the module
    assert res["environment"]["sandbox"] == "bwrap"
    assert not (state / "score-escape").exists() and not (home / "pwned").exists()
    escaper = dirname("escaper#1")
    assert list(state.glob(f"score/*/envs/{escaper}/repo/lib/core.py"))  # the copy it ran in, kept
    assert not list(state.glob(f"score/*/envs/{escaper}/repo/net-ok"))  # no network for candidate code
