"""Held-out workload of tomli 7e7658c (never shown to the agent): a pyproject-like document whose one
nested, dotted table [tool.linter.per-file-ignores] holds ~1,800 quoted path keys with array values and
some dotted keys holding inline tables (the shown workload: a Cargo.toml-like [dependencies] table of
inline tables with arrays). Run from the repository root: python heldout_tomli_7e7658c.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import tomli  # noqa: E402

rng = random.Random(29)
codes = [f"{c}{n:03d}" for c in "EWFDN" for n in range(1, 40)]
parts = ['[project]\nname = "demo"\nversion = "0.1.0"\n\n[tool.linter.per-file-ignores]\n']
for i in range(1_800):
    path = f"src/pkg{rng.randint(0, 60)}/module_{i}.py"
    if i % 5 == 0:
        parts.append(f'"{path}".opts = {{ max-line = {rng.randint(79, 120)}, strict = true }}\n')
    else:
        picked = ", ".join(f'"{c}"' for c in rng.sample(codes, rng.randint(1, 4)))
        parts.append(f'"{path}" = [{picked}]\n')
DOC = "".join(parts)

d = tomli.loads(DOC)
assert len(d["tool"]["linter"]["per-file-ignores"]) == 1_800
