"""`score`'s live display across instances: how many are done and how long the rest will take.

The reporters are driven with the events `score` sends (tests/test_fast_summaries.py runs the real command)
and a clock the test moves, so the ETA they print can be checked against the rule it follows: the timing
budget of each instance still to time (score.time_budget_s per variant pair, scaled by the share of it the
finished instances used), plus the mean build time seen so far.
"""

from __future__ import annotations

import io

from isobench.measure.protocol import RoundDone
from isobench.progress import PlainScoreReporter, RichScoreReporter, ScoreEta, format_duration
from isobench.records import InstanceScore
from tests import factories

VARIANTS = ["base", "human", "base_aa", "oracle#1"]  # 3 pairs with base: 3 x 60 s of timing budget


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def record(valid: bool = True) -> InstanceScore:
    return factories.score("a", {"human": factories.row("human", speedup=2.0)}, valid=valid)


def score_one(
    r: PlainScoreReporter | RichScoreReporter, clock: Clock, iid: str, build_s: float, timing_s: float
) -> None:
    """One instance as `score` reports it: built for `build_s`, then timed for `timing_s`."""
    r.instance_started(iid, VARIANTS)
    r.variant_step(iid, "base", "uv venv")
    clock.now += build_s
    r.timing_started(iid, VARIANTS, 180.0)
    r.timing_round(iid, 5, RoundDone([], {}, {"human": 0.02}, timing_s, []))
    clock.now += timing_s
    r.instance_done(iid, record())


def test_plain_lines_give_instances_done_of_all_and_an_eta_after_each_instance() -> None:
    out, clock = io.StringIO(), Clock()
    r = PlainScoreReporter(out, pair_budget_s=60.0, clock=clock)
    r.start(["a", "b", "c"])
    score_one(r, clock, "a", build_s=30, timing_s=90)
    # b and c: a 30 s build each, then half their 180 s budget (a stopped at half of it): 2 x 120 s
    assert out.getvalue().splitlines()[-1] == "score: 1/3 instances, ETA 4m 00s"
    score_one(r, clock, "b", build_s=50, timing_s=45)
    # builds now average 40 s; timings used half and a quarter of their budget: 40 + 0.375 x 180
    assert out.getvalue().splitlines()[-1] == "score: 2/3 instances, ETA 1m 48s"
    score_one(r, clock, "c", build_s=10, timing_s=20)
    r.stop()
    assert out.getvalue().splitlines()[-1] == "score: 3/3 instances in 4m 05s"
    done = [ln for ln in out.getvalue().splitlines() if "/3 instances" in ln]
    assert len(done) == 3  # one line per instance, at its end


def test_before_any_instance_is_timed_the_eta_counts_every_timing_budget_and_the_build_so_far() -> None:
    clock = Clock()
    eta = ScoreEta(["a", "b", "c"], pair_budget_s=60.0, clock=clock)
    assert eta.line() == "0/3 instances, ETA unknown"  # nothing started: the variants are not known yet
    eta.instance_started("a", len(VARIANTS))
    clock.now += 20
    # a: its build may be ending, then 180 s; b and c: at least as long a build, then 180 s each
    assert eta.remaining_s() == 180 + 2 * (20 + 180)
    assert eta.line() == f"0/3 instances, ETA {format_duration(580)}" == "0/3 instances, ETA 9m 40s"


def test_instances_scored_side_by_side_on_a_cluster_share_the_remainder() -> None:
    clock = Clock()
    eta = ScoreEta(["a", "b", "c", "d"], pair_budget_s=60.0, clock=clock)
    eta.instance_started("a", 4)  # a cluster reports only starts and ends, one instance per node
    eta.instance_started("b", 4)
    clock.now += 100
    eta.instance_done("a")
    # an instance takes 100 s; b should be ending; c and d are left for two nodes
    assert eta.line() == "1/4 instances, ETA 1m 40s"


def test_the_terminal_display_has_an_overall_row_with_instances_done_and_the_eta() -> None:
    out, clock = FakeTTY(), Clock()
    r = RichScoreReporter(out, pair_budget_s=60.0, clock=clock)
    r.console.width = 200
    r.start(["inst-a", "inst-b"])
    score_one(r, clock, "inst-a", build_s=30, timing_s=90)
    r.progress.refresh()  # what the screen shows at its next refresh
    shown = out.getvalue()
    assert "all instances" in shown and "1/2 instances, ETA 2m 00s" in shown
    assert "inst-a" in shown and "valid, human 2.00x" in shown and "inst-b" in shown
    score_one(r, clock, "inst-b", build_s=30, timing_s=90)
    r.stop()
    assert "2/2 instances in 4m 00s" in out.getvalue()


def test_an_eta_reads_in_seconds_minutes_or_hours() -> None:
    assert [format_duration(s) for s in (0, 44.6, 60, 200, 3599, 3600, 7 * 3600 + 5 * 60)] == [
        "0s",
        "45s",
        "1m 00s",
        "3m 20s",
        "59m 59s",
        "1h 00m",
        "7h 05m",
    ]
