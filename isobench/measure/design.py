"""The order of each round: a Williams design (a balanced Latin square), shuffled per block."""

from __future__ import annotations

import numpy as np


def _williams_rows(v: int) -> list[list[int]]:
    """Rows of a Williams design: each index in each position, and after each other, equally often."""
    first, lo, hi = [0], 1, v - 1
    while len(first) < v:
        if len(first) % 2 == 1:
            first.append(lo)
            lo += 1
        else:
            first.append(hi)
            hi -= 1
    rows = [[(x + i) % v for x in first] for i in range(v)]
    if v % 2 == 1:  # odd v needs the mirrored square too for carry-over balance
        rows += [row[::-1] for row in rows]
    return rows


def round_order(names: list[str], round_index: int, seed: int = 0) -> list[str]:
    """Order of ``names`` in round ``round_index``: Williams rows, row order shuffled per block."""
    rows = _williams_rows(len(names))
    block, i = divmod(round_index, len(rows))
    perm = np.random.default_rng([seed, len(names), block]).permutation(len(rows))
    return [names[j] for j in rows[perm[i]]]
