"""The sandbox, tested with real bubblewrap and real subprocesses: what a sandboxed command can see and do."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from isobench.sandbox import (
    PRIVATE_HOME,
    BwrapSandbox,
    ContainerSandbox,
    NoSandbox,
    Sandbox,
    SandboxError,
    SandboxSpec,
    get_sandbox,
    minimal_env,
)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PROJECT_VENV = PROJECT_ROOT / ".venv"


def _bwrap_unusable() -> str:
    try:
        BwrapSandbox().check()
    except SandboxError as exc:
        return str(exc)
    return ""


needs_bwrap = pytest.mark.skipif(bool(_bwrap_unusable()), reason=_bwrap_unusable() or "bwrap usable")
# The interpreter itself, not the project venv's link to it: the sandbox only shows the Python
# installation (and hides /tmp, where a CI checkout and its .venv may live).
PYTHON = os.path.realpath(sys.executable)


@dataclass
class Layout:
    home: Path
    secret: Path
    task_repo: Path
    state: Path
    wt1: Path
    wt2: Path
    readable: Path
    out: Path

    def spec(self, **kw: object) -> SandboxSpec:
        args: dict[str, object] = {
            "writable": [self.wt1, self.out],
            "readable": [self.readable],
            "hidden": [self.task_repo, self.state],
            "env": minimal_env({"MARK": "inside"}),
            "cwd": self.wt1,
        }
        args.update(kw)
        return SandboxSpec(**args)  # type: ignore[arg-type]


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Layout:
    home = tmp_path / "home"
    home.mkdir()
    secret = home / ".secret"
    secret.write_text("hunter2\n")
    monkeypatch.setenv("HOME", str(home))
    task_repo = tmp_path / "task-repo"
    (task_repo / "src").mkdir(parents=True)
    (task_repo / "src" / "solution.py").write_text("ANSWER = 42\n")
    state = tmp_path / "state"
    wt1, wt2 = state / "worktrees" / "wt1", state / "worktrees" / "wt2"
    wt1.mkdir(parents=True)
    wt2.mkdir(parents=True)
    (wt2 / "other.txt").write_text("another agent's work\n")
    (state / "runs.json").write_text("{}\n")
    readable = tmp_path / "runner"
    readable.mkdir()
    (readable / "run.sh").write_text("echo runner-ok\n")
    out = tmp_path / "out"
    out.mkdir()
    return Layout(home, secret, task_repo, state, wt1, wt2, readable, out)


def run_in(spec: SandboxSpec, argv: list[str], sandbox: Sandbox | None = None, **kw: object):
    cmd = (sandbox or BwrapSandbox()).wrap(argv, spec)
    return cmd.run(capture_output=True, text=True, timeout=60, **kw)


def sh(spec: SandboxSpec, script: str) -> subprocess.CompletedProcess[str]:
    return run_in(spec, ["sh", "-c", script])


@needs_bwrap
def test_worktree_is_writable_and_the_write_lands_outside(layout: Layout) -> None:
    r = sh(layout.spec(), f"echo edited > result.txt && echo rec > {layout.out}/record.json")
    assert r.returncode == 0, r.stderr
    assert (layout.wt1 / "result.txt").read_text() == "edited\n"
    assert (layout.out / "record.json").read_text() == "rec\n"


@needs_bwrap
def test_home_secret_is_invisible(layout: Layout) -> None:
    r = sh(layout.spec(), f"cat {layout.secret}")
    assert r.returncode != 0
    assert "No such file" in r.stderr
    assert "hunter2" not in r.stdout
    r = sh(layout.spec(), "cat /root/.bashrc")
    assert r.returncode != 0


@needs_bwrap
def test_other_worktree_task_repo_and_state_are_invisible(layout: Layout) -> None:
    spec = layout.spec()
    r = sh(spec, f"ls {layout.wt2}")
    assert r.returncode != 0 and "No such file" in r.stderr
    r = sh(spec, f"ls {layout.task_repo}")
    assert r.returncode != 0, r.stdout
    r = sh(spec, f"cat {layout.task_repo}/src/solution.py")
    assert r.returncode != 0 and "No such file" in r.stderr
    r = sh(spec, f"cat {layout.state}/runs.json")
    assert r.returncode != 0 and "No such file" in r.stderr


@needs_bwrap
def test_writes_outside_the_worktree_fail_and_leave_nothing(layout: Layout) -> None:
    spec = layout.spec()
    before = sorted(p.name for p in layout.state.iterdir())
    # Under the private /tmp (where pytest's folders are), the state's path exists inside only as the
    # throwaway scaffold bubblewrap makes for the bound folders: a write may land there, never on the host.
    sh(spec, f"echo x > {layout.state}/planted")
    sh(spec, f"mkdir {layout.wt1}/../planted")
    assert not (layout.state / "planted").exists()
    assert sorted(p.name for p in layout.state.iterdir()) == before
    assert not (layout.state / "worktrees" / "planted").exists()
    for target in ("/planted", "/usr/planted", "/etc/planted"):
        r = sh(spec, f"touch {target}")
        assert r.returncode != 0 and "Read-only file system" in r.stderr, target
        assert not Path(target).exists()
    r = sh(spec, f"touch {layout.readable}/planted")
    assert r.returncode != 0 and not (layout.readable / "planted").exists()
    r = sh(spec, f"sh {layout.readable}/run.sh")
    assert r.stdout == "runner-ok\n"


@needs_bwrap
@pytest.mark.skipif(shutil.which("git") is None, reason="no git")
def test_git_works_in_the_worktree(layout: Layout) -> None:
    # The worktree's parents are hidden (mode 0111): git's upward search for .git must still work.
    subprocess.run(["git", "init", "-q", str(layout.wt1)], check=True)
    r = sh(
        layout.spec(),
        "echo a > a.txt && git add a.txt && "
        "git -c user.name=a -c user.email=a@b commit -qm x && git log --oneline | wc -l",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "1"


@needs_bwrap
def test_private_tmp_and_home(layout: Layout) -> None:
    name = f"isobench-sandbox-{uuid.uuid4().hex}"
    host_file = Path("/tmp") / f"{name}-host"
    host_file.write_text("host tmp\n")
    try:
        r = sh(layout.spec(), f'test ! -e {host_file} && echo t > /tmp/{name} && echo h > "$HOME/f" && pwd')
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == str(layout.wt1)
        assert not (Path("/tmp") / name).exists()
        assert not (Path(PRIVATE_HOME) / "f").exists()
    finally:
        host_file.unlink()


@needs_bwrap
def test_only_spec_env_passes(layout: Layout, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISOBENCH_TEST_SECRET", "xyz")
    r = run_in(layout.spec(), ["env"])
    assert r.returncode == 0, r.stderr
    env = dict(line.split("=", 1) for line in r.stdout.splitlines())
    assert "ISOBENCH_TEST_SECRET" not in env and "xyz" not in r.stdout
    assert env.pop("PWD") == str(layout.wt1)  # bwrap sets it after --chdir
    assert env == minimal_env({"MARK": "inside"})


@needs_bwrap
@pytest.mark.parametrize("network", [False, True])
def test_network_switch(layout: Layout, network: bool) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        code = f"import socket; socket.create_connection(('127.0.0.1', {port}), 5); print('connected')"
        r = run_in(layout.spec(network=network), [PYTHON, "-c", code])
    if network:
        assert r.returncode == 0 and r.stdout == "connected\n", r.stderr
    else:
        assert r.returncode != 0 and "ConnectionRefusedError" in r.stderr


@needs_bwrap
def test_unix_sockets_in_hidden_paths_are_unreachable(layout: Layout) -> None:
    # A read-only bind would still let a client connect to a unix socket; hiding must not.
    path = layout.state / "daemon.sock"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen()
        code = f"import socket; socket.socket(socket.AF_UNIX).connect({str(path)!r})"
        r = run_in(layout.spec(network=True), [PYTHON, "-c", code])
    assert r.returncode != 0 and "FileNotFoundError" in r.stderr
    r = sh(layout.spec(), "ls /run")
    assert r.returncode != 0


@needs_bwrap
@pytest.mark.skipif(not (PROJECT_VENV / "bin" / "python").exists(), reason="no project .venv")
def test_readable_venv_inside_hidden_project_root(layout: Layout) -> None:
    spec = layout.spec(readable=[PROJECT_VENV], hidden=[PROJECT_ROOT, layout.state])
    r = run_in(spec, [str(PROJECT_VENV / "bin" / "python"), "-c", "import numpy; print(numpy.__name__)"])
    assert r.returncode == 0, r.stderr
    assert r.stdout == "numpy\n"
    r = sh(spec, f"cat {PROJECT_ROOT}/pyproject.toml")
    assert r.returncode != 0 and "No such file" in r.stderr
    # The scorer's own code is not importable, though the venv's editable install points at it.
    r = run_in(spec, [str(PROJECT_VENV / "bin" / "python"), "-c", "import isobench.sandbox"])
    assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr


@needs_bwrap
def test_deeper_path_wins(layout: Layout) -> None:
    # Inside the writable worktree: a hidden subfolder stays hidden, a readable one read-only.
    (layout.wt1 / "private").mkdir()
    (layout.wt1 / "private" / "key").write_text("k\n")
    (layout.wt1 / "frozen").mkdir()
    spec = layout.spec(hidden=[layout.state, layout.wt1 / "private"], readable=[layout.wt1 / "frozen"])
    r = sh(spec, "cat private/key; touch frozen/x; touch ok")
    assert "No such file" in r.stderr and "Read-only file system" in r.stderr
    assert (layout.wt1 / "ok").exists() and not (layout.wt1 / "frozen" / "x").exists()


@needs_bwrap
def test_isobench_package_is_hidden_by_default(layout: Layout) -> None:
    pkg = PROJECT_ROOT / "isobench" / "sandbox.py"
    r = sh(layout.spec(), f"cat {pkg}")
    assert r.returncode != 0 and "No such file" in r.stderr


@needs_bwrap
def test_root_inside_has_no_capabilities(layout: Layout) -> None:
    r = sh(layout.spec(), "grep CapEff /proc/self/status; mount -t tmpfs none /mnt")
    assert "CapEff:\t0000000000000000" in r.stdout
    assert r.returncode != 0


@needs_bwrap
def test_killing_the_sandbox_kills_its_whole_tree(layout: Layout) -> None:
    marker = f"{uuid.uuid4().int % 10_000}.{os.getpid()}"
    with pytest.raises(subprocess.TimeoutExpired):
        BwrapSandbox().wrap(["sh", "-c", f"sleep {marker} & sleep {marker} & wait"], layout.spec()).run(
            timeout=1, capture_output=True
        )
    time.sleep(0.5)
    survivors = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True).stdout
    assert survivors == ""


@needs_bwrap
def test_missing_writable_path_is_a_clear_error(layout: Layout) -> None:
    with pytest.raises(SandboxError, match="does not exist") as err:
        BwrapSandbox().wrap(["true"], layout.spec(writable=[layout.wt1 / "nope"]))
    assert "\n" not in str(err.value)


def test_check_with_missing_binary_says_what_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SandboxError) as err:
        BwrapSandbox(binary="bwrap-not-installed").check()
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("bubblewrap (bwrap) is not usable: `bwrap-not-installed` is not on PATH.")
    assert "apt-get install bubblewrap" in msg and "sandbox: none" in msg
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SandboxError, match="is not on PATH"):
        BwrapSandbox().check()


def test_docker_without_daemon_says_so_on_one_line() -> None:
    with pytest.raises(SandboxError) as err:
        ContainerSandbox("docker", image="python:3.12").check()
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("docker sandbox is not usable:")
    if shutil.which("docker"):
        assert "daemon" in msg
    print(f"\n{msg}")


def test_container_command_carries_no_environment_value_on_its_argv(tmp_path: Path) -> None:
    wt, venv = tmp_path / "wt", tmp_path / "venv"
    wt.mkdir()
    venv.mkdir()
    spec = SandboxSpec(writable=[wt], readable=[venv], network=False, env={"A": "secret-value"}, cwd=wt)
    cmd = ContainerSandbox("podman", image="img:1").wrap(["pytest", "-q"], spec)
    assert cmd.argv[:5] == ["podman", "run", "--rm", "--network", "none"]
    assert cmd.argv[-3:] == ["img:1", "pytest", "-q"]
    joined = " ".join(cmd.argv)
    assert f"-v {venv}:{venv}:ro" in joined and f"-v {wt}:{wt} " in joined
    assert f"-w {wt}" in joined and "-e A " in joined and "--read-only" in cmd.argv
    # The value travels in the client's environment, which `-e A` passes on: never on a command line.
    assert "secret-value" not in joined and cmd.env["A"] == "secret-value"
    with pytest.raises(SandboxError, match="needs a container image"):
        ContainerSandbox("docker").wrap(["true"], spec)


def test_no_sandbox_still_cleans_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISOBENCH_TEST_SECRET", "xyz")
    spec = SandboxSpec(writable=[tmp_path], env=minimal_env({"HOME": str(tmp_path / "h")}), cwd=tmp_path)
    cmd = NoSandbox().wrap(["sh", "-c", "env; pwd"], spec)
    r = cmd.run(capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "ISOBENCH_TEST_SECRET" not in r.stdout and "HOME=" not in " ".join(cmd.argv)
    assert f"HOME={tmp_path / 'h'}" in r.stdout and r.stdout.rstrip().endswith(str(tmp_path))


def test_get_sandbox() -> None:
    assert get_sandbox("bwrap").name == "bwrap"
    assert get_sandbox("none").name == "none"
    assert get_sandbox(" Docker ", image="x").name == "docker"
    assert get_sandbox("podman").name == "podman"
    assert isinstance(get_sandbox("bwrap"), Sandbox)
    with pytest.raises(SandboxError, match="unknown sandbox kind 'firejail'"):
        get_sandbox("firejail")


def test_minimal_env() -> None:
    env = minimal_env({"X": "1"})
    assert set(env) == {"PATH", "HOME", "LANG", "LC_ALL", "TERM", "X"}
    assert env["HOME"] == PRIVATE_HOME and "/usr/bin" in env["PATH"].split(":")
