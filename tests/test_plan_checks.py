"""Mistakes `isobench plan` catches before anything is built: one line naming the task file, the commit and
the key (exit 2, the state left as it was), or a note / warning on stderr while planning goes on."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from isobench.cli import app
from isobench.plan import files_digest
from tests.conftest import TaskRepo, git


def invoke(state: Path, *args: str, config: str = "bench.yaml") -> tuple[int, str, str]:
    r = CliRunner().invoke(app, ["--config", config, "--state-dir", str(state), *args])
    return r.exit_code, r.stdout, r.stderr


def record(state: Path) -> dict:
    [inst] = list((state / "plan").iterdir())
    return json.loads((inst / "instance.json").read_text())


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of a state directory with its bytes and modification time."""
    return {
        str(p): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "isobench.lock"  # the lock every command takes, not state
    }


def executable(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def commit_files(repo: TaskRepo, files: dict[str, str], message: str = "Add files") -> None:
    for name, text in files.items():
        (repo.path / name).parent.mkdir(parents=True, exist_ok=True)
        (repo.path / name).write_text(text)
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "-m", message)


def speed_up_again(repo: TaskRepo) -> str:
    """A second human optimization on top of what is committed; returns its sha."""
    core = repo.path / "lib" / "core.py"
    core.write_text(core.read_text() + "\n# faster still\n")
    git(repo.path, "commit", "-q", "-am", "Speed up dedupe again")
    return git(repo.path, "rev-parse", "HEAD")


# --- files outside the repository -------------------------------------------------------------------


def test_a_workload_script_outside_the_repository_is_declared_with_a_note(task_repo: TaskRepo, tmp_path: Path) -> None:
    script = tmp_path / "bench" / "w.py"
    script.parent.mkdir()
    script.write_text("print('v1')\n")
    task = task_repo.task_yaml(tmp_path / "t.yaml", efficiency_test=[f"python {script}"], workload_callable=None)
    state = tmp_path / "state"
    code, _, err = invoke(state, "plan", str(task))
    assert code == 0, err
    [note] = err.strip().splitlines()
    assert note.startswith(f"isobench: note: {task}: efficiency_test[0]: {script} is outside the repository")
    assert "declared it" in note
    rec = record(state)
    assert rec["workload_files"] == [str(script)]
    assert rec["workload_digest"] == files_digest([str(script)])
    # Its content is part of the instance: editing the script re-plans it.
    script.write_text("print('v2')\n")
    code, out, _ = invoke(state, "plan", str(task), "--json")
    assert code == 0 and json.loads(out)[0]["action"] == "updated"


def test_a_file_already_in_workload_files_or_under_a_declared_folder_gets_no_note(
    task_repo: TaskRepo, tmp_path: Path
) -> None:
    (tmp_path / "bench").mkdir()
    script = tmp_path / "bench" / "w.py"
    script.write_text("print(1)\n")
    task = task_repo.task_yaml(
        tmp_path / "t.yaml",
        efficiency_test=[f"python {script} --out /tmp/isobench-result.json > /tmp/log.txt"],
        workload_files=["bench"],
        workload_callable=None,
    )
    code, _, err = invoke(tmp_path / "state", "plan", str(task))
    assert code == 0 and err == ""
    assert record(tmp_path / "state")["workload_files"] == [str(tmp_path / "bench")]


def test_a_file_a_command_reads_is_declared_and_one_it_may_write_in_tmp_is_a_warning(
    task_repo: TaskRepo, tmp_path: Path
) -> None:
    """tmp_path is under /tmp, which each command gets private and empty: a path there that the command
    surely reads (its input) is declared; one it may write (an option's value) would be read-only if
    declared, so it is only pointed out."""
    data, cache = tmp_path / "data.txt", tmp_path / "cache"
    data.write_text("3 1 2\n")
    cache.mkdir()
    task = task_repo.task_yaml(
        tmp_path / "t.yaml",
        tests=["python -m unittest discover -s tests -q", f"python -c 'import sys; sys.stdin.read()' < {data}"],
        efficiency_test=[f"CACHE={cache} python -c 'import benchmarks.wl as w; w.run()'"],
    )
    code, _, err = invoke(tmp_path / "state", "plan", str(task))
    assert code == 0
    assert err.strip().splitlines() == [
        f"isobench: note: {task}: tests[1]: {data} is outside the repository and not in workload_files: declared "
        "it (shown read-only to the agent and every variant; its content is part of the instance)",
        f"isobench: warning: {task}: efficiency_test[0]: names {cache}, which exists now, but each command gets a "
        "private, empty /tmp: if it reads that path, add it to workload_files",
    ]
    assert record(tmp_path / "state")["workload_files"] == [str(data)]


# --- errors: one line, exit 2, the state as it was ---------------------------------------------------


def _errors(tmp_path: Path, repo: TaskRepo) -> list[tuple[dict, str]]:
    bad_python = executable(tmp_path / "broken-python", "#!/bin/sh\necho 'boom: no such library' >&2\nexit 3\n")
    head = repo.head[:12]
    return [
        (
            {"efficiency_test": ["python /nonexistent/w.py"]},
            f"efficiency_test[0] (commits[0], head {head}): names /nonexistent/w.py, which does not exist",
        ),
        (
            {"commits": [{"head": repo.head, "tests": ["python -m unittest -q", "python /tmp/isobench-nothere.py"]}]},
            f"commits[0].tests[1] (head {head}): names /tmp/isobench-nothere.py, which does not exist",
        ),
        (
            {"efficiency_test": [f"python {repo.path}/benchmarks/wl.py"]},
            "inside the repository by its absolute path; commands run in a copy of the repository elsewhere",
        ),
        ({"efficiency_test": ["python ~/w.py"]}, "names ~/w.py; commands run with a private HOME"),
        ({"tests": ["python ../outside/t.py"]}, "names ../outside/t.py, outside the repository"),
        (
            {"commits": [{"head": repo.head, "python": str(bad_python)}]},
            f"commits[0].python: {bad_python} cannot run: boom: no such library",
        ),
        (
            {"workload_callable": "benchmarks.nothere:run"},
            f"workload_callable (commits[0], head {head}): no benchmarks/nothere.py or "
            "benchmarks/nothere/__init__.py (nor under src/) at the base commit",
        ),
        ({"tests": ["python -c 'print(1)"]}, "tests: Value error, command 0 is not a valid shell command"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_a_mistake_in_a_task_is_one_line_exit_2_and_the_state_is_left_as_it_was(
    task_repo: TaskRepo, tmp_path: Path, case: int
) -> None:
    overrides, expected = _errors(tmp_path, task_repo)[case]
    state = tmp_path / "state"
    good = task_repo.task_yaml(tmp_path / "good.yaml")
    assert invoke(state, "plan", str(good))[0] == 0
    before = snapshot(state)
    bad = task_repo.task_yaml(tmp_path / "bad.yaml", **overrides)
    code, out, err = invoke(state, "plan", str(good), str(bad))
    assert code == 2 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith(f"isobench: error: {bad}: ") and expected in line, line
    assert snapshot(state) == before


def test_a_missing_score_python_in_bench_yaml_is_named(task_repo: TaskRepo, tmp_path: Path) -> None:
    (tmp_path / "bench.yaml").write_text("score: {python: /opt/nowhere/python3.9}\n")
    task = task_repo.task_yaml(tmp_path / "t.yaml")
    code, _, err = invoke(tmp_path / "state", "plan", str(task), config=str(tmp_path / "bench.yaml"))
    assert code == 2
    assert err.strip() == f"isobench: error: {tmp_path / 'bench.yaml'}: score.python: /opt/nowhere/python3.9 not found"
    assert not (tmp_path / "state" / "plan").exists()


def test_an_interpreter_behind_a_launcher_script_is_fine_when_it_runs(task_repo: TaskRepo, tmp_path: Path) -> None:
    shim = executable(tmp_path / "python-shim", f'#!/bin/sh\nexec {sys.executable} "$@"\n')  # as pyenv's shims do
    task = task_repo.task_yaml(tmp_path / "t.yaml", python=str(shim))
    code, _, err = invoke(tmp_path / "state", "plan", str(task))
    assert code == 0, err
    assert record(tmp_path / "state")["python"] == str(shim)


@pytest.mark.parametrize("where", ["src/bench/wl.py", "bench/wl/__init__.py"])
def test_a_workload_callable_module_may_be_a_package_or_under_src(tmp_path: Path, where: str) -> None:
    repo = TaskRepo(tmp_path / "r")
    commit_files(repo, {where: "def run():\n    pass\n"}, "Add a workload")
    head = speed_up_again(repo)
    task = repo.task_yaml(tmp_path / "t.yaml", commits=[{"head": head}], workload_callable="bench.wl:run")
    code, _, err = invoke(tmp_path / "state", "plan", str(task))
    assert code == 0, err


def test_a_workload_callable_the_human_adds_with_the_tests_is_accepted(tmp_path: Path) -> None:
    repo = TaskRepo(tmp_path / "r")
    (repo.path / "benchmarks" / "new.py").write_text("def run():\n    pass\n")  # benchmarks/**: the test patch
    git(repo.path, "add", "-A")
    head = speed_up_again(repo)
    task = repo.task_yaml(tmp_path / "t.yaml", commits=[{"head": head}], workload_callable="benchmarks.new:run")
    code, _, err = invoke(tmp_path / "state", "plan", str(task))
    assert code == 0, err
    assert "benchmarks/new.py" in record(tmp_path / "state")["test_files"]


# --- warnings: planning goes on ----------------------------------------------------------------------

PYPROJECT = """[project]
name = "tiny"
version = "0"
[project.optional-dependencies]
test = ["pytest>=8"]
[tool.pytest.ini_options]
testpaths = ["tests"]
"""


@pytest.mark.parametrize(
    ("install", "warned"),
    [
        ([], True),
        (["pip install pytest"], False),
        (["pip install -r requirements/test.txt"], False),
        (["pip install -e .[test]"], False),
        (["pip install -e ."], True),  # the project's own dependencies do not name pytest (only its config does)
    ],
)
def test_a_test_runner_nothing_installs_is_a_warning(tmp_path: Path, install: list[str], warned: bool) -> None:
    repo = TaskRepo(tmp_path / "r")
    commit_files(
        repo,
        {"pyproject.toml": PYPROJECT, "requirements/test.txt": "-r base.txt\n", "requirements/base.txt": "pytest\n"},
    )
    head = speed_up_again(repo)
    task = repo.task_yaml(
        tmp_path / "t.yaml", commits=[{"head": head}], tests=["python -m pytest -q tests"], install_commands=install
    )
    state = tmp_path / "state"
    code, _, err = invoke(state, "plan", str(task))
    assert code == 0
    assert record(state)["tests"] == ["python -m pytest -q tests"]  # planned all the same
    if warned:
        assert err.strip() == (
            f"isobench: warning: {task}: tests[0]: `python -m pytest` needs pytest, which neither install_commands "
            "nor a requirements file they install names: add `pip install pytest` to install_commands"
        )
    else:
        assert err == ""


def test_a_program_that_is_nowhere_and_a_script_not_in_the_repository_are_warnings(
    task_repo: TaskRepo, tmp_path: Path
) -> None:
    task = task_repo.task_yaml(
        tmp_path / "t.yaml", tests=["isobench-no-such-runner tests", "./run_tests.sh", "python -m unittest -q"]
    )
    code, _, err = invoke(tmp_path / "state", "plan", str(task))
    assert code == 0
    assert err.strip().splitlines() == [
        f"isobench: warning: {task}: tests[0]: `isobench-no-such-runner` is neither on the system PATH nor named by "
        "install_commands: add `pip install isobench-no-such-runner` (or what provides it) to install_commands",
        f"isobench: warning: {task}: tests[1]: runs ./run_tests.sh, which is not in the repository",
    ]


# --- files the test commands run are test files ------------------------------------------------------


@pytest.mark.parametrize(
    "command", ["python src/unitTests.py", "cd src && python unitTests.py -v", "python -m unittest src.unitTests"]
)
def test_a_file_the_test_commands_run_is_a_test_file_whatever_its_name(tmp_path: Path, command: str) -> None:
    """pyparsing's tests live in src/unitTests.py: the human's new test there belongs to the test patch, not
    to the code patch the agent is asked to match."""
    repo = TaskRepo(tmp_path / "r")
    commit_files(repo, {"src/unitTests.py": "import unittest\n"}, "Add the test module")
    (repo.path / "src" / "unitTests.py").write_text("import unittest\n\n\ndef test_fast():\n    pass\n")
    head = speed_up_again(repo)
    task = repo.task_yaml(tmp_path / "t.yaml", commits=[{"head": head}], tests=[command])
    state = tmp_path / "state"
    code, out, err = invoke(state, "plan", str(task), "--json")
    assert code == 0, err
    [inst] = json.loads(out)
    assert inst["target_files"] == ["lib/core.py"] and inst["test_files"] == ["src/unitTests.py"]
    rec = record(state)
    assert "src/unitTests.py" not in rec["patch"] and "def test_fast" in rec["test_patch"]
    assert rec["test_functions"] == ["test_fast"]
    # An agent's edits to it are discarded too: the instance's test patterns name it.
    assert "src/unitTests.py" in rec["test_patterns"]


def test_a_doctest_run_keeps_the_code_it_names_as_code(tmp_path: Path) -> None:
    repo = TaskRepo(tmp_path / "r")
    head = speed_up_again(repo)
    task = repo.task_yaml(
        tmp_path / "t.yaml",
        commits=[{"head": head}],
        tests=["python -m pytest --doctest-modules lib/core.py"],
        install_commands=["pip install pytest"],
    )
    code, out, err = invoke(tmp_path / "state", "plan", str(task), "--json")
    assert code == 0, err
    assert json.loads(out)[0]["target_files"] == ["lib/core.py"]


@pytest.mark.parametrize(
    ("script", "warned"),
    [
        ("from lib.core import dedupe\nprint(len(dedupe(list(range(50)) * 2)))\n", True),
        ("from lib.core import dedupe\nout = dedupe(list(range(50)) * 2)\nprint(len(out))\n", False),
        ("from lib.core import dedupe\nfor n in (10, 20):\n    out = dedupe(list(range(n)))\n", False),
    ],
)
def test_a_workload_script_that_keeps_no_result_is_a_warning(tmp_path: Path, script: str, warned: bool) -> None:
    repo = TaskRepo(tmp_path / "r")
    commit_files(repo, {"bench/show.py": script})
    head = speed_up_again(repo)
    task = repo.task_yaml(
        tmp_path / "t.yaml", commits=[{"head": head}], efficiency_test=["python bench/show.py"], workload_callable=None
    )
    state = tmp_path / "state"
    code, _, err = invoke(state, "plan", str(task))
    assert code == 0
    if warned:
        assert err.strip() == (
            f"isobench: warning: {task}: efficiency_test: bench/show.py keeps no result in a module-level name: "
            "only what it prints is compared across variants; keep or print what it computes (README: Task files, "
            "the workload's results)"
        )
    else:
        assert "keeps no result" not in err
