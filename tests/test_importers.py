"""`isobench plan --from FILE`: rows of GSO, SWE-fficiency, SWE-Perf and FormulaCode (tests/data/, written in
each set's own schema about the demo repository's real optimization commits) planned as instances, offline
from local clones; a row that cannot be planned reported and counted; a bad file refused with one line.
The last test runs a GSO row and a SWE-fficiency row through prepare, run (the oracle) and score."""

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
from typer.testing import CliRunner

from isobench import demo_repo
from isobench.cli import app
from isobench.importers.gso import adapt_commands, find_python

DATA = Path(__file__).resolve().parent / "data"
INSTALL = json.loads((DATA / "gso.jsonl").read_text().splitlines()[0])["install_commands"][2]


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout.strip()


def rows(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines()]


@pytest.fixture(scope="module")
def clones(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A --repo-root folder: the demo repository as `textkit/` (the rows name `isobench/textkit`)."""
    root = tmp_path_factory.mktemp("clones")
    demo_repo.build(root / "textkit")
    return root


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No git transport but local files (a clone from GitHub fails), and no bench.yaml of this checkout."""
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    monkeypatch.chdir(tmp_path)


def invoke(state: Path, *args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(app, ["--state-dir", str(state), "plan", *args])
    return r.exit_code, r.stdout, r.stderr


def plan_json(state: Path, *args: str) -> list[dict[str, Any]]:
    code, out, err = invoke(state, "--json", *args)
    assert code == 0, err
    return json.loads(out)


def record(state: Path, instance_id: str) -> dict[str, Any]:
    return json.loads((state / "plan" / instance_id / "instance.json").read_text())


def sha(repo: Path, rev: str) -> str:
    return git(repo, "rev-parse", f"{rev}^{{commit}}")


def command_file(command: str) -> Path:
    """The script a `python SCRIPT ...` command runs."""
    return Path(command.split()[1])


@pytest.mark.usefixtures("offline")
def test_gso_rows_become_instances_with_the_shown_script_the_held_out_scripts_and_the_uv_recipe(
    clones: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    planned = plan_json(state, "--from", str(DATA / "gso.jsonl"), "--repo-root", str(clones))
    data = rows("gso.jsonl")
    assert [p["instance_id"] for p in planned] == [f"gso-{r['instance_id']}" for r in data]
    repo = clones / "textkit"
    for row in data:
        inst = record(state, f"gso-{row['instance_id']}")
        assert inst["repo"] == "isobench/textkit" and inst["repo_path"] == str(repo)
        assert inst["base_commit"] == sha(repo, row["base_commit"]) and inst["head_commit"] == sha(
            repo, row["opt_commit"]
        )
        assert inst["api"] == row["api"]
        # The shown workload is the row's prob_script, run as GSO runs it; the agent sees that file.
        [shown] = inst["efficiency_test"]
        assert command_file(shown).read_text() == row["prob_script"] and shown.endswith(" /dev/null")
        assert inst["workload_files"] == [str(command_file(shown))]
        # The hidden scripts are the held-out workload: their files are not among what the agent sees.
        assert [command_file(c).read_text() for c in inst["heldout_efficiency_test"]] == row["tests"]
        for path in inst["heldout_efficiency_test"]:
            assert not any(str(command_file(path)).startswith(w) for w in inst["workload_files"])
        [test] = inst["tests"]
        assert "--reference" in test and "--eqcheck" in test and str(command_file(shown)) in test
        assert f"{row['instance_id']}" in inst["notes"] and "gso.jsonl row" in inst["notes"]
        assert f"container.image: slimshetty/gso:gso.eval.x86_64.{row['instance_id'].lower()}" in inst["notes"]
        # `uv venv --python 3.12` is the variants' interpreter, when this machine has one.
        if inst["python"]:
            version = subprocess.run(
                [inst["python"], "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True
            )
            assert version.stdout.strip() == "(3, 12)"
        else:
            assert "Python 3.12, which is not on this machine" in inst["notes"]
    first, second = (record(state, f"gso-{r['instance_id']}") for r in data)
    assert first["install_commands"] == [INSTALL, "pip list"]
    assert second["install_commands"] == [
        "export TEXTKIT_BUILD=release && which python && python --version",
        f"export TEXTKIT_BUILD=release && {INSTALL}",
        "export TEXTKIT_BUILD=release && pip show pip",
    ]
    assert second["setup_commands"] == []
    assert "not run (its image provides them): apt-get update; apt-get install -y locales" in second["notes"]


@pytest.mark.parametrize(
    ("recipe", "commands", "python"),
    [
        (
            ["uv venv --python 3.9", "source .venv/bin/activate", "uv pip install . --reinstall"],
            ["pip install . --reinstall"],
            "3.9",
        ),
        (["uv venv -p 3.11 && source .venv/bin/activate && uv pip install -e ."], ["pip install -e ."], "3.11"),
        (
            ["git clean -xfd", "uv venv --python=3.10", ". .venv/bin/activate", "python -m pip list"],
            ["python -m pip list"],
            "3.10",
        ),
        (
            ["uv venv", "export CFLAGS=-O3", "uv pip install .", "deactivate"],
            ["export CFLAGS=-O3 && pip install ."],
            None,
        ),
    ],
)
def test_uv_venv_recipes_become_commands_run_in_the_variants_own_venv(
    recipe: list[str], commands: list[str], python: str | None
) -> None:
    out, version, notes = adapt_commands(recipe)
    assert (out, version, notes) == (commands, python, [])


def test_an_interpreter_this_machine_lacks_is_not_found() -> None:
    assert find_python("3.99") is None
    assert find_python(f"{sys.version_info.major}.{sys.version_info.minor}") == sys.executable


@pytest.mark.usefixtures("offline")
def test_swefficiency_rows_get_a_human_commit_made_from_their_patch_in_isobench_own_clone(
    clones: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    planned = plan_json(state, "--from", str(DATA / "swefficiency.jsonl"), "--repo-root", str(clones))
    repo = clones / "textkit"
    for row, tag in zip(rows("swefficiency.jsonl"), ("opt-large", "opt-small"), strict=True):
        inst = record(state, f"swefficiency-{row['instance_id']}")
        own = state / "repos" / "textkit.git"
        assert inst["repo_path"] == str(own)
        # The commit applies the row's patch to its base: the human's tree, a commit of its own.
        head = inst["head_commit"]
        assert git(own, "rev-parse", f"{head}^") == inst["base_commit"] == sha(repo, row["base_commit"])
        assert git(own, "rev-parse", f"{head}^{{tree}}") == git(repo, "rev-parse", f"{tag}^{{tree}}")
        assert head != sha(repo, tag)
        assert subprocess.run(["git", "cat-file", "-e", head], cwd=repo).returncode != 0  # the user's clone untouched
        [workload] = inst["efficiency_test"]
        assert command_file(workload).read_text() == row["workload"]
        assert inst["tests"] == [f"python -m unittest -q {t}" for t in row["covering_tests"]]
        assert inst["install_commands"] == [row["rebuild_cmd"]]
        assert f"container.image: {row['image_name']}" in inst["notes"]
        assert inst["target_files"] == [f"textkit/{'stopwords' if tag == 'opt-large' else 'slug'}.py"]
    # The same rows make the same commits: planning again changes nothing.
    again = plan_json(state, "--from", str(DATA / "swefficiency.jsonl"), "--repo-root", str(clones))
    assert [p["action"] for p in again] == ["unchanged"] * len(planned)


@pytest.mark.usefixtures("offline")
def test_the_parquet_rows_plan_as_the_same_rows_in_json_lines_do(clones: Path, tmp_path: Path) -> None:
    from_parquet = plan_json(tmp_path / "a", "--from", str(DATA / "swefficiency.parquet"), "--repo-root", str(clones))
    from_jsonl = plan_json(tmp_path / "b", "--from", str(DATA / "swefficiency.jsonl"), "--repo-root", str(clones))
    keys = ("instance_id", "base_commit", "head_commit", "target_files", "lines_changed")
    assert [[p[k] for k in keys] for p in from_parquet] == [[p[k] for k in keys] for p in from_jsonl]
    assert len(from_parquet) == 2


@pytest.mark.usefixtures("offline")
def test_sweperf_rows_time_their_pytest_node_ids_as_one_process_and_test_them_again(
    clones: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    plan_json(state, "--from", str(DATA / "sweperf.jsonl"), "--repo-root", str(clones))
    repo = clones / "textkit"
    for row in rows("sweperf.jsonl"):
        inst = record(state, f"sweperf-{row['instance_id']}")
        assert inst["base_commit"] == sha(repo, row["base_commit"]) and inst["head_commit"] == sha(
            repo, row["head_commit"]
        )
        assert inst["repo_path"] == str(repo)
        [workload] = inst["efficiency_test"]
        assert workload.startswith("python -m pytest ") and all(node in workload for node in row["efficiency_test"])
        assert inst["workload_timing"] == "whole_process" and inst["tests"] == [workload]
        assert f"gain on these tests as {row['human_performance']:g}" in inst["notes"]


@pytest.mark.usefixtures("offline")
def test_formulacode_rows_are_planned_with_their_asv_suite_as_the_workload(clones: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    code, out, err = invoke(state, "--from", str(DATA / "formulacode.jsonl"), "--repo-root", str(clones))
    assert code == 0, err
    [row] = rows("formulacode.jsonl")
    inst = record(state, f"formulacode-{row['task_id']}")
    assert inst["head_commit"] == sha(clones / "textkit", row["pr_merge_commit_sha"])
    assert inst["efficiency_test"] == [] and inst["workload_callable"] is None
    # The suite found at the base commit (textkit's asv.conf.json and benchmarks/bench_textkit.py) is the workload.
    suite = inst["asv"]
    assert suite["config"] == "asv.conf.json" and suite["benchmark_dir"] == "benchmarks"
    assert "bench_textkit.time_tokenize" in [b["name"] for b in suite["benchmarks"]]
    assert "asv suite" in inst["notes"] and row["container_name"] in inst["notes"]
    assert "asv: " in out and "(none: see its notes)" not in out


@pytest.mark.usefixtures("offline")
def test_repo_root_takes_an_owner_plus_name_clone_and_nothing_is_cloned(clones: Path, tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    root.mkdir()
    shutil.copytree(clones / "textkit", root / "isobench+textkit", symlinks=True)
    state = tmp_path / "state"
    plan_json(state, "--from", str(DATA / "sweperf.jsonl"), "--repo-root", str(root))
    assert record(state, "sweperf-isobench__textkit-17")["repo_path"] == str(root / "isobench+textkit")
    assert not (state / "repos").exists()
    # Without --repo-root the row's repository is cloned from GitHub: here, offline, every row says why not.
    code, _, err = invoke(tmp_path / "s2", "--from", str(DATA / "sweperf.jsonl"))
    assert code == 1
    assert "row 1 (isobench__textkit-17): " in err and "cannot clone https://github.com/isobench/textkit.git" in err


@pytest.mark.usefixtures("offline")
def test_a_row_that_cannot_be_planned_is_reported_and_the_others_are_planned(clones: Path, tmp_path: Path) -> None:
    good, bad = rows("gso.jsonl")
    bad["opt_commit"] = "0123456789abcdef0123456789abcdef01234567"
    missing = {**good, "instance_id": "other__lib-1", "repo": "other/lib"}
    file = tmp_path / "mixed.jsonl"
    file.write_text("".join(json.dumps(r) + "\n" for r in (good, bad, missing)))
    state = tmp_path / "state"
    code, out, err = invoke(state, "--from", str(file), "--repo-root", str(clones))
    assert code == 1
    lines = err.strip().splitlines()
    assert f"{file}: row 2 ({bad['instance_id']}): " in err and "unknown commit '0123456789abcdef" in err
    assert f"{file}: row 3 (other__lib-1): no clone of other/lib under --repo-root {clones}" in err
    assert lines[-1] == "isobench: 2 of 3 row(s) not planned"
    assert [p.name for p in (state / "plan").iterdir()] == [f"gso-{good['instance_id']}"]
    assert f"gso-{good['instance_id']}" in out


@pytest.mark.usefixtures("offline")
def test_limit_plans_the_first_rows_only(clones: Path, tmp_path: Path) -> None:
    planned = plan_json(tmp_path / "s", "--from", str(DATA / "gso.jsonl"), "--repo-root", str(clones), "--limit", "1")
    assert [p["instance_id"] for p in planned] == [f"gso-{rows('gso.jsonl')[0]['instance_id']}"]


def _without(name: str, column: str) -> str:
    return "".join(json.dumps({k: v for k, v in r.items() if k != column}) + "\n" for r in rows(name))


@pytest.mark.parametrize(
    ("file", "content", "extra", "expected"),
    [
        ("rows.csv", "repo,base_commit\n", [], "unknown format: expected a .parquet or a .jsonl file"),
        ("rows.jsonl", "", [], "no rows"),
        ("rows.jsonl", '{"repo": "a/b"}\nnot json\n', [], "line 2: not valid JSON"),
        ("rows.jsonl", '{"repo": "a/b", "base_commit": "x"}\n', [], "not a row format isobench knows"),
        ("rows.jsonl", _without("gso.jsonl", "base_commit"), [], "column base_commit is missing: a GSO"),
        ("rows.jsonl", _without("swefficiency.jsonl", "test_cmd"), [], "column test_cmd is missing: a SWE-fficiency"),
        ("rows.jsonl", _without("gso.jsonl", "opt_commit"), ["--set", "gso"], "column opt_commit is missing"),
        ("rows.parquet", "PAR1 but not really", [], "not a readable parquet file"),
    ],
)
def test_a_bad_file_gives_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, file: str, content: str, extra: list[str], expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / file
    path.write_text(content)
    state = tmp_path / "state"
    code, out, err = invoke(state, "--from", str(path), "--repo-root", str(tmp_path), *extra)
    assert code == 2 and out == ""
    [line] = err.strip().splitlines()
    assert line.startswith(f"isobench: error: {path}: ") and expected in line
    assert not (state / "plan").exists() and not (state / "imports").exists()


def test_unknown_set_names_and_options_without_from_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke(tmp_path / "s", "--from", str(DATA / "gso.jsonl"), "--set", "swebench")
    assert code == 2 and "--set: unknown set 'swebench'; known: gso, swefficiency, sweperf, formulacode" in err
    code, _, err = invoke(tmp_path / "s", "--repo-root", str(tmp_path))
    assert code == 2 and "--set, --repo-root and --limit go with --from FILE" in err
    assert not (tmp_path / "s" / "plan").exists() and not (tmp_path / "s" / "imports").exists()


BENCH = {
    "agents": {"openhands": {"llm_configs": [{"name": "oracle", "provider": "scripted"}]}},
    "llm_benchmarking": {"providers": ["oracle"]},
    # Five rounds of one call each: the stopword commit is ~10x, far beyond what five rounds can miss.
    "score": {"time_budget_s": 3, "heldout_time_budget_s": 3, "min_rounds": 5, "max_rounds": 5, "values": 1},
}


def isobench(cwd: Path, *args: str, exits: tuple[int, ...] = (0,)) -> Any:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}
    r = subprocess.run(
        [sys.executable, "-m", "isobench.cli", *args, "--json"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert r.returncode in exits, f"isobench {' '.join(args)}: exit {r.returncode}\n{r.stderr[-3000:]}"
    return json.loads(r.stdout)


@pytest.mark.slow
def test_a_row_of_each_set_is_planned_scored_and_exported(clones: Path, tmp_path: Path) -> None:
    """The demo's real optimization commits written as a row of each set (tests/data/): planned from the rows,
    prepared, run by the oracle (it replays the human change), scored and exported. GSO's and SWE-fficiency's
    rows (the ~10x stopword commit) must score like the human commit they name; SWE-Perf's times its pytest
    node ids as one whole process; FormulaCode's is timed on the demo's asv suite."""
    (tmp_path / "bench.yaml").write_text(yaml.safe_dump(BENCH))
    first = {name: rows(f"{name}.jsonl")[0] for name in ("gso", "swefficiency", "sweperf", "formulacode")}
    for name, row in first.items():
        (tmp_path / f"{name}.jsonl").write_text(json.dumps(row) + "\n")
        isobench(tmp_path, "plan", "--from", f"{name}.jsonl", "--repo-root", str(clones))
    isobench(tmp_path, "prepare")
    attempts = isobench(tmp_path, "run")
    assert sorted(a["status"] for a in attempts) == ["success"] * 4
    scores = {s["instance_id"].split("-")[0]: s for s in isobench(tmp_path, "score", exits=(0, 1))}
    assert set(scores) == set(first) and all(s["status"] == "scored" for s in scores.values())
    for name in ("gso", "swefficiency"):
        s = scores[name]
        assert s["valid"], s.get("invalid_reason")
        human, oracle = s["variants"]["human"], s["variants"]["oracle#1"]
        assert human["correct"] and human["classification"] == "faster", human
        assert oracle["correct"] and oracle["classification"] == "faster", oracle
    # GSO's hidden scripts were timed apart, as a held-out workload the agent never saw.
    held = scores["gso"]["variants"]["human"]["heldout"]
    assert held["error"] is None and held["speedup"] > 1
    # SWE-Perf: its tests are the workload, one pytest process over the node ids, and they pass.
    perf = scores["sweperf"]
    assert perf["timing_mode"] == "whole_process" and "pytest" in perf["timed"]
    assert perf["variants"]["human"]["correct"] and perf["variants"]["oracle#1"]["correct"]
    # FormulaCode: the demo's asv suite was screened at the base and its benchmarks timed one by one.
    asv = scores["formulacode"]["asv"]
    assert asv is not None and len(asv["benchmarks"]) >= 5, asv
    assert scores["formulacode"]["variants"]["human"]["correct"]
    exported = isobench(tmp_path, "export")
    assert (exported["human_rows"], exported["llm_rows"]) == (4, 4)
