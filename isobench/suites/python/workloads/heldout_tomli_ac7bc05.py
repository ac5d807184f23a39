"""Held-out workload of tomli ac7bc05 (never shown to the agent): one long multi-line array of long literal
strings (regular expressions of random length), each array item followed by a comment of random length
(the shown workload: tables of keys with fixed-length comments and Windows-path literal strings). Run from
the repository root: python heldout_tomli_ac7bc05.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import tomli  # noqa: E402

rng = random.Random(31)
atoms = [r"\d+", r"[a-z_]\w*", r"\s*", r"(?:foo|bar|baz)", r"\.", r"[^/]+", r"\\", r"(?P<name>\w+)", "-", "/"]
words = ["matches", "the", "log", "line", "prefix", "of", "service", "request", "path", "version", "id"]
parts = ["[filters]\npatterns = [\n"]
for i in range(3_000):
    pattern = "".join(rng.choices(atoms, k=rng.randint(20, 90)))
    comment = " ".join(rng.choices(words, k=rng.randint(10, 70)))
    parts.append(f"  '{pattern}',  # {i}: {comment}\n")
parts.append("]\n")
DOC = "".join(parts)

d = tomli.loads(DOC)
assert len(d["filters"]["patterns"]) == 3_000
