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
assert stmt.get_type() == "SELECT"
