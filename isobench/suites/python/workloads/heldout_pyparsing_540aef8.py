"""Held-out workload of pyparsing 540aef8 (never shown to the agent): parse_string() of 12 generated
shopping-list records whose items carry results names, with a parse action that inserts a count at the
front and another that drops a trailing marker, then 50 ParseResults.insert() and 20 pop() calls on each
result, every edited result and named value kept (the shown workload: settings lines with a marker
inserted every 25 tokens)."""

import os
import random
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import pyparsing as pp  # noqa: E402

rng = random.Random(5400)
FRUIT = ["apple", "pear", "plum", "kiwi", "fig", "lime", "date", "grape"]
RECORDS = [
    " ".join(f"{rng.randint(1, 99)} {rng.choice(FRUIT)}" for _ in range(rng.randint(150, 450))) + " END"
    for _ in range(12)
]

qty = pp.Word(pp.nums)("qty*")
item = pp.Word(pp.alphas)("item*")
record = pp.OneOrMore(qty + item) + pp.Keyword("END")


def _count(t):
    t.insert(0, str(len(t) // 2))


def _drop_end(t):
    del t[-1]


record.add_parse_action(_drop_end, _count)

results = [record.parse_string(text, parse_all=True) for text in RECORDS]
edited = []
for r in results:
    for k in range(0, 200, 4):
        r.insert(k, f"#{k}")
    popped = [r.pop(1) for _ in range(20)]
    edited.append((r.as_list(), list(r["qty"]), list(r["item"]), popped))
assert edited[0][0][0] == "#0"
