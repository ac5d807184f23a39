"""Held-out workload of tomli 3b07bd7 (never shown to the agent): nine tables, each a block of 60 comment
lines of random length and one 300-item array whose items are interleaved with comment lines of random
length (the shown workload: many tables, two fixed-length comments before each key and a trailing
comment). Run from the repository root: python heldout_tomli_3b07bd7.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import tomli  # noqa: E402

rng = random.Random(41)
words = ["deprecated", "option", "kept", "for", "compatibility", "see", "issue", "the", "old", "value", "was"]
parts = []
for t in range(9):
    parts.append(f"[group{t}]\n")
    for _ in range(60):
        parts.append("# " + " ".join(rng.choices(words, k=rng.randint(5, 80))) + "\n")
    parts.append("items = [\n")
    for _ in range(300):
        parts.append("  # " + " ".join(rng.choices(words, k=rng.randint(10, 60))) + "\n")
        parts.append(f"  {rng.randint(0, 10**6)},\n")
    parts.append("]\n")
DOC = "".join(parts)

d = tomli.loads(DOC)
assert len(d) == 9 and all(len(g["items"]) == 300 for g in d.values())
