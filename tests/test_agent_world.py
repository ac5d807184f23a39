"""The agent's world: the task's own environment to work in, no network but its model, nothing of the host.

The real OpenHands agent, driven by a scripted LLM that plays the `shell` script, does what a real model
does first: it runs `python`, the task's tests and the workload exactly as its prompt names them, tries to
install a package, to reach a service the host has on 127.0.0.1 and the internet, and looks around the
filesystem. The repository's tests import a third-party package that only the task's install_commands bring
(from the package index, during the build).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from isobench.agents.scripted_server import ScriptedLLMServer
from isobench.agents.scripts import Scenario
from isobench.score.variants import dirname
from tests.test_isolation import observations
from tests.test_real_repos import isobench, ok_json, project, src_layout_repo

pytestmark = pytest.mark.slow
TASK = {
    "name": "fastlib",
    "install_commands": ["pip install -e .", "pip install pytest six"],
    "tests": ["python -m pytest -q -p no:cacheprovider tests"],
    "efficiency_test": ["python -m benchmarks.wl"],
}


class Listener:
    """A TCP service on the host's 127.0.0.1, counting who connects."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()


@pytest.fixture
def planted() -> Iterator[dict[str, Path]]:
    """A file with a secret in each place of the host an agent must not see."""
    token = secrets.token_hex(6)
    places = {
        "srv": Path("/srv"),
        "opt": Path("/opt"),
        "var_tmp": Path("/var/tmp"),
        "home": Path(os.path.expanduser("~")),
    }
    files = {}
    for name, folder in places.items():
        folder.mkdir(parents=True, exist_ok=True)
        f = folder / f"isobench-planted-{token}.txt"
        f.write_text(f"PLANTED-SECRET-{name}-{token}")
        files[name] = f
    yield files
    for f in files.values():
        f.unlink(missing_ok=True)


def prompt_commands(prompt: str, section: str) -> list[str]:
    """The commands a prompt section lists (`- `command``), as a model would copy them."""
    part = prompt.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^- `(.+)`$", part, flags=re.M)


def agent_project(tmp_path: Path, url: str, **bench: Any) -> Path:
    src_layout_repo(tmp_path / "fastlib")
    folder = project(
        tmp_path / "bench",
        {**TASK, "repo": str(tmp_path / "fastlib"), "commits": [{"head": "main"}]},
        [
            {
                "name": "explorer",
                "provider": "openai_compatible",
                "model": "explorer",
                "base_url": url,
                "api_key_env": "none",
            }
        ],
    )
    cfg = yaml.safe_load((folder / "bench.yaml").read_text())
    cfg.update(bench)
    (folder / "bench.yaml").write_text(yaml.safe_dump(cfg))
    return folder


def test_the_agent_works_in_the_tasks_environment_and_reaches_nothing_but_its_model(
    tmp_path: Path, planted: dict[str, Path]
) -> None:
    host = Listener()
    commands: list[str] = []
    with ScriptedLLMServer(
        lambda key: Scenario(script="shell", commands=commands, params={"timeout_s": 120})
    ) as server:
        folder = agent_project(tmp_path, server.base_url("explore"), container={"memory": "1g"})
        [inst] = ok_json(folder, "plan")
        ok_json(folder, "prepare")
        prompt = (folder / "state" / "prepare" / inst["instance_id"] / "explorer" / "prompt.md").read_text()
        workload, tests = prompt_commands(prompt, "The workload"), prompt_commands(prompt, "Correctness")
        assert workload == ["python -m benchmarks.wl"] and tests == TASK["tests"]
        commands += [
            "python -c 'import sys, six, fastlib; print(\"PY-OK\", sys.prefix, fastlib.__file__)'",
            f"{tests[0]}; echo TESTS-RC=$?",
            f"{workload[0]}; echo WORKLOAD-RC=$?",
            "pip install requests; echo PIP-RC=$?",
            "python -m pip install --user requests; echo PYPIP-RC=$?",
            # (markers split by quotes: the command's own text, echoed back, must not match them)
            f"python -c 'import socket; socket.create_connection((\"127.0.0.1\", {host.port}), timeout=3)' "
            "&& echo HOST-CONN''ECTED || echo HOST-REF''USED",
            "python -c 'import urllib.request; urllib.request.urlopen(\"https://pypi.org/simple/\", timeout=5)' "
            "&& echo NET-O''K || echo NET-FAI''LED",
            "ls /srv /opt /var/tmp /home ~ 2>&1; " + "; ".join(f"cat {f} 2>&1" for f in planted.values()),
            'python -c \'x = bytearray(1536 * 2**20); print("ALLO" "CATED", len(x))\'; echo ALLOC-RC=$?',
        ]
        r = isobench(folder, "run")
        assert r.returncode == 0, r.stdout + r.stderr
        assert server.requests  # its LLM calls went through the gate
    rec = json.loads((folder / "state" / "runs" / inst["instance_id"] / "explorer" / "1" / "result.json").read_text())
    assert rec["status"] == "success" and rec["network"] == "off"
    assert rec["env_build_s"] > 0 and [s["command"] for s in rec["env_steps"]] == TASK["install_commands"]
    seen = observations(folder / "state" / "runs" / inst["instance_id"] / "explorer" / "1" / "events.jsonl")
    # The task's environment: python is the venv's, the third-party test dependency imports, the editable
    # install points at the agent's own checkout, and the tests and workload from the prompt succeed.
    assert re.search(r"PY-OK \S+/env \S+/workspace/src/fastlib/__init__.py", seen), seen[-3000:]
    assert "TESTS-RC=0" in seen and "WORKLOAD-RC=0" in seen
    # Nothing new can be installed, and no network but the model's.
    assert "PIP-RC=0" not in seen and "PYPIP-RC=0" not in seen and "PIP-RC=" in seen
    assert "HOST-REFUSED" in seen and "HOST-CONNECTED" not in seen and host.accepted == 0
    assert "NET-FAILED" in seen and "NET-OK" not in seen
    # Nothing of the host: the planted files are not there.
    for f in planted.values():
        assert f.read_text() not in seen
    assert "No such file or directory" in seen
    # The memory limit holds inside the attempt: the allocation was killed, the agent went on.
    assert "ALLOCATED" not in seen and "ALLOC-RC=137" in seen
    assert rec["resources"]["oom_kills"] >= 1 and rec["resources"]["memory_bytes"] == 2**30
    # What the build left in the checkout is not the agent's patch.
    assert rec["patch_empty"] is True, rec["changed_files"]


def test_network_policy_on_is_named_in_the_record_and_the_export(tmp_path: Path) -> None:
    commands = [
        'python -c \'import urllib.request; urllib.request.urlopen("https://pypi.org/simple/six/", timeout=10); '
        'print("NET" "-OK")\''
    ]
    with ScriptedLLMServer(lambda key: Scenario(script="shell", commands=commands)) as server:
        folder = agent_project(tmp_path, server.base_url("k"), container={"network_policy": "on"})
        [inst] = ok_json(folder, "plan")
        ok_json(folder, "prepare")
        r = isobench(folder, "run")
        assert r.returncode == 0, r.stdout + r.stderr
    d = folder / "state" / "runs" / inst["instance_id"] / "explorer" / "1"
    rec = json.loads((d / "result.json").read_text())
    assert rec["network"] == "on"
    assert "NET-OK" in observations(d / "events.jsonl")


def test_an_environment_that_cannot_be_built_is_a_harness_result(tmp_path: Path) -> None:
    with ScriptedLLMServer(lambda key: Scenario(script="noop")) as server:
        src_layout_repo(tmp_path / "fastlib")
        folder = project(
            tmp_path / "bench",
            {
                **TASK,
                "install_commands": ["pip install -e .", "false"],
                "repo": str(tmp_path / "fastlib"),
                "commits": [{"head": "main"}],
            },
            [
                {
                    "name": "n",
                    "provider": "openai_compatible",
                    "model": "n",
                    "base_url": server.base_url("k"),
                    "api_key_env": "none",
                }
            ],
        )
        [inst] = ok_json(folder, "plan")
        ok_json(folder, "prepare")
        r = isobench(folder, "run")
        assert not server.requests  # the agent never started
    assert r.returncode == 1, r.stdout + r.stderr
    rec = json.loads((folder / "state" / "runs" / inst["instance_id"] / "n" / "1" / "result.json").read_text())
    assert rec["status"] == "env_failed"
    assert "`false` exited 1" in rec["error"] and rec["env_steps"][-1] == {
        "command": "false",
        "exit_code": 1,
        "seconds": rec["env_steps"][-1]["seconds"],
    }


@pytest.mark.parametrize(("code", "status"), [(0, "success"), (3, "agent_error")])
def test_a_command_agent_is_judged_by_its_exit_code_and_its_patch_is_collected(
    tmp_path: Path, code: int, status: str
) -> None:
    """A wrapped CLI agent writes no runner_result.json: its exit code decides, and its edit counts either way."""
    src_layout_repo(tmp_path / "fastlib")
    edit = "sed -i 's/out = \\[\\]/out = list()/' src/fastlib/core.py"
    folder = project(
        tmp_path / "bench",
        {**TASK, "repo": str(tmp_path / "fastlib"), "commits": [{"head": "main"}]},
        [{"name": "cli", "provider": "command", "command": f"{edit}; exit {code}"}],
    )
    [inst] = ok_json(folder, "plan")
    ok_json(folder, "prepare")
    r = isobench(folder, "run")
    assert r.returncode == 0, r.stdout + r.stderr  # an agent's failure is a result, not the harness's
    d = folder / "state" / "runs" / inst["instance_id"] / "cli" / "1"
    rec = json.loads((d / "result.json").read_text())
    assert rec["status"] == status and rec["exit_code"] == code and rec["agent"] == "command"
    assert rec["changed_files"] == ["src/fastlib/core.py"] and "out = list()" in (d / "model_patch.diff").read_text()


def test_code_an_agent_wrote_builds_offline_without_the_index_credentials(tmp_path: Path) -> None:
    """Base and human build with the package index (and the user's index settings); an agent's variant builds
    from the cache they filled, offline, and never sees those settings: a patch that needs a package the base
    never had fails with that reason."""
    src_layout_repo(tmp_path / "fastlib")
    add_dependency = 'sed -i \'s/^version = "0.1"/version = "0.1"\\ndependencies = ["idna"]/\' pyproject.toml'
    folder = project(
        tmp_path / "bench",
        {
            **TASK,
            "install_commands": [*TASK["install_commands"], "env > ../build-env.txt"],
            "repo": str(tmp_path / "fastlib"),
            "commits": [{"head": "main"}],
        },
        [{"name": "needy", "provider": "command", "command": add_dependency}],
    )
    [inst] = ok_json(folder, "plan")
    ok_json(folder, "prepare")
    assert isobench(folder, "run").returncode == 0
    env = {**os.environ, "UV_INDEX_PRIVATE_PASSWORD": "s3cret-index-token"}
    import subprocess
    import sys

    r = subprocess.run(
        [sys.executable, "-m", "isobench.cli", "score", "--keep-work", "--json"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    [res] = json.loads(r.stdout)
    needy = res["variants"]["needy#1"]
    assert needy["build"] == "install_failed" and "built offline" in needy["error"], needy
    envs = folder / "state" / "score" / inst["instance_id"] / "envs"
    assert "s3cret-index-token" in (envs / dirname("base") / "build-env.txt").read_text()
    assert "s3cret-index-token" not in (envs / dirname("base_aa") / "build-env.txt").read_text()
    assert "UV_OFFLINE=1" in (envs / dirname("base_aa") / "build-env.txt").read_text()
