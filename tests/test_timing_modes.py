"""Which timing mode an instance gets, and the A/A noise-floor flag (no processes started)."""

from __future__ import annotations

import pytest

from isobench.measure.config import IN_PROCESS, IN_PROCESS_SCRIPT, WHOLE_PROCESS, Script
from isobench.records import Classification, Estimate
from isobench.score.judge import noisy_flag
from isobench.score.timing import script_workload, timing_mode
from tests.factories import instance


@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        (["python bench/w.py"], Script("script", "bench/w.py", ())),
        (["python3 /abs/w.py --size 10 -v"], Script("script", "/abs/w.py", ("--size", "10", "-v"))),
        (["python -m benchmarks.run ngrams"], Script("module", "benchmarks.run", ("ngrams",))),
        (["python3.12 'my dir/w.py'"], Script("script", "my dir/w.py", ())),
        (["python w.py | tee out"], None),  # shell syntax: the shell must run it
        (["python w.py && python x.py"], None),
        (["FOO=1 python w.py"], None),
        (["python -X importtime w.py"], None),  # interpreter options: run as written
        (["pytest -q"], None),
        (["python w.py", "python x.py"], None),  # several commands
        (["python $HOME/w.py"], None),
    ],
)
def test_which_workloads_are_scripts_timed_in_process(commands: list[str], expected: Script | None) -> None:
    assert script_workload(commands) == expected


def test_timing_mode_prefers_the_callable_then_the_script_and_honours_the_opt_out() -> None:
    assert timing_mode(instance(efficiency_test=["python w.py"], workload_callable="m:f")) == IN_PROCESS
    assert timing_mode(instance(efficiency_test=["python w.py"])) == IN_PROCESS_SCRIPT
    assert timing_mode(instance(efficiency_test=["python w.py"], workload_timing="whole_process")) == WHOLE_PROCESS
    assert timing_mode(instance(efficiency_test=["make bench"])) == WHOLE_PROCESS


def aa(value: float, lo: float, hi: float, label: Classification) -> Estimate:
    return Estimate(speedup=value, speedup_ci=[lo, hi], classification=label, halfwidth_log=0.01)


def test_an_instance_whose_a_a_twin_is_not_no_difference_is_flagged_noisy() -> None:
    assert noisy_flag(aa(1.0, 0.99, 1.01, "no_difference"), None, 0.05) == {"noisy": False, "noisy_reason": None}
    flag = noisy_flag(aa(1.08, 1.06, 1.10, "faster"), None, 0.05)
    assert flag["noisy"] and "came out faster: 1.080 [1.060, 1.100]" in flag["noisy_reason"]
    flag = noisy_flag(aa(1.0, 0.93, 1.07, "inconclusive"), None, 0.05)
    assert flag["noisy"] and "reaches beyond +-5%" in flag["noisy_reason"]
    flag = noisy_flag(None, "round 3: exit status 1", 0.05)
    assert flag["noisy"] and "could not be timed: round 3" in flag["noisy_reason"]
