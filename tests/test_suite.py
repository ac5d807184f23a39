"""The isobench-py suite as shipped: every task plans from local clones, its card and README table are what its
validation records say, it exports as a `datasets` dataset; and (slow) `isobench validate` on two of its
instances end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from isobench.config.files import load_yaml
from isobench.suites import suite_dir, suite_tasks, validation_dir
from isobench.suites.dataset import SuiteRow, card, costs, not_validated, records, suite_info, suite_table

ROOT = Path(__file__).resolve().parents[1]
MIRRORS = Path(os.environ.get("ISOBENCH_SUITE_REPOS", "/work/.mirror"))
"""Local clones of the suite's projects, as `<owner>+<name>/repo` (the fetch tool's mirrors) or `<name>`."""


def clones_or_skip() -> Path:
    """The folder of local clones; the test is skipped, naming what is missing, where a clone cannot be had."""
    info = suite_info("python")
    missing = []
    for project in info.projects.values():
        owner, name = project.repo.rstrip("/").split("/")[-2:]
        if not any((MIRRORS / c).is_dir() for c in (f"{owner}+{name}", name, f"{name}.git")):
            missing.append(f"{owner}/{name}")
    if missing:
        pytest.skip(
            f"no local clone of {', '.join(missing)} under {MIRRORS} (set ISOBENCH_SUITE_REPOS to a folder of clones)"
        )
    return MIRRORS


def isobench(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "isobench.cli", *args], cwd=cwd, capture_output=True, text=True)


def suite_commits() -> dict[str, str]:
    """instance id -> task name, from the task files as shipped."""
    from isobench.plan import repo_name

    out = {}
    for path in suite_tasks("python"):
        data = load_yaml(path)
        for c in data["commits"]:
            out[f"{repo_name(data['repo'])}-{c['head'][:10]}"] = data["name"]  # ids are named after the repository
    return out


def test_every_suite_task_plans_from_local_clones(tmp_path: Path) -> None:
    repos = clones_or_skip()
    r = isobench(
        "--state-dir",
        str(tmp_path / "state"),
        "plan",
        "--suite",
        "python",
        "--repo-root",
        str(repos),
        "--json",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    planned = {p["instance_id"]: p for p in json.loads(r.stdout)}
    left = {x.split("note: ")[1].split(":")[0] for x in r.stderr.splitlines() if "left out of the python suite" in x}
    admitted = {v.instance_id for v in records("python") if v.admitted}
    # every commit resolves; the admitted ones are planned (all of them while no record exists), the rest named
    assert set(planned) | left == set(suite_commits()) and not set(planned) & left
    assert set(planned) == (admitted if records("python") else set(suite_commits()))
    assert "keeps no result" not in r.stderr  # every workload keeps what it computes
    assert "another version" not in r.stderr  # every committed record is of the task files and workloads as shipped
    from isobench.plan import repo_name

    urls = {d["name"]: d["repo"] for d in map(load_yaml, suite_tasks("python"))}
    for iid, p in planned.items():
        inst = json.loads((tmp_path / "state" / "plan" / iid / "instance.json").read_text())
        assert inst["repo"] == repo_name(urls[p["task"]])  # the same ids as the network route (the URL's name)
        assert inst["patch"] and inst["target_files"] and inst["install_commands"]
        assert inst["heldout_efficiency_test"] and inst["heldout_efficiency_test"] != inst["efficiency_test"]
        assert all(str(suite_dir("python")) in f for f in inst["workload_files"] + inst["heldout_workload_files"])
    # the task files name public clone URLs and pinned versions, never a local path
    for path in suite_tasks("python"):
        data = load_yaml(path)
        assert data["repo"].startswith("https://github.com/")
        assert all("==" in cmd for cmd in data["install_commands"]), path


def test_a_suite_that_does_not_exist_or_a_missing_clone_is_one_line(tmp_path: Path) -> None:
    r = isobench("--state-dir", str(tmp_path / "state"), "plan", "--suite", "nope", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "known: python" in r.stderr
    (tmp_path / "empty").mkdir()
    r = isobench(
        "--state-dir",
        str(tmp_path / "state"),
        "plan",
        "--suite",
        "python",
        "--repo-root",
        str(tmp_path / "empty"),
        cwd=tmp_path,
    )
    assert r.returncode == 2 and "no clone of" in r.stderr and r.stderr.strip().count("\n") == 0
    assert not (tmp_path / "state" / "plan").exists()


def test_the_committed_records_card_and_readme_table_agree() -> None:
    """The card and the README's table are generated from the committed records (`isobench suite card
    --readme README.md`), never typed: each is exactly what the records give now."""
    recs = records("python")
    commits = suite_commits()
    assert recs, f"no validation records under {validation_dir('python')}"
    assert {r.instance_id for r in recs} <= set(commits)
    for r in recs:
        assert r.admitted == (not r.rejections)
        if r.admitted:
            assert r.oracle_correct and r.human_speedup_ci and r.human_speedup_ci[0] >= r.admission_min_speedup
    assert (suite_dir("python") / "CARD.md").read_text() == card("python", recs)
    readme = (ROOT / "README.md").read_text()
    assert suite_table(recs, not_validated("python", recs)) in readme and costs(recs) in readme


def test_the_card_documents_every_column_and_licence() -> None:
    text = card("python", records("python"))
    for name, field in SuiteRow.model_fields.items():
        assert f"| `{name}` |" in text and field.description, name
    for project in suite_info("python").projects.values():
        assert project.repo in text and project.license in text


def test_the_suite_exports_as_a_dataset(tmp_path: Path) -> None:
    import datasets

    repos = clones_or_skip()
    out = tmp_path / "out"
    r = isobench(
        "--state-dir",
        str(tmp_path / "state"),
        "suite",
        "export",
        "--out",
        str(out),
        "--repo-root",
        str(repos),
        "--json",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    ds = datasets.load_from_disk(str(out / "dataset"))
    assert ds.column_names == list(SuiteRow.model_fields)
    assert sorted(ds["instance_id"]) == sorted(suite_commits())
    row = ds[0]
    assert row["workload"].startswith('"""') and row["workload_why"] and row["license"]
    assert all("${TASK_DIR}" in c for c in row["workload_command"])
    by_id = {x.instance_id: x for x in records("python")}
    for rec in ds:
        v = by_id.get(rec["instance_id"])
        assert rec["admitted"] == bool(v and v.admitted)
    assert (out / "README.md").read_text() == card("python", records("python"))


@pytest.mark.slow
@pytest.mark.timeout(1500)  # about 5 min on an idle 2-core machine; 10 to 20 under a shared machine's load
def test_validate_two_suite_instances_end_to_end(tmp_path: Path) -> None:
    """`isobench validate` on two tomli instances: plan, the oracle through the real agent, score; one record each."""
    repos = clones_or_skip()
    (tmp_path / "bench.yaml").write_text(
        "score: {time_budget_s: 2, heldout_time_budget_s: 1, min_rounds: 5, max_rounds: 10}\n"
    )
    ids = ["tomli-7e7658c6c3", "tomli-620ad70f49"]
    args = ["validate", "--suite", "python", "--repo-root", str(repos), "-i", ",".join(ids), "--json"]
    r = isobench(*args, cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    out = {x["instance_id"]: x for x in json.loads(r.stdout)}
    assert set(out) == set(ids)
    for iid in ids:
        rec = json.loads((tmp_path / "state" / "validate" / iid / "validation.json").read_text())
        assert rec == out[iid]
        assert rec["oracle_correct"] is True  # the human's patch through the real agent is correct
        assert rec["tests_base"] and all(t["passed"] for t in rec["tests_human"])
        assert rec["human_speedup"] and rec["seconds"]["total_s"] > 0 and rec["result_check"]["compared"]
        assert rec["admitted"] == (not rec["rejections"])
    assert r.returncode == (0 if all(x["admitted"] for x in out.values()) else 1)
    again = isobench(*args, cwd=tmp_path)  # resumable: the records are kept, nothing is redone
    assert again.returncode == r.returncode
    kept = {x["instance_id"]: x["validated_at"] for x in json.loads(again.stdout)}
    assert kept == {i: out[i]["validated_at"] for i in ids}
