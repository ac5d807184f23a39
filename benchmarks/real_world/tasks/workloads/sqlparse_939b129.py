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
assert stmt.get_type() == "SELECT"
