"""Held-out workload of sqlparse 939b129 (never shown to the agent): sqlparse.parse() of an UPDATE whose SET
list has ~450 random assignments (column = literal / expression) and whose WHERE has a long NOT IN list of
random quoted strings (the shown workload: a SELECT with a 600-column list and a 600-integer IN list). Run
from the repository root: python heldout_sqlparse_939b129.py"""

import os
import random
import sys

sys.path.insert(0, os.getcwd())  # the script's own folder is on sys.path, not the repository it runs in

import sqlparse  # noqa: E402

rng = random.Random(89)
assigns = []
for i in range(450):
    value = rng.choice(
        [str(rng.randint(0, 10**6)), f"'v{rng.randint(0, 999)}'", f"col_{rng.randint(0, 99)} + 1", "NULL"]
    )
    assigns.append(f"col_{i} = {value}")
names = ", ".join(f"'{rng.choice('abcdef')}{rng.randint(0, 10**5)}'" for _ in range(450))
SQL = f"UPDATE accounts SET {', '.join(assigns)} WHERE owner NOT IN ({names});"

(stmt,) = sqlparse.parse(SQL)


def shape(token):
    """The token tree as nested tuples (group class and children, or a leaf's type and text): what grouping built."""
    if token.is_group:
        return (type(token).__name__, [shape(t) for t in token.tokens])
    return (str(token.ttype), token.value)


tree = shape(stmt)  # kept: the harness compares it across variants
assert stmt.get_type() == "UPDATE"
