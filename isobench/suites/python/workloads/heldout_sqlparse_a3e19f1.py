"""Held-out workload of sqlparse a3e19f1 (never shown to the agent): sqlparse.parse() of an UPDATE whose
SET value is a searched CASE with ~1,200 WHEN branches of random LIKE / IN (...) / <> comparison conditions
(the shown workload: a SELECT whose CASE has 700 "WHEN a.code = i THEN 'label i'" branches). Run from the
repository root: python heldout_sqlparse_a3e19f1.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import sqlparse  # noqa: E402

rng = random.Random(97)
whens = []
for _ in range(1_200):
    cond = rng.choice(
        [
            f"name LIKE '{rng.choice('abcxyz')}%'",
            f"kind IN ({rng.randint(0, 9)}, {rng.randint(10, 19)})",
            f"kind <> {rng.randint(0, 50)}",
        ]
    )
    whens.append(f"WHEN {cond} THEN {rng.randint(0, 10**4)}")
SQL = f"UPDATE players SET bucket = CASE {' '.join(whens)} ELSE -1 END WHERE active = 1;"

(stmt,) = sqlparse.parse(SQL)


def shape(token):
    """The token tree as nested tuples (group class and children, or a leaf's type and text): what grouping built."""
    if token.is_group:
        return (type(token).__name__, [shape(t) for t in token.tokens])
    return (str(token.ttype), token.value)


tree = shape(stmt)  # kept: the harness compares it across variants
assert stmt.get_type() == "UPDATE"
