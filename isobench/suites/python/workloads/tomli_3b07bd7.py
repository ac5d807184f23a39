"""tomli: parse a heavily commented configuration document."""

import os
import sys

_root = os.getcwd()
_src = os.path.join(_root, "src") if os.path.isdir(os.path.join(_root, "src", "tomli")) else _root
if _src not in sys.path:
    sys.path.insert(0, _src)

import tomli  # noqa: E402

COMMENT = "# " + "this configuration value is documented in a long explanatory comment; " * 4 + "\n"
parts = []
for i in range(40):
    parts.append(f"[section{i}]\n")
    for j in range(25):
        parts.append(COMMENT)
        parts.append(COMMENT)
        parts.append(f"value{j} = {i * j}  # trailing comment about value {j} in section {i}\n")
DOC = "".join(parts)

d = tomli.loads(DOC)
assert len(d) == 40
