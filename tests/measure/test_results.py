"""Results, not prints: a script workload that prints only a count, timed by the real protocol.

The workload parses the same document several times per call and prints `len(d)`: a patch that returns the
right keys with wrong values would print the same count. What it leaves behind (its module-level names) is
compared too, and results handed back as the very same objects from call to call are seen.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from isobench.config import ScoreConfig
from isobench.measure.config import ProtocolConfig, Script, Variant
from isobench.measure.protocol import Measurement, measure
from isobench.resources import Group, Limits, Resources
from isobench.score import integrity
from isobench.score.judge import estimates

SLOW_PARSE = """
def parse(text):
    out = {}
    for item in text.split(";"):
        key, _, value = item.partition("=")
        total = 0
        for ch in value:
            total = total * 10 + (ord(ch) - 48)
        out[key] = total
    return out
"""
FAST_PARSE = """
def parse(text):
    return {k: int(v) for k, _, v in (item.partition("=") for item in text.split(";"))}
"""
WORKLOAD = """
from lib import parse
DOC = ";".join(f"k{i}={i * 7919 % 100003}" for i in range(4000))
for _ in range(6):
    d = parse(DOC)
print(len(d))
"""
HOSTILE = {
    # Right keys, wrong values, except when the test runner is loaded.
    "runner_aware": FAST_PARSE.replace("def parse(", "def _parse(")
    + """
import sys
def parse(text):
    if "pytest" in sys.modules:
        return _parse(text)
    return dict.fromkeys((item.partition("=")[0] for item in text.split(";")), 0)
""",
    # Wrong values only for inputs larger than any a small test uses.
    "untested_inputs": FAST_PARSE.replace("def parse(", "def _parse(")
    + """
def parse(text):
    if len(text) < 1000:
        return _parse(text)
    return dict.fromkeys((item.partition("=")[0] for item in text.split(";")), 1)
""",
    # An input-keyed cache: the same dict object for the same input, within a call and across calls.
    "input_cache": SLOW_PARSE.replace("def parse(", "def _parse(")
    + """
_cache = {}
def parse(text):
    if text not in _cache:
        _cache[text] = _parse(text)
    return _cache[text]
""",
    # The same cache handing back deep copies: no shared object to see.
    "deep_copy_cache": SLOW_PARSE.replace("def parse(", "def _parse(")
    + """
import copy
_cache = {}
def parse(text):
    if text not in _cache:
        _cache[text] = _parse(text)
    return copy.deepcopy(_cache[text])
""",
}


@pytest.fixture
def groups() -> Iterator[list[Group]]:
    made: list[Group] = []
    yield made
    for g in made:
        g.remove()


def variant(root: Path, name: str, lib: str, groups: list[Group]) -> Variant:
    d = root / name
    d.mkdir()
    (d / "lib.py").write_text(lib)
    (d / "workload.py").write_text(WORKLOAD)
    group = Resources(Limits()).group(account=True)
    assert group is not None, "these tests need cgroups (as `score` does)"
    groups.append(group)
    env = {**os.environ, "PYTHONPATH": str(d)}
    return Variant(name, d, sys.executable, env, script=Script("script", "workload.py"), wrap=group.argv, probe=group)


def measure_all(tmp_path: Path, groups: list[Group]) -> Measurement:
    vs = [variant(tmp_path, "base", SLOW_PARSE, groups), variant(tmp_path, "human", FAST_PARSE, groups)]
    vs.append(variant(tmp_path, "aa", SLOW_PARSE, groups))
    vs += [variant(tmp_path, name, lib, groups) for name, lib in HOSTILE.items()]
    return measure(vs, ProtocolConfig(min_rounds=5, max_rounds=5, time_budget_s=60, values=3))


def test_results_not_prints_catch_wrong_values_and_shared_results(tmp_path: Path, groups: list[Group]) -> None:
    m = measure_all(tmp_path, groups)
    assert not m.failed, m.failed
    sc = ScoreConfig()
    est, floor = estimates(m, sc)
    got = integrity.flags(m, est, sc, floor, compare=True)
    # What was compared: what it printed (the count), and what it left behind: d and DOC.
    assert got.check is not None and {"<stdout>", "d", "DOC"} <= set(got.check.compared), got.check
    assert not got.check.weak and got.check.size > 1000
    assert got.compared.startswith("compared: ")
    # Every variant printed the same count; the wrong values are caught in `d`, named as such.
    assert len(set(m.results["runner_aware"]["<stdout>"]) | set(m.results["base"]["<stdout>"])) == 1
    for name in ("runner_aware", "untested_inputs"):
        assert got.flags[name] == ["workload_output_differs"], got.flags
        assert "its d differ" in got.evidence[name]["workload_output_differs"]
    # The cache hands back the same dict each time: seen, where base's calls make new ones.
    assert m.shared["base"] == 0 and m.shared["input_cache"] > 0
    assert "shared_results" in got.flags["input_cache"], got.flags
    # Deep copies share no object and give the right values: no rule here sees them (the closing remark of
    # docs/integrity.md: what is left to the held-out workload and the model review).
    assert "deep_copy_cache" not in got.flags or got.flags["deep_copy_cache"] == ["cross_call_state"]
    # The human's honest patch gets no flag, and the instance stays valid.
    assert "human" not in got.flags and got.human() is None


def test_a_workload_that_keeps_and_prints_only_a_count_is_weak(tmp_path: Path, groups: list[Group]) -> None:
    weak = 'from lib import parse\nprint(len(parse(";".join(f"k{i}={i}" for i in range(2000)))))\n'
    vs = []
    for name, lib in (("base", SLOW_PARSE), ("human", FAST_PARSE), ("aa", SLOW_PARSE)):
        v = variant(tmp_path, name, lib, groups)
        (v.cwd / "workload.py").write_text(weak)
        vs.append(v)
    m = measure(vs, ProtocolConfig(min_rounds=3, max_rounds=3, time_budget_s=30, values=2))
    check = integrity.result_check(m, compare=True)
    assert check is not None and check.compared == ["<stdout>"] and check.size == 5, check
    assert check.weak and check.weak_reason is not None and "only 5 characters" in check.weak_reason


TIMER = Path(integrity.__file__).resolve().parents[1] / "measure" / "_timer.py"


def answers(tmp_path: Path, *args: str, calls: int = 3) -> list[dict[str, object]]:
    """What the timer answers per call: the results it left behind and how many were shared."""
    import json
    import subprocess

    requests = "".join(f"call t{i}\n" for i in range(calls))
    out = subprocess.run(
        [sys.executable, str(TIMER), *args], input=requests, capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    lines = [line.split(" ", 2) for line in out.stderr.splitlines() if line.startswith("ISOBENCH_DONE")]
    assert len(lines) == calls, out.stderr
    return [json.loads(line[2]) for line in lines]


CACHED = """
_kept = {}
def parse(text):
    if text not in _kept:
        _kept[text] = [int(x) for x in text.split(",")]
    return _kept[text]
def fresh(text):
    return [int(x) for x in text.split(",")]
"""


@pytest.mark.parametrize(
    ("how", "args"),
    [
        ("callable", ["--callable", "wl:cached"]),
        ("module", ["--module", "wlmod"]),
        ("script", ["--script", "wlmod.py"]),
    ],
)
def test_results_handed_back_again_are_seen_in_every_kind_of_workload(
    tmp_path: Path, how: str, args: list[str]
) -> None:
    (tmp_path / "lib.py").write_text(CACHED)
    (tmp_path / "wl.py").write_text(
        "from lib import fresh, parse\n\ndef cached():\n    return parse('1,2,3')\n\ndef honest():\n"
        "    return fresh('1,2,3')\n"
    )
    (tmp_path / "wlmod.py").write_text("from lib import parse\nout = parse('1,2,3')\nprint(len(out))\n")
    got = answers(tmp_path, *args)
    # The first call makes the list; every later call hands back that very list.
    assert [a["shared"] for a in got] == [0, 1, 1], got
    name = "return" if how == "callable" else "out"
    assert len({a["results"][name] for a in got}) == 1  # the same value each call: only its identity gives it away
    if how == "callable":
        honest = answers(tmp_path, "--callable", "wl:honest")
        assert [a["shared"] for a in honest] == [0, 0, 0]
