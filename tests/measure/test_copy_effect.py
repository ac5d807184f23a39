"""The copy effect made random, then averaged out: every round's processes start with an environment padding
drawn anew (`ProtocolConfig.layout`), the same for every variant of the round, and the A/A twin's widening
of every interval is only the copy effect it measured beyond its own noise (`stats.copy_effect`)."""

from __future__ import annotations

import math
import os
import random
import statistics
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from isobench.measure.config import ProtocolConfig, Variant
from isobench.measure.protocol import measure
from isobench.measure.spawn import LAYOUT_MAX_BYTES, LAYOUT_MAX_VARS, LAYOUT_PREFIX, layout_env
from isobench.measure.stats import (
    MIN_FREE_N,
    RESIDUAL_MIN_N,
    RatioEstimate,
    classify_speedup,
    copy_effect,
    match_labels,
    ratio_estimate,
    with_copy_spread,
)

# Each call appends what its process started with: its pid, its variant, and its padding (names and sizes).
WORKLOAD = """
import os

def run():
    pad = sorted((k, len(v)) for k, v in os.environ.items() if k.startswith("ISOBENCH_LAYOUT_"))
    with open(os.environ["SEEN"], "a") as fh:
        fh.write(f"{os.getpid()} {os.environ['WHO']} {pad!r}\\n")
    return sum(range(2000))
"""


def seen_by_process(tmp_path: Path, layout: str, rounds: int = 4) -> dict[str, list[str]]:
    """Two variants of the same code measured for `rounds` rounds: per variant, the padding each of its
    processes saw, in the order they started (the warm-up first)."""
    (tmp_path / "wl.py").write_text(WORKLOAD)
    seen = tmp_path / "seen.txt"
    variants = [
        Variant(
            name=name,
            cwd=tmp_path,
            python=sys.executable,
            env={**os.environ, "SEEN": str(seen), "WHO": name},
            callable="wl:run",
        )
        for name in ("base", "human")
    ]
    cfg = ProtocolConfig(min_rounds=rounds, max_rounds=rounds, values=1, warmup=0, layout=layout)
    m = measure(variants, cfg)
    assert not m.failed and m.rounds == rounds
    pads: dict[str, dict[str, str]] = defaultdict(dict)
    for line in seen.read_text().splitlines():
        pid, who, pad = line.split(" ", 2)
        pads[who].setdefault(pid, pad)  # a process's later calls see what its first saw
    return {who: list(by_pid.values()) for who, by_pid in pads.items()}


def test_every_round_starts_its_processes_with_a_new_padding_the_same_for_every_variant(tmp_path: Path) -> None:
    pads = seen_by_process(tmp_path, "random")
    base, human = pads["base"], pads["human"]
    assert len(base) == len(human) == 5  # the warm-up, then one process per round
    assert base[0] == human[0] == "[]"  # the untimed warm-up starts as the variant is
    assert len(set(base[1:])) == 4  # two processes of one variant: different paddings
    assert base[1:] == human[1:]  # the same draw for every variant of a round: one distribution for all
    assert all(LAYOUT_PREFIX in p for p in base[1:])


def test_a_fixed_layout_adds_nothing(tmp_path: Path) -> None:
    pads = seen_by_process(tmp_path, "fixed", rounds=3)
    assert set(pads["base"]) == set(pads["human"]) == {"[]"}


def test_the_padding_covers_a_page_in_sizes_and_counts() -> None:
    draws = [layout_env(random.Random(i)) for i in range(2000)]
    totals = [sum(map(len, d.values())) for d in draws]
    counts = Counter(len(d) for d in draws)
    assert min(totals) >= 0 and max(totals) <= LAYOUT_MAX_BYTES
    assert statistics.mean(totals) == pytest.approx(LAYOUT_MAX_BYTES / 2, rel=0.05)  # uniform over the page
    assert len({t % 64 for t in totals}) == 64  # every offset within a cache line
    assert set(counts) == set(range(1, LAYOUT_MAX_VARS + 1))
    assert all(name.startswith(LAYOUT_PREFIX) for d in draws for name in d)
    assert layout_env(random.Random(3)) == layout_env(random.Random(3))  # reproducible from the seed


def test_an_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="layout must be one of"):
        ProtocolConfig(layout="shuffled")


# ---------------------------------------------------------------- the widening: the residual copy effect


def est(value: float, low: float, high: float, n: int = RESIDUAL_MIN_N) -> RatioEstimate:
    halfwidth = (math.log(high) - math.log(low)) / 2 if low > 0 and math.isfinite(high) else math.inf
    return RatioEstimate(value, low, high, n, halfwidth, None)


def test_an_a_a_twin_within_its_own_noise_widens_nothing() -> None:
    human = est(1.50, 1.485, 1.515)  # +-1%
    for aa in (est(1.0, 0.99, 1.01), est(1.004, 0.994, 1.014), est(0.995, 0.985, 1.005)):
        assert copy_effect(aa) == 0.0
        assert with_copy_spread(human, aa) == human


def test_a_copy_effect_beyond_the_a_a_twins_noise_widens_every_interval_by_its_size() -> None:
    human = est(1.50, 1.485, 1.515)
    aa = est(1.015, 0.995, 1.035)  # identical code read 1.5% apart, +-2%: more than its rounds' noise explains
    margin = copy_effect(aa)
    z = 1.959964
    d, s = math.log(1.015), aa.halfwidth_log / z
    assert margin == pytest.approx(z * math.sqrt(d * d - s * s), rel=1e-4)
    wide = with_copy_spread(human, aa)
    assert wide.value == human.value
    assert math.log(wide.value / wide.ci_low) == pytest.approx(math.hypot(math.log(1.50 / 1.485), margin))
    assert math.log(wide.ci_high / wide.value) == pytest.approx(math.hypot(math.log(1.515 / 1.50), margin))
    # a larger copy effect widens more, never beyond the A/A interval's own reach (the rule before)
    assert copy_effect(est(1.03, 1.02, 1.04)) == pytest.approx(math.log(1.04))
    assert copy_effect(est(1.06, 1.05, 1.07)) == pytest.approx(math.log(1.07))
    assert copy_effect(est(1 / 1.06, 1 / 1.07, 1 / 1.05)) == pytest.approx(math.log(1.07))  # either way
    assert with_copy_spread(human, None) == human and copy_effect(est(1.0, 0.0, math.inf)) == 0.0


def test_the_widening_is_what_is_left_so_identical_code_keeps_passing_and_never_beats_the_human() -> None:
    """A copy of the human's code with rho 0.99 [0.975, 1.005]: with the A/A twin inside its noise, it matches
    (confident_pass), where the whole reach of the A/A interval (0.97 to 1.03, the rule before) pulled its
    low end below 0.95; it never beats the human either way."""
    rho = est(0.99, 0.975, 1.005)
    aa = est(1.0, 0.97, 1.03)
    labels = match_labels(with_copy_spread(rho, aa))
    assert labels["match_label"] == "confident_pass" and not labels["beats_human"]
    old_low = 0.975 / 1.03
    assert old_low < 0.95
    assert classify_speedup(with_copy_spread(est(1.0, 0.98, 1.02), est(1.05, 1.045, 1.055))) == "inconclusive"


def test_few_rounds_cannot_bound_a_median_so_the_a_a_twins_whole_reach_is_carried() -> None:
    """With 5 rounds the widest interval the rounds give (their smallest to their largest ratio) misses the
    median 2 / 2^5 = 6.25% of the time: identical code with no copy effect at all, timed 5 rounds at a time,
    has block intervals excluding 1.0 more often than 5%. There the A/A twin's whole reach is carried."""
    rng = np.random.default_rng(5)
    misses = sum(
        not ratio_estimate(rng.lognormal(0, 0.05, 5), rng.lognormal(0, 0.05, 5), n_resamples=999, seed=i).contains(1.0)
        for i in range(400)
    )
    assert misses / 400 > 0.05
    assert 1 - 2 / 2 ** (MIN_FREE_N - 1) < 0.95 <= 1 - 2 / 2**MIN_FREE_N
    human, aa = est(1.5, 1.45, 1.55, n=5), est(1.0, 0.98, 1.03, n=5)  # the A/A within its noise
    wide = with_copy_spread(human, aa)
    assert wide.ci_low == pytest.approx(1.45 / 1.03) and wide.ci_high == pytest.approx(1.55 / 0.98)
    for n in (MIN_FREE_N, RESIDUAL_MIN_N - 1):  # too few rounds still: block intervals undercover (RESULTS.md)
        assert with_copy_spread(replace(human, n=n), replace(aa, n=n)).ci_low == pytest.approx(1.45 / 1.03)
    many = with_copy_spread(replace(human, n=RESIDUAL_MIN_N), replace(aa, n=RESIDUAL_MIN_N))
    assert many == replace(human, n=RESIDUAL_MIN_N)  # enough rounds: only the residual copy effect, here none
