"""`isobench plan`: instances from task files, and one clear error (exit 2, nothing written) when they are wrong."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from isobench.cli import app
from tests.conftest import TaskRepo, git


def invoke(state: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, ["--config", "bench.yaml", "--state-dir", str(state), *args])
    return r.exit_code, r.stdout, r.stderr


def test_plan_turns_a_commit_into_an_instance_with_the_canonical_fields(task_repo: TaskRepo, tmp_path: Path) -> None:
    task = task_repo.task_yaml(tmp_path / "tiny.yaml")
    code, out, _ = invoke(tmp_path / "state", "plan", str(task), "--json")
    assert code == 0
    [inst] = json.loads(out)
    assert inst["instance_id"] == f"tinyrepo-{task_repo.head[:10]}"
    assert inst["base_commit"] == task_repo.base and inst["head_commit"] == task_repo.head
    assert inst["target_files"] == ["lib/core.py"] and inst["test_files"] == ["tests/test_core.py"]
    assert inst["action"] == "new"
    rec = json.loads((tmp_path / "state" / "plan" / inst["instance_id"] / "instance.json").read_text())
    assert rec["schema_version"] == 1 and rec["status"] == "planned"
    assert "seen = set()" in rec["patch"] and "tests/test_core.py" not in rec["patch"]
    assert "test_empty" in rec["test_patch"] and "lib/core.py" not in rec["test_patch"]
    assert rec["gt_commit_message"].startswith("Speed up dedupe with a set (#7)")
    assert rec["created_at"].startswith("20") and rec["test_functions"] == ["test_empty"]
    assert rec["patch_functions"] == ["dedupe"]
    assert rec["workload_callable"] == "benchmarks.wl:run" and rec["setting"] == "oracle"
    # The patch really is the human change: it applies to the base and gives the head's file.
    wt = tmp_path / "check"
    git(task_repo.path, "worktree", "add", "-q", "--detach", str(wt), task_repo.base)
    subprocess.run(["git", "apply"], input=rec["patch"], text=True, cwd=wt, check=True)
    assert (wt / "lib" / "core.py").read_text() == git(task_repo.path, "show", f"{task_repo.head}:lib/core.py") + "\n"


def test_planning_again_does_nothing_new_and_force_redoes(task_repo: TaskRepo, tmp_path: Path) -> None:
    task = task_repo.task_yaml(tmp_path / "tiny.yaml")
    invoke(tmp_path / "state", "plan", str(task))
    rec = next((tmp_path / "state" / "plan").iterdir()) / "instance.json"
    before = rec.stat().st_mtime_ns
    code, out, _ = invoke(tmp_path / "state", "plan", str(task), "--json")
    assert code == 0 and json.loads(out)[0]["action"] == "unchanged"
    assert rec.stat().st_mtime_ns == before
    code, out, _ = invoke(tmp_path / "state", "plan", str(task), "--json", "--force")
    assert json.loads(out)[0]["action"] == "updated"


def test_plan_prints_a_table_of_instances(task_repo: TaskRepo, tmp_path: Path) -> None:
    task = task_repo.task_yaml(tmp_path / "tiny.yaml")
    code, out, _ = invoke(tmp_path / "state", "plan", str(task))
    assert code == 0
    assert f"tinyrepo-{task_repo.head[:10]}" in out and "lib/core.py" in out and "new" in out


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"commits": [{"head": "deadbeef"}]}, "commits[0].head: unknown commit 'deadbeef' in repository"),
        ({"commits": [{"head": "v-opt", "base": "nope"}]}, "commits[0].base: unknown commit 'nope'"),
        ({"commits": [{"head": "HEAD~2"}]}, "has no parent; give `base:` explicitly"),
        ({"efficiency_test": [], "workload_callable": None}, "commits[0] (head "),
        ({"tests": []}, "no `tests`"),
        ({"repo": "/nonexistent/repo"}, "repo: /nonexistent/repo is not a git repository"),
    ],
)
def test_a_bad_task_gives_one_line_exit_2_and_writes_nothing(
    task_repo: TaskRepo, tmp_path: Path, overrides: dict, expected: str
) -> None:
    good = task_repo.task_yaml(tmp_path / "good.yaml")
    bad = task_repo.task_yaml(tmp_path / "bad.yaml", **overrides)
    state = tmp_path / "state"
    code, out, err = invoke(state, "plan", str(good), str(bad))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and str(bad) in lines[0]
    assert not (state / "plan").exists()  # the good task was not written either: nothing partial


def test_a_folder_that_is_not_a_repository_is_named(tmp_path: Path, task_repo: TaskRepo) -> None:
    (tmp_path / "plain").mkdir()
    bad = task_repo.task_yaml(tmp_path / "bad.yaml", repo="plain")
    code, _, err = invoke(tmp_path / "state", "plan", str(bad))
    assert code == 2 and f"repo: {tmp_path / 'plain'} is not a git repository" in err


def test_discover_finds_optimization_commits_by_message(task_repo: TaskRepo, tmp_path: Path) -> None:
    task = task_repo.task_yaml(tmp_path / "d.yaml", commits=[], discover={"rev": "main", "limit": 5})
    code, out, _ = invoke(tmp_path / "state", "plan", str(task), "--json")
    assert code == 0
    assert [i["head_commit"] for i in json.loads(out)] == [task_repo.head]  # not "Initial" nor "Later"


def test_per_commit_keys_override_the_task_level_ones(task_repo: TaskRepo, tmp_path: Path) -> None:
    task = task_repo.task_yaml(
        tmp_path / "o.yaml",
        commits=[{"head": "v-opt", "tests": ["python -m unittest -q tests.test_core"], "target_files": ["lib/*.py"]}],
    )
    code, out, _ = invoke(tmp_path / "state", "plan", str(task), "--json")
    [inst] = json.loads(out)
    assert inst["tests"] == ["python -m unittest -q tests.test_core"]
    assert inst["target_files"] == ["lib/*.py"]
    assert inst["efficiency_test"] == ["python -c 'import benchmarks.wl as w; w.run()'"]


def test_plan_without_arguments_plans_the_tasks_bench_yaml_lists(task_repo: TaskRepo, tmp_path: Path) -> None:
    task_repo.task_yaml(tmp_path / "tasks" / "mine.yaml") if (tmp_path / "tasks").mkdir() is None else None
    (tmp_path / "bench.yaml").write_text("tasks: [tasks/mine.yaml]\n")
    r = CliRunner().invoke(
        app, ["--config", str(tmp_path / "bench.yaml"), "--state-dir", str(tmp_path / "s"), "plan", "--json"]
    )
    assert r.exit_code == 0, r.output
    assert [i["head_commit"] for i in json.loads(r.stdout)] == [task_repo.head]
