"""Held-out workload of the demo's opt-ngrams (never shown to the agent): 6-gram counts and the trigram
list of a token stream of code-like identifiers (the shown workload: 4-gram counts of prose). Run from the
repository root: python heldout_ngrams.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

from textkit.ngrams import ngram_counts, ngrams  # noqa: E402

rng = random.Random(17)
vocab = ["".join(rng.choices("abcdefghij", k=rng.randint(1, 6))) for _ in range(400)]
tokens = rng.choices(vocab, k=20_000) * 15
counts = ngram_counts(tokens, 6)
grams = ngrams(tokens, 3)
assert len(grams) == len(tokens) - 2 and counts
