"""pyparsing: parse_string() of two long "key=value;" settings lines (4,000 and 8,000 pairs) whose key
and value carry results names, so every match appends to a growing ParseResults name list
(ParseResults.__setitem__, which the commit sped up), the parsed lists and the named values kept."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import pyparsing as pp  # noqa: E402

rng = random.Random(650)
KEYS = ["host", "port", "user", "mode", "retries", "timeout", "level", "path"]
DOCS = [" ".join(f"{rng.choice(KEYS)}={rng.randint(0, 99_999)};" for _ in range(n)) for n in (4_000, 8_000)]

key = pp.Word(pp.alphas)("key")
value = pp.Word(pp.nums)("value")
settings = pp.OneOrMore(key + pp.Suppress("=") + value + pp.Suppress(";"))

results = [settings.parse_string(doc) for doc in DOCS]
parsed = [r.as_list() for r in results]
last = [(r["key"], r["value"]) for r in results]
assert len(parsed[0]) == 8_000
