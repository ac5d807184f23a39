"""`isobench doctor`: one line per thing a run needs on this machine, the fix when one fails, exit 1 then."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from isobench import doctor
from isobench.cli import app
from isobench.doctor import Doctor, Result, check

ROOT = Path(__file__).resolve().parents[1]
INDEX_ENV = ("UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL", "UV_OFFLINE", "UV_FIND_LINKS", "PIP_FIND_LINKS")


@pytest.fixture
def local_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A package index on 127.0.0.1 (a folder served over HTTP), set as uv's default index."""
    (tmp_path / "index" / "simple").mkdir(parents=True)
    (tmp_path / "index" / "simple" / "index.html").write_text("<html><body></body></html>\n")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(tmp_path / "index"), **kwargs)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    for var in INDEX_ENV:
        monkeypatch.delenv(var, raising=False)
    url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    monkeypatch.setenv("UV_DEFAULT_INDEX", url)
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_doctor(config: Path, state: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, ["--config", str(config), "--state-dir", str(state), "doctor", *args])
    return r.exit_code, r.stdout, r.stderr


def project(tmp_path: Path, bench: dict, task: dict | None = None) -> Path:
    """A bench.yaml (and a task file it lists) in tmp_path."""
    if task is not None:
        (tmp_path / "tasks").mkdir(exist_ok=True)
        base = {"name": "t", "repo": "r", "commits": [{"head": "HEAD"}], "efficiency_test": ["python w.py"]}
        (tmp_path / "tasks" / "t.yaml").write_text(yaml.safe_dump({**base, "tests": ["python -m unittest"], **task}))
        bench = {"tasks": ["tasks/t.yaml"], **bench}
    else:
        bench = {"tasks": [], **bench}
    (tmp_path / "bench.yaml").write_text(yaml.safe_dump(bench))
    return tmp_path / "bench.yaml"


def lines_of(out: str, name: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.split(None, 1)[1].startswith(f"{name}:")]


def test_everything_a_run_needs_is_here_for_the_default_bench_yaml(local_index: str, tmp_path: Path) -> None:
    code, out, err = run_doctor(ROOT / "bench.yaml", tmp_path / "state", "--json")
    assert code == 0, out + err
    report = json.loads(out)
    by_name = {c["name"]: c for c in report["checks"]}
    network = [c["detail"] for c in report["checks"] if c["name"] == "network"]
    assert network == [
        f"provider {p!r}: its agent reaches the scripted server and nothing else"
        for p in ("oracle", "noop", "saboteur")
    ]
    assert report["ok"] is True
    expected = ["sandbox", "resources", "network", "uv", "python (default)", "package index", "ray", "git"]
    expected += ["chromium", "disk"]
    expected += [f"provider {p}" for p in ("oracle", "noop", "saboteur")]
    assert sorted(set(by_name)) == sorted(expected)
    has_chromium = any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome"))
    for name, c in by_name.items():
        # Chromium is only a note: the one test that uses it is skipped without it.
        assert c["status"] == ("ok" if name != "chromium" or has_chromium else "warn"), c
    assert by_name["package index"]["detail"] == f"{local_index} answers"
    assert by_name["sandbox"]["detail"].startswith("bwrap works")


def test_a_missing_provider_key_fails_with_its_fix_and_a_set_one_is_never_printed(
    local_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = project(
        tmp_path,
        {
            "agents": {
                "openhands": {
                    "llm_configs": [
                        {"name": "claude", "provider": "anthropic", "model": "claude-x"},
                        {"name": "gpt", "provider": "openai", "model": "gpt-x", "api_key_env": "MY_OPENAI_KEY"},
                    ]
                }
            }
        },
    )
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.setenv("MY_OPENAI_KEY", "sk-VERY-SECRET-VALUE")
    code, out, err = run_doctor(bench, tmp_path / "state")
    assert code == 1
    assert lines_of(out, "provider claude") == [
        "FAIL  provider claude: ANTHROPIC_API_KEY is not set; fix: export ANTHROPIC_API_KEY=<your key> "
        "(read from the environment only, never written anywhere)"
    ]
    assert lines_of(out, "provider gpt") == ["ok    provider gpt: MY_OPENAI_KEY is set"]
    code, js, _ = run_doctor(bench, tmp_path / "state", "--json")
    assert code == 1 and json.loads(js)["ok"] is False
    assert "VERY-SECRET" not in out + err + js


def test_a_missing_interpreter_fails_with_its_fix(local_index: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken-python"
    broken.write_text("#!/bin/sh\necho 'libpython3.9.so: cannot open shared object file' >&2\nexit 127\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    bench = project(tmp_path, {"score": {"python": str(broken)}}, {"python": "/nowhere/python3.9"})
    code, out, _ = run_doctor(bench, tmp_path / "state")
    assert code == 1
    task = tmp_path / "tasks" / "t.yaml"
    assert lines_of(out, "python /nowhere/python3.9") == [
        f"FAIL  python /nowhere/python3.9: /nowhere/python3.9 not found; fix: install it, or correct python in {task}"
    ]
    assert lines_of(out, f"python {broken}") == [
        f"FAIL  python {broken}: {broken} cannot run: libpython3.9.so: cannot open shared object file; "
        f"fix: repair it, or correct score.python in {bench}"
    ]


def test_an_unreachable_index_fails_when_a_task_installs_and_its_credentials_are_not_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in INDEX_ENV:
        monkeypatch.delenv(var, raising=False)
    port = closed_port()
    monkeypatch.setenv("UV_INDEX_URL", f"http://me:hunter2-token@127.0.0.1:{port}/simple/")
    bench = project(tmp_path, {}, {"install_commands": ["pip install pytest"]})
    code, out, _ = run_doctor(bench, tmp_path / "state")
    assert code == 1
    [line] = lines_of(out, "package index")
    assert line.startswith(f"FAIL  package index: http://***@127.0.0.1:{port}/simple/ is not reachable: ")
    assert line.endswith(
        "; fix: set score.index_url (or UV_DEFAULT_INDEX) to an index you can reach, or give score.find_links "
        "(folders of wheels) and score.build_network: false"
    )
    assert "hunter2" not in out
    # Offline builds need no index at all.
    bench = project(tmp_path, {"score": {"build_network": False}}, {"install_commands": ["pip install pytest"]})
    code, out, _ = run_doctor(bench, tmp_path / "state")
    assert lines_of(out, "package index") == [
        "ok    package index: offline builds (score.build_network: false); wheels from uv's cache only"
    ]


def test_a_ray_cluster_nobody_runs_fails_only_when_ray_is_asked_for(local_index: str, tmp_path: Path) -> None:
    bench = project(tmp_path, {})
    code, out, _ = run_doctor(bench, tmp_path / "state")
    assert code == 0 and lines_of(out, "ray") == ["ok    ray: not used (executor: local)"]
    address = f"127.0.0.1:{closed_port()}"
    code, out, _ = run_doctor(bench, tmp_path / "state", "--executor", "ray", "--ray-address", address)
    assert code == 1
    [line] = lines_of(out, "ray")
    assert line.startswith(f"FAIL  ray: nothing answers at {address}") and "fix: start the cluster with" in line


def test_json_is_the_only_output_and_has_one_entry_per_check(local_index: str, tmp_path: Path) -> None:
    bench = project(tmp_path, {"sandbox": "none"})
    code, out, err = run_doctor(bench, tmp_path / "state", "--json")
    assert code == 0  # a warning is not a failure
    report = json.loads(out)
    assert set(report) == {"ok", "checks"} and report["ok"] is True
    for c in report["checks"]:
        assert set(c) == {"name", "status", "detail", "fix"} and c["status"] in ("ok", "warn", "fail")
    [sandbox] = [c for c in report["checks"] if c["name"] == "sandbox"]
    assert sandbox["status"] == "warn" and "without isolation" in sandbox["detail"] and sandbox["fix"]


def test_a_new_check_is_one_function_and_one_that_crashes_is_a_failure_not_a_traceback(
    local_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(doctor, "CHECKS", list(doctor.CHECKS))

    @check("cgroups")
    def _cgroups(d: Doctor) -> Iterator[Result]:
        yield Result("cgroups", "ok", f"state under {d.state_root}")

    @check("network gate")
    def _gate(d: Doctor) -> Iterator[Result]:
        raise RuntimeError("probe exploded")

    code, out, _ = run_doctor(project(tmp_path, {}), tmp_path / "state")
    assert code == 1
    assert lines_of(out, "cgroups") == [f"ok    cgroups: state under {tmp_path / 'state'}"]
    assert lines_of(out, "network gate") == [
        "FAIL  network gate: the check itself failed: RuntimeError('probe exploded'); fix: report this bug"
    ]
    assert lines_of(out, "git")  # the other checks still ran


def test_network_and_resources_say_what_an_agent_may_reach_and_what_cannot_be_enforced(
    local_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_KEY", "k")
    configs = [
        {"name": "claude", "provider": "anthropic", "model": "claude-x"},
        {
            "name": "local",
            "provider": "openai_compatible",
            "model": "m",
            "base_url": "http://10.0.0.5:8000/v1",
            "api_key_env": "MY_KEY",
        },
        {"name": "odd", "provider": "litellm", "model": "nowhere-model", "api_key_env": "MY_KEY"},
    ]
    bench = project(tmp_path, {"agents": {"openhands": {"llm_configs": configs}}, "container": {"memory": "1g"}})
    code, out, _ = run_doctor(bench, tmp_path / "state")
    assert code == 1
    net = lines_of(out, "network")
    assert net[0] == "ok    network: provider 'claude': its agent reaches api.anthropic.com:443 and nothing else"
    assert net[1] == "ok    network: provider 'local': its agent reaches 10.0.0.5:8000 and nothing else"
    assert net[2].startswith("FAIL  network: provider 'odd': isobench cannot tell which host serves model")
    res = lines_of(out, "resources")
    # This machine has cgroups isobench can use (the test suite's machine); the limit is named.
    assert res == ["ok    resources: cgroup v1 usable (memory=1024 MiB)"] or res[0].startswith(
        "ok    resources: cgroup v2"
    )
