"""Held-out workload of the demo's opt-large (never shown to the agent): remove_stopwords() on one long
list of lowercase keywords, few of them stopwords (the shown workload: capitalized sentences, half
stopwords). Run from the repository root: python heldout_stopwords.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import textkit  # noqa: E402

rng = random.Random(7)
letters = "etaoinshrdlucmfwyp"
block = [
    rng.choice(textkit.STOPWORDS) if rng.random() < 0.1 else "".join(rng.choices(letters, k=rng.randint(3, 9)))
    for _ in range(5_000)
]
kept = textkit.remove_stopwords(block * 40)
assert len(kept) > 150_000
