"""`isobench export` as a user sees it: the dataset in three formats, its card, predictions, the report.

The state directory is fabricated here (same files and fields as a real plan -> run -> score run, trimmed),
so these tests need no agent, no sandbox and no timing.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from isobench.cli import app
from isobench.records import Attempt, Environment, Estimate, Instance, MeasurementSummary, TestRun, VariantScore
from isobench.score.judge import with_outcome
from isobench.state import State, write_model
from tests import factories

FAKE_KEY = "sk-ant-FAKE-123456789"
FAKE_HF = "hf_FAKEFAKEFAKE0123456789"

SLOW_TO_FAST = """diff --git a/lib/core.py b/lib/core.py
index 311fa44..94694f8 100644
--- a/lib/core.py
+++ b/lib/core.py
@@ -1,6 +1,8 @@
 def dedupe(items):
+    seen = set()
     out = []
     for x in items:
-        if x not in out:
+        if x not in seen:
+            seen.add(x)
             out.append(x)
     return out
"""
SABOTAGE = """diff --git a/lib/core.py b/lib/core.py
index 311fa44..a2ba801 100644
--- a/lib/core.py
+++ b/lib/core.py
@@ -1,6 +1,2 @@
 def dedupe(items):
-    out = []
-    for x in items:
-        if x not in out:
-            out.append(x)
-    return out
+    return None
"""
TEST_PATCH = """diff --git a/tests/test_core.py b/tests/test_core.py
--- a/tests/test_core.py
+++ b/tests/test_core.py
@@ -5,3 +5,8 @@ from lib.core import dedupe
+class T2(unittest.TestCase):
+    def test_empty(self):
+        self.assertEqual(dedupe([]), [])
"""
ENV = {
    "cpu": "AMD EPYC",
    "cores": 2,
    "platform": "Linux-6.1-x86_64",
    "python": "3.12.1",
    "isobench_version": "0.1.0",
    "openhands_version": "1.58.2",
    "sandbox": "bwrap",
}
BENCH_YAML = """\
paths:
  reports_root: ./reports
agents:
  openhands:
    llm_configs:
      - {name: claude, provider: anthropic, model: claude-sonnet-4-20250514}
      - {name: noop, provider: scripted}
      - {name: saboteur, provider: scripted}
score:
  match_threshold: 0.95
"""

# (provider, attempt) -> what the agent did and how it scored, on instance A
ATTEMPTS_A = {
    ("claude", 1): {
        "patch": SLOW_TO_FAST,
        "status": "success",
        "cost": 0.42,
        "correct": True,
        "speedup": 290.0,
        "rho": 0.98,
        "strict": True,
        "gso": True,
    },
    ("claude", 2): {
        "patch": SLOW_TO_FAST,
        "status": "success",
        "cost": 0.51,
        "correct": True,
        "speedup": 250.0,
        "rho": 0.85,
        "strict": False,
        "gso": False,
    },
    ("noop", 1): {
        "patch": "",
        "status": "success",
        "cost": 0.0,
        "correct": True,
        "speedup": 1.01,
        "rho": 0.0034,
        "strict": False,
        "gso": False,
    },
    ("saboteur", 1): {
        "patch": SABOTAGE,
        "status": "success",
        "cost": 0.0,
        "correct": False,
        "speedup": 1600.0,
        "rho": 5.5,
        "strict": False,
        "gso": False,
    },
}


def _instance(iid: str, head: str, order: int) -> Instance:
    return factories.instance(
        iid,
        head_commit=head,
        base_commit="1aea847cf421a7a64da29b1f775aad1b9eb1c573",
        task_file="tasks/tiny.yaml",
        created_at="2026-11-25T13:23:02+00:00",
        patch=SLOW_TO_FAST,
        test_patch=TEST_PATCH,
        changed_files=["lib/core.py", "tests/test_core.py"],
        test_files=["tests/test_core.py"],
        lines_changed=9,
        test_functions=["test_empty"],
        efficiency_test=["python -c 'import benchmarks.wl as w; w.run()'"],
        workload_callable="benchmarks.wl:run",
        gt_commit_message="Speed up dedupe with a set (#7)",
        plan_order=order,
        fingerprint="29e3c8ebdca69910",
    )


def _attempt(state: State, iid: str, provider: str, n: int, patch: str, status: str, cost: float) -> Attempt:
    d = state.attempt_dir(iid, provider, n)
    d.mkdir(parents=True)
    (d / "model_patch.diff").write_text(patch)
    (d / "test_edits.diff").write_text("")
    rec = factories.attempt(
        iid,
        provider,
        n,
        status=status,
        model="anthropic/claude-sonnet-4-20250514" if provider == "claude" else "openai/scripted",
        wall_s=24.261 + n,
        prompt_tokens=43087,
        completion_tokens=453,
        cost_usd=cost,
        openhands_version="1.58.2",
        error=None if status == "success" else "wall-time limit of 600 s reached",
        finish_message="done",
        changed_files=["lib/core.py"] if patch else [],
        patch_empty=not patch,
    )
    return write_model(d / "result.json", rec)


RUN_ID = "1d374e76bc6044b69f1696506ec6eac3"


def _samples(path: Path, means: dict[str, float], rounds: int = 12) -> None:
    run_id = RUN_ID
    lines = [
        {
            "type": "header",
            "reference": "base",
            "timing_mode": "in_process_callable",
            "run_id": run_id,
            "variants": [{"name": n} for n in means],
        }
    ]
    for r in range(-1, rounds):
        for pos, (name, mean) in enumerate(means.items()):
            v = mean * (1 + 0.01 * ((r * 7 + pos) % 5))
            lines.append(
                {
                    "type": "sample",
                    "phase": "warmup" if r < 0 else "timed",
                    "variant": name,
                    "round": r,
                    "position_in_round": pos,
                    "value_s": v,
                    "values_s": [v, v, v],
                    "ok": True,
                    "error": None,
                    "run_id": run_id,
                }
            )
    lines.append({"type": "end", "stop_reason": "converged", "rounds": rounds, "failed": {}, "run_id": run_id})
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))


def _row(
    kind: str, provider: str | None, attempt: int | None, correct: bool, empty: bool, speedup: float | None
) -> VariantScore:
    measured: dict[str, Any] = {}
    if speedup is not None:
        measured = {
            "speedup": speedup,
            "speedup_ci": [speedup * 0.9, speedup * 1.1],
            "p_faster": 1e-9,
            "classification": "faster" if speedup * 0.9 > 1.05 else "inconclusive",
            "halfwidth_log": 0.1,
        }
    return factories.row(
        kind,
        provider=provider,
        attempt=attempt,
        correct=correct,
        patch_empty=empty,
        run_id=RUN_ID,
        tests=[
            TestRun(command="python -m unittest discover -s tests -q", passed=correct, exit_code=0 if correct else 1)
        ],
        **measured,
    )


def make_state(root: Path) -> State:
    """Two planned instances: A scored (valid, 4 attempts over 3 providers), B run but never scored; every
    record a real typed record, every outcome decided by `outcome.decide` as score does."""
    state = State(root)
    a, b = "tinyrepo-aaaaaaaaaa", "tinyrepo-bbbbbbbbbb"
    write_model(state.instance_path(a), _instance(a, "a" * 40, 0))
    write_model(state.instance_path(b), _instance(b, "b" * 40, 1))
    attempts = {
        key: _attempt(state, a, key[0], key[1], spec["patch"], spec["status"], spec["cost"])
        for key, spec in ATTEMPTS_A.items()
    }
    _attempt(state, b, "claude", 1, SLOW_TO_FAST, "timeout", 1.25)

    human_speedup = 295.0
    variants = {
        "base": _row("base", None, None, True, True, None),
        "human": _row("human", None, None, True, False, human_speedup),
    }
    means = {"base": 0.07, "human": 0.07 / human_speedup}
    for (provider, n), spec in ATTEMPTS_A.items():
        name = f"{provider}#{n}"
        measured = _row("agent", provider, n, spec["correct"], not spec["patch"], spec["speedup"]).model_copy(
            update={
                "rho": spec["rho"],
                "rho_ci": [spec["rho"] * 0.95, spec["rho"] * 1.05],
                "matches_human_strict": spec["strict"],
                "matches_human_gso": spec["gso"],
                "beats_human": False,
                "match_label": "confident_pass" if spec["strict"] else "confident_fail",
            }
        )
        variants[name] = with_outcome(measured, attempts[(provider, n)], human_speedup, 0.95)
        means[name] = 0.07 / spec["speedup"]
    sdir = state.score_dir(a)
    sdir.mkdir(parents=True)
    _samples(sdir / "samples.jsonl", {**means, "base_aa": 0.07})
    write_model(
        sdir / "score.json",
        factories.score(
            a,
            variants,
            environment=Environment(**ENV),
            measurement=MeasurementSummary(
                run_id=RUN_ID,
                reference="base",
                variants=list(means),
                rounds=12,
                timing_mode="in_process_callable",
                stop_reason="target_reached",
                wall_s=10.0,
                floor_s=9.9,
                warmup_s=1.0,
                efficiency=0.99,
                failed={},
                pinned_core=1,
                halfwidths={},
                config={},
            ),
            timing_mode="in_process_callable",
            timed="workload_callable benchmarks.wl:run",
            samples_file="samples.jsonl",
            noise_floor=0.02,
            decision_margin=0.05,
            noisy=False,
            aa=Estimate(speedup=0.98, speedup_ci=[0.96, 1.02], classification="no_difference", halfwidth_log=0.03),
        ),
    )
    return state


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder: bench.yaml and a fabricated state; a fake key in the environment; Hub offline."""
    (tmp_path / "bench.yaml").write_text(BENCH_YAML)
    make_state(tmp_path / "state")
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("ISOBENCH_STATE_DIR", raising=False)
    return tmp_path


def invoke(bench: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(
        app, ["--config", str(bench / "bench.yaml"), "--state-dir", str(bench / "state"), "export", *args], env=env
    )


@pytest.fixture
def exported(bench: Path) -> Path:
    r = invoke(bench, "--out", str(bench / "out"))
    assert r.exit_code == 0, r.output
    assert "exported 7 rows (2 human, 5 llm) from 2 instance(s), 3 provider(s)" in r.stdout
    return bench / "out"


def _close(x: Any, y: Any) -> bool:
    """Equal, floats to 1e-12 relative (jsonl carries 15 decimals)."""
    if isinstance(x, float) and isinstance(y, float):
        return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-15)
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_close(x[k], y[k]) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_close(a, b) for a, b in zip(x, y, strict=True))
    return bool(x == y)


# --------------------------------------------------------------------------------------------------


def test_the_dataset_reloads_the_same_from_disk_parquet_and_jsonl(exported: Path) -> None:
    import datasets as hf

    from isobench.export import features

    disk = hf.load_from_disk(str(exported / "dataset"))
    parquet = hf.load_dataset("parquet", data_files=str(exported / "data.parquet"), split="train")
    jsonl = hf.load_dataset("json", data_files=str(exported / "data.jsonl"), split="train", features=features())
    assert disk.features == parquet.features == jsonl.features == features()
    rows = disk.to_list()
    assert parquet.to_list() == rows  # exact
    for ds in (parquet, jsonl):
        assert len(ds) == len(rows) == 7
        assert ds["instance_id"] == disk["instance_id"]
        assert _close(ds["speedup"], disk["speedup"])
        assert _close(ds["rho"], disk["rho"])
    # Every value of the jsonl, read as plain JSON, is the row (pyarrow's reader re-types ISO dates).
    lines = [json.loads(x) for x in (exported / "data.jsonl").read_text().splitlines()]
    assert all(_close(line, row) for line, row in zip(lines, rows, strict=True))


def test_one_human_row_per_instance_one_llm_row_per_attempt_with_every_column(exported: Path) -> None:
    import datasets as hf

    from isobench.export import features

    rows = hf.load_from_disk(str(exported / "dataset")).to_list()
    human = [r for r in rows if r["record_type"] == "human"]
    llm = [r for r in rows if r["record_type"] == "llm"]
    assert [r["instance_id"] for r in human] == ["tinyrepo-aaaaaaaaaa", "tinyrepo-bbbbbbbbbb"]
    assert sorted((r["instance_id"][-1], r["llm_metadata"]["provider"], r["attempt"]) for r in llm) == [
        ("a", "claude", 1),
        ("a", "claude", 2),
        ("a", "noop", 1),
        ("a", "saboteur", 1),
        ("b", "claude", 1),
    ]
    required = {
        "repo",
        "instance_id",
        "created_at",
        "base_commit",
        "head_commit",
        "patch",
        "test_patch",
        "efficiency_test",
        "duration_changes",
        "human_performance",
        "patch_functions",
        "test_functions",
        "api",
        "gt_commit_message",
        "setup_commands",
        "install_commands",
        "notes",
        "record_type",
        "llm_metadata",
        "speedup",
        "speedup_ci",
        "correct",
        "rho",
        "rho_ci",
        "matches_human",
        "matches_human_gso",
        "status",
        "valid_instance",
        "timing_mode",
        "environment",
        "tokens",
    }
    assert required <= set(features())
    for r in rows:
        assert set(r) == set(features())
    # The seed's LLMMetadata, on llm rows only.
    assert all(r["llm_metadata"] is None and r["tokens"] is None for r in human)
    seed_meta = {
        "provider",
        "model",
        "iterations",
        "cost_usd",
        "time_seconds",
        "success",
        "human_reference_commit",
        "agent_branch",
    }
    assert all(set(r["llm_metadata"]) == seed_meta for r in llm)

    a_human = human[0]
    assert a_human["speedup"] == a_human["human_performance"] == 295.0 and a_human["correct"] is True
    assert a_human["valid_instance"] is True and a_human["status"] == "scored"
    assert a_human["environment"]["cpu"] == "AMD EPYC" and a_human["timing_mode"] == "in_process_callable"
    dc = a_human["duration_changes"]
    assert len(dc) == 1 and len(dc[0]["base"]) == 12 and len(dc[0]["human"]) == 12 and dc[0]["llm"] is None

    by = {(r["llm_metadata"]["provider"], r["attempt"], r["instance_id"][-1]): r for r in llm}
    good = by[("claude", 1, "a")]
    assert good["patch"] == SLOW_TO_FAST and good["patch_functions"] == ["dedupe"]
    assert good["speedup"] == 290.0 and good["speedup_ci"] == pytest.approx([261.0, 319.0])
    assert good["human_performance"] == 295.0 and good["correct"] and good["matches_human"]
    assert good["llm_metadata"]["cost_usd"] == 0.42 and good["llm_metadata"]["success"] is True
    assert good["llm_metadata"]["human_reference_commit"] == "a" * 40
    assert good["tokens"] == {"prompt": 43087, "completion": 453}
    assert len(good["duration_changes"][0]["llm"]) == 12
    assert by[("claude", 2, "a")]["matches_human"] is False
    # An empty patch solves nothing, whatever the tests say; a saboteur's speed does not make it a match.
    assert by[("noop", 1, "a")]["correct"] is False and by[("noop", 1, "a")]["patch_empty"] is True
    assert by[("noop", 1, "a")]["match_label"] == "empty_patch"  # the label score gave, not "incorrect"
    assert by[("saboteur", 1, "a")]["match_label"] == "incorrect"
    sab = by[("saboteur", 1, "a")]
    assert sab["correct"] is False and sab["speedup"] == 1600.0 and sab["effective_speedup"] == 1.0
    assert sab["matches_human"] is False and sab["matches_human_gso"] is False
    # Instance B was run, never scored: its rows are there, with nothing measured.
    unscored = by[("claude", 1, "b")]
    assert unscored["status"] == "timeout" and unscored["llm_metadata"]["success"] is False
    assert unscored["speedup"] is None and unscored["correct"] is None and unscored["duration_changes"] == []
    assert human[1]["status"] == "not_scored" and human[1]["valid_instance"] is None


def test_predictions_are_swe_bench_style_one_file_per_provider_and_attempt(exported: Path) -> None:
    pred = exported / "predictions"
    assert sorted(str(p.relative_to(pred)) for p in pred.rglob("*.jsonl")) == [
        "attempt-2/claude.jsonl",
        "claude.jsonl",
        "noop.jsonl",
        "saboteur.jsonl",
    ]
    for f in pred.rglob("*.jsonl"):
        lines = [json.loads(x) for x in f.read_text().splitlines()]
        assert lines and all(set(x) == {"instance_id", "model_name_or_path", "model_patch"} for x in lines)
        ids = [x["instance_id"] for x in lines]
        assert len(ids) == len(set(ids)), "SWE-bench needs one prediction per instance per file"
    claude = [json.loads(x) for x in (pred / "claude.jsonl").read_text().splitlines()]
    assert [x["instance_id"] for x in claude] == ["tinyrepo-aaaaaaaaaa", "tinyrepo-bbbbbbbbbb"]
    assert claude[0]["model_name_or_path"] == "claude/anthropic/claude-sonnet-4-20250514"
    assert claude[0]["model_patch"] == SLOW_TO_FAST
    assert json.loads((pred / "noop.jsonl").read_text())["model_patch"] == ""


def test_the_dataset_card_documents_every_column(exported: Path) -> None:
    import yaml

    from isobench.export import features

    card = (exported / "README.md").read_text()
    assert card.startswith("---\n")
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["configs"][0]["data_files"][0]["path"] == "data.parquet"
    assert [f["name"] for f in front["dataset_info"]["features"]] == list(features())
    body = card.split("---\n", 2)[2]
    for col in features():
        assert f"| `{col}` |" in body, col
    for nested in ("llm_metadata.agent_branch", "tokens.prompt"):
        assert nested in body


def test_no_key_or_token_from_the_environment_is_exported(bench: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_HF)
    r = invoke(bench, "--out", str(bench / "out"))
    assert r.exit_code == 0, r.output
    files = [p for p in (bench / "out").rglob("*") if p.is_file()]
    assert len(files) > 10
    for p in files:
        data = p.read_bytes()
        assert FAKE_KEY.encode() not in data and FAKE_HF.encode() not in data, p


def test_a_key_inside_an_agent_patch_stops_the_export_before_anything_is_written(bench: Path) -> None:
    state = State(bench / "state")
    leaky = SLOW_TO_FAST.replace("seen = set()", f'key = "{FAKE_KEY}"')
    (state.attempt_dir("tinyrepo-aaaaaaaaaa", "claude", 2) / "model_patch.diff").write_text(leaky)
    r = invoke(bench, "--out", str(bench / "out"))
    assert r.exit_code == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1 and "$ANTHROPIC_API_KEY" in err and "'patch'" in err
    assert "claude#2" in err and FAKE_KEY not in err
    assert not (bench / "out").exists()


def test_the_written_files_are_scanned_too(bench: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Defence in depth: a credential that reaches a file by another way (here: the report) is caught."""
    import isobench.report as report

    real = report.write_report

    def leaky(*args: Any, **kwargs: Any) -> dict[str, Any]:
        res = real(*args, **kwargs)
        Path(res["html"]).write_text(Path(res["html"]).read_text() + f"<!-- {FAKE_KEY} -->")
        return res

    monkeypatch.setattr(report, "write_report", leaky)
    r = invoke(bench, "--out", str(bench / "out"))
    assert r.exit_code == 2 and "report/index.html ($ANTHROPIC_API_KEY)" in r.stderr
    assert not (bench / "out" / "report" / "index.html").exists()


def test_push_to_hub_without_a_token_is_refused_before_anything_is_written(
    bench: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    r = invoke(bench, "--out", str(bench / "out"), "--push-to-hub", "someone/isobench-results")
    assert r.exit_code == 2
    assert r.stderr == "isobench: error: --push-to-hub needs a Hugging Face token in HF_TOKEN\n"
    assert not (bench / "out").exists()


def test_a_failed_push_is_one_line_without_the_token_and_the_local_export_stays(
    bench: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", FAKE_HF)  # offline (the fixture): the push itself cannot succeed
    r = invoke(bench, "--out", str(bench / "out"), "--push-to-hub", "someone/isobench-results")
    assert r.exit_code == 2
    err = r.stderr.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith("isobench: error: --push-to-hub someone/isobench-results:")
    assert FAKE_HF not in r.output and "local export" in err
    assert (bench / "out" / "data.parquet").is_file()
    assert all(FAKE_HF.encode() not in p.read_bytes() for p in (bench / "out").rglob("*") if p.is_file())


def test_formats_default_out_and_bad_input(bench: Path) -> None:
    r = invoke(bench, "--format", "parquet", "--json")
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    out = bench / "reports" / "export"  # bench.yaml paths.reports_root / export
    assert res["out"] == str(out) and res["formats"] == ["parquet"] and res["rows"] == 7
    assert (out / "data.parquet").is_file() and not (out / "data.jsonl").exists()
    assert not (out / "dataset").exists() and (out / "report" / "index.html").is_file()
    assert res["correlation"] is False

    r = invoke(bench, "--format", "xml")
    assert r.exit_code == 2
    assert r.stderr.strip() == "isobench: error: --format: 'xml' is not one of disk, parquet, jsonl"

    empty = bench / "empty-state"
    r = CliRunner().invoke(app, ["--config", str(bench / "bench.yaml"), "--state-dir", str(empty), "export"])
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1 and "no planned instances" in r.stderr


def test_correlate_output_is_used_when_present(bench: Path) -> None:
    import datasets as hf

    from isobench.config import load_bench
    from isobench.correlate import compute

    state = State(bench / "state")
    corr = compute(load_bench(bench / "bench.yaml"), state)
    claude1 = next(a for a in corr.instances[0].llm_attempts["claude"] if a.attempt == 1)
    claude1.agent_branch, claude1.agent_commit = "isobench/claude/tinyrepo-aaaaaaaaaa/1", "c" * 40
    write_model(state.correlate_path, corr)
    r = invoke(bench, "--out", str(bench / "out"), "--format", "disk")
    assert r.exit_code == 0, r.output
    rows = hf.load_from_disk(str(bench / "out" / "dataset")).to_list()
    branches = {
        (r["llm_metadata"]["provider"], r["attempt"], r["instance_id"]): r["llm_metadata"]["agent_branch"]
        for r in rows
        if r["record_type"] == "llm"
    }
    assert branches[("claude", 1, "tinyrepo-aaaaaaaaaa")] == "isobench/claude/tinyrepo-aaaaaaaaaa/1"
    assert branches[("claude", 2, "tinyrepo-aaaaaaaaaa")] is None
    html = (bench / "out" / "report" / "index.html").read_text()
    assert "Agreement between providers" in html


# --------------------------------------------------------------------------------------------------
# The report in a real browser


def _chromium() -> str:
    """Debian's chromium, installed on demand where that is possible; else the test is skipped, saying why."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return str(shutil.which(name))
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(
            "chromium is not installed and cannot be installed here (not root, or no apt-get); "
            "run `scripts/setup --dev`"
        )
    proc = subprocess.run(
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium",
        shell=True,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if proc.returncode != 0 or not shutil.which("chromium"):
        pytest.skip(f"chromium is not installable: apt-get exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return str(shutil.which("chromium"))


def test_the_report_renders_in_a_headless_browser(bench: Path, tmp_path: Path) -> None:
    browser = _chromium()
    r = CliRunner().invoke(
        app, ["--config", str(bench / "bench.yaml"), "--state-dir", str(bench / "state"), "correlate", "--json"]
    )
    assert r.exit_code == 0, r.output  # the whole page: with correlate's per-provider tables and plots
    r = invoke(bench, "--out", str(bench / "out"))
    assert r.exit_code == 0, r.output
    exported = bench / "out"
    index = exported / "report" / "index.html"
    html = index.read_text()
    assert "https://" not in html and "http://" not in html, "the report must not load anything from outside"
    for name in ("speedup_scatter", "opt_rate", "cost_success"):
        assert (exported / "report" / f"{name}.png").stat().st_size > 5000
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ]
    shot = tmp_path / "report.png"
    proc = subprocess.run(
        [browser, *flags, f"--screenshot={shot}", "--window-size=1200,2000", index.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    dom = subprocess.run(
        [browser, *flags, "--dump-dom", index.as_uri()], capture_output=True, text=True, timeout=120
    ).stdout
    for name in ("speedup_scatter", "opt_rate", "cost_success"):
        assert f'<img id="plot-{name}"' in dom and 'src="data:image/png;base64,' in dom
    for provider in ("claude", "noop", "saboteur"):
        assert provider in dom
    assert "tinyrepo-aaaaaaaaaa" in dom and "tinyrepo-bbbbbbbbbb" in dom
    assert "Speed and cost" in dom and "Agreement between providers" in dom and "Design metrics" in dom
    keep = os.environ.get("ISOBENCH_KEEP_SCREENSHOT")  # to look at the report by eye
    if keep:
        shutil.copy(shot, keep)
