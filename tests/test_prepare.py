"""`isobench prepare`: a snapshot per instance from which the human commit cannot be reached; a prompt and an
agent configuration per instance x provider."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from isobench.cli import app
from tests.conftest import TaskRepo

BENCH = """
setting: {setting}
agents:
  openhands:
    llm_configs:
      - {{name: oracle, provider: scripted}}
      - {{name: claude, provider: anthropic, model: claude-sonnet-4-20250514}}
"""


def setup_state(tmp_path: Path, task_repo: TaskRepo, setting: str = "oracle") -> tuple[Path, Path]:
    bench = tmp_path / "bench.yaml"
    bench.write_text(BENCH.format(setting=setting))
    task = task_repo.task_yaml(tmp_path / "tiny.yaml")
    state = tmp_path / "state"
    r = CliRunner().invoke(app, ["--config", str(bench), "--state-dir", str(state), "plan", str(task)])
    assert r.exit_code == 0, r.output
    return bench, state


def prepare(bench: Path, state: Path, *args: str) -> list[dict]:
    r = CliRunner().invoke(app, ["--config", str(bench), "--state-dir", str(state), "prepare", "--json", *args])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def sh(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True)


def test_the_human_commit_cannot_be_reached_from_a_workspace_of_the_snapshot(
    tmp_path: Path, task_repo: TaskRepo
) -> None:
    from isobench.gitutil import clone_snapshot

    bench, state = setup_state(tmp_path, task_repo)
    units = prepare(bench, state)
    assert {(u["provider"], u["action"]) for u in units} == {("oracle", "new"), ("claude", "new")}
    for u in units:
        wt = tmp_path / f"workspace-{u['provider']}"  # what `run` gives each attempt: a clone of the snapshot
        clone_snapshot(Path(u["snapshot"]), wt)
        # The working tree is the base commit's tree, exactly.
        assert (wt / "lib" / "core.py").read_text() == sh(
            task_repo.path, "git", "show", f"{task_repo.base}:lib/core.py"
        ).stdout
        assert sh(wt, "git", "status", "--porcelain").stdout == ""
        # Neither the human head, nor any later commit, nor its objects exist in this repository.
        for sha in (task_repo.head, task_repo.later, task_repo.base):
            assert sh(wt, "git", "cat-file", "-e", sha).returncode != 0
            assert sh(wt, "git", "show", sha).returncode != 0
        head_blob = sh(task_repo.path, "git", "rev-parse", f"{task_repo.head}:lib/core.py").stdout.strip()
        assert sh(wt, "git", "cat-file", "-e", head_blob).returncode != 0
        assert sh(wt, "git", "rev-list", "--all").stdout.count("\n") == 1
        assert sh(wt, "git", "tag").stdout == "" and sh(wt, "git", "remote").stdout == ""
        assert sh(wt, "git", "reflog", "--all").stdout == ""
        assert "Speed up" not in sh(wt, "git", "log", "--all", "--format=%B").stdout
        # Every object in the store belongs to the base snapshot (no stray packed objects).
        objs = sh(wt, "git", "cat-file", "--batch-all-objects", "--batch-check=%(objectname)").stdout.split()
        reachable = sh(wt, "git", "rev-list", "--objects", "--all").stdout.split()
        assert set(objs) <= set(reachable)
        # And nothing under .git names the human commit.
        for root, _, files in os.walk(wt / ".git"):
            for f in files:
                assert task_repo.head.encode() not in (Path(root) / f).read_bytes()


def test_the_prompt_names_workload_and_targets_but_not_the_human_solution(tmp_path: Path, task_repo: TaskRepo) -> None:
    bench, state = setup_state(tmp_path, task_repo)
    [u, _] = prepare(bench, state)
    prompt = Path(u["prompt_file"]).read_text()
    assert "lib/core.py" in prompt and "python -m unittest discover -s tests -q" in prompt
    assert "benchmarks.wl" in prompt
    for leak in (task_repo.head, task_repo.head[:7], "Speed up dedupe", "SECRET-HUMAN-MESSAGE", "seen = set()"):
        assert leak not in prompt


def test_the_realistic_setting_gives_no_file_hints(tmp_path: Path, task_repo: TaskRepo) -> None:
    bench, state = setup_state(tmp_path, task_repo, setting="realistic")
    [u, _] = prepare(bench, state)
    prompt = Path(u["prompt_file"]).read_text()
    assert "lib/core.py" not in prompt and "find the bottleneck yourself" in prompt
    inst = json.loads(next((state / "plan").iterdir()).joinpath("instance.json").read_text())
    assert inst["setting"] == "realistic"


def test_the_agent_config_names_the_key_variable_never_the_key(
    tmp_path: Path, task_repo: TaskRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-SECRET-42")
    bench, state = setup_state(tmp_path, task_repo)
    units = prepare(bench, state)
    claude = Path(next(u for u in units if u["provider"] == "claude")["prompt_file"]).parent
    conf = json.loads((claude / "prepared.json").read_text())["agent_config"]
    assert conf["llm"]["api_key_env"] == "ANTHROPIC_API_KEY"
    assert conf["llm"]["model"] == "anthropic/claude-sonnet-4-20250514"
    assert conf["agent"]["max_iterations"] == 30
    for root, _, files in os.walk(state):
        for f in files:
            assert b"sk-ant-SECRET-42" not in (Path(root) / f).read_bytes()


def test_prepare_again_does_nothing_new_force_redoes_and_a_damaged_unit_is_redone(
    tmp_path: Path, task_repo: TaskRepo
) -> None:
    bench, state = setup_state(tmp_path, task_repo)
    prepare(bench, state)
    assert {u["action"] for u in prepare(bench, state)} == {"unchanged"}
    assert {u["action"] for u in prepare(bench, state, "--force")} == {"redone"}
    units = prepare(bench, state, "--providers", "oracle")
    assert [u["provider"] for u in units] == ["oracle"]
    Path(units[0]["prompt_file"]).unlink()  # a crash or a user left it half-done
    assert prepare(bench, state, "--providers", "oracle")[0]["action"] == "redone"


def test_prepare_before_plan_and_unknown_names_are_refused(tmp_path: Path, task_repo: TaskRepo) -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["--state-dir", str(tmp_path / "empty"), "prepare"])
    assert r.exit_code == 2 and "no planned instances; run `isobench plan` first" in r.stderr
    bench, state = setup_state(tmp_path, task_repo)
    r = runner.invoke(app, ["--config", str(bench), "--state-dir", str(state), "prepare", "-p", "ghost"])
    assert r.exit_code == 2 and "no provider named 'ghost'" in r.stderr
    r = runner.invoke(app, ["--config", str(bench), "--state-dir", str(state), "prepare", "-i", "nope"])
    assert r.exit_code == 2 and "--instances: 'nope' matches no planned instance" in r.stderr


def test_a_redo_killed_before_its_record_leaves_the_old_unit_whole_and_a_cut_swap_is_finished(
    tmp_path: Path, task_repo: TaskRepo
) -> None:
    """A redo writes beside the unit and swaps it in at the end (README: A redo replaces its unit whole)."""
    bench, state = setup_state(tmp_path, task_repo)
    [unit] = [u for u in prepare(bench, state) if u["provider"] == "oracle"]
    d = Path(unit["prompt_file"]).parent
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    # A `prepare --force` killed after writing its new prompt, before its record: the staging folder it left.
    staged = d.with_name(f".{d.name}.new")
    staged.mkdir()
    (staged / "prompt.md").write_text("half of a new prompt")
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before  # readers see the old unit, whole
    [again] = [u for u in prepare(bench, state) if u["provider"] == "oracle"]
    assert again["action"] == "unchanged" and not staged.exists()
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    # Killed between the two renames of its swap: the old unit aside, the new one committed beside it.
    old = d.with_name(f".{d.name}.old")
    os.rename(d, old)
    staged.mkdir()
    for name, data in before.items():
        (staged / name).write_bytes(data)
    [again] = [u for u in prepare(bench, state) if u["provider"] == "oracle"]
    assert again["action"] == "unchanged" and d.is_dir() and not staged.exists() and not old.exists()
