"""Held-out workload of the demo's opt-medium (never shown to the agent): fill() of many short paragraphs
of long technical words at a terminal's width (the shown workload: wrap() of one long document of prose at
width 100). Run from the repository root: python heldout_wrap.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import textkit  # noqa: E402

rng = random.Random(11)
words = ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz_", k=rng.randint(2, 14))) for _ in range(3_000)]
paragraphs = [" ".join(rng.choices(words, k=rng.randint(150, 400))) for _ in range(60)]
lines = sum(textkit.fill(p, 120).count("\n") + 1 for p in paragraphs * 12)
assert lines > 10_000
