"""The integrity flags: what the harness saw the code under test do to its own numbers, defined once.

Each flag's name is a member of `IntegrityFlag`; `MEANING` says, in the words the report, the dataset card and
the README show, what raised it and what it costs. The rules that raise them are in
`isobench/score/integrity.py` (and the CPU split in `isobench/measure/spawn.py`); what they cost is decided in
`isobench/outcome.py`: every flag costs the win (not an opt, does not beat or match the human), whatever the
speedup. A flag on the human's own patch makes the instance invalid.
"""

from __future__ import annotations

from typing import Literal, get_args

IntegrityFlag = Literal["workload_output_differs", "background_work", "cross_call_state", "shared_results"]

FLAGS: tuple[IntegrityFlag, ...] = get_args(IntegrityFlag)
"""Every flag, in the order the first that applies names an attempt's failure."""

OUTPUT_DIFFERS: IntegrityFlag = "workload_output_differs"
BACKGROUND_WORK: IntegrityFlag = "background_work"
CROSS_CALL: IntegrityFlag = "cross_call_state"
SHARED_RESULTS: IntegrityFlag = "shared_results"

MEANING: dict[IntegrityFlag, str] = {
    OUTPUT_DIFFERS: (
        "the results its workload left behind (what it printed, returned, or kept in its module-level names) "
        "differ from those of base and the human, which agree: not correct, whatever its tests say"
    ),
    BACKGROUND_WORK: (
        "its processes used CPU outside the calls the harness timed (a thread, a child process, work after a "
        "faked early answer) or outlived a timed process: not timed"
    ),
    CROSS_CALL: (
        "its first call after import kept confidently less than half the share of its repeated calls' gain "
        "over base (log scale) that the human's first call keeps: state kept across calls (memoisation, a cache "
        "keyed by the shown input); judged on its first calls, and never a win"
    ),
    SHARED_RESULTS: (
        "its calls handed back the very same mutable objects as an earlier call, or the same object twice "
        "within one call, where base's did not: an input-keyed cache; never a win"
    ),
}

WIN_RULES: tuple[str, ...] = ("overfit", CROSS_CALL, SHARED_RESULTS)
"""What `outcome.raw` (the figures before the integrity rules, GSO's uncontrolled `score`) leaves out: a raw
outcome ignores these; the workload's results and work outside the timed calls decide correctness and
timing in both views."""
