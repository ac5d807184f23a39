"""`isobench validate`'s admission rules and its record, on real typed score records (tests/factories.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from isobench.config import BenchConfig
from isobench.outcome import decide
from isobench.records import ResultCheck, TestRun, Validation, ValidationTimes, VariantScore
from isobench.state import State, read_model, write_model
from isobench.validate import ORACLE_ROW, admission, build_record, record_key, validation_config
from tests import factories

IID = "tinyrepo-aaaaaaaaaa"
PASS = [TestRun(command="pytest -q tests", passed=True, exit_code=0, seconds=1.5)]
FAIL = [TestRun(command="pytest -q tests", passed=False, exit_code=1, seconds=1.0)]


def oracle_row(**kw: Any) -> VariantScore:
    """The oracle's score row with its outcome decided as score decides it."""
    data: dict[str, Any] = {
        "provider": "oracle",
        "attempt": 1,
        "tests": PASS,
        "speedup": 1.8,
        "speedup_ci": [1.6, 2.0],
        "classification": "faster",
        "rho": 1.0,
        "rho_ci": [0.97, 1.03],
        "match_label": "confident_pass",
    }
    data.update(kw)
    r = factories.row("agent", **data)
    r.outcome = decide(factories.attempt(IID, "oracle"), r, 1.8, 0.95)
    return r


def scored(**kw: Any) -> Any:
    """A scored instance: base, human and oracle as a sound instance has them; `kw` changes a part."""
    variants = {
        "base": factories.row("base", tests=kw.pop("base_tests", PASS)),
        "human": factories.row(
            "human", tests=kw.pop("human_tests", PASS), speedup=1.8, speedup_ci=[1.6, 2.0], classification="faster"
        ),
        ORACLE_ROW: kw.pop("oracle", oracle_row()),
    }
    check = ResultCheck(compared=["d", "<stdout>"], size=4000)
    return factories.score(IID, variants, result_check=kw.pop("result_check", check), **kw)


def rules(sc: Any) -> list[str]:
    return [r.rule for r in admission(sc)]


def test_a_sound_instance_is_admitted() -> None:
    assert admission(scored()) == []


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (
            {"valid": False, "invalid_reason": "human speedup 1.04x [0.98, 1.10]; admission needs ..."},
            "human_not_faster",
        ),
        ({"base_tests": FAIL}, "tests_fail"),
        ({"human_tests": FAIL}, "tests_fail"),
        ({"base_tests": []}, "tests_fail"),
        ({"oracle": oracle_row(correct=False)}, "oracle_mismatch"),
        ({"oracle": oracle_row(rho=0.6, rho_ci=[0.5, 0.7], match_label="confident_fail")}, "oracle_mismatch"),
        (
            {"result_check": ResultCheck(compared=["n"], size=4, weak=True, weak_reason="4 characters")},
            "weak_result_check",
        ),
    ],
)
def test_each_rule_keeps_the_instance_out_and_says_why(change: dict[str, Any], rule: str) -> None:
    reasons = admission(scored(**change))
    assert [r.rule for r in reasons] == [rule]
    assert reasons[0].detail


def test_an_instance_without_the_oracle_row_or_not_scored_is_out() -> None:
    sc = scored()
    del sc.variants[ORACLE_ROW]
    assert rules(sc) == ["oracle_mismatch"]
    assert rules(scored(status="human_tests_failed", valid=False, invalid_reason="no test passes")) == ["not_scored"]


def test_an_inconclusive_oracle_is_admitted_a_confident_fail_is_not() -> None:
    """Noise may leave the copy of the human's patch inconclusive against the human; only rho's whole CI
    below the threshold says it does not match."""
    assert rules(scored(oracle=oracle_row(rho=0.93, rho_ci=[0.85, 1.02], match_label="inconclusive"))) == []


def test_several_reasons_are_all_listed() -> None:
    sc = scored(valid=False, invalid_reason="not faster", base_tests=FAIL, oracle=oracle_row(correct=False))
    assert rules(sc) == ["tests_fail", "human_not_faster", "oracle_mismatch"]


def test_the_record_carries_the_numbers_and_round_trips(tmp_path: Path) -> None:
    cfg = validation_config(BenchConfig(), time_budget_s=7)
    assert [p.name for p in cfg.providers] == ["oracle"] and cfg.score.time_budget_s == 7
    assert cfg.providers[0].max_iterations == 500  # the oracle replays a patch of hundreds of files
    inst = factories.instance(IID, fingerprint="abc")
    state = State(tmp_path / "state")
    rec = build_record(cfg, inst, scored(valid=False, invalid_reason="not faster"), state, "k", ValidationTimes())
    assert not rec.admitted and rec.rejections[0].rule == "human_not_faster"
    assert rec.human_speedup == 1.8 and rec.human_speedup_ci == [1.6, 2.0]
    assert rec.oracle_correct is True and rec.oracle_match_label == "confident_pass"
    assert rec.time_budget_s == 7 and rec.subject == "Speed up dedupe"
    path = tmp_path / "validation.json"
    write_model(path, rec)
    assert read_model(path, Validation) == rec


def test_the_key_changes_with_the_instance_and_the_score_settings() -> None:
    cfg = BenchConfig()
    a, b = factories.instance(IID, fingerprint="one"), factories.instance(IID, fingerprint="two")
    assert record_key(a, cfg) != record_key(b, cfg)
    assert record_key(a, cfg) != record_key(a, validation_config(cfg, time_budget_s=99))
    assert record_key(a, cfg) == record_key(a, validation_config(cfg))


def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    def validate(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "isobench.cli", "--state-dir", str(tmp_path / "state"), "validate", *args]
        return subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)

    for args, words in [
        (("--repo-root", str(tmp_path)), "--repo-root goes with --suite"),
        ((str(tmp_path / "missing.yaml"),), "missing.yaml"),
        (("--suite", "nope"), "not a suite isobench ships"),
    ]:
        r = validate(*args)
        assert r.returncode == 2 and words in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "state" / "validate").exists()


def test_an_oracle_attempt_from_an_earlier_preparation_is_run_again(tmp_path: Path) -> None:
    """A workload edited after a validation re-prepares the instance: the old attempt must not block the redo."""
    from isobench.records import PreparedUnit
    from isobench.validate import _stale

    state = State(tmp_path / "state")
    unit = PreparedUnit(
        instance_id=IID,
        provider="oracle",
        agent_config={},
        snapshot_commit="s",
        base_commit="b",
        setting="oracle",
        fingerprint="new",
        prepared_at="2026-12-06T13:00:00+00:00",
    )
    write_model(state.prepared_dir(IID, "oracle") / "prepared.json", unit)
    assert not _stale(state, IID)  # no attempt yet
    path = state.attempt_dir(IID, "oracle", 1) / "result.json"
    write_model(path, factories.attempt(IID, "oracle", prepared_fingerprint="new"))
    assert not _stale(state, IID)
    write_model(path, factories.attempt(IID, "oracle", prepared_fingerprint="old"))
    assert _stale(state, IID)


def test_a_failing_tests_output_tail_is_in_the_record(tmp_path: Path) -> None:
    """The reason a test command failed on base is in the record (from the variant's build), not only `passed`."""
    from isobench.records import TestRun, VariantBuild

    cfg = validation_config(BenchConfig())
    inst = factories.instance(IID, fingerprint="abc")
    state = State(tmp_path / "state")
    failing = TestRun(command="pytest -q", passed=False, exit_code=1, seconds=2.5, output_tail="E   assert 3 == 4")
    build = VariantBuild(
        status="built", variant="base", kind="base", fingerprint="f", patch_empty=True, build="ok", tests=[failing]
    )
    write_model(state.score_dir(IID) / "variants" / "base.json", build)
    rec = build_record(cfg, inst, scored(base_tests=FAIL), state, "k", ValidationTimes())
    assert rec.rejections[0].rule == "tests_fail"
    assert rec.tests_base[0].output_tail == "E   assert 3 == 4" and rec.tests_base[0].seconds == 2.5


def test_the_instance_key_is_the_same_wherever_it_is_planned_and_changes_with_a_workload(tmp_path: Path) -> None:
    """A suite's committed record names its instance by `instance_key`: the same on every machine (clone and
    task folder left out, the workloads by content), another when a workload, a test command or the commit
    changes."""
    from isobench.validate import instance_key

    def at(folder: Path, clone: str, text: str = "print(1)\n", **kw: Any) -> Any:
        w = folder / "workloads" / "w.py"
        w.parent.mkdir(parents=True, exist_ok=True)
        w.write_text(text)
        fields = {"efficiency_test": [f"python {w}"], "workload_files": [str(w)], "workload_digest": str(folder)}
        return factories.instance(IID, task_file=str(folder / "t.yaml"), repo_path=clone, **{**fields, **kw})

    here = instance_key(at(tmp_path / "work" / "suite", "/home/me/state/repos/t.git"))
    assert here == instance_key(at(tmp_path / "site-packages" / "isobench" / "suites", "/tmp/s/repos/t.git"))
    assert here != instance_key(at(tmp_path / "other", "/x", text="print(2)\n"))  # the workload's content changed
    assert here != instance_key(at(tmp_path / "third", "/x", tests=["pytest -q tests/other.py"]))
