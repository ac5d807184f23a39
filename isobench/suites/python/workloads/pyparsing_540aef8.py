"""pyparsing: parse_string() of 12 generated "key=value" settings lines whose keys and values carry
list_all_matches results names, then ParseResults.insert() of a marker every 25 tokens (the renumbering of
the named offsets the commit reworked) and every value read back by name, the edited results kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import pyparsing as pp  # noqa: E402

rng = random.Random(540)
KEYS = ["host", "port", "user", "mode", "retries", "timeout", "level", "path"]
LINES = [
    " ".join(f"{rng.choice(KEYS)}={rng.randint(0, 99_999)}" for _ in range(rng.randint(300, 700))) for _ in range(12)
]

key = pp.Word(pp.alphas)("key*")
value = pp.Word(pp.nums)("value*")
settings = pp.OneOrMore(key + pp.Suppress("=") + value)

results = [settings.parse_string(line, parse_all=True) for line in LINES]
out = []
for r in results:
    for pos in range(0, len(r), 25):
        r.insert(pos, f"--{pos}--")
    out.append((r.as_list(), list(r["key"]), list(r["value"])))
assert out[0][0][0] == "--0--"
