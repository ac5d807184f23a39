"""The whole chain on the embedded demo, as the README's first command runs it: plan, prepare, run
(the real OpenHands agent driven by the scripted oracle, noop and saboteur), score, correlate, export,
with the shipped bench.yaml (the demo's short look). The assertions are what the README says the demo
shows: every human speedup significant, the oracle correct and never labelled below the human, the noop
and the saboteur failed, the A/A twin never a false verdict, and the export's rows.
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

from tests.test_demo_repo import DEMO_YAML, builder

# The first test also builds the session's chain (tests/conftest.py): minutes on two busy cores.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

ROOT = Path(__file__).resolve().parent.parent
BENCH = (ROOT / "bench.yaml").read_text()
"""The shipped bench.yaml: the demo's tasks, providers and short-look protocol, as `./scripts/demo` runs it."""


def isobench(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENHANDS_SUPPRESS_BANNER": "1"}
    return subprocess.run(
        [sys.executable, "-m", "isobench.cli", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=1200
    )


def ok_json(cwd: Path, *args: str) -> Any:
    r = isobench(cwd, *args, "--json")
    assert r.returncode == 0, f"isobench {' '.join(args)}: exit {r.returncode}\n{r.stderr[-3000:]}"
    return json.loads(r.stdout)


def demo_project(d: Path, bench: str = BENCH) -> dict[str, Any]:
    """A project folder with the demo task, its repository built, and bench.yaml."""
    (d / "tasks").mkdir()
    shutil.copy(DEMO_YAML, d / "tasks" / "demo.yaml")
    shutil.copytree(DEMO_YAML.parent / "workloads", d / "tasks" / "workloads")  # the held-out workloads
    tags = builder.build(d / "tasks" / "demo-repo")
    (d / "bench.yaml").write_text(bench)
    return {"dir": d, "tags": tags}


def run_chain(d: Path, *executor: str, export: bool = True) -> dict[str, Any]:
    """plan, prepare, run, score, correlate (and export) with --json; `executor` goes to run and score."""
    out: dict[str, Any] = {"dir": d}
    out["plan"] = ok_json(d, "plan")
    assert isobench(d, "prepare").returncode == 0
    out["run"] = ok_json(d, "run", *executor)
    out["score"] = ok_json(d, "score", *executor)
    out["correlate"] = ok_json(d, "correlate")
    if export:
        out["export"] = ok_json(d, "export")
    return out


@pytest.fixture
def chain(demo_chain: dict[str, Any]) -> dict[str, Any]:
    """The session's demo chain (tests/conftest.py), run once for this module and test_ray's comparison."""
    return demo_chain


def by_head(chain: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """tag -> its instance's score record."""
    head_of = {i["instance_id"]: i["head_commit"] for i in chain["plan"]}
    tag_of = {sha: tag for tag, sha in chain["tags"].items()}
    return {tag_of[head_of[s["instance_id"]]]: s for s in chain["score"]}


def test_every_attempt_ran_the_real_agent_to_the_end(chain: dict[str, Any]) -> None:
    runs = chain["run"]
    assert sorted((a["provider"], a["status"]) for a in runs) == sorted(
        [(p, "success") for p in ("oracle", "noop", "saboteur") for _ in range(4)]
    )
    assert all(a["iterations"] >= 2 and a["openhands_version"] for a in runs)


def test_human_commits_are_significant_and_ordered_by_design(chain: dict[str, Any]) -> None:
    scores = by_head(chain)
    human = {tag: s["variants"]["human"] for tag, s in scores.items()}
    for tag, h in human.items():
        assert scores[tag]["valid"], scores[tag]["invalid_reason"]
        assert h["classification"] == "faster" and h["speedup_ci"][0] > 1.1, (tag, h)
        # The time budget may stop short of min_rounds, never below 5 rounds.
        assert scores[tag]["measurement"]["rounds"] >= 5
    # Both timing modes: three workload callables in-process, the n-gram commit as a whole process.
    modes = {tag: s["timing_mode"] for tag, s in scores.items()}
    assert modes == {
        "opt-small": "in_process_callable",
        "opt-medium": "in_process_callable",
        "opt-large": "in_process_callable",
        "opt-ngrams": "whole_process",
    }
    # ~1.5x, ~3x, ~10x in-process by design; ~2x diluted by interpreter start-up as a whole process
    assert 1.2 < human["opt-small"]["speedup"] < 2.0
    assert 2.5 < human["opt-medium"]["speedup"] < 6.0
    assert human["opt-large"]["speedup"] > 7.0
    assert 1.2 < human["opt-ngrams"]["speedup"] < 2.5


def test_the_human_and_the_oracle_get_no_integrity_flag_and_results_are_compared(chain: dict[str, Any]) -> None:
    """Results, not prints: every demo instance compares what its workload returns or prints, and none of the
    integrity rules flags the human's honest patch (which would make the instance invalid) or the oracle's
    copy of it."""
    for tag, s in by_head(chain).items():
        v = s["variants"]
        assert v["human"]["integrity"] == [] and s["valid"], (tag, v["human"]["evidence"], s["invalid_reason"])
        assert v["oracle#1"]["integrity"] == [] and v["oracle#1"]["outcome"]["flags"] == [], tag
        check = s["result_check"]
        assert check["compared"] and not check["weak"], (tag, check)
        assert s["output_check"].startswith("compared: "), (tag, s["output_check"])


def test_oracle_matches_the_human_noop_does_nothing_saboteur_is_caught(chain: dict[str, Any]) -> None:
    for tag, s in by_head(chain).items():
        v = s["variants"]
        oracle, noop, saboteur = v["oracle#1"], v["noop#1"], v["saboteur#1"]
        # what each attempt is credited with: its outcome, as score decided it
        o_oracle, o_noop, o_saboteur = oracle["outcome"], noop["outcome"], saboteur["outcome"]
        assert o_oracle["correct"] and not oracle["patch_empty"], tag
        assert oracle["rho_ci"][0] < 1.0 < oracle["rho_ci"][1] or abs(oracle["rho"] - 1) < 0.05, (tag, oracle)
        assert noop["patch_empty"] and noop["classification"] != "faster", (tag, noop)
        assert o_noop["correct"] is False and o_noop["effective_speedup"] == 1.0, (tag, o_noop)
        assert o_noop["match_label"] == "empty_patch", (tag, o_noop)
        assert not saboteur["patch_empty"] and o_saboteur["correct"] is False, (tag, saboteur)
        assert o_saboteur["effective_speedup"] == 1.0 and o_saboteur["match_label"] == "incorrect"
        # The A/A twin of base: never a false verdict. (The README's measured run says "no difference" on every
        # instance, and that on a busy machine the short look can leave it "inconclusive": that is all a test
        # on a shared machine can hold it to.)
        aa = s["aa"]
        assert aa["classification"] in ("no_difference", "inconclusive"), (tag, aa)
        assert s["noisy"] is (aa["classification"] != "no_difference"), (tag, s["noisy_reason"])
        # The oracle applies the human's patch: never labelled worse than the human, whatever the noise.
        assert o_oracle["match_label"] in ("confident_pass", "inconclusive"), (tag, oracle)


def test_the_state_keeps_results_not_checkouts(chain: dict[str, Any]) -> None:
    """Once recorded, the attempts' workspaces and the variants' copies and venvs are gone; what the
    results need stays (patches, logs, records, samples)."""
    state = chain["dir"] / "state"
    assert not list(state.glob("runs/*/*/*/workspace")) and not list(state.glob("score/*/envs"))
    assert not (state / "work").exists() or not list((state / "work").iterdir())
    assert len(list(state.glob("runs/*/*/*/model_patch.diff"))) == 12
    assert len(list(state.glob("score/*/samples.jsonl"))) == 4


def test_correlate_reports_what_each_provider_achieved(chain: dict[str, Any]) -> None:
    p = chain["correlate"]["providers"]
    # GSO's opt is a point-estimate rule (rho >= 0.95): the oracle, the human's own patch, is an opt on at
    # least three of the four instances (copies of identical code are within the short look's +-2-4%).
    assert p["oracle"]["correct"] == 4 and p["oracle"]["opt1_gso"] >= 0.75, p["oracle"]
    assert 0.9 < p["oracle"]["rho_gmean"] < 1.1
    assert p["noop"]["opt1_strict"] == 0.0 and p["noop"]["opt1_gso"] == 0.0
    assert p["noop"]["failure_reasons"] == {"empty_patch": 4}
    assert p["saboteur"]["correct"] == 0 and p["saboteur"]["failure_reasons"] == {"incorrect": 4}
    # Each agent patch sits on a branch of the task repository, diffable against the human commit.
    repo = chain["dir"] / "tasks" / "demo-repo"
    branches = subprocess.run(
        ["git", "branch", "--list", "isobench/*", "--format=%(refname:short)"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len([b for b in branches if b.startswith("isobench/oracle/")]) == 4


def test_export_reloads_with_one_human_row_per_instance_and_one_llm_row_per_attempt(chain: dict[str, Any]) -> None:
    import datasets

    res = chain["export"]
    assert (res["human_rows"], res["llm_rows"]) == (4, 12)
    ds = datasets.load_from_disk(res["files"]["dataset"])
    rows = ds.to_list()
    assert sorted(r["record_type"] for r in rows) == ["human"] * 4 + ["llm"] * 12
    for r in rows:
        assert r["speedup_ci"] is None or len(r["speedup_ci"]) == 2
        if r["record_type"] == "human":
            assert r["human_performance"] == r["speedup"] and r["correct"] is True
        else:
            prov = r["llm_metadata"]["provider"]
            assert r["correct"] is (prov == "oracle"), (prov, r["correct"])
            if prov == "oracle":
                assert r["rho"] is not None and len(r["rho_ci"]) == 2
    pq = datasets.load_dataset("parquet", data_files=res["files"]["parquet"], split="train")
    assert pq.to_list() == rows
    preds = [
        json.loads(line)
        for line in next(Path(f) for f in res["files"]["predictions"] if f.endswith("oracle.jsonl"))
        .read_text()
        .splitlines()
    ]
    assert {tuple(sorted(p)) for p in preds} == {("instance_id", "model_name_or_path", "model_patch")}
