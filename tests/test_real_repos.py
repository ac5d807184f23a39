"""What a real repository needs, end to end: third-party test dependencies installed per variant, another
interpreter, a workload script kept outside the repository, CRLF files, and a task whose tests fail.

Each test builds a project folder the way a user would (bench.yaml and a task file, nothing copied from
isobench) and drives the real CLI. Installs reach the package index (as in CI); nothing else does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from isobench.score.variants import dirname
from tests.conftest import FAST, SLOW, git

pytestmark = pytest.mark.slow
ISOBENCH = [sys.executable, "-m", "isobench.cli"]
QUICK_SCORE = {"min_rounds": 5, "max_rounds": 5, "time_budget_s": 10}


def isobench(cwd: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}
    return subprocess.run([*ISOBENCH, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)


def ok_json(cwd: Path, *args: str) -> Any:
    r = isobench(cwd, *args, "--json")
    assert r.returncode == 0, f"isobench {' '.join(args)}: exit {r.returncode}\n{r.stderr[-3000:]}"
    return json.loads(r.stdout)


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def project(folder: Path, task: dict[str, Any], providers: list[dict[str, Any]] | None = None) -> Path:
    """A user's folder: bench.yaml and tasks/t.yaml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tasks").mkdir(exist_ok=True)
    (folder / "tasks" / "t.yaml").write_text(yaml.safe_dump(task, sort_keys=False))
    llm = providers or []
    bench = {
        "tasks": ["tasks/t.yaml"],
        "agents": {"openhands": {"llm_configs": llm}},
        "llm_benchmarking": {"providers": [p["name"] for p in llm]},
        "score": QUICK_SCORE,
    }
    (folder / "bench.yaml").write_text(yaml.safe_dump(bench, sort_keys=False))
    return folder


def src_layout_repo(path: Path) -> tuple[str, str]:
    """A package in src/ (importable only once installed) whose tests need pytest and six from PyPI."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    (path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "fastlib"\nversion = "0.1"\n\n[tool.setuptools.packages.find]\nwhere = ["src"]\n'
    )
    (path / "src" / "fastlib").mkdir(parents=True)
    (path / "src" / "fastlib" / "__init__.py").write_text("")
    (path / "src" / "fastlib" / "core.py").write_text(SLOW)
    (path / "tests").mkdir()
    (path / "tests" / "test_core.py").write_text(
        "import os\n\nimport six\n\nimport fastlib\nfrom fastlib.core import dedupe\n\n\n"
        "def test_dedupe():\n    assert dedupe([3, 1, 3, 2, 1]) == [3, 1, 2]\n    assert six.PY3\n\n\n"
        "def test_the_variant_imports_its_own_code():\n"
        "    here = os.path.realpath(os.getcwd())\n"
        "    assert os.path.realpath(fastlib.__file__).startswith(here + os.sep), (fastlib.__file__, here)\n"
    )
    (path / "benchmarks").mkdir()
    (path / "benchmarks" / "__init__.py").write_text("")
    (path / "benchmarks" / "wl.py").write_text(
        "from fastlib.core import dedupe\n\n\ndef run():\n    dedupe(list(range(3000)) * 2)\n"
    )
    base = commit_all(path, "Initial version")
    (path / "src" / "fastlib" / "core.py").write_text(FAST)
    head = commit_all(path, "Speed up dedupe with a set")
    return base, head


def test_test_dependencies_are_installed_per_variant_and_each_variant_imports_its_own_code(tmp_path: Path) -> None:
    base, head = src_layout_repo(tmp_path / "fastlib")
    folder = project(
        tmp_path / "bench",
        {
            "name": "fastlib",
            "repo": str(tmp_path / "fastlib"),
            "commits": [{"head": head}],
            "install_commands": ["pip install -e .", "pip install pytest six"],
            "tests": ["python -m pytest -q -p no:cacheprovider tests"],
            "workload_callable": "benchmarks.wl:run",
        },
    )
    ok_json(folder, "plan")
    [res] = ok_json(folder, "score", "--keep-work")  # the variants' copies and venvs kept, to look into
    assert res["status"] == "scored" and res["valid"], res.get("invalid_reason")
    assert res["excluded_tests"] == []
    for name in ("base", "human"):
        v = res["variants"][name]
        assert v["build"] == "ok" and v["correct"] is True, v
        assert v["tests"][0]["passed"]
    # The human's own (faster) copy is what its workload imported: a stale or shared copy would give ~1.0x.
    assert res["variants"]["human"]["classification"] == "faster"
    recs = {
        p.stem: json.loads(p.read_text())
        for p in (folder / "state" / "score" / res["instance_id"] / "variants").glob("*.json")
    }
    assert [s["command"] for s in recs[dirname("human")]["build_steps"]] == [
        "pip install -e .",
        "pip install pytest six",
    ]
    # Each variant has a venv of its own, with pytest in it (the interpreter's own site-packages are not used).
    envs = folder / "state" / "score" / res["instance_id"] / "envs"
    for name in ("base", "human"):
        assert list((envs / dirname(name) / "venv").glob("lib/python*/site-packages/pytest"))
    # The editable install of each variant points at that variant's copy.
    human_venv = envs / dirname("human") / "venv"
    human_pth = "".join(p.read_text() for p in human_venv.glob("lib/python*/site-packages/*.pth"))
    assert str(envs / dirname("human") / "repo") in human_pth or "__editable__" in human_pth
    # `isobench gc` removes them (and nothing a result needs); the score stays as it was.
    score_json = folder / "state" / "score" / res["instance_id"] / "score.json"
    before = score_json.read_text()
    dry = ok_json(folder, "gc", "--dry-run")
    assert envs.is_dir() and list(dry["freed"]) == [f"score/{res['instance_id']}/envs"] and dry["dry_run"]
    gone = ok_json(folder, "gc")
    assert gone["freed"] == dry["freed"] and sum(gone["freed"].values()) > 1_000_000  # venvs are megabytes
    assert not envs.exists() and score_json.read_text() == before
    assert ok_json(folder, "score") == [json.loads(before)]  # still up to date: nothing to redo


def test_a_task_whose_tests_all_fail_on_the_human_commit_is_invalid_and_nothing_is_correct(tmp_path: Path) -> None:
    from tests.conftest import TaskRepo

    repo = TaskRepo(tmp_path / "r")
    folder = project(
        tmp_path / "bench",
        {
            "name": "t",
            "repo": str(repo.path),
            "commits": [{"head": repo.head}],
            "tests": ["python -m pytest -q tests"],  # pytest is not installed: fails everywhere
            "workload_callable": "benchmarks.wl:run",
        },
    )
    ok_json(folder, "plan")
    r = isobench(folder, "score")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "no correctness test passes on the human commit" in r.stdout
    assert "fails on the human commit too (not counted): python -m pytest -q tests" in r.stdout
    res = json.loads(isobench(folder, "score", "--json").stdout)[0]
    assert res["valid"] is False and res["status"] == "human_tests_failed"
    assert res["excluded_tests"] == ["python -m pytest -q tests"]
    assert not any(v["correct"] for v in res["variants"].values())


def other_python() -> str | None:
    """An interpreter other than isobench's own, installed where the sandbox hides it by default."""
    mine = os.path.realpath(sys.executable)
    candidates = [shutil.which("python3.11"), shutil.which("python3.13"), shutil.which("python3")]
    candidates += [str(p) for p in sorted(Path("/root/.pyenv/versions").glob("3.1[013]*/bin/python3"))]
    for c in candidates:
        if c and os.path.realpath(c) != mine:
            out = subprocess.run([c, "-c", "import sys; print(sys.version_info[1])"], capture_output=True, text=True)
            if out.returncode == 0 and out.stdout.strip() != str(sys.version_info[1]):
                return c
    return None


def test_another_interpreter_given_as_score_python_works_inside_the_sandbox(tmp_path: Path) -> None:
    from tests.conftest import TaskRepo

    python = other_python()
    assert python, "this machine has only one Python; the test needs another (e.g. pyenv's 3.11)"
    minor = subprocess.run([python, "-c", "import sys; print(sys.version_info[1])"], capture_output=True, text=True)
    repo = TaskRepo(tmp_path / "r")
    folder = project(
        tmp_path / "bench",
        {
            "name": "t",
            "repo": str(repo.path),
            "commits": [{"head": repo.head}],
            "python": python,
            "tests": [
                "python -m unittest discover -s tests -q",
                f"python -c 'import sys; assert sys.version_info[1] == {minor.stdout.strip()}, sys.version'",
            ],
            "workload_callable": "benchmarks.wl:run",
        },
    )
    ok_json(folder, "plan")
    [res] = ok_json(folder, "score")
    assert res["valid"], res.get("invalid_reason") or res["variants"]["human"]
    assert all(t["passed"] for t in res["variants"]["human"]["tests"]), res["variants"]["human"]["tests"]


def test_an_outside_workload_script_under_tmp_and_a_crlf_file_go_through_the_real_chain(tmp_path: Path) -> None:
    """The workload lives outside the repository, in /tmp: the agent can read it, every variant runs it
    (timed as a whole process). The optimized module has CRLF line endings: the agent's patch travels as
    bytes and applies."""
    repo = tmp_path / "crlf"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "lib").mkdir()
    (repo / "lib" / "__init__.py").write_text("")
    (repo / "lib" / "core.py").write_bytes(SLOW.replace("\n", "\r\n").encode())
    (repo / "tests").mkdir()
    (repo / "tests" / "test_core.py").write_text(
        "import unittest\nfrom lib.core import dedupe\n\n\nclass T(unittest.TestCase):\n"
        "    def test_dedupe(self):\n        self.assertEqual(dedupe([3, 1, 3, 2, 1]), [3, 1, 2])\n"
    )
    commit_all(repo, "Initial version")
    (repo / "lib" / "core.py").write_bytes(FAST.replace("\n", "\r\n").encode())
    head = commit_all(repo, "Speed up dedupe")
    workloads = Path(f"/tmp/isobench-test-wl-{os.getpid()}-{tmp_path.name}")
    workloads.mkdir()
    try:
        script = workloads / "bench_dedupe.py"
        # As with `cd repo && python /elsewhere/w.py`, the script's own folder, not the repository, is on
        # sys.path: a project that is not installed is imported from the working directory explicitly.
        script.write_text(
            "# WORKLOAD-MARKER\nimport os\nimport sys\n\nsys.path.insert(0, os.getcwd())\n"
            "from lib.core import dedupe\n\ndedupe(list(range(6000)) * 2)\n"
        )
        folder = project(
            tmp_path / "bench",
            {
                "name": "crlf",
                "repo": str(repo),
                "commits": [{"head": head}],
                "workload_files": [str(script)],
                "efficiency_test": [f"python {script}"],
                "tests": ["python -m unittest discover -s tests -q"],
            },
            providers=[
                {"name": "oracle", "provider": "scripted"},
                {"name": "reader", "provider": "scripted", "script": "shell", "script_commands": [f"cat {script}"]},
            ],
        )
        ok_json(folder, "plan")
        assert isobench(folder, "prepare").returncode == 0
        attempts = ok_json(folder, "run")
        assert sorted(a["status"] for a in attempts) == ["success", "success"]
        iid = attempts[0]["instance_id"]
        events = (folder / "state" / "runs" / iid / "reader" / "1" / "events.jsonl").read_text()
        assert "WORKLOAD-MARKER" in events  # visible, read-only, to the agent
        patch = (folder / "state" / "runs" / iid / "oracle" / "1" / "model_patch.diff").read_bytes()
        assert b"seen = set()\r\n" in patch  # CRLF kept
        [res] = ok_json(folder, "score")
        # A single `python SCRIPT` workload is timed in-process: its body, run again in one process.
        assert res["valid"] and res["timing_mode"] == "in_process_script", res.get("invalid_reason")
        oracle = res["variants"]["oracle#1"]
        assert oracle["build"] == "ok" and oracle["correct"] is True, oracle
        assert oracle["classification"] == "faster"
    finally:
        shutil.rmtree(workloads, ignore_errors=True)


def test_isobench_init_then_the_whole_chain_in_an_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "new-benchmark"
    r = isobench(tmp_path, "init", str(folder))
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout and (folder / "bench.yaml").is_file() and (folder / "tasks" / "example.yaml").is_file()
    again = isobench(tmp_path, "init", str(folder))
    assert again.returncode == 2 and "already exists" in again.stderr
    cfg = yaml.safe_load((folder / "bench.yaml").read_text())
    cfg["score"].update(QUICK_SCORE)
    (folder / "bench.yaml").write_text(yaml.safe_dump(cfg))
    [inst] = ok_json(folder, "plan")
    assert inst["target_files"] == ["textkit/stopwords.py"]
    assert isobench(folder, "prepare").returncode == 0  # the default prompt ships with isobench
    runs = ok_json(folder, "run")
    assert sorted((a["provider"], a["status"]) for a in runs) == [("noop", "success"), ("oracle", "success")]
    [res] = ok_json(folder, "score")
    assert res["valid"] and res["variants"]["oracle#1"]["correct"]
    corr = ok_json(folder, "correlate")
    assert corr["providers"]["oracle"]["correct"] == 1
    exp = ok_json(folder, "export")
    assert (exp["human_rows"], exp["llm_rows"]) == (1, 2)
    assert Path(exp["files"]["report"]).is_file()
