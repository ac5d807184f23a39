"""sqlparse: parse a SELECT with a very long column list and IN list."""

import os
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import sqlparse  # noqa: E402

COLS = ", ".join(f"t.column_{i}" for i in range(600))
IN = ", ".join(str(i) for i in range(600))
SQL = f"SELECT {COLS} FROM big_table t WHERE t.id IN ({IN});"

(stmt,) = sqlparse.parse(SQL)


def shape(token):
    """The token tree as nested tuples (group class and children, or a leaf's type and text): what grouping built."""
    if token.is_group:
        return (type(token).__name__, [shape(t) for t in token.tokens])
    return (str(token.ttype), token.value)


tree = shape(stmt)  # kept: the harness compares it across variants
assert stmt.get_type() == "SELECT"
