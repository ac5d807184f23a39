"""Held-out workload of pyparsing 9671184 (never shown to the agent): parse_string() of two long
comma-separated rows of words and signed integers, each item named by its kind, and of a 6,000-entry
log of grouped "level: message" records collected under a list_all_matches name, every parsed row and
named list kept (the shown workload: "key=value;" settings lines)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import pyparsing as pp  # noqa: E402

rng = random.Random(1650)


def _item():
    if rng.random() < 0.5:
        return str(rng.randint(-50_000, 50_000))
    return "".join(rng.choices("abcdefghij", k=rng.randint(2, 8)))


ROWS = [", ".join(_item() for _ in range(n)) for n in (5_000, 10_000)]
LOG = "\n".join(f"{rng.choice(['INFO', 'WARN', 'ERROR'])}: job{rng.randint(0, 999)} done" for _ in range(6_000))

integer = pp.Regex(r"[+-]?\d+")("int")
word = pp.Word(pp.alphas)("word")
row = pp.DelimitedList(integer | word)

level = pp.one_of("INFO WARN ERROR")("level")
record = pp.Group(level + pp.Suppress(":") + pp.rest_of_line("message"))("record*")
log = pp.OneOrMore(record)

rows = [row.parse_string(text, parse_all=True) for text in ROWS]
row_lists = [(r.as_list(), r["int"], r["word"]) for r in rows]
records = log.parse_string(LOG, parse_all=True)
levels = [rec["level"] for rec in records["record"]]
assert len(levels) == 6_000
