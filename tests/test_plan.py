"""`isobench plan`: instances from task files, and one clear error (exit 2, nothing written) when they are wrong."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from isobench.cli import app
from isobench.records import SCHEMA_VERSION
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
    assert rec["schema_version"] == SCHEMA_VERSION and rec["status"] == "planned"
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


def test_target_files_are_the_source_files_the_human_changed_not_docs_or_data(tmp_path: Path) -> None:
    repo = TaskRepo(tmp_path / "r")
    (repo.path / "lib" / "core.py").write_text(repo.path.joinpath("lib", "core.py").read_text() + "\n# faster\n")
    (repo.path / "CHANGELOG.md").write_text("- dedupe is faster\n")
    (repo.path / "lib" / "table.json").write_text('{"size": 2}\n')
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "-m", "Speed up again, with notes and data")
    task = repo.task_yaml(tmp_path / "t.yaml", commits=[{"head": "HEAD"}])
    code, out, _ = invoke(tmp_path / "state", "plan", str(task), "--json")
    assert code == 0, out
    [inst] = json.loads(out)
    assert inst["target_files"] == ["lib/core.py"]
    rec = json.loads((tmp_path / "state" / "plan" / inst["instance_id"] / "instance.json").read_text())
    assert rec["noncode_files"] == ["CHANGELOG.md", "lib/table.json"]
    # The human variant still gets the human's whole change: the non-code files are in its patch.
    assert "CHANGELOG.md" in rec["patch"] and "table.json" in rec["patch"]


def test_only_non_code_changes_need_explicit_target_files(tmp_path: Path) -> None:
    repo = TaskRepo(tmp_path / "r")
    (repo.path / "CHANGELOG.md").write_text("- notes\n")
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "-m", "Document the speed-up")
    task = repo.task_yaml(tmp_path / "t.yaml", commits=[{"head": "HEAD"}])
    code, _, err = invoke(tmp_path / "state", "plan", str(task))
    assert code == 2 and "the human changed no source file (only CHANGELOG.md); give `target_files`" in err


def test_a_crlf_change_keeps_its_bytes_in_the_instance_patch(tmp_path: Path) -> None:
    repo = TaskRepo(tmp_path / "r")
    (repo.path / "lib" / "win.py").write_bytes(b"def f():\r\n    return 1\r\n")
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "-m", "Add a CRLF module")
    (repo.path / "lib" / "win.py").write_bytes(b"def f():\r\n    return 2  # faster\r\n")
    git(repo.path, "commit", "-q", "-am", "Speed up f")
    task = repo.task_yaml(tmp_path / "t.yaml", commits=[{"head": "HEAD"}])
    code, out, _ = invoke(tmp_path / "state", "plan", str(task), "--json")
    assert code == 0
    rec = json.loads(next((tmp_path / "state" / "plan").iterdir()).joinpath("instance.json").read_text())
    assert "return 2  # faster\r\n" in rec["patch"]
    wt = tmp_path / "check"
    git(repo.path, "worktree", "add", "-q", "--detach", str(wt), "HEAD~1")
    from isobench.gitutil import patch_bytes

    subprocess.run(["git", "apply"], input=patch_bytes(rec["patch"]), cwd=wt, check=True)
    assert (wt / "lib" / "win.py").read_bytes() == b"def f():\r\n    return 2  # faster\r\n"


def test_workload_files_outside_the_repo_are_resolved_hashed_and_must_exist(
    task_repo: TaskRepo, tmp_path: Path
) -> None:
    (tmp_path / "wl").mkdir()
    script = tmp_path / "wl" / "bench.py"
    script.write_text("print('v1')\n")
    task = task_repo.task_yaml(
        tmp_path / "t.yaml",
        workload_files=["wl/bench.py"],
        efficiency_test=[f"python {script}"],
        workload_callable=None,
    )
    code, out, _ = invoke(tmp_path / "state", "plan", str(task), "--json")
    assert code == 0
    rec = json.loads(next((tmp_path / "state" / "plan").iterdir()).joinpath("instance.json").read_text())
    assert rec["workload_files"] == [str(script)]
    # Editing the workload changes the instance (its old results no longer describe it).
    script.write_text("print('v2')\n")
    code, out, _ = invoke(tmp_path / "state", "plan", str(task), "--json")
    assert json.loads(out)[0]["action"] == "updated"
    bad = task_repo.task_yaml(tmp_path / "bad.yaml", workload_files=["wl/missing.py"])
    code, _, err = invoke(tmp_path / "state2", "plan", str(bad))
    assert code == 2 and f"bad.yaml: workload_files: {tmp_path / 'wl' / 'missing.py'} not found" in err
    assert not (tmp_path / "state2" / "plan").exists()


def test_a_task_python_must_exist(task_repo: TaskRepo, tmp_path: Path) -> None:
    bad = task_repo.task_yaml(tmp_path / "bad.yaml", commits=[{"head": task_repo.head, "python": "/no/python3.9"}])
    code, _, err = invoke(tmp_path / "state", "plan", str(bad))
    assert code == 2 and "bad.yaml: commits[0].python: /no/python3.9 not found" in err


def test_iso_bench_parent_index_is_one_based_on_a_merge_commit(tmp_path: Path) -> None:
    """ISO-Bench's pre_parent_index 1 is the first parent (its resolver returns parents[index - 1]);
    `parent=N` in its commits files means the same."""
    repo = TaskRepo(tmp_path / "r")
    git(repo.path, "checkout", "-q", "-b", "side", repo.base)
    (repo.path / "lib" / "side.py").write_text("X = 1\n")
    git(repo.path, "add", "-A")
    git(repo.path, "commit", "-q", "-m", "Side work")
    side = git(repo.path, "rev-parse", "HEAD")
    git(repo.path, "checkout", "-q", "main")
    git(repo.path, "merge", "-q", "--no-ff", "-m", "Merge side: speed up", "side")
    merge = git(repo.path, "rev-parse", "HEAD")
    first = git(repo.path, "rev-parse", "HEAD^1")
    (tmp_path / "commits.txt").write_text(f"{merge} parent=2\n")
    iso = f"""
name: iso
repo:
  url: {repo.path}
  pairs:
    - {{human: {merge}, pre_parent_index: 1}}
efficiency_test: ["python -c 'import benchmarks.wl as w; w.run()'"]
tests: ["python -m unittest discover -s tests -q"]
optimization_contract: {{target_files: [lib/core.py]}}
"""
    (tmp_path / "iso.yaml").write_text(iso)
    code, out, err = invoke(tmp_path / "s1", "plan", str(tmp_path / "iso.yaml"), "--json")
    assert code == 0, err
    assert [(i["head_commit"], i["base_commit"]) for i in json.loads(out)] == [(merge, first)]
    (tmp_path / "iso2.yaml").write_text(
        iso.replace(f"  pairs:\n    - {{human: {merge}, pre_parent_index: 1}}\n", "  commits_file: commits.txt\n")
    )
    code, out, err = invoke(tmp_path / "s2", "plan", str(tmp_path / "iso2.yaml"), "--json")
    assert code == 0, err
    assert [(i["head_commit"], i["base_commit"]) for i in json.loads(out)] == [(merge, side)]
    (tmp_path / "iso3.yaml").write_text(iso.replace("pre_parent_index: 1", "pre_parent_index: 0"))
    code, _, err = invoke(tmp_path / "s3", "plan", str(tmp_path / "iso3.yaml"))
    assert code == 2 and "pre_parent_index: expected 1 (first parent)" in err
