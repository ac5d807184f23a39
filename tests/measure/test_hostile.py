"""Code under test that games its own timing, measured by the real protocol: none of it gets "faster".

Each hostile variant is the slow base's code plus one trick a model rewarded for "faster" could find. The
harness times every call with its own clock and reads each variant's CPU time from a control group of its
own (as `score` does), so the tricks either change nothing or are caught and named.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from isobench.config import ScoreConfig
from isobench.measure.config import ProtocolConfig, Variant
from isobench.measure.protocol import Measurement, measure
from isobench.measure.stats import classify_speedup
from isobench.records import VariantEstimate
from isobench.resources import Group, Limits, Resources
from isobench.score import integrity
from isobench.score.judge import estimates

N = 400_000  # ~15 ms a call
WORKLOAD = f"""
def run():
    s = 0
    for i in range({N}):
        s += i
    print("sum", s)
    return s
"""
FAST_WORKLOAD = WORKLOAD.replace(f"range({N})", f"range({N // 5})").replace("return s", f"return {sum(range(N))}")
FAST_WORKLOAD = FAST_WORKLOAD.replace('print("sum", s)', f'print("sum", {sum(range(N))})')

TRICKS = {
    # Lines shaped like the timer's answers, on stdout and stderr, and a guessed token.
    "forger": """
import sys
_run = run
def run():
    for out in (sys.stdout, sys.stderr):
        out.write('ISOBENCH_VALUE {"value": 1e-09}\\nISOBENCH_TIMES {"values": [1e-09], "import_s": 0}\\n')
        out.write("ISOBENCH_DONE 0000000000000000 x\\n")
        out.flush()
    return _run()
""",
    # Every clock the timer could use, frozen at import.
    "clock": """
import time
for _name in ("perf_counter", "monotonic", "time"):
    setattr(time, _name, lambda: 0.0)
for _name in ("perf_counter_ns", "monotonic_ns", "time_ns"):
    setattr(time, _name, lambda: 0)
""",
    # Answers at once with the token stolen from the timer's frame, then does the work in a thread.
    "thread": """
import sys, threading, hashlib, os
_run = run
def run():
    f = sys._getframe(1)
    while f is not None and "token" not in f.f_locals:
        f = f.f_back
    if f is not None:
        token, value = f.f_locals["token"], sum(range(@N@))
        digest = hashlib.sha256(repr(value).encode()).hexdigest()
        os.write(2, ("ISOBENCH_DONE " + token + " " + digest + "\\n").encode())
    threading.Thread(target=_run).start()
    return None
""".replace("@N@", str(N)),
    # Remembers its answer across calls.
    "memo": """
_run, _memo = run, {}
def run():
    if "v" not in _memo:
        _memo["v"] = _run()
    else:
        print("sum", _memo["v"])
    return _memo["v"]
""",
    # Fast, and wrong where a small test would not look.
    "wrong": """
def run():
    print("sum", 42)
    return 42
""",
}


@pytest.fixture
def groups() -> Iterator[list[Group]]:
    made: list[Group] = []
    yield made
    for g in made:
        g.remove()


def tree(root: Path, name: str, code: str) -> Path:
    d = root / name
    d.mkdir()
    (d / "wl.py").write_text(code)
    return d


def variant(name: str, cwd: Path, groups: list[Group]) -> Variant:
    """As `score` makes one: its own control group (CPU time, leftover processes), its own clock-free timer."""
    group = Resources(Limits()).group(account=True)
    assert group is not None, "these tests need cgroups (as `score` does)"
    groups.append(group)
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return Variant(name, cwd, sys.executable, env, callable="wl:run", wrap=group.argv, probe=group)


def measure_all(tmp_path: Path, groups: list[Group], names: list[str]) -> Measurement:
    vs = [variant("base", tree(tmp_path, "base", WORKLOAD), groups)]
    vs.append(variant("human", tree(tmp_path, "human", FAST_WORKLOAD), groups))
    vs.append(variant("aa", tree(tmp_path, "aa", WORKLOAD), groups))
    vs += [variant(n, tree(tmp_path, n, WORKLOAD + TRICKS[n]), groups) for n in names]
    return measure(vs, ProtocolConfig(min_rounds=6, max_rounds=6, time_budget_s=60, values=3))


def judged(m: Measurement) -> tuple[dict[str, VariantEstimate], dict[str, list[str]], dict[str, str], str]:
    sc = ScoreConfig()
    est, floor = estimates(m, sc)
    got = integrity.flags(m, est, sc, floor, compare=True)
    return est, got.flags, {n: got.evidence[n]["workload_output_differs"] for n in got.differs}, got.compared


def test_printed_lines_and_frozen_clocks_change_nothing(tmp_path: Path, groups: list[Group]) -> None:
    m = measure_all(tmp_path, groups, ["forger", "clock"])
    assert not m.failed, m.failed
    est, flags, differs, compared = judged(m)
    assert est["human"].classification == "faster"  # the protocol still sees a real speedup
    for name in ("forger", "clock"):
        s = m.speedup(name)
        assert classify_speedup(s) != "faster" and 0.8 < s.value < 1.25, (name, s)
    # The forger's extra lines went to its stdout: its answer differs from base's and the human's.
    assert compared.startswith("compared") and set(differs) == {"forger"}
    assert flags == {"forger": ["workload_output_differs"]}


def test_work_moved_into_a_thread_memoised_or_wrong_is_caught_and_named(tmp_path: Path, groups: list[Group]) -> None:
    m = measure_all(tmp_path, groups, ["thread", "memo", "wrong"])
    raw, _ = estimates(m, ScoreConfig())  # before the checks: what the repeated calls alone would say
    est, flags, differs, _ = judged(m)
    # The thread answered with a stolen token at once; its CPU time gives it away.
    assert "background_work" in m.failed["thread"], m.failed
    assert flags["thread"][0] == "background_work"  # (its output, printed late, may differ too)
    # Memoised: its repeated calls look far faster, its first calls are base's: judged on those.
    # (On a loaded machine its repeated-call CI may already be too wide for "faster": then there is nothing to
    # catch; whenever the repeated calls alone would say "faster", it is flagged and judged on first calls.)
    assert m.speedup("memo").value > 3
    assert est["memo"].classification != "faster"
    if raw["memo"].classification == "faster":
        assert flags["memo"] == ["cross_call_state"] and (est["memo"].repeated_call_speedup or 0) > 3
    # Wrong, fast: its answer differs.
    assert flags["wrong"] == ["workload_output_differs"] and "wrong" in differs
    # The human's honest speedup is none of these.
    assert "human" not in flags and est["human"].classification == "faster"
