"""Tests of the timing protocol with real child processes (tiny workloads, robust assertions).

The machine running these is shared and noisy, so timing assertions are statistical and loose:
a 5x workload difference must be classified "faster" with a CI excluding 1, and an A/A run's CI
must contain 1. Exact numbers are never asserted.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import random
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from isobench.measure import protocol
from isobench.measure.config import IN_PROCESS, IN_PROCESS_SCRIPT, WHOLE_PROCESS, ProtocolConfig, Script, Variant
from isobench.measure.design import round_order
from isobench.measure.protocol import Measurement, RoundDone, aa_check, measure
from isobench.measure.samplelog import load_samples
from isobench.measure.stats import classify_speedup, ratio_estimate, with_copy_spread

TIMER = Path(protocol.__file__).with_name("_timer.py")
# A pure-Python loop: ~25 ms at SLOW, 5x less at FAST on an idle core of the dev VM.
SLOW, FAST, TINY = 600_000, 120_000, 20_000
WORKLOAD = """
def run():
    s = 0
    for i in range({n}):
        s += i
    return s
"""
SAMPLE_KEYS = {"variant", "round", "position_in_round", "value_s", "values_s", "started_at", "pid"}


def make_tree(root: Path, name: str, n: int, extra: str = "") -> Path:
    """A variant's working copy: a directory with wl.py whose run() loops n times."""
    d = root / name
    d.mkdir(parents=True)
    (d / "wl.py").write_text(WORKLOAD.format(n=n) + extra)
    return d


def variant(name: str, cwd: Path, **kw: Any) -> Variant:
    env = kw.pop("env", dict(os.environ))
    if "command" not in kw and "script" not in kw:
        kw.setdefault("callable", "wl:run")
    return Variant(name=name, cwd=cwd, python=sys.executable, env=env, **kw)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# ---------------------------------------------------------------- one shared callable-mode run


@pytest.fixture(scope="module")
def run_5x(tmp_path_factory: pytest.TempPathFactory) -> tuple[Measurement, Path, list[tuple[int, dict]]]:
    """base (slow) vs human (5x faster) vs a broken variant, in-process timing."""
    root = tmp_path_factory.mktemp("run5x")
    slow, fast = make_tree(root, "slow", SLOW), make_tree(root, "fast", FAST)
    variants = [
        variant("base", slow),
        variant("human", fast),
        variant("broken", fast, callable="wl:no_such_function"),
    ]
    # an unreachable target, so the run goes to max_rounds (or the budget on a very busy machine)
    cfg = ProtocolConfig(min_rounds=8, max_rounds=12, target_halfwidth=1e-6, time_budget_s=20.0)
    calls: list[tuple[int, RoundDone]] = []
    samples = root / "samples.jsonl"
    m = measure(variants, cfg, samples_path=samples, on_round=lambda r, info: calls.append((r, info)))
    return m, samples, calls


def test_5x_faster_variant_is_classified_faster(run_5x) -> None:
    m, _, _ = run_5x
    assert m.rounds >= 5, m.summary()
    e = m.speedup("human")
    assert e.ci_low > 1.0, e
    assert 2.0 < e.value < 15.0, e  # ~5x; loose because of CPU contention
    assert e.p_faster is not None and e.p_faster < 0.05
    assert classify_speedup(e) == "faster"


def test_measurement_records_how_it_was_measured(run_5x) -> None:
    m, samples, _ = run_5x
    assert m.timing_mode == IN_PROCESS
    assert m.stop_reason in {"max_rounds", "time_budget"}
    assert m.rounds == len(m.orders) == len(m.samples["base"]) == len(m.samples["human"])
    assert 0 < m.floor_s <= m.wall_s
    assert 0 < m.efficiency <= 1.0
    assert m.warmup_s > 0
    assert m.samples_path == samples
    # one sample = the minimum of `values` in-process values (the default sample_stat)
    for name in ("base", "human"):
        for sample, vals in zip(m.samples[name], m.values[name], strict=True):
            assert len(vals) == m.config.values
            assert sample == min(vals)
    cores = os.sched_getaffinity(0)
    if len(cores) > 1:
        assert m.pinned_core in cores
    else:
        assert m.pinned_core is None
    summary = json.loads(json.dumps(m.summary()))
    assert summary["timing_mode"] == IN_PROCESS and summary["efficiency"] == m.efficiency


def test_broken_variant_is_reported_and_others_continue(run_5x) -> None:
    m, _, _ = run_5x
    assert set(m.failed) == {"broken"}
    assert m.failed["broken"].startswith("warm-up: exit status 3")
    assert "no_such_function" in m.failed["broken"]  # the stderr tail is kept
    assert m.samples["broken"] == []
    assert all(len(m.samples[n]) == m.rounds for n in ("base", "human"))
    with pytest.raises(ValueError, match="failed"):
        m.speedup("broken")


def test_order_changes_across_rounds(run_5x) -> None:
    m, samples, _ = run_5x
    timed = [r for r in read_jsonl(samples) if r["type"] == "sample" and r["phase"] == "timed"]
    orders: dict[int, list[str]] = {}
    for rec in sorted(timed, key=lambda r: (r["round"], r["position_in_round"])):
        orders.setdefault(rec["round"], []).append(rec["variant"])
    assert [orders[r] for r in sorted(orders)] == m.orders
    assert len({tuple(o) for o in m.orders}) > 1
    firsts = Counter(o[0] for o in m.orders)
    assert set(firsts) == {"base", "human"}
    assert abs(firsts["base"] - firsts["human"]) <= 1  # balanced, not just different


def test_samples_file_has_every_sample(run_5x) -> None:
    m, samples, calls = run_5x
    records = read_jsonl(samples)
    assert records[0]["type"] == "header" and records[-1]["type"] == "end"
    assert records[-1]["stop_reason"] == m.stop_reason and records[-1]["rounds"] == m.rounds
    assert {r["run_id"] for r in records} == {m.run_id}
    sample_recs = [r for r in records if r["type"] == "sample"]
    assert all(set(r) >= SAMPLE_KEYS for r in sample_recs)
    warm = [r for r in sample_recs if r["phase"] == "warmup"]
    timed = [r for r in sample_recs if r["phase"] == "timed"]
    assert sorted(r["variant"] for r in warm) == ["base", "broken", "human"]
    assert len(timed) == 2 * m.rounds and all(r["ok"] for r in timed)
    assert len({r["pid"] for r in sample_recs}) == len(sample_recs)  # a fresh process per sample
    started = [r["started_at"] for r in sample_recs]
    assert started == sorted(started)
    for r in timed:
        assert r["values_s"] and r["value_s"] == min(r["values_s"])
    # any decision can be recomputed from the file alone
    loaded = load_samples(samples)
    rounds = sorted(loaded["base"])
    assert rounds == list(range(m.rounds))
    recomputed = ratio_estimate([loaded["base"][r] for r in rounds], [loaded["human"][r] for r in rounds])
    assert recomputed == m.speedup("human")
    # the progress callback saw every round
    assert [r for r, _ in calls] == list(range(m.rounds))
    assert all(set(info.values) == set(info.order) and info.elapsed_s > 0 for _, info in calls)


# ---------------------------------------------------------------- whole-process (command) mode

PROBE = """
import json, os
def dump():
    keys = ("PYTHONHASHSEED", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "ISOBENCH_WRAPPED")
    rec = {"affinity": sorted(os.sched_getaffinity(0)), **{k: os.environ.get(k) for k in keys}}
    with open(os.environ["PROBE_OUT"], "a") as fh:
        fh.write(json.dumps(rec) + "\\n")
"""


def test_command_mode_pins_sets_env_and_detects_speedup(tmp_path: Path) -> None:
    slow = make_tree(tmp_path, "slow", 2_000_000)  # startup dilutes whole-process ratios: make it big
    fast = make_tree(tmp_path, "fast", FAST)
    for d in (slow, fast):
        (d / "probe.py").write_text(PROBE)
    probe_out = tmp_path / "probe.jsonl"
    env = {**os.environ, "PROBE_OUT": str(probe_out), "MKL_NUM_THREADS": "7"}
    env.pop("PYTHONHASHSEED", None)
    env.pop("OMP_NUM_THREADS", None)
    cmd = '"$ISOBENCH_PYTHON" -c "import wl, probe; wl.run(); probe.dump()"'

    def wrap(argv: list[str]) -> list[str]:
        return ["env", "ISOBENCH_WRAPPED=1", *argv]

    variants = [
        variant("base", slow, command=cmd, env=env, wrap=wrap),
        variant("human", fast, command=cmd, env=env, wrap=wrap),
    ]
    cfg = ProtocolConfig(min_rounds=6, max_rounds=8, target_halfwidth=1e-6, time_budget_s=15.0)
    m = measure(variants, cfg)
    assert m.timing_mode == WHOLE_PROCESS and not m.failed
    assert m.rounds >= 5
    e = m.speedup("human")
    assert e.ci_low > 1.0 and classify_speedup(e) == "faster", e
    # Each whole-process sample is the fastest of `values` fresh processes, as in-process samples are.
    assert all(len(v) == cfg.values for v in m.values["base"])
    assert m.samples["base"] == [min(v) for v in m.values["base"]]

    probes = read_jsonl(probe_out)
    assert len(probes) == 2 * (m.rounds * cfg.values + 1)  # warm-up + `values` processes a round, every variant
    # One hash seed per round, the same for every variant of the round, a new one each round (warm-up: round -1).
    seeds = [p["PYTHONHASHSEED"] for p in probes]
    warm, timed = seeds[:2], seeds[2:]
    per_round = [timed[i : i + 2 * cfg.values] for i in range(0, len(timed), 2 * cfg.values)]
    assert all(len(set(r)) == 1 for r in per_round) and len({r[0] for r in per_round}) == m.rounds, seeds
    assert warm[0] == warm[1]
    for p in probes:
        assert p["OMP_NUM_THREADS"] == "1"
        assert p["MKL_NUM_THREADS"] == "7"  # the caller's choice wins
        assert p["ISOBENCH_WRAPPED"] == "1"  # wrap applied to every spawn
        if m.pinned_core is not None:
            assert p["affinity"] == [m.pinned_core]


# ---------------------------------------------------------------- A/A


def test_aa_check_ci_contains_one(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "same", 300_000)
    cfg = ProtocolConfig(min_rounds=10, max_rounds=12, target_halfwidth=1e-6, time_budget_s=10.0)
    # Any correct CI misses the truth sometimes (99 % CI: ~1-2 % at this n). A biased protocol
    # misses on every attempt, an unbiased one almost never twice, so allow one re-measurement.
    attempts = [aa_check(variant("base", tree), cfg, confidence=0.99)]
    if not attempts[0].contains(1.0):
        attempts.append(aa_check(variant("base", tree), cfg, confidence=0.99))
    assert attempts[-1].contains(1.0), attempts
    assert attempts[-1].n >= 5


# ---------------------------------------------------------------- stopping rules and failures


@pytest.mark.parametrize(
    ("overrides", "reason", "rounds"),
    [
        ({"min_rounds": 3, "max_rounds": 20, "target_halfwidth": 50.0}, "target_reached", 3),
        ({"min_rounds": 3, "max_rounds": 4, "target_halfwidth": 1e-9}, "max_rounds", 4),
        # The budget stops it, but never before the 5 rounds a significance test needs ...
        ({"min_rounds": 10, "max_rounds": 20, "time_budget_s": 0.001}, "time_budget", 5),
        # ... or before min_rounds when that is smaller.
        ({"min_rounds": 3, "max_rounds": 20, "time_budget_s": 0.001, "target_halfwidth": 1e-9}, "time_budget", 3),
    ],
)
def test_stopping_rules(tmp_path: Path, overrides: dict[str, Any], reason: str, rounds: int) -> None:
    a, b = make_tree(tmp_path, "a", TINY), make_tree(tmp_path, "b", TINY)
    m = measure([variant("base", a), variant("human", b)], ProtocolConfig(**overrides))
    assert (m.stop_reason, m.rounds) == (reason, rounds)
    if reason == "target_reached":
        assert m.halfwidths["human"] <= 50.0


def test_with_an_aa_twin_the_stopping_rule_judges_the_interval_the_score_reports() -> None:
    """A short look must not stop on the rounds' own interval when the score reports a wider one: with an A/A
    twin, every other variant's half-width is widened by the copy effect the twin shows, as `score` widens it."""
    rng = random.Random(7)
    noise = [rng.gauss(0.0, 0.002) for _ in range(10)]
    base = [1.0 * (1 + e) for e in noise]
    human = [0.5 * (1 + e + rng.gauss(0.0, 0.001)) for e in noise]  # 2x, tight
    twin = [1.03 * (1 + e + rng.gauss(0.0, 0.001)) for e in noise]  # identical code, reading 3% slow
    samples = {"base": base, "human": human, "base_aa": twin}
    plain = protocol._halfwidths(samples, "base", ["human", "base_aa"], seed=0)
    judged = protocol._halfwidths(samples, "base", ["human", "base_aa"], seed=0, twin="base_aa")
    assert plain["human"] < 0.01 < judged["human"]  # a target of 1% would have stopped here without the twin
    assert judged["base_aa"] == plain["base_aa"]  # the twin itself is judged as it is reported: unwidened
    aa = ratio_estimate(base, twin, n_resamples=protocol.STOP_CHECK_RESAMPLES, seed=0)
    reported = with_copy_spread(ratio_estimate(base, human, n_resamples=protocol.STOP_CHECK_RESAMPLES, seed=0), aa)
    assert judged["human"] == pytest.approx(reported.halfwidth_log)
    with pytest.raises(ValueError, match="twin"):
        ProtocolConfig(twin="base")


FLAKY = """
import pathlib
_count = pathlib.Path(__file__).with_name("count.txt")
_n = int(_count.read_text()) + 1 if _count.exists() else 1
_count.write_text(str(_n))
if _n >= 3:  # the warm-up (1) and round 0 (2) work, round 1 (3) breaks
    raise RuntimeError("flaky import")
"""
HANG = """
import time
def hang():
    time.sleep(60)
"""


def test_failures_mid_run_and_timeouts_do_not_stop_the_others(tmp_path: Path) -> None:
    base, other = make_tree(tmp_path, "base", TINY), make_tree(tmp_path, "other", TINY)
    flaky = make_tree(tmp_path, "flaky", TINY, extra=FLAKY)
    hang = make_tree(tmp_path, "hang", TINY, extra=HANG)
    variants = [
        variant("base", base),
        variant("flaky", flaky),
        variant("hang", hang, callable="wl:hang"),
        variant("other", other),
    ]
    cfg = ProtocolConfig(min_rounds=3, max_rounds=4, target_halfwidth=1e-9, timeout_s=1.0)
    samples = tmp_path / "s.jsonl"
    m = measure(variants, cfg, samples_path=samples)
    assert m.stop_reason == "max_rounds" and m.rounds == 4
    assert m.failed["hang"].startswith("warm-up: timeout")
    assert m.failed["flaky"].startswith("round 1: exit status 3") and "flaky import" in m.failed["flaky"]
    assert len(m.samples["flaky"]) == 1 and m.samples["hang"] == []
    assert len(m.samples["base"]) == len(m.samples["other"]) == 4
    assert m.speedup("other").n == 4
    failed_recs = [r for r in read_jsonl(samples) if r["type"] == "sample" and not r["ok"]]
    assert sorted(r["variant"] for r in failed_recs) == ["flaky", "hang"]
    hang_pid = next(r["pid"] for r in failed_recs if r["variant"] == "hang")
    with pytest.raises(ProcessLookupError):
        os.kill(hang_pid, 0)  # killed and reaped, not left running


def test_reference_failure_stops_cleanly(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "t", TINY)
    m = measure([variant("base", tree, callable="nope_module:run"), variant("human", tree)], ProtocolConfig())
    assert m.stop_reason == "reference_failed" and m.rounds == 0
    assert "nope_module" in m.failed["base"]
    with pytest.raises(ValueError):
        m.speedup("human")


def test_invalid_setups_are_rejected(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "t", TINY)
    with pytest.raises(ValueError, match="exactly one"):
        Variant("x", tree, sys.executable, {}, command="true", callable="wl:run")
    with pytest.raises(ValueError, match="exactly one"):
        Variant("x", tree, sys.executable, {})
    with pytest.raises(ValueError, match="same timing mode"):
        measure([variant("base", tree), variant("human", tree, command="true")])
    with pytest.raises(ValueError, match="reference"):
        measure([variant("human", tree)])
    with pytest.raises(ValueError, match="distinct"):
        measure([variant("base", tree), variant("base", tree)])
    shim = tmp_path / "python3"
    shim.write_text('#!/usr/bin/env bash\nexec python3 "$@"\n')
    with pytest.raises(ValueError, match="shim"):
        measure([Variant("base", tree, str(shim), {}, callable="wl:run")])
    with pytest.raises(ValueError):
        ProtocolConfig(min_rounds=10, max_rounds=5)


# ---------------------------------------------------------------- the round-order design


@pytest.mark.parametrize("v", [2, 3, 4, 5])
def test_round_order_is_balanced(v: int) -> None:
    names = [f"v{i}" for i in range(v)]
    block = v if v % 2 == 0 else 2 * v
    orders = [round_order(names, r, seed=1) for r in range(3 * block)]
    assert all(sorted(o) == names for o in orders)
    positions = Counter((name, pos) for o in orders for pos, name in enumerate(o))
    assert set(positions.values()) == {3 * block // v}  # every variant in every position equally
    follows = Counter((o[i], o[i + 1]) for o in orders for i in range(v - 1))
    assert len(follows) == v * (v - 1) and len(set(follows.values())) == 1  # carry-over balanced
    assert orders == [round_order(names, r, seed=1) for r in range(3 * block)]  # deterministic


# ---------------------------------------------------------------- _timer.py on its own


def run_timer(*args: str, cwd: Path, calls: int = 0) -> subprocess.CompletedProcess[str]:
    """The timer asked for `calls` calls (tokens t0, t1, ...) on stdin, as the harness asks."""
    requests = "".join(f"call t{i}\n" for i in range(calls))
    return subprocess.run(
        [sys.executable, str(TIMER), *args], cwd=cwd, input=requests, capture_output=True, text=True, timeout=60
    )


def answers(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("ISOBENCH_")]


def test_the_timer_answers_each_call_by_token_and_prints_no_number_the_harness_would_read(tmp_path: Path) -> None:
    extra = "\nimport pathlib\ndef noisy():\n    print('ISOBENCH_DONE t1')\n"
    extra += "    pathlib.Path(__file__).with_name('calls.txt').open('a').write('x')\n    return [1, 2]\n"
    tree = make_tree(tmp_path, "t", TINY, extra=extra)
    res = run_timer("--callable", "wl:noisy", "--path", str(tree), cwd=tmp_path, calls=3)
    assert res.returncode == 0, res.stderr
    ours = answers(res.stderr)
    assert ours[0].startswith("ISOBENCH_READY ") and json.loads(ours[0].split(" ", 1)[1])["import_s"] >= 0
    words = [ln.split() for ln in ours[1:]]
    assert [w[:2] for w in words] == [["ISOBENCH_DONE", f"t{i}"] for i in range(3)]
    assert len({w[2] for w in words}) == 1  # the same answer (the return value's digest) every call
    # What the workload prints goes to stdout, never onto the answers' channel.
    assert res.stdout.splitlines() == ["ISOBENCH_DONE t1"] * 3
    assert (tree / "calls.txt").read_text() == "x" * 3
    # --path defaults to the working directory
    res = run_timer("--callable", "wl:run", cwd=tree, calls=1)
    assert res.returncode == 0 and "ISOBENCH_DONE t0" in res.stderr


@pytest.mark.parametrize(
    ("spec", "rc", "needle"),
    [
        ("nope_module:run", 3, "nope_module"),
        ("wl:boom", 4, "ZeroDivisionError"),
        ("wl", 2, "module:function"),
    ],
)
def test_timer_failures_exit_nonzero(tmp_path: Path, spec: str, rc: int, needle: str) -> None:
    tree = make_tree(tmp_path, "t", TINY, extra="\ndef boom():\n    1 / 0\n")
    res = run_timer("--callable", spec, cwd=tree, calls=2)
    assert res.returncode == rc
    assert needle in res.stderr
    assert "ISOBENCH_DONE" not in res.stderr


def test_timer_is_standalone() -> None:
    tree = ast.parse(TIMER.read_text())
    modules = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert modules <= set(sys.stdlib_module_names) | {"__future__"}, modules


def test_sample_stat_median_keeps_the_notes_original_choice(tmp_path: Path) -> None:
    a, b = make_tree(tmp_path, "a", TINY), make_tree(tmp_path, "b", TINY)
    m = measure(
        [variant("base", a), variant("human", b)], ProtocolConfig(min_rounds=3, max_rounds=3, sample_stat="median")
    )
    for name in ("base", "human"):
        assert m.samples[name] == [statistics.median(v) for v in m.values[name]]
    with pytest.raises(ValueError, match="sample_stat"):
        ProtocolConfig(sample_stat="mean")


# ---------------------------------------------------------------- interleaved calls (the default)

TRACE = """
import os
def traced():
    run()
    with open(os.environ["TRACE_OUT"], "a") as fh:
        fh.write(os.path.basename(os.path.dirname(os.path.abspath(__file__))) + " " + str(os.getpid()) + "\\n")
"""


@pytest.mark.parametrize("interleave", ["calls", "processes"])
def test_calls_of_a_round_alternate_between_live_processes(tmp_path: Path, interleave: str) -> None:
    trace = tmp_path / "trace.txt"
    env = {**os.environ, "TRACE_OUT": str(trace)}
    a = make_tree(tmp_path, "a", TINY, extra=TRACE)
    b = make_tree(tmp_path, "b", TINY, extra=TRACE)
    c = make_tree(tmp_path, "c", TINY, extra=TRACE)
    variants = [variant(n, d, callable="wl:traced", env=env) for n, d in (("base", a), ("human", b), ("x", c))]
    cfg = ProtocolConfig(min_rounds=3, max_rounds=3, warmup=1, values=3, interleave=interleave)
    samples = tmp_path / "s.jsonl"
    m = measure(variants, cfg, samples_path=samples)
    assert m.rounds == 3 and not m.failed
    lines = [line.split() for line in trace.read_text().splitlines()]
    calls_per_process = cfg.warmup + cfg.values
    assert len(lines) == 3 * calls_per_process * (1 + m.rounds)  # the warm-up samples, then 3 rounds
    timed = lines[3 * calls_per_process :]
    tree = {"base": "a", "human": "b", "x": "c"}
    for r, order in enumerate(m.orders):
        got = [t for t, _ in timed[r * 3 * calls_per_process : (r + 1) * 3 * calls_per_process]]
        if interleave == "calls":  # every warm-up first, then ABBA over the timed calls
            names = order + order + order[::-1] + order
        else:  # each process runs to the end before the next starts
            names = [n for n in order for _ in range(calls_per_process)]
        assert got == [tree[n] for n in names], (r, order)
    recs = [rec for rec in read_jsonl(samples) if rec["type"] == "sample"]
    assert len({rec["pid"] for rec in recs}) == len(recs)  # still a fresh process per sample
    traced_pids = {pid for _, pid in timed}
    assert traced_pids == {str(rec["pid"]) for rec in recs if rec["phase"] == "timed"}
    for name in ("base", "human", "x"):
        assert all(len(v) == 3 and s == min(v) for s, v in zip(m.samples[name], m.values[name], strict=True))
    assert json.loads(samples.read_text().splitlines()[0])["config"]["interleave"] == interleave


FAIL_LATER = """
import atexit, os, time
if os.environ.get("HOW") == "exit":
    atexit.register(time.sleep, 60)  # answers every call, then hangs on the way out
_calls = 0
def later():
    global _calls
    _calls += 1
    print("partial line without a newline", end="")
    if _calls == int(os.environ.get("FAIL_AT", "99")):
        if os.environ.get("HOW") == "hang":
            time.sleep(60)
        raise RuntimeError("call " + str(_calls) + " broke")
    run()
"""


@pytest.mark.parametrize("how", ["raise", "hang", "exit"])
def test_a_served_call_that_fails_or_hangs_drops_only_its_variant(tmp_path: Path, how: str) -> None:
    base, other = make_tree(tmp_path, "base", TINY, extra=FAIL_LATER), make_tree(tmp_path, "other", TINY)
    bad = make_tree(tmp_path, "bad", TINY, extra=FAIL_LATER)
    # warm-up sample: 1 + 5 calls in one process; then each round's process: warm-up call, then
    # timed calls; FAIL_AT=3 breaks the second timed call of round 0.
    env = {**os.environ, "FAIL_AT": "99" if how == "exit" else "3", "HOW": how}
    variants = [
        variant("base", base, callable="wl:later"),  # prints partial lines, never fails
        # FAIL_AT reaches only the served processes, so the one-shot warm-up sample passes
        variant("bad", bad, callable="wl:later", wrap=_after_warmup(env)),
        variant("other", other),
    ]
    cfg = ProtocolConfig(min_rounds=3, max_rounds=3, target_halfwidth=1e-9, timeout_s=2.0)
    samples = tmp_path / "s.jsonl"
    m = measure(variants, cfg, samples_path=samples)
    assert m.stop_reason == "max_rounds" and m.rounds == 3
    assert set(m.failed) == {"bad"}
    if how == "raise":
        # exit 5: the call failed after earlier calls of the same process had succeeded
        assert m.failed["bad"].startswith("round 0: exit status 5") and "call 3 broke" in m.failed["bad"]
    else:  # a call that never answers, or a process that never exits
        assert m.failed["bad"] == "round 0: timeout after 2.0 s"
    assert m.samples["bad"] == [] and len(m.samples["base"]) == len(m.samples["other"]) == 3
    assert all(len(v) == cfg.values for v in m.values["base"])  # its partial lines did not confuse the harness
    bad_pid = next(r["pid"] for r in read_jsonl(samples) if r["type"] == "sample" and not r["ok"])
    with pytest.raises(ProcessLookupError):
        os.kill(bad_pid, 0)  # killed and reaped, not left running


def _after_warmup(env: dict[str, str]) -> Callable[[list[str]], list[str]]:
    """Give FAIL_AT/HOW to the rounds' processes only (the warm-up sample, the first process, keeps working)."""
    started = itertools.count()

    def wrap(argv: list[str]) -> list[str]:
        return argv if next(started) == 0 else ["env", f"FAIL_AT={env['FAIL_AT']}", f"HOW={env['HOW']}", *argv]

    return wrap


def test_interleave_must_be_calls_or_processes() -> None:
    with pytest.raises(ValueError, match="interleave"):
        ProtocolConfig(interleave="sometimes")


# ---------------------------------------------------------------- script workloads, timed in-process

SCRIPT = """
import sys
from wl import run
assert sys.argv[1:] == ["--size", "big"], sys.argv
assert sys.path[0] == {where!r}, sys.path[:2]
print("partial line without newline", end="")
run()
if __name__ == "__main__":
    sys.exit(0)
"""


def test_a_script_outside_the_tree_is_timed_in_process_like_python_script_runs_it(tmp_path: Path) -> None:
    slow, fast = make_tree(tmp_path, "slow", SLOW), make_tree(tmp_path, "fast", FAST)
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    # As with `cd tree && python /elsewhere/w.py`: the script's folder is first on sys.path, the tree is not.
    w = scripts / "w.py"
    w.write_text("import os, sys\nsys.path.insert(1, os.getcwd())\n" + SCRIPT.format(where=str(scripts)))
    script = Script("script", str(w), ("--size", "big"))
    m = measure(
        [variant("base", slow, script=script), variant("human", fast, script=script)],
        ProtocolConfig(min_rounds=6, max_rounds=6, time_budget_s=60),
    )
    assert not m.failed, m.failed
    assert m.timing_mode == IN_PROCESS_SCRIPT
    e = m.speedup("human")
    assert classify_speedup(e) == "faster" and e.value > 3.0, e  # the body only: ~5x, not diluted by start-up


def test_a_module_workload_runs_as_python_dash_m(tmp_path: Path) -> None:
    tree = make_tree(tmp_path, "t", TINY)
    (tree / "bench").mkdir()
    (tree / "bench" / "__init__.py").write_text("")
    (tree / "bench" / "run.py").write_text(SCRIPT.format(where=str(tree)))
    out = run_timer("--module", "bench.run", "--arg=--size", "--arg", "big", cwd=tree, calls=3)
    assert out.returncode == 0, out.stderr
    assert [a.split()[:2] for a in answers(out.stderr) if a.startswith("ISOBENCH_DONE")] == [
        ["ISOBENCH_DONE", f"t{i}"] for i in range(3)
    ]


@pytest.mark.parametrize(
    ("body", "rc", "needle"),
    [
        ("import sys\nsys.exit(3)\n", 4, "exited with status 3"),
        ("import os\nos.mkdir('once')\n", 5, "cannot be timed in-process"),  # state on disk: runs only once
        ("import sys\nsys.exit()\n", 0, ""),
    ],
)
def test_script_exits_and_scripts_that_cannot_run_twice(tmp_path: Path, body: str, rc: int, needle: str) -> None:
    (tmp_path / "w.py").write_text(body)
    out = run_timer("--script", "w.py", cwd=tmp_path, calls=2)
    assert out.returncode == rc, out.stderr
    assert needle in out.stderr


def test_whole_process_samples_alternate_abba_and_keep_the_fastest(tmp_path: Path) -> None:
    log = tmp_path / "order.log"
    trees = [make_tree(tmp_path, n, TINY) for n in ("a", "b")]
    variants = [
        variant(n, t, command=f"echo {n} >> {log} && python3 -c pass")
        for n, t in zip(("base", "other"), trees, strict=True)
    ]
    cfg = ProtocolConfig(min_rounds=5, max_rounds=5, values=3, time_budget_s=60)
    m = measure(variants, cfg)
    runs = log.read_text().split()
    # 1 warm-up each, then per round: order, reversed, order (values = 3)
    timed = runs[2:]
    assert len(timed) == 5 * 3 * 2
    for r, order in enumerate(m.orders):
        chunk = timed[r * 6 : (r + 1) * 6]
        assert chunk == [*order, *order[::-1], *order], (r, chunk)
    assert m.samples["base"] == [min(v) for v in m.values["base"]]
