"""Held-out workload of wcwidth 343eef2 (never shown to the agent): wcswidth() of log lines (ASCII) with a
prefix count n, and of lines where one in four holds a wide or zero-width character or a tab (the shown
workload: ASCII table cells without n)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

from wcwidth import wcswidth  # noqa: E402

rng = random.Random(2026)
WORDS = ["GET", "POST", "/api/v1/items", "200", "404", "ms", "user=42", "ok", "retry", "cache-hit"]
LINES = [" ".join(rng.choices(WORDS, k=rng.randint(3, 25))) for _ in range(8_000)]
for i in range(0, len(LINES), 4):
    LINES[i] += rng.choice([" \u4e2d\u6587", " \u0301", "\t", " caf\u00e9"])

full = [wcswidth(line) for line in LINES]
prefix = [wcswidth(line, n=min(8, len(line))) for line in LINES[:2_000]]
assert full[1] == len(LINES[1])
