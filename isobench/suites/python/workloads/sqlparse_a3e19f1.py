"""sqlparse: parse one SELECT whose CASE expression has hundreds of WHEN branches (many tokens in one group)."""

import os
import sys

_root = os.getcwd()
if _root not in sys.path:
    sys.path.insert(0, _root)

import sqlparse  # noqa: E402

WHENS = " ".join(f"WHEN a.code = {i} THEN 'label {i}'" for i in range(700))
SQL = f"SELECT CASE {WHENS} ELSE 'other' END AS label FROM a;"

(stmt,) = sqlparse.parse(SQL)


def shape(token):
    """The token tree as nested tuples (group class and children, or a leaf's type and text): what grouping built."""
    if token.is_group:
        return (type(token).__name__, [shape(t) for t in token.tokens])
    return (str(token.ttype), token.value)


tree = shape(stmt)  # kept: the harness compares it across variants
assert stmt.get_type() == "SELECT"
