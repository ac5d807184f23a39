"""One definition of every result: the outcome rules and the metrics on small typed records, and a state
holding every outcome whose numbers agree in correlate --json, the export rows, the dataset card and the
report's tables."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from isobench.cli import app
from isobench.metrics import AttemptResult, gmean_ci, median_ci, opt_at_k, provider_metrics
from isobench.outcome import decide, unscored
from isobench.records import Outcome, VariantScore
from isobench.score.judge import with_outcome
from isobench.state import State, write_model
from tests import factories

P = 0.95


def measured(speedup: float, lo: float, hi: float, label: str, rho: tuple[float, float, float] | None = None) -> dict:
    out: dict[str, Any] = {
        "speedup": speedup,
        "speedup_ci": [lo, hi],
        "classification": label,
        "halfwidth_log": (math.log(hi) - math.log(lo)) / 2,
    }
    if rho is not None:
        r, rlo, rhi = rho
        out.update(
            rho=r,
            rho_ci=[rlo, rhi],
            matches_human_strict=rlo >= P,
            matches_human_gso=r >= P,
            beats_human=False,
            match_label="confident_pass" if rlo >= P else ("confident_fail" if rhi < P else "inconclusive"),
        )
    return out


# (provider, attempt) -> (attempt record overrides, score row overrides or None for "not scored"), on instance A.
CASES: dict[tuple[str, int], tuple[dict[str, Any], dict[str, Any] | None, str | None]] = {
    ("p1", 1): ({}, measured(2.0, 1.9, 2.1, "faster", (1.0, 0.97, 1.03)), None),  # opt, strict and GSO
    ("p1", 2): ({}, measured(1.02, 0.99, 1.05, "no_difference", (0.51, 0.49, 0.53)), "not_faster"),
    ("p1", 3): ({}, measured(1.3, 1.2, 1.4, "faster", (0.65, 0.6, 0.7)), "below_human"),
    ("p2", 1): ({}, {"correct": False, **measured(3.0, 2.8, 3.2, "faster", (1.5, 1.4, 1.6))}, "incorrect"),
    ("p2", 2): (
        {"patch_empty": True},
        {"patch_empty": True, **measured(1.0, 0.98, 1.02, "no_difference")},
        "empty_patch",
    ),
    ("p2", 3): ({}, {"build": "install_failed", "correct": False}, "install_failed"),
    ("p3", 1): ({}, {"build": "patch_failed", "correct": False}, "patch_failed"),
    ("p3", 2): ({"status": "timeout", "patch_empty": True}, {"patch_empty": True}, "timeout"),
    ("p3", 3): ({"status": "api_error", "patch_empty": True}, {"patch_empty": True}, "api_error"),
    ("p3", 4): ({}, None, "not_scored"),  # run after the last score
}


def decided(case: tuple[str, int], human: float = 2.0) -> tuple[VariantScore, Outcome]:
    """The score row of a case with its outcome set in it, and that outcome."""
    over_attempt, over_row, _ = CASES[case]
    rec = factories.attempt("t-a", case[0], case[1], **over_attempt)
    assert over_row is not None
    row = with_outcome(factories.row(provider=case[0], attempt=case[1], **over_row), rec, human, P)
    assert row.outcome is not None
    return row, row.outcome


# ---------------------------------------------------------------- the outcome rules


def test_a_correct_faster_attempt_that_matches_the_human_is_a_strict_and_gso_opt() -> None:
    _, r = decided(("p1", 1))
    assert (r.correct, r.valid_patch, r.faster, r.opt_strict, r.opt_gso) == (True, True, True, True, True)
    assert r.failure_reason is None and r.match_label == "confident_pass" and r.effective_speedup == 2.0
    assert r.effective_rho == 1.0


@pytest.mark.parametrize("case", [c for c in CASES if CASES[c][1] is not None and CASES[c][2] is not None])
def test_every_other_outcome_names_its_one_reason(case: tuple[str, int]) -> None:
    _, r = decided(case)
    assert r.failure_reason == CASES[case][2]
    assert not r.opt_strict
    if r.failure_reason not in ("not_faster", "below_human"):
        # Not correct (or not timed): it counts as no change, and rho as the human's inverse.
        assert r.effective_speedup == 1.0 and r.effective_rho == pytest.approx(0.5)
        assert not r.correct and not r.faster and not r.opt_gso and not r.beats_human


def test_an_empty_patch_is_never_correct_even_if_its_tests_pass() -> None:
    _, r = decided(("p2", 2))
    assert r.correct is False and r.valid_patch is False and r.match_label == "empty_patch"


def test_an_incorrect_patch_keeps_its_measured_speedup_but_counts_as_no_change() -> None:
    row, r = decided(("p2", 1))
    assert row.speedup == 3.0 and r.effective_speedup == 1.0 and r.match_label == "incorrect"
    assert r.matches_human is False and r.matches_human_gso is False


def test_gso_is_the_point_estimate_rule_and_strict_the_interval_rule() -> None:
    rec = factories.attempt("t-a", "p", 1)
    # speedup 1.25 >= 1.2 and rho 0.96 >= 0.95 by point estimate, but rho's CI reaches below 0.95
    row = factories.row(**measured(1.25, 1.1, 1.4, "faster", (0.96, 0.9, 1.02)))
    o = decide(rec, row, 1.3, P)
    assert o.opt_gso and not o.opt_strict and o.failure_reason == "below_human"
    # GSO's 1.2x floor on the speedup
    o = decide(rec, factories.row(**measured(1.15, 1.1, 1.2, "faster", (1.0, 0.98, 1.02))), 1.15, P)
    assert o.opt_strict and not o.opt_gso


def test_an_attempt_not_scored_gets_nothing_and_says_so() -> None:
    o = unscored(factories.attempt("t-a", "p", 1))
    assert (o.scored, o.correct, o.opt_strict, o.effective_speedup) == (False, False, False, 1.0)
    assert o.failure_reason == "not_scored"
    assert unscored(factories.attempt("t-a", "p", 1, status="timeout")).failure_reason == "timeout"


# ---------------------------------------------------------------- the metrics


def test_opt_at_k_is_the_unbiased_estimator() -> None:
    assert opt_at_k(5, 0, 1) == 0.0 and opt_at_k(5, 5, 3) == 1.0
    assert opt_at_k(5, 2, 1) == pytest.approx(0.4)
    assert opt_at_k(5, 2, 2) == pytest.approx(1 - math.comb(3, 2) / math.comb(5, 2))
    with pytest.raises(ValueError):
        opt_at_k(0, 0, 1)


def test_geometric_means_and_medians_over_instances_come_with_bootstrap_cis() -> None:
    g, ci = gmean_ci([1.0, 2.0, 4.0])
    assert g == pytest.approx(2.0) and ci is not None and ci[0] < 2.0 < ci[1]
    m, ci = median_ci([1.0, 2.0, 10.0])
    assert m == 2.0 and ci is not None and ci[0] <= 2.0 <= ci[1]
    assert gmean_ci([3.0, 3.0]) == (pytest.approx(3.0), [pytest.approx(3.0), pytest.approx(3.0)])
    assert gmean_ci([]) == (None, None)


def result(iid: str, n: int, row_case: tuple[str, int], human: float = 2.0) -> AttemptResult:
    row, _ = decided(row_case, human)
    o = decide(factories.attempt(iid, "p", n, **CASES[row_case][0]), row, human, P)
    return AttemptResult(iid, "p", n, "success", o, cost_usd=1.0, wall_s=10.0, iterations=3)


def test_provider_metrics_over_valid_instances_from_each_attempts_own_rho() -> None:
    results = [
        result("a", 1, ("p1", 1)),  # opt on a
        result("a", 2, ("p1", 3)),  # faster but below the human on a
        result("b", 1, ("p2", 1)),  # incorrect on b
        result("c", 1, ("p1", 1)),  # on an invalid instance: not a headline number
    ]
    m = provider_metrics(results, {"a": 2.0, "b": 2.0, "c": 1.0}, valid={"a", "b"})
    assert m["attempts"] == 4 and m["headline_instances"] == 2 and m["k"] == 2
    assert m["opt_successes"] == 2  # every attempt is counted here
    assert m["opt1_strict"] == pytest.approx((1 / 2 + 0) / 2)  # per instance, then over instances
    # ... but cost per success is over the valid instances: $3 spent on a and b, one success there.
    assert m["cost_per_success"] == pytest.approx(3.0) and m["total_cost_usd"] == pytest.approx(4.0)
    # rho per instance is the geometric mean of each attempt's own rho: a -> sqrt(1.0 * 0.65), b -> 1/2
    assert m["rho_gmean"] == pytest.approx(math.sqrt(math.sqrt(0.65) * 0.5))
    assert m["rho_median_ci"] is not None and m["speedup_median_ci"] is not None
    assert m["failure_reasons"] == {"below_human": 1, "incorrect": 1}


# ---------------------------------------------------------------- every outcome, counted the same everywhere


def make_state(root: Path) -> State:
    """Instance A (valid, human 2x) with every outcome; instance B (invalid) with one correct attempt."""
    state = State(root)
    for iid in ("t-a", "t-b"):
        write_model(state.instance_path(iid), factories.instance(iid, patch="x", plan_order=ord(iid[-1])))
    variants: dict[str, VariantScore] = {
        "base": factories.row("base", patch_empty=True),
        "human": factories.row("human", **measured(2.0, 1.9, 2.1, "faster")),
    }
    for (prov, n), (over_attempt, over_row, _) in CASES.items():
        d = state.attempt_dir("t-a", prov, n)
        d.mkdir(parents=True)
        empty = over_attempt.get("patch_empty", False)
        (d / "model_patch.diff").write_text("" if empty else "diff --git a/lib/core.py b/lib/core.py\n")
        rec = write_model(d / "result.json", factories.attempt("t-a", prov, n, cost_usd=0.5, **over_attempt))
        if over_row is not None:
            row = factories.row(provider=prov, attempt=n, **over_row)
            variants[f"{prov}#{n}"] = with_outcome(row, rec, 2.0, P)
    write_model(state.score_dir("t-a") / "score.json", factories.score("t-a", variants))
    d = state.attempt_dir("t-b", "p1", 1)
    d.mkdir(parents=True)
    (d / "model_patch.diff").write_text("diff --git a/lib/core.py b/lib/core.py\n")
    rec = write_model(d / "result.json", factories.attempt("t-b", "p1", 1, cost_usd=0.5))
    b_rows = {
        "base": factories.row("base", patch_empty=True),
        "human": factories.row("human", **measured(1.02, 0.99, 1.05, "no_difference")),
        "p1#1": with_outcome(
            factories.row(provider="p1", attempt=1, **measured(1.02, 0.99, 1.05, "no_difference")), rec, 1.02, P
        ),
    }
    write_model(
        state.score_dir("t-b") / "score.json",
        factories.score("t-b", b_rows, valid=False, invalid_reason="the human speedup is not established"),
    )
    return state


class _Cells(HTMLParser):
    """The text of every table row of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_every_outcome_counts_the_same_in_correlate_the_export_the_card_and_the_report(tmp_path: Path) -> None:
    make_state(tmp_path / "state")
    (tmp_path / "bench.yaml").write_text(
        "agents:\n  openhands:\n    llm_configs:\n"
        + "".join(f"      - {{name: {p}, provider: scripted}}\n" for p in ("p1", "p2", "p3"))
    )
    base = ["--config", str(tmp_path / "bench.yaml"), "--state-dir", str(tmp_path / "state")]
    r = CliRunner().invoke(app, [*base, "correlate", "--json", "--no-branches"])
    assert r.exit_code == 0, r.output
    corr = json.loads(r.stdout)["providers"]
    r = CliRunner().invoke(app, [*base, "export", "--out", str(tmp_path / "out"), "--format", "jsonl", "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in (tmp_path / "out" / "data.jsonl").read_text().splitlines()]
    llm = [x for x in rows if x["record_type"] == "llm"]

    # What the state holds, by construction (the test's own tally of CASES).
    assert corr["p1"]["opt_successes"] == 1 and corr["p1"]["correct"] == 4  # p1#1-3 on a, p1#1 on b
    assert corr["p3"]["failure_reasons"] == {"api_error": 1, "not_scored": 1, "patch_failed": 1, "timeout": 1}

    card = (tmp_path / "out" / "README.md").read_text()
    page = _Cells()
    page.feed((tmp_path / "out" / "report" / "index.html").read_text())
    outcomes = {}
    for cells in page.rows:
        if len(cells) == 11 and cells[0].split()[0] in corr:
            outcomes[cells[0].split()[0]] = cells
    assert set(outcomes) == set(corr) == {"p1", "p2", "p3"}

    for prov, m in corr.items():
        mine = [x for x in llm if x["llm_metadata"]["provider"] == prov]
        tally = Counter(x["failure_reason"] for x in mine if x["failure_reason"])
        # the export rows
        assert len(mine) == m["attempts"]
        assert sum(bool(x["correct"]) for x in mine) == m["correct"]
        assert sum(bool(x["valid_patch"]) for x in mine) == m["valid_patches"]
        assert sum(bool(x["faster"]) for x in mine) == m["faster_than_base"]
        assert sum(bool(x["opt_strict"]) for x in mine) == m["opt_successes"]
        assert dict(tally) == m["failure_reasons"]
        # the dataset card's table: | `p` | attempts | correct | faster than base | opt@1 strict ... |
        line = next(ln for ln in card.splitlines() if ln.startswith(f"| `{prov}` |"))
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert [int(c) for c in cells[1:4]] == [m["attempts"], m["correct"], m["faster_than_base"]]
        assert cells[4].startswith(f"{m['opt1_strict']:.0%}")
        # the report's outcomes table
        cells = outcomes[prov]
        assert int(cells[1].split()[0]) == m["attempts"]
        assert [int(cells[i]) for i in (3, 4, 5, 6)] == [
            m["valid_patches"],
            m["correct"],
            m["faster_than_base"],
            m["opt_successes"],
        ]
        assert cells[7].startswith(f"{m['opt1_strict']:.0%}")
        reasons = dict(re.findall(r"([a-z ]+): (\d+)", cells[10]))
        assert {k.strip().replace(" ", "_"): int(v) for k, v in reasons.items()} == m["failure_reasons"]


# ---------------------------------------------------------------- a state written by isobench 2


V2_STATE = Path(__file__).parent / "data" / "state-v2"
"""A state written by isobench with record schema 2 (`make_state` above, `correlate` run), where an attempt's
outcome was flat in its score row and its correlation entry; `export-v2.jsonl` holds that isobench's export
decision columns."""


def test_a_schema_2_state_reads_with_its_outcomes_nested_and_counts_the_same(tmp_path: Path) -> None:
    import shutil

    from isobench.records import SCHEMA_VERSION, Correlation
    from isobench.state import read_model

    shutil.copytree(V2_STATE, tmp_path / "v2")
    state = State(tmp_path / "v2" / "state")
    old_corr = json.loads(state.correlate_path.read_text())
    assert old_corr["schema_version"] == 2 and SCHEMA_VERSION >= 3
    flat = json.loads((state.score_dir("t-a") / "score.json").read_text())["variants"]

    # score.json: each agent row's outcome is one object, the same values the flat fields held
    score = state.score_record("t-a")
    assert score is not None
    for name, row in score.variants.items():
        if row.kind != "agent":
            assert row.outcome is None
            continue
        assert row.outcome is not None
        for key in ("valid_patch", "faster", "opt_strict", "opt_gso", "failure_reason", "effective_speedup"):
            assert getattr(row.outcome, key) == flat[name][key], (name, key)
        assert row.outcome.match_label == flat[name]["match_label"]

    # correlation.json as isobench 2 wrote it reads too, each attempt's outcome nested
    corr = read_model(state.correlate_path, Correlation)
    assert corr is not None and corr.design_metrics == old_corr["seed_metrics"]
    old_attempts = {
        (e["instance_id"], p, a["attempt"]): a
        for e in old_corr["instances"]
        for p, rs in e["llm_attempts"].items()
        for a in rs
    }
    for e in corr.instances:
        for p, rs in e.llm_attempts.items():
            for a in rs:
                old = old_attempts[(e.instance_id, p, a.attempt)]
                assert (a.outcome.opt_strict, a.outcome.failure_reason) == (old["opt_strict"], old["failure_reason"])

    # correlate and export on the old state give what isobench 2 gave
    base = ["--config", str(tmp_path / "v2" / "bench.yaml"), "--state-dir", str(state.root)]
    r = CliRunner().invoke(app, [*base, "correlate", "--json", "--no-branches"])
    assert r.exit_code == 0, r.output
    new_providers = json.loads(r.stdout)["providers"]
    # The figures isobench 2 had are the same; the new ones beside them (the raw view, the flagged count) add.
    assert {p: {k: m[k] for k in old_corr["providers"][p]} for p, m in new_providers.items()} == old_corr["providers"]
    r = CliRunner().invoke(app, [*base, "export", "--out", str(tmp_path / "out"), "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    expected = [json.loads(x) for x in (V2_STATE / "export-v2.jsonl").read_text().splitlines()]
    rows = [json.loads(x) for x in (tmp_path / "out" / "data.jsonl").read_text().splitlines()]
    assert len(rows) == len(expected) == 13
    for got, want in zip(rows, expected, strict=True):
        got = {**got, "provider": (got["llm_metadata"] or {}).get("provider")}
        assert {k: got[k] for k in want} == want


def test_a_schema_2_states_correlate_and_export_are_what_they_were_before_the_typed_hand_offs(tmp_path: Path) -> None:
    """`golden/` holds correlate's JSON and the export's data.jsonl of this state as isobench wrote them before
    its stages handed each other typed records instead of dictionaries (commit 3ac1615): a refactor changes
    neither. A deliberate change of either output updates `golden/` with it."""
    import shutil

    shutil.copytree(V2_STATE, tmp_path / "v2")
    base = ["--config", str(tmp_path / "v2" / "bench.yaml"), "--state-dir", str(tmp_path / "v2" / "state")]
    r = CliRunner().invoke(app, [*base, "correlate", "--json", "--no-branches"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    got.pop("generated_at")
    assert got == json.loads((V2_STATE / "golden" / "correlation.json").read_text())
    r = CliRunner().invoke(app, [*base, "export", "--out", str(tmp_path / "out"), "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "data.jsonl").read_text() == (V2_STATE / "golden" / "data.jsonl").read_text()
