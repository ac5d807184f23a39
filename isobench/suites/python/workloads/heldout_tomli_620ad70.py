"""Held-out workload of tomli 620ad70 (never shown to the agent): a table of 1,500 multi-line basic strings
under quoted keys, all made of random \\UXXXXXXXX and \\uXXXX escapes, mostly the 8-digit form (the shown
workload: one table of single-line strings with 40 fixed \\uXXXX and 2 \\U escapes each). Run from the
repository root: python heldout_tomli_620ad70.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import tomli  # noqa: E402

rng = random.Random(43)
ESCAPES = [f"\\U{rng.randint(0x1F300, 0x1F64F):08x}" for _ in range(140)]
ESCAPES += [f"\\u{rng.randint(0x0400, 0x04FF):04x}" for _ in range(60)]

parts = ["[glyphs]\n"]
for i in range(1_500):
    key = "".join(rng.choices(ESCAPES, k=4)) + str(i)
    parts.append(f'"{key}" = """\n' + "".join(rng.choices(ESCAPES, k=rng.randint(20, 60))) + '\n"""\n')
DOC = "".join(parts)

d = tomli.loads(DOC)
assert len(d["glyphs"]) == 1_500
