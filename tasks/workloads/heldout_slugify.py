"""Held-out workload of the demo's opt-small (never shown to the agent): slugify() of long ASCII file-like
names with punctuation, cut to 40 characters (the shown workload: short blog titles, some accented, no
length limit). Run from the repository root: python heldout_slugify.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import textkit  # noqa: E402

rng = random.Random(13)
parts = ["Report", "final", "v2", "DRAFT", "Q3", "notes", "summary", "data", "2024", "backup", "copy", "(1)"]
names = [
    "_".join(rng.choices(parts, k=rng.randint(3, 8))) + rng.choice([".txt", ".csv", "!!", " -- old", "#tmp"])
    for _ in range(2_000)
]
total = sum(len(textkit.slugify(name, max_length=40)) for name in names * 20)
assert total > 0
