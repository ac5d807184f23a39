"""opt@k's edge cases (moved from the timing statistics' tests when its duplicate there went)."""

from __future__ import annotations

import pytest

from isobench.metrics import opt_at_k


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (10, 3, 1, 0.3),
        (10, 3, 2, 1 - 21 / 45),  # 1 - C(7,2)/C(10,2)
        (5, 2, 3, 1 - 1 / 10),  # 1 - C(3,3)/C(5,3)
        (4, 2, 3, 1.0),  # n - c < k: every draw of 3 contains a pass
        (5, 0, 3, 0.0),
        (5, 5, 1, 1.0),
        (1, 1, 1, 1.0),
        (2, 1, 5, 1.0),  # k > n: observed any-pass
        (2, 0, 5, 0.0),
    ],
)
def test_opt_at_k_gives_the_chance_that_one_of_k_attempts_passes(n: int, c: int, k: int, expected: float) -> None:
    assert opt_at_k(n, c, k) == pytest.approx(expected)


@pytest.mark.parametrize(("n", "c", "k"), [(0, 0, 1), (3, 4, 1), (3, -1, 1), (3, 1, 0)])
def test_opt_at_k_refuses_counts_that_cannot_be(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        opt_at_k(n, c, k)
